-- +goose Up
-- Durable notification delivery (issue 19). The outbox row is the job: the
-- dispatcher claims due rows with a lease (a short statement of its own),
-- sends with no transaction open, then records the outcome: sent, a retry
-- at an exponentially later next_attempt_at, or failed (dead-lettered,
-- with the provider's reason in last_error) for ops to read.
ALTER TABLE notifications
    ADD COLUMN status          text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'delivered', 'failed')),
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN leased_until    timestamptz,
    ADD COLUMN channel         text,
    ADD COLUMN provider_ref    text,
    ADD COLUMN delivered_at    timestamptz,
    ADD COLUMN failed_at       timestamptz;

UPDATE notifications SET status = 'sent' WHERE sent_at IS NOT NULL;
-- The old dispatcher gave up silently after 20 attempts: those are dead letters.
UPDATE notifications SET status = 'failed', failed_at = now()
    WHERE sent_at IS NULL AND attempts >= 20;

DROP INDEX notifications_unsent;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_failed ON notifications (failed_at) WHERE status = 'failed';
CREATE INDEX notifications_provider_ref ON notifications (provider_ref) WHERE provider_ref IS NOT NULL;

-- A new notification wakes the dispatchers (LISTEN motcua_notifications)
-- at once, so nothing polls on a fixed tick.
-- +goose StatementBegin
CREATE FUNCTION notifications_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('motcua_notifications', '');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER notifications_wake AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake();

-- +goose Down
DROP TRIGGER notifications_wake ON notifications;
DROP FUNCTION notifications_wake();
DROP INDEX notifications_provider_ref;
DROP INDEX notifications_failed;
DROP INDEX notifications_due;
CREATE INDEX notifications_unsent ON notifications (created_at) WHERE sent_at IS NULL;
ALTER TABLE notifications
    DROP COLUMN status, DROP COLUMN next_attempt_at, DROP COLUMN leased_until, DROP COLUMN channel,
    DROP COLUMN provider_ref, DROP COLUMN delivered_at, DROP COLUMN failed_at;
