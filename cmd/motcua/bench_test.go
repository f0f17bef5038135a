package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
