-- +goose Up
-- The awaiting-intake block (store.AwaitingIntake) counts, at an instant,
-- the online and postal submissions submitted before it and not decided at
-- intake by then: the instant lies in (submitted_at, intake_closed_at]
-- (open above while undecided). Indexed as that interval, a past instant
-- finds the few submissions waiting then instead of every one decided
-- since (the partial index on intake_closed_at of 00012 read them all). A
-- decision recorded before the submission, which should not happen, makes
-- an empty interval rather than a failed row.
CREATE INDEX dossiers_awaiting_intake_span ON dossiers
    USING gist ((tstzrange(submitted_at, CASE WHEN intake_closed_at < submitted_at THEN submitted_at ELSE intake_closed_at END, '(]')))
    WHERE channel IN ('online', 'postal');

-- +goose Down
DROP INDEX dossiers_awaiting_intake_span;
