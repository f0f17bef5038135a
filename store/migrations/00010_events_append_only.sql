-- +goose Up
-- The control sheet (phiếu kiểm soát) is the record of who did what and
-- when: it is appended to, never edited. Nothing in motcua updates or
-- deletes events (the recorder inserts with ON CONFLICT DO NOTHING, which
-- fires no UPDATE trigger; test databases are dropped whole), so these
-- triggers refuse UPDATE, DELETE and TRUNCATE from every role, the table
-- owner included. A superuser can still disable a trigger: that takes an
-- ALTER TABLE, which shows in the server log, not a stray UPDATE.
--
-- A later migration that truly must rewrite events (a column backfill)
-- has to ALTER TABLE dossier_events DISABLE TRIGGER … around it, in plain
-- sight. Deployments that give the application its own non-owner role
-- should also grant it only SELECT, INSERT on dossier_events (README,
-- "The event log").

-- +goose StatementBegin
CREATE FUNCTION motcua_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dossier_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the control sheet records what happened; record a correction as a new event';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER dossier_events_no_update_delete
    BEFORE UPDATE OR DELETE ON dossier_events
    FOR EACH ROW EXECUTE FUNCTION motcua_events_append_only();
CREATE TRIGGER dossier_events_no_truncate
    BEFORE TRUNCATE ON dossier_events
    FOR EACH STATEMENT EXECUTE FUNCTION motcua_events_append_only();

-- +goose Down
DROP TRIGGER dossier_events_no_truncate ON dossier_events;
DROP TRIGGER dossier_events_no_update_delete ON dossier_events;
DROP FUNCTION motcua_events_append_only();
