-- +goose Up
-- The staff console's server-side sessions (issue 20): the browser's cookie
-- holds only a random identifier; the row, found by the identifier's
-- SHA-256, holds the tokens, sealed with the payload key ring (key_id names
-- the key), so neither a stolen cookie jar without the database nor a copy
-- of the database without the keys signs anyone in. Signing out deletes the
-- row; every API process reads the same rows, so a session works on any
-- replica and ends on all of them at once.
CREATE TABLE console_sessions (
    id_hash          bytea       PRIMARY KEY,
    subject          text        NOT NULL, -- who signed in (for ops: end someone's sessions)
    key_id           text        NOT NULL,
    tokens           bytea       NOT NULL, -- sealed: the bearer token and the refresh token
    token_expires_at timestamptz NOT NULL, -- the bearer token's expiry (refreshed before it)
    expires_at       timestamptz NOT NULL, -- the session's end, whatever the refreshes
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_subject ON console_sessions (subject);

-- +goose Down
DROP TABLE console_sessions;
