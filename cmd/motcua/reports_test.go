package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// `motcua reports snapshot` builds the snapshots of the closed days (the
// backfill after an upgrade), does nothing more when run again, rebuilds
// from a day when asked, and reports read the same figures from them.
func TestReportsSnapshotCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, testenv.Seed(ctx, s))
	_, err = s.SeedDossiers(ctx, store.SeedOptions{N: 300, Seed: 5, Until: testenv.Now()})
	require.NoError(t, err)
	// The command runs on the tests' business clock.
	env := func(k string) string {
		switch k {
		case "DATABASE_URL":
			return url
		case "MOTCUA_ENV":
			return "development"
		case "MOTCUA_CLOCK_OFFSET":
			return testenv.Clock().Offset.String()
		}
		return ""
	}
	snapshot := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		require.NoError(t, run(ctx, append([]string{"reports", "snapshot"}, args...), env, &out, &errOut), errOut.String())
		return out.String()
	}
	out := snapshot()
	require.Regexp(t, `reports snapshot: [1-9][0-9]* day\(s\) built in .*; snapshots hold \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d`, out)
	st, err := s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.True(t, st.Through.Equal(store.LocalDayOf(testenv.Now().Add(-store.ReportSnapshotGrace))), "%+v", st)
	require.Contains(t, snapshot(), "reports snapshot: 0 day(s) built")

	from := st.Through.AddDate(0, -1, 0)
	require.Contains(t, snapshot("-rebuild-from", from.Format(time.DateOnly)), "reports snapshot: ")
	st2, err := s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.Equal(t, st, st2)

	year := []store.ReportPeriod{{Start: st.Since, End: st.Through}}
	live, err := s.ReportLive(ctx, year, store.ReportFilter{GroupBy: "procedure"}, st.Through)
	require.NoError(t, err)
	got, err := s.Report(ctx, year, store.ReportFilter{GroupBy: "procedure"}, st.Through)
	require.NoError(t, err)
	require.NotEmpty(t, got)
	require.Equal(t, live, got)

	for _, bad := range [][]string{{"reports"}, {"reports", "rebuild"}, {"reports", "snapshot", "-rebuild-from", "March"}} {
		var o, e bytes.Buffer
		require.Error(t, run(ctx, bad, env, &o, &e), "%v", bad)
	}
}
