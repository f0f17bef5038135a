-- +goose Up
-- The files behind a dossier's documents (package document). A row is one
-- stored file: uploaded and not yet attached (dossier_code NULL, removed
-- after 24 hours), or attached to a dossier as a submitted document, a
-- supplement, the result or an issued form. The content itself, encrypted
-- with the payload key ring (key_id), is an object named by id in the
-- configured object storage: document_blobs below (the embedded default)
-- or an S3 bucket.
CREATE TABLE document_files (
	id           text PRIMARY KEY,
	dossier_code text,
	kind         text NOT NULL CHECK (kind IN ('upload', 'submission', 'supplement', 'result', 'form')),
	name         text NOT NULL,
	sha256       text NOT NULL,
	content_type text NOT NULL,
	size         bigint NOT NULL CHECK (size > 0),
	key_id       text NOT NULL,
	uploaded_by  text NOT NULL,
	created_at   timestamptz NOT NULL,
	attached_at  timestamptz,
	CHECK ((dossier_code IS NULL) = (kind = 'upload'))
);
-- A dossier's files by hash (the dossier JSON lists documents by hash).
CREATE INDEX document_files_dossier ON document_files (dossier_code, sha256) WHERE dossier_code IS NOT NULL;
-- The cleanup's scan: unattached uploads by age.
CREATE INDEX document_files_unattached ON document_files (created_at) WHERE dossier_code IS NULL;

-- The embedded object storage: encrypted contents, by object key. EXTERNAL
-- storage: ciphertext does not compress, so PostgreSQL need not try.
CREATE TABLE document_blobs (
	key  text PRIMARY KEY,
	data bytea NOT NULL
);
ALTER TABLE document_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE document_blobs;
DROP TABLE document_files;
