package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// Online and postal submissions not yet decided at intake: in the intake
// officers' inbox with their intake deadline, and reported apart from form
// II.06a as awaiting intake, overdue once escalated; a past instant gives
// what it was then.
func TestAwaitingIntake(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	proc := simProcedures[1]
	submit := func(ch dossier.Channel, at time.Time) *simDossier { return newSimDossier(t, s, proc, ch, at) }
	mon := ict(2026, 3, 9, 9, 0)
	waiting := submit(dossier.ChannelOnline, mon)
	due := ict(2026, 3, 10, 9, 0)
	step := activities.IntakeStep(proc.agency, activities.IntakeClockResult{DueAt: due})
	require.NoError(t, s.SetIntakeStep(ctx, waiting.code, step))
	late := submit(dossier.ChannelPostal, mon.Add(time.Minute))
	late.p.CurrentStep = step
	late.record(ict(2026, 3, 10, 9, 0), dossier.Event{Action: dossier.ActionStepOverdue, Step: "intake"})
	accepted := submit(dossier.ChannelOnline, mon.Add(2*time.Minute))
	accepted.accept(ict(2026, 3, 9, 14, 0), ict(2026, 3, 12, 17, 0), ict(2026, 3, 11, 17, 0))
	submit(dossier.ChannelCounter, mon.Add(3*time.Minute)) // decided at the counter: never awaiting
	asked := submit(dossier.ChannelOnline, mon.Add(4*time.Minute))
	asked.p.Status = dossier.StatusSupplementRequested
	asked.record(ict(2026, 3, 9, 10, 0), dossier.Event{Action: dossier.ActionIntakeSupplement})

	// In the inbox, with its intake deadline, most urgent first.
	items, _, err := s.Inbox(ctx, store.InboxFilter{Stage: dossier.StageIntake, Agency: proc.agency, Limit: 10})
	require.NoError(t, err)
	require.NotEmpty(t, items)
	require.Equal(t, waiting.code, items[0].Code)
	require.True(t, items[0].CurrentStep.DueAt.Equal(due))
	require.NoError(t, s.SetIntakeStep(ctx, accepted.code, step), "harmless once the dossier moved on")
	d, err := s.Dossier(ctx, accepted.code)
	require.NoError(t, err)
	require.Equal(t, "review", d.CurrentStep.Name)

	at := func(t0 time.Time, f store.ReportFilter) store.AwaitingIntake {
		got, err := s.AwaitingIntake(ctx, t0, f)
		require.NoError(t, err)
		return got
	}
	require.Equal(t, store.AwaitingIntake{Total: 4}, at(ict(2026, 3, 9, 9, 30), store.ReportFilter{}), "before anyone acted (not the counter one)")
	require.Equal(t, store.AwaitingIntake{Total: 2}, at(ict(2026, 3, 9, 15, 0), store.ReportFilter{}),
		"accepted, and one waits for the applicant's supplement")
	require.Equal(t, store.AwaitingIntake{Total: 2, Overdue: 1}, at(ict(2026, 3, 11, 0, 0), store.ReportFilter{}))
	require.Equal(t, store.AwaitingIntake{Total: 1, Overdue: 1}, at(ict(2026, 3, 11, 0, 0), store.ReportFilter{Channel: "postal"}))
	require.Equal(t, store.AwaitingIntake{Total: 2, Overdue: 1}, at(ict(2026, 3, 11, 0, 0), store.ReportFilter{Sector: proc.sector}))
	require.Equal(t, store.AwaitingIntake{}, at(ict(2026, 3, 11, 0, 0), store.ReportFilter{Sector: "HT"}))
	require.Equal(t, store.AwaitingIntake{}, at(ict(2026, 3, 11, 0, 0), store.ReportFilter{Department: "000.00.19.H39"}))
	// Not in II.06a's received.
	rows, err := s.Report(ctx, []store.ReportPeriod{month(2026, 3)}, store.ReportFilter{}, farFuture)
	require.NoError(t, err)
	require.Equal(t, int64(1), rows[0].Received.New)
}
