package store_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// randomReportFilter is any combination of the report's filters and
// groupings, with values the lifecycles use (and one nobody uses).
func randomReportFilter(r *rand.Rand) store.ReportFilter {
	var f store.ReportFilter
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	if r.IntN(3) == 0 {
		f.Agency = pick("000.00.17.H39", "000.00.25.H39")
	}
	if r.IntN(4) == 0 {
		f.Procedure = pick("TP-LLTP-01", "KH-HKD-01", "TN-BDDD-01", "HT-KS-01")
	}
	if r.IntN(4) == 0 {
		f.Sector = pick("LLTP", "TLHKD", "DD", "HT", "XX")
	}
	if r.IntN(4) == 0 {
		f.Channel = pick("online", "counter", "postal")
	}
	if r.IntN(4) == 0 {
		f.Department = pick("000.00.18.H39", "000.00.21.H39", "000.00.22.H39", "000.00.25.H39")
	}
	f.GroupBy = pick("", "", "procedure", "agency", "sector", "channel", "department")
	return f
}

// randomPeriods are whole local days: months, single days, spans of up to
// five months, some crossing the snapshots' end, some after it; and now
// and then a period not on day boundaries (always live).
func randomPeriods(r *rand.Rand) []store.ReportPeriod {
	var ps []store.ReportPeriod
	for range 1 + r.IntN(12) {
		switch r.IntN(6) {
		case 0:
			ps = append(ps, month(2026, time.Month(1+r.IntN(8))))
		case 1:
			d := store.LocalDay(2026, 1, 1+r.IntN(220))
			ps = append(ps, store.ReportPeriod{Start: d, End: d.AddDate(0, 0, 1)})
		case 2:
			a := store.LocalDay(2026, 1, 1+r.IntN(200))
			ps = append(ps, store.ReportPeriod{Start: a.Add(time.Duration(r.IntN(24*60)) * time.Minute), End: a.AddDate(0, 0, 1+r.IntN(40))})
		default:
			a := store.LocalDay(2026, 1, 1+r.IntN(200))
			ps = append(ps, store.ReportPeriod{Start: a, End: a.AddDate(0, 0, 1+r.IntN(150))})
		}
	}
	return ps
}

// TestReportSnapshotsEqualLive: reports read from the snapshots of closed
// days (and the live tail) equal the live reports, for random periods,
// filters, groupings and instants, before and after late facts.
func TestReportSnapshotsEqualLive(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 27))
	runLifecycles(t, s, r, 120, ict(2026, 1, 1, 0, 0), ict(2026, 7, 1, 0, 0))

	// Two processes building at once: one builds, the other skips or
	// finds it done; the days are there once.
	through := store.LocalDay(2026, 5, 1+r.IntN(60))
	var wg sync.WaitGroup
	built := make([]int, 2)
	errs := make([]error, 2)
	for i := range built {
		wg.Go(func() { built[i], errs[i] = s.BuildReportSnapshots(ctx, through) })
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Positive(t, built[0]+built[1])
	state, err := s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.True(t, state.Through.Equal(through), "%+v", state)
	require.True(t, !state.Since.After(ict(2026, 1, 1, 0, 0).AddDate(0, 0, 15)), "from the first receipt: %+v", state)
	again, err := s.BuildReportSnapshots(ctx, through)
	require.NoError(t, err)
	require.Zero(t, again, "idempotent")

	compare := func(label string, rounds int) {
		t.Helper()
		for range rounds {
			periods, f := randomPeriods(r), randomReportFilter(r)
			// Now: long after, or inside the span (some snapshotted days
			// are then not over for this report, and are read live).
			now := farFuture
			if r.IntN(3) == 0 {
				now = ict(2026, 1, 1, 0, 0).Add(time.Duration(r.Int64N(int64(240 * 24 * time.Hour))))
			}
			want, err := s.ReportLive(ctx, periods, f, now)
			require.NoError(t, err)
			got, err := s.Report(ctx, periods, f, now)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s: %+v %+v now %s", label, periods, f, now)
			if f.GroupBy == "" {
				for _, row := range got {
					requireBalanced(t, row.ReportFigures, label)
				}
			}
		}
	}
	compare("snapshots", 60)

	// A late fact: a dossier received and ended in March, recorded now.
	late := newSimDossier(t, s, simProcedures[0], dossier.ChannelOnline, ict(2026, 3, 10, 8, 0))
	late.accept(ict(2026, 3, 10, 9, 0), ict(2026, 3, 20, 17, 0), ict(2026, 3, 15, 17, 0))
	late.end(ict(2026, 3, 12, 10, 0), dossier.ActionWithdrawn, dossier.StatusWithdrawn)
	state, err = s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.True(t, state.Through.Equal(store.LocalDay(2026, 3, 10)), "dropped from the late fact's day: %+v", state)
	march, err := s.Report(ctx, []store.ReportPeriod{month(2026, 3)}, store.ReportFilter{Procedure: simProcedures[0].code}, farFuture)
	require.NoError(t, err)
	marchLive, err := s.ReportLive(ctx, []store.ReportPeriod{month(2026, 3)}, store.ReportFilter{Procedure: simProcedures[0].code}, farFuture)
	require.NoError(t, err)
	require.Equal(t, marchLive, march)
	compare("after a late fact", 20)
	n, err := s.BuildReportSnapshots(ctx, through)
	require.NoError(t, err)
	require.Positive(t, n, "the dropped days are built again")
	compare("rebuilt", 20)

	// Dropped by hand (motcua reports snapshot -rebuild-from), and rebuilt.
	require.NoError(t, s.DropReportSnapshots(ctx, time.Time{}))
	state, err = s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.Zero(t, state)
	compare("none", 5)
	_, err = s.BuildReportSnapshots(ctx, through)
	require.NoError(t, err)
	compare("rebuilt from scratch", 20)
}
