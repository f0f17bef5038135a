-- +goose Up
-- Office hours differ by province (and the catalog says so per agency):
-- working windows like ["07:30-11:30", "13:00-17:00"]; NULL = the default.
ALTER TABLE agencies ADD COLUMN windows jsonb;

-- +goose Down
ALTER TABLE agencies DROP COLUMN windows;
