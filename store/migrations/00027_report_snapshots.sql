-- +goose Up
-- Snapshots of closed days for report form II.06a (store/snapshots.go,
-- docs/PERFORMANCE.md "Snapshots of closed days"). A report reads the
-- snapshots of the closed days of its period and computes only the open
-- tail live; the figures are the live query's, day by day, so both paths
-- give the same numbers.
--
-- One row per local (+07:00) day and grain: (department, agency,
-- procedure, sector, channel), each a value every report filter and
-- grouping names, so any combination of them is a sum of rows. steps =
-- false: the dossiers (department ''); true: the departments' steps.
-- Flows (new, resolved by verdict and ending) are the day's; carried_over
-- is the stock at the day's start; pending and overdue the stock at its end
-- (overdue judged at the end, the day being over).
CREATE TABLE report_snapshots (
    steps        boolean     NOT NULL,
    day          timestamptz NOT NULL, -- local midnight the day starts at
    department   text        NOT NULL,
    agency       text        NOT NULL,
    procedure    text        NOT NULL,
    sector       text        NOT NULL,
    channel      text        NOT NULL,
    carried_over bigint NOT NULL,
    new          bigint NOT NULL,
    online       bigint NOT NULL,
    counter      bigint NOT NULL,
    postal       bigint NOT NULL,
    resolved     bigint NOT NULL,
    early        bigint NOT NULL,
    on_time      bigint NOT NULL,
    late         bigint NOT NULL,
    result       bigint NOT NULL,
    refused      bigint NOT NULL,
    withdrawn    bigint NOT NULL,
    stopped      bigint NOT NULL,
    pending      bigint NOT NULL,
    overdue      bigint NOT NULL,
    PRIMARY KEY (steps, day, department, agency, procedure, sector, channel)
);

-- Which days the snapshots hold: [since, through) (both NULL: none).
-- closing is how far a build may be writing: a fact dated before it is a
-- late fact and drops the snapshots from its day on (below).
CREATE TABLE report_snapshot_state (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    since   timestamptz,
    through timestamptz,
    closing timestamptz
);
INSERT INTO report_snapshot_state DEFAULT VALUES;

-- A fact that reports read was written with business time `at`. When the
-- day of `at` may already be in a snapshot (at < closing), the snapshots of
-- that day and every later day (their stocks include it) are dropped, and
-- the next build computes them again. The cheap test first: a fact of the
-- present costs one read of a one-row table; only a late fact locks the
-- state (so it waits for a build in progress, then drops what it wrote).
-- +goose StatementBegin
CREATE FUNCTION motcua_report_fact(at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c        timestamptz;
    from_day timestamptz;
BEGIN
    IF at IS NULL THEN
        RETURN;
    END IF;
    SELECT closing INTO c FROM report_snapshot_state;
    IF c IS NULL OR at >= c THEN
        RETURN;
    END IF;
    SELECT closing INTO c FROM report_snapshot_state FOR UPDATE;
    IF c IS NULL OR at >= c THEN
        RETURN;
    END IF;
    from_day := date_trunc('day', at AT TIME ZONE INTERVAL '+07:00') AT TIME ZONE INTERVAL '+07:00';
    DELETE FROM report_snapshots WHERE day >= from_day;
    UPDATE report_snapshot_state SET
        through = CASE WHEN since IS NULL OR through IS NULL THEN through ELSE greatest(since, least(through, from_day)) END,
        closing = from_day;
END
$$;
-- +goose StatementEnd

-- Inserts: the earliest instant of the statement's rows (one call per
-- statement, so a bulk COPY pays once).
-- +goose StatementBegin
CREATE FUNCTION motcua_report_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact((SELECT min(at) FROM inserted));
    RETURN NULL;
END
$$;
CREATE FUNCTION motcua_report_dossiers_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact((SELECT min(least(received_at, ended_at)) FROM inserted));
    RETURN NULL;
END
$$;
CREATE FUNCTION motcua_report_steps_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact((SELECT min(least(entered_at, finished_at)) FROM inserted));
    RETURN NULL;
