-- +goose Up
-- Ops end a postal suspension when the post office is back (issue 18): the
-- row stays, with who ended it and when, so the record of what applicants
-- were told is kept; an ended suspension is no longer listed or told.
ALTER TABLE postal_suspensions ADD COLUMN ended_at timestamptz;
ALTER TABLE postal_suspensions ADD COLUMN ended_by text;

-- +goose Down
ALTER TABLE postal_suspensions DROP COLUMN ended_by;
ALTER TABLE postal_suspensions DROP COLUMN ended_at;
