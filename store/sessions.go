package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ConsoleSession is a staff console session (migration 00042): the tokens
// are sealed by the console, the store never sees them in clear.
type ConsoleSession struct {
	// IDHash is the SHA-256 of the random identifier in the cookie.
	IDHash []byte
	// Subject is who signed in.
	Subject string
	// KeyID and Tokens are the sealed tokens and the key that sealed them.
	KeyID  string
	Tokens []byte
	// TokenExpires is when the bearer token expires; Expires when the
	// session ends.
	TokenExpires, Expires time.Time
}

// ErrNoSession: no session has that identifier (never, signed out or
// purged).
var ErrNoSession = errors.New("no such console session")

// CreateConsoleSession stores a new session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs ConsoleSession) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO console_sessions (id_hash, subject, key_id, tokens, token_expires_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, cs.IDHash, cs.Subject, cs.KeyID, cs.Tokens, cs.TokenExpires, cs.Expires)
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	return nil
}

// ConsoleSession reads a session; ErrNoSession when there is none or it
// ended before now.
func (s *Store) ConsoleSession(ctx context.Context, idHash []byte, now time.Time) (ConsoleSession, error) {
	cs := ConsoleSession{IDHash: idHash}
	err := s.pool.QueryRow(ctx, `
		SELECT subject, key_id, tokens, token_expires_at, expires_at FROM console_sessions
		WHERE id_hash = $1 AND expires_at > $2`, idHash, now).
		Scan(&cs.Subject, &cs.KeyID, &cs.Tokens, &cs.TokenExpires, &cs.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return ConsoleSession{}, ErrNoSession
	}
	if err != nil {
		return ConsoleSession{}, fmt.Errorf("read console session: %w", err)
	}
	return cs, nil
}

// RefreshConsoleSession replaces a session's tokens after a refresh;
// ErrNoSession when it ended meanwhile (signed out on another tab).
func (s *Store) RefreshConsoleSession(ctx context.Context, cs ConsoleSession) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE console_sessions SET key_id = $2, tokens = $3, token_expires_at = $4 WHERE id_hash = $1`,
		cs.IDHash, cs.KeyID, cs.Tokens, cs.TokenExpires)
	if err != nil {
		return fmt.Errorf("refresh console session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNoSession
	}
	return nil
}

// DeleteConsoleSession ends a session (sign-out); no error when it is
// already gone.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// PurgeConsoleSessions deletes the sessions that ended before now and says
// how many.
func (s *Store) PurgeConsoleSessions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("purge console sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