END
$$;
-- Updates: the instant the changed columns speak of (a dossier's receipt,
-- its ending; a step's entry, its finish).
CREATE FUNCTION motcua_report_dossier_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact(least(
        CASE WHEN OLD.received_at IS DISTINCT FROM NEW.received_at OR OLD.agency_code IS DISTINCT FROM NEW.agency_code
            OR OLD.procedure_code IS DISTINCT FROM NEW.procedure_code OR OLD.procedure_version IS DISTINCT FROM NEW.procedure_version
            OR OLD.channel IS DISTINCT FROM NEW.channel
            THEN least(OLD.received_at, NEW.received_at, OLD.ended_at, NEW.ended_at) END,
        CASE WHEN OLD.ended_at IS DISTINCT FROM NEW.ended_at OR OLD.ending IS DISTINCT FROM NEW.ending
            OR OLD.end_verdict IS DISTINCT FROM NEW.end_verdict
            THEN least(OLD.ended_at, NEW.ended_at) END));
    RETURN NULL;
END
$$;
CREATE FUNCTION motcua_report_step_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact(least(
        CASE WHEN OLD.entered_at IS DISTINCT FROM NEW.entered_at OR OLD.due_at IS DISTINCT FROM NEW.due_at
            OR OLD.department IS DISTINCT FROM NEW.department
            THEN least(OLD.entered_at, NEW.entered_at) END,
        CASE WHEN OLD.finished_at IS DISTINCT FROM NEW.finished_at OR OLD.ending IS DISTINCT FROM NEW.ending
            OR OLD.verdict IS DISTINCT FROM NEW.verdict
            THEN least(OLD.finished_at, NEW.finished_at) END));
    RETURN NULL;
END
$$;
-- A procedure version's sector is part of the grain: should one ever
-- change, every snapshot goes.
CREATE FUNCTION motcua_report_sector_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM motcua_report_fact('-infinity');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER report_facts_events AFTER INSERT ON dossier_events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION motcua_report_events_inserted();
CREATE TRIGGER report_facts_step_dues AFTER INSERT ON dossier_step_dues
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION motcua_report_events_inserted();
CREATE TRIGGER report_facts_dossiers_in AFTER INSERT ON dossiers
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION motcua_report_dossiers_inserted();
CREATE TRIGGER report_facts_steps_in AFTER INSERT ON dossier_steps
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION motcua_report_steps_inserted();
-- The WHEN clauses are evaluated without calling the function: a row
-- update that changes none of the report's columns costs nothing.
CREATE TRIGGER report_facts_dossiers_up AFTER UPDATE ON dossiers FOR EACH ROW
    WHEN (OLD.received_at IS DISTINCT FROM NEW.received_at OR OLD.ended_at IS DISTINCT FROM NEW.ended_at
        OR OLD.ending IS DISTINCT FROM NEW.ending OR OLD.end_verdict IS DISTINCT FROM NEW.end_verdict
        OR OLD.agency_code IS DISTINCT FROM NEW.agency_code OR OLD.procedure_code IS DISTINCT FROM NEW.procedure_code
        OR OLD.procedure_version IS DISTINCT FROM NEW.procedure_version OR OLD.channel IS DISTINCT FROM NEW.channel)
    EXECUTE FUNCTION motcua_report_dossier_updated();
CREATE TRIGGER report_facts_steps_up AFTER UPDATE ON dossier_steps FOR EACH ROW
    WHEN (OLD.entered_at IS DISTINCT FROM NEW.entered_at OR OLD.due_at IS DISTINCT FROM NEW.due_at
        OR OLD.department IS DISTINCT FROM NEW.department OR OLD.finished_at IS DISTINCT FROM NEW.finished_at
        OR OLD.ending IS DISTINCT FROM NEW.ending OR OLD.verdict IS DISTINCT FROM NEW.verdict)
    EXECUTE FUNCTION motcua_report_step_updated();
CREATE TRIGGER report_facts_sector AFTER UPDATE ON procedure_versions FOR EACH ROW
    WHEN (OLD.document->'sector' IS DISTINCT FROM NEW.document->'sector')
    EXECUTE FUNCTION motcua_report_sector_updated();

-- +goose Down
DROP TRIGGER report_facts_sector ON procedure_versions;
DROP TRIGGER report_facts_steps_up ON dossier_steps;
DROP TRIGGER report_facts_dossiers_up ON dossiers;
DROP TRIGGER report_facts_steps_in ON dossier_steps;
DROP TRIGGER report_facts_dossiers_in ON dossiers;
DROP TRIGGER report_facts_step_dues ON dossier_step_dues;
DROP TRIGGER report_facts_events ON dossier_events;
DROP FUNCTION motcua_report_sector_updated();
DROP FUNCTION motcua_report_step_updated();
DROP FUNCTION motcua_report_dossier_updated();
DROP FUNCTION motcua_report_steps_inserted();
DROP FUNCTION motcua_report_dossiers_inserted();
DROP FUNCTION motcua_report_events_inserted();
DROP FUNCTION motcua_report_fact(timestamptz);
DROP TABLE report_snapshot_state;
DROP TABLE report_snapshots;
