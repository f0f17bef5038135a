-- +goose Up
-- Who submitted a dossier (the token subject of the portal or the intake
-- officer): portals may act only on the dossiers they submitted, and list
-- only those. NULL for dossiers from before authentication and for seeded
-- ones.
ALTER TABLE dossiers ADD COLUMN submitted_by text;
CREATE INDEX dossiers_submitted_by ON dossiers (submitted_by, code) WHERE submitted_by IS NOT NULL;

-- +goose Down
DROP INDEX dossiers_submitted_by;
ALTER TABLE dossiers DROP COLUMN submitted_by;
