package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/bench/storm"
	"github.com/motcua/motcua/config"
)

// `motcua bench dashboard` reads the built-in dashboard and the named
// expositions; with a baseline, counters count from it; a malformed
// argument is refused with what to write instead.
func TestBenchDashboardCommand(t *testing.T) {
	t.Parallel()
	fixture := "../../bench/dashboard/testdata/"
	var out, errOut bytes.Buffer
	err := runBench(context.Background(), config.Config{}, nil, []string{"dashboard",
		"--before", "worker=" + fixture + "worker-before.txt",
		"api=" + fixture + "api.txt", "worker=" + fixture + "worker.txt"}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	require.Contains(t, out.String(), "Latency p95 by route")
	// The 5 s bucket gained one task since the baseline: 2.5 + 2.5 × 0.95.
	require.Regexp(t, `workflow tasks\s+4\.88 s\s+\(1 observations\)`, out.String())
	require.Regexp(t, `RequestPayment\s+2\n`, out.String())

	err = runBench(context.Background(), config.Config{}, nil, []string{"dashboard", fixture + "api.txt"}, &out, &errOut)
	require.ErrorContains(t, err, "is not JOB=URL-OR-FILE")
	err = runBench(context.Background(), config.Config{}, nil, []string{"dashboard"}, &out, &errOut)
	require.ErrorContains(t, err, "no /metrics named")
}

// The storm's verdict says what drained, and does not count the warnings
// a late-reached dossier skips (by the workflow's rule) as lost.
func TestStormSummary(t *testing.T) {
	t.Parallel()
	drained := stormSummary(storm.Result{Dossiers: 10000, OverdueDrainSeconds: 70.3, WarningsDrainSeconds: -1,
		Warnings: 3189, Escalations: 10000, Notices: 13189})
	require.Equal(t, "storm: 10000 dossiers; every escalation on the control sheet 70.3 s after the due time; "+
		"3189 warnings recorded (the other 6811 dossiers were reached after the due time and escalated instead); 13189 notices queued", drained)
	ahead := stormSummary(storm.Result{Dossiers: 20, OverdueDrainSeconds: 1.5, WarningsDrainSeconds: 0.8, Warnings: 20, Escalations: 20, Notices: 40})
	require.Contains(t, ahead, "all 20 warnings recorded 0.8 s after they fell due")
	stuck := stormSummary(storm.Result{Dossiers: 20, OverdueDrainSeconds: -1, WarningsDrainSeconds: -1, Warnings: 3, Escalations: 7})
	require.Contains(t, stuck, "NOT DRAINED: 7 of 20 escalations")
}
