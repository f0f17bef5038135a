package api_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/bench/storm"
	"github.com/motcua/motcua/rules"
)

// TestDeadlineStorm runs `make bench`'s deadline storm small on the test
// system: every seeded dossier's intake warning and escalation reach the
// control sheet, each with its notice, soon after they fall due.
func TestDeadlineStorm(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	res, err := storm.Run(context.Background(), storm.Options{Store: s.store, Temporal: s.temporal, TaskQueue: s.queue,
		// Gap: a warning the worker reaches after the due time is not sent
		// (the step is escalated instead, workflows/deadlines.go), so the
		// gap leaves room for a loaded CI machine (2 s lost one in twenty).
		Dossiers: 20, Concurrency: 4, Rules: rules.Default(), Lead: 4 * time.Second, Gap: 10 * time.Second,
		Timeout: time.Minute}, io.Discard)
	require.NoError(t, err)
	require.False(t, res.SeededLate, "seeded in %.1fs, past the warning time", res.SeedSeconds)
	require.Equal(t, 20, res.Warnings)
	require.Equal(t, 20, res.Escalations)
	require.GreaterOrEqual(t, res.WarningsDrainSeconds, 0.0)
	require.GreaterOrEqual(t, res.OverdueDrainSeconds, 0.0)
	require.Less(t, res.OverdueDrainSeconds, 30.0)
	require.Equal(t, 40, res.Notices, "a notice per warning and per escalation")
}
