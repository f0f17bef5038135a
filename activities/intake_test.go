package activities_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// The intake deadline counts working time from submission; the warning
// comes at the warning fraction of it.
func TestIntakeClock(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	from := time.Date(2026, 11, 23, 9, 0, 0, 0, dossier.Location) // a Monday
	eight := calendar.Duration{Unit: calendar.UnitWorkingHours, N: 8}
	res, err := activities.IntakeClock(cal, activities.IntakeClockInput{From: from, Duration: eight, WarningFraction: 0.75})
	require.NoError(t, err)
	due, err := cal.Due(from, eight, calendar.DefaultSameDayCutoff)
	require.NoError(t, err)
	warn, err := cal.Add(from, 6*time.Hour)
	require.NoError(t, err)
	require.Equal(t, due, res.DueAt)
	require.Equal(t, warn, res.WarnAt)
	require.True(t, res.WarnAt.Before(res.DueAt))
	worked, err := cal.Between(from, res.DueAt)
	require.NoError(t, err)
	require.Equal(t, 8*time.Hour, worked)

	step := activities.IntakeStep("000.00.17.H39", res)
	require.Equal(t, catalog.StepIntake, step.Name)
	require.Equal(t, []string{"000.00.17.H39"}, step.Pending)
	require.Equal(t, res.DueAt, step.Branches[0].DueAt)
	require.Equal(t, res.WarnAt, *step.WarnAt)

	// Simulated business time runs the same arithmetic faster.
	sim, err := activities.IntakeClock(activities.Simulated{Speed: 2880}, activities.IntakeClockInput{From: from, Duration: eight})
	require.NoError(t, err)
	require.Equal(t, from.Add(10*time.Second), sim.DueAt)
	require.True(t, sim.WarnAt.IsZero(), "no warning fraction, no warning")
}
