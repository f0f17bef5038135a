-- +goose Up
-- Status sync to the national public-service portal (issue 19 §3). A row is
-- written in the transaction that records a dossier's status change (the
-- control-sheet event of the same version), so none is lost; the worker's
-- dispatcher sends them to the portal with no transaction open, in version
-- order per dossier, and records the outcome: accepted, a retry at an
-- exponentially later next_attempt_at, or failed (dead-lettered with the
-- portal's reason, never blocking the versions after it).
CREATE TABLE portal_sync (
    dossier_code    text        NOT NULL REFERENCES dossiers (code),
    -- The control-sheet sequence number of the transition (Progress.Version):
    -- the portal's idempotency key is (dossier_code, version).
    version         int         NOT NULL,
    status          text        NOT NULL,
    status_code     int         NOT NULL,
    changed_at      timestamptz NOT NULL,
    received_at     timestamptz,
    appointment_at  timestamptz,
    finished_at     timestamptz,
    returned_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    state           text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'accepted', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    last_error      text,
    accepted_at     timestamptz,
    failed_at       timestamptz,
    PRIMARY KEY (dossier_code, version)
);
CREATE INDEX portal_sync_due ON portal_sync (next_attempt_at) WHERE state = 'pending';
CREATE INDEX portal_sync_failed ON portal_sync (failed_at) WHERE state = 'failed';

-- Dossiers still open when the sync is installed: the portal is told their
-- current state once, as of their current version (earlier versions are
-- not replayed; finished dossiers are not sent). The codes are
-- dossier.Status.Code's.
INSERT INTO portal_sync (dossier_code, version, status, status_code, changed_at,
    received_at, appointment_at, finished_at, returned_at)
SELECT code, version, status,
    CASE status WHEN 'submitted' THEN 1 WHEN 'received' THEN 2 WHEN 'processing' THEN 4
        WHEN 'supplement_requested' THEN 5 WHEN 'awaiting_payment' THEN 6 WHEN 'result_ready' THEN 9 END,
    updated_at, received_at, appointment_at, finished_at, returned_at
FROM dossiers
WHERE status IN ('submitted', 'received', 'processing', 'supplement_requested', 'awaiting_payment', 'result_ready');

-- A new item wakes the dispatchers (LISTEN motcua_portal_sync).
-- +goose StatementBegin
CREATE FUNCTION portal_sync_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('motcua_portal_sync', '');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER portal_sync_wake AFTER INSERT ON portal_sync
    FOR EACH STATEMENT EXECUTE FUNCTION portal_sync_wake();

-- +goose Down
DROP TRIGGER portal_sync_wake ON portal_sync;
DROP FUNCTION portal_sync_wake();
DROP TABLE portal_sync;
