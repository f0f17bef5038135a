package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// TestApplyTransitionsInOneTransaction: two transitions of one dossier
// (a pickup and the delivery that carried it) are written in order in one
// transaction, as Counts counts it; a retry writes nothing twice; a
// statement outside a transaction counts as one of its own.
func TestApplyTransitionsInOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.SharedStoreURL(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	sub, err := s.CreateDossier(ctx, newDossier(time.Date(2026, 11, 27, 9, 0, 0, 0, dossier.Location)), "", []byte{1})
	require.NoError(t, err)

	at := testenv.Now()
	progress := func(v int, st dossier.Status) dossier.Progress {
		return dossier.Progress{Version: v, Status: st, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone}}
	}
	ts := []dossier.Transition{
		{Code: sub.Code, Event: dossier.Event{Seq: 2, At: at, Action: "intake.accept", Actor: "officer",
			ToStatus: dossier.StatusReceived, ToStage: dossier.StageReview}, Progress: progress(2, dossier.StatusReceived)},
		{Code: sub.Code, Event: dossier.Event{Seq: 3, At: at.Add(time.Second), Action: "review.approve", Actor: "reviewer",
			ToStatus: dossier.StatusProcessing, ToStage: dossier.StageReview}, Progress: progress(3, dossier.StatusProcessing)},
	}
	before := s.Counts()
	require.NoError(t, s.ApplyTransitions(ctx, ts))
	require.Equal(t, int64(1), s.Counts().Sub(before).Transactions, "one transaction for both")
	require.NoError(t, s.ApplyTransitions(ctx, ts), "a retry is harmless")

	events, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, []string{"intake.accept", "review.approve"}, []string{events[1].Action, events[2].Action})
	before = s.Counts()
	d, err := s.Dossier(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, 3, d.Version)
	require.Equal(t, dossier.StatusProcessing, d.Status)
	require.Equal(t, store.Counts{Transactions: 1, Statements: 1}, s.Counts().Sub(before), "one read, one transaction")
}
