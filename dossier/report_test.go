package dossier_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
)

func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, dossier.Location)
}

// The rule for late: by the local day, overdue from the day after.
func TestRuleForLate(t *testing.T) {
	t.Parallel()
	due := at(2026, 3, 12, 9, 1) // Thursday 09:01
	require.Equal(t, at(2026, 3, 13, 0, 0), dossier.OverdueFrom(due))
	// Near midnight UTC the local day is what counts.
	require.Equal(t, at(2026, 3, 13, 0, 0), dossier.OverdueFrom(time.Date(2026, 3, 12, 16, 59, 0, 0, time.UTC)))
	for _, tc := range []struct {
		now     time.Time
		overdue bool
		verdict string
	}{
		{at(2026, 3, 11, 23, 59), false, dossier.Early},
		{at(2026, 3, 12, 0, 0), false, dossier.OnTime},
		{at(2026, 3, 12, 15, 0), false, dossier.OnTime}, // after the instant, on the day
		{at(2026, 3, 12, 23, 59), false, dossier.OnTime},
		{at(2026, 3, 13, 0, 0), true, dossier.Late},
	} {
		require.Equal(t, tc.overdue, dossier.IsOverdue(due, tc.now), tc.now)
		require.Equal(t, tc.verdict, dossier.Timeliness(tc.now, due), tc.now)
		// One rule: overdue exactly when a result then would be late.
		require.Equal(t, tc.overdue, dossier.Timeliness(tc.now, due) == dossier.Late)
	}
}

func TestEndings(t *testing.T) {
	t.Parallel()
	for action, want := range map[string]dossier.Ending{
		dossier.ActionApprovalApprove:   dossier.EndingResult,
		dossier.ActionReviewRefuse:      dossier.EndingRefused,
		dossier.ActionApprovalReject:    dossier.EndingRefused,
		dossier.ActionSupplementExpired: dossier.EndingRefused,
		dossier.ActionWithdrawn:         dossier.EndingWithdrawn,
		dossier.ActionStopped:           dossier.EndingStopped,
	} {
		got, ok := dossier.EndingOf(action)
		require.True(t, ok, action)
		require.Equal(t, want, got, action)
	}
	for _, action := range []string{dossier.ActionIntakeRefuse, dossier.ActionHandover, dossier.ActionReviewApprove, dossier.ActionApologyIssued} {
		_, ok := dossier.EndingOf(action)
		require.False(t, ok, "%s ends nothing for reports", action)
	}
	due := at(2026, 3, 12, 9, 1)
	late := at(2026, 3, 13, 10, 0)
	require.Equal(t, dossier.Late, dossier.EndingVerdict(dossier.ActionStopped, late, due), "a stop after the appointment day")
	require.Equal(t, dossier.Late, dossier.EndingVerdict(dossier.ActionReviewRefuse, late, due))
	require.Equal(t, dossier.Early, dossier.EndingVerdict(dossier.ActionApprovalReject, at(2026, 3, 11, 10, 0), due))
	require.Equal(t, dossier.OnTime, dossier.EndingVerdict(dossier.ActionWithdrawn, late, due), "the applicant's act")
	require.Equal(t, dossier.OnTime, dossier.EndingVerdict(dossier.ActionSupplementExpired, late, due), "the applicant's act")
	require.Equal(t, dossier.OnTime, dossier.EndingVerdict(dossier.ActionStopped, late, time.Time{}), "no appointment")

	// The appointment judged against: DueAt, else the original, else the latest.
	orig, latest, moved := at(2026, 3, 12, 9, 1), at(2026, 3, 19, 9, 1), at(2026, 3, 16, 9, 1)
	p := dossier.Progress{AppointmentAt: &latest}
	require.Equal(t, latest, *p.ReportDue())
	p.OriginalAppointmentAt = &orig
	require.Equal(t, orig, *p.ReportDue())
	p.DueAt = &moved
	require.Equal(t, moved, *p.ReportDue())
	require.Nil(t, dossier.Progress{}.ReportDue())
}
