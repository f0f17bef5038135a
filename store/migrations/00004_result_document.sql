-- +goose Up
-- The signed result's record (name, sha256, issued_at): what an electronic
-- return delivers and the applicant can fetch.
ALTER TABLE dossiers ADD COLUMN result_document jsonb;

-- +goose Down
ALTER TABLE dossiers DROP COLUMN result_document;
