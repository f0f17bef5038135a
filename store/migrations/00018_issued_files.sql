-- +goose Up
-- The files motcua itself issues for a dossier: the forms (01–06) and the
-- signed result. A file is written once, when it is first issued, and
-- never changed: the same request later serves the same bytes, and the
-- SHA-256 listed on the control sheet (form 06) is the file's. Until the
-- document storage holds these files, the bytes are kept here (a form is
-- some 40 KB); name is unique per dossier and says what the file is for
-- (the form's number and the control-sheet event it was issued for).
CREATE TABLE issued_files (
    dossier_code text NOT NULL REFERENCES dossiers (code),
    name         text NOT NULL,
    kind         text NOT NULL,
    sha256       text NOT NULL,
    issued_at    timestamptz NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (dossier_code, name)
);
-- The verification page finds a signed result by its hash.
CREATE INDEX issued_files_sha256 ON issued_files (sha256);

-- Issued files are as append-only as the control sheet that lists them.
-- +goose StatementBegin
CREATE FUNCTION motcua_issued_files_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'issued_files is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'an issued form or result is never changed; issue a new one';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER issued_files_no_update_delete
    BEFORE UPDATE OR DELETE ON issued_files
    FOR EACH ROW EXECUTE FUNCTION motcua_issued_files_append_only();
CREATE TRIGGER issued_files_no_truncate
    BEFORE TRUNCATE ON issued_files
    FOR EACH STATEMENT EXECUTE FUNCTION motcua_issued_files_append_only();

-- +goose Down
DROP TABLE issued_files;
DROP FUNCTION motcua_issued_files_append_only();
