-- +goose Up

-- Legal time: the original appointment (an apology letter moves only
-- appointment_at), the verdict decided when the result is ready, and an
-- outstanding supplement request.
ALTER TABLE dossiers
    ADD COLUMN original_appointment_at timestamptz,
    ADD COLUMN appointment_resets      int     NOT NULL DEFAULT 0,
    ADD COLUMN apology_required        boolean NOT NULL DEFAULT false,
    ADD COLUMN supplement              jsonb,
    ADD COLUMN verdict                 text;
CREATE INDEX dossiers_finished ON dossiers (agency_code, finished_at) WHERE finished_at IS NOT NULL;

-- The notification outbox: written with the transition that caused it, so
-- a message is recorded once however often the write is retried, then sent
-- by the worker's dispatcher through the configured notifier.
CREATE TABLE notifications (
    dossier_code text NOT NULL REFERENCES dossiers (code),
    seq          int  NOT NULL,
    idx          int  NOT NULL,
    recipient    text NOT NULL,
    agency       text,
    template     text NOT NULL,
    message      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    last_error   text,
    PRIMARY KEY (dossier_code, seq, idx)
);
CREATE INDEX notifications_unsent ON notifications (created_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP INDEX dossiers_finished;
ALTER TABLE dossiers
    DROP COLUMN original_appointment_at,
    DROP COLUMN appointment_resets,
    DROP COLUMN apology_required,
    DROP COLUMN supplement,
    DROP COLUMN verdict;
