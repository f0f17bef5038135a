package store_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// A console session's life on the real PostgreSQL: created, read until it
// ends, its tokens replaced by a refresh, deleted by sign-out, purged once
// ended.
func TestConsoleSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.SharedStore(t)
	// Session times are wall-clock instants (token expiries), not business time.
	now := time.Now().Truncate(time.Microsecond)
	id := func(s string) []byte { h := sha256.Sum256([]byte(s + testenv.RandomSuffix())); return h[:] }
	live, ended, signedOut := id("live"), id("ended"), id("out")
	for _, cs := range []store.ConsoleSession{
		{IDHash: live, Subject: "a", KeyID: "k1", Tokens: []byte("sealed-1"), TokenExpires: now.Add(time.Hour), Expires: now.Add(10 * time.Hour)},
		{IDHash: ended, Subject: "b", KeyID: "k1", Tokens: []byte("sealed-2"), TokenExpires: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)},
		{IDHash: signedOut, Subject: "c", KeyID: "k1", Tokens: []byte("sealed-3"), TokenExpires: now.Add(time.Hour), Expires: now.Add(time.Hour)},
	} {
		require.NoError(t, st.CreateConsoleSession(ctx, cs))
	}
	got, err := st.ConsoleSession(ctx, live, now)
	require.NoError(t, err)
	require.Equal(t, "a", got.Subject)
	require.Equal(t, []byte("sealed-1"), got.Tokens)
	require.True(t, got.TokenExpires.Equal(now.Add(time.Hour)))

	_, err = st.ConsoleSession(ctx, ended, now)
	require.ErrorIs(t, err, store.ErrNoSession, "an ended session is no session, purged or not")

	got.KeyID, got.Tokens, got.TokenExpires = "k2", []byte("sealed-1b"), now.Add(2*time.Hour)
	require.NoError(t, st.RefreshConsoleSession(ctx, got))
	again, err := st.ConsoleSession(ctx, live, now)
	require.NoError(t, err)
	require.Equal(t, "k2", again.KeyID)
	require.Equal(t, []byte("sealed-1b"), again.Tokens)

	require.NoError(t, st.DeleteConsoleSession(ctx, signedOut))
	_, err = st.ConsoleSession(ctx, signedOut, now)
	require.ErrorIs(t, err, store.ErrNoSession)
	require.ErrorIs(t, st.RefreshConsoleSession(ctx, store.ConsoleSession{IDHash: signedOut, KeyID: "k", Tokens: []byte("x"),
		TokenExpires: now}), store.ErrNoSession, "a refresh racing a sign-out does not bring the session back")

	n, err := st.PurgeConsoleSessions(ctx, now)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(1))
	_, err = st.ConsoleSession(ctx, ended, now.Add(-2*time.Hour))
	require.ErrorIs(t, err, store.ErrNoSession, "the ended session's row is gone")
	_, err = st.ConsoleSession(ctx, live, now)
	require.NoError(t, err, "a live session survives the purge")
}
