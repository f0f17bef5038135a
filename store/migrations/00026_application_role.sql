-- +goose Up
-- Two database roles: the owner of the schema (it runs these migrations:
-- `motcua migrate`, MOTCUA_MIGRATE_DATABASE_URL) and motcua_app, which the
-- API and the worker connect as (DATABASE_URL: motcua_app itself or a login
-- role granted it). motcua_app is not the owner, so it cannot ALTER TABLE
-- dossier_events DISABLE TRIGGER and rewrite the control sheet, and it is
-- granted only SELECT, INSERT on the append-only tables.
--
-- The role is made here when the owner may create roles (make dev, make
-- test: a superuser); otherwise the database administrator creates it first
-- (deploy/compose/postgres-init.sh does), and this only grants to it.

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'motcua_app') THEN
        BEGIN
            CREATE ROLE motcua_app NOLOGIN;
        EXCEPTION
            -- Another database of the same cluster migrating at once.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role motcua_app does not exist and % may not create it', current_user
                    USING HINT = 'create it first: CREATE ROLE motcua_app LOGIN PASSWORD ''…'' (docs/OPERATIONS.md, Database roles)';
        END;
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO motcua_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO motcua_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO motcua_app;
-- Append-only: the control sheet and the files the center issued.
REVOKE UPDATE, DELETE, TRUNCATE ON dossier_events, issued_files FROM motcua_app;
-- The migrations' own bookkeeping is the owner's alone.
REVOKE ALL ON goose_db_version FROM motcua_app;
GRANT SELECT ON goose_db_version TO motcua_app;
-- Tables of later migrations (run by the same owner) get the same grants;
-- a later append-only table revokes UPDATE, DELETE like above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO motcua_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO motcua_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM motcua_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM motcua_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM motcua_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM motcua_app;
REVOKE USAGE ON SCHEMA public FROM motcua_app;
