-- +goose Up
-- The bytes of an issued file (a form, the signed result) now live in the
-- document storage, encrypted at rest under the payload key ring and in S3
-- where production keeps documents, like every other file of a dossier:
-- forms carry the applicant's name, address and identity number, and the
-- signed result was kept twice (here and in the document storage). A row
-- here keeps what it always did (name, kind, SHA-256, instant: what form
-- 06 and the verification page read) and, from now on, no content: the
-- file is the dossier's document with that SHA-256. Rows written before
-- keep their content and are served from it (the table is append-only, so
-- they are never rewritten).
ALTER TABLE issued_files ALTER COLUMN content DROP NOT NULL;

-- +goose Down
-- Issued files without content cannot be put back into the table.
SELECT 1;
