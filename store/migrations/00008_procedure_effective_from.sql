-- +goose Up
-- A procedure version takes effect on a date (decrees take effect on a set
-- day): submissions use the latest version already in effect.
ALTER TABLE procedure_versions ADD COLUMN effective_from timestamptz;
UPDATE procedure_versions SET effective_from = imported_at;
ALTER TABLE procedure_versions ALTER COLUMN effective_from SET NOT NULL;
CREATE INDEX procedure_versions_effective ON procedure_versions (code, effective_from DESC, version DESC);

-- +goose Down
DROP INDEX procedure_versions_effective;
ALTER TABLE procedure_versions DROP COLUMN effective_from;
