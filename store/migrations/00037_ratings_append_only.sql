-- +goose Up
-- A rating is given once and never changed: for the application role the
-- table is append-only, like the control sheet (migration 00026; the
-- default privileges granted it everything on a new table).
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'motcua_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON ratings FROM motcua_app;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'motcua_app') THEN
        GRANT UPDATE, DELETE ON ratings TO motcua_app;
    END IF;
END
$$;
-- +goose StatementEnd
