-- +goose Up
-- Office hours by date range (summer and winter hours): a list of
-- {"from": "2026-04-15", "to": "2026-10-14", "windows": ["07:00-11:00", ...]};
-- NULL = the agency's windows every day.
ALTER TABLE agencies ADD COLUMN periods jsonb;

-- +goose Down
ALTER TABLE agencies DROP COLUMN periods;
