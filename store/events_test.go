package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// TestEventLogIsAppendOnly: on the real PostgreSQL, with the table
// owner's (here even a superuser's) connection, UPDATE, DELETE and
// TRUNCATE of the control sheet fail with the trigger's error and change
// nothing, while appending still works.
func TestEventLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, testenv.Seed(ctx, s))
	sub, err := s.CreateDossier(ctx, newDossier(time.Date(2026, 11, 27, 9, 0, 0, 0, dossier.Location)), "", []byte{1})
	require.NoError(t, err)
	before, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.NotEmpty(t, before, "a submission records its first event")

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	for _, stmt := range []string{
		`UPDATE dossier_events SET note = 'rewritten' WHERE dossier_code = $1`,
		`UPDATE dossier_events SET actor = 'someone else' WHERE dossier_code = $1`,
		`DELETE FROM dossier_events WHERE dossier_code = $1`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status)
		 SELECT dossier_code, seq, at, 'x', 'x', 'x', 'x', 'x', 'x' FROM dossier_events WHERE dossier_code = $1
		 ON CONFLICT (dossier_code, seq) DO UPDATE SET action = EXCLUDED.action`,
	} {
		_, err := conn.Exec(ctx, stmt, sub.Code)
		require.ErrorContains(t, err, "dossier_events is append-only", stmt)
	}
	_, err = conn.Exec(ctx, `TRUNCATE dossier_events CASCADE`)
	require.ErrorContains(t, err, "dossier_events is append-only: TRUNCATE is not allowed")

	after, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing changed")

	// Appending goes on, and re-recording an event (a retried activity)
	// is still a harmless no-op.
	accept := dossier.Transition{Code: sub.Code,
		Event: dossier.Event{Seq: 2, At: testenv.Now(), Action: "intake.accept", Actor: "officer",
			ToStatus: dossier.StatusReceived, ToStage: dossier.StageReview},
		Progress: dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview,
			Fee: dossier.Fee{Status: dossier.FeeNone}}}
	require.NoError(t, s.ApplyTransition(ctx, accept))
	require.NoError(t, s.ApplyTransition(ctx, accept))
	after, err = s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Len(t, after, len(before)+1)
	require.Equal(t, "intake.accept", after[len(after)-1].Action)
}
