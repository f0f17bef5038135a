package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

var seedUntil = store.LocalDay(2026, 11, 27)

func TestSeedDossiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, testenv.Seed(ctx, s))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })

	// A real submission that day already used some numbers.
	_, err = conn.Exec(ctx, `INSERT INTO dossier_code_counters VALUES ('000.00.17.H39', '2026-06-01', 5003)`)
	require.NoError(t, err)

	const n = 20000
	copied, err := s.SeedDossiers(ctx, store.SeedOptions{N: n, Seed: 1, Until: seedUntil})
	require.NoError(t, err)
	require.EqualValues(t, n, copied)

	var total, online, counter, postal, received, supplement, withdrawn, verdicts, good, byPost, ascii, distinctNames int
	var minSub, maxSub time.Time
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE channel = 'online'), count(*) FILTER (WHERE channel = 'counter'),
		count(*) FILTER (WHERE channel = 'postal'), count(received_at), count(supplement),
		count(*) FILTER (WHERE status = 'withdrawn'), count(verdict),
		count(*) FILTER (WHERE verdict IN ('early', 'on_time')), count(*) FILTER (WHERE return_method = 'postal'),
		count(*) FILTER (WHERE applicant->>'full_name' ~ '^[ -~]*$'), count(DISTINCT applicant->>'full_name'),
		min(submitted_at), max(submitted_at)
		FROM dossiers`).Scan(&total, &online, &counter, &postal, &received, &supplement, &withdrawn, &verdicts, &good,
		&byPost, &ascii, &distinctNames, &minSub, &maxSub))
	require.Equal(t, n, total)
	pct := func(x, of int) float64 { return 100 * float64(x) / float64(of) }
	require.InDelta(t, 65, pct(online, n), 5, "online %%")
	require.InDelta(t, 35, pct(counter+postal, n), 5)
	require.InDelta(t, 1.5, pct(withdrawn, n), 0.5, "withdrawn %%")
	require.GreaterOrEqual(t, pct(good, verdicts), 95.0, "early or on time %%")
	require.InDelta(t, 15, pct(byPost, n), 5, "returned by post %%")
	require.Greater(t, supplement, 0, "some open dossiers wait for a supplement")
	require.Less(t, ascii, n/5, "most names have diacritics")
	require.Greater(t, distinctNames, 1000)
	var unsearchable int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM dossiers
		WHERE search_name <> motcua_search_name(applicant->>'full_name')`).Scan(&unsearchable))
	require.Zero(t, unsearchable, "search_name is filled as submissions fill it")
	require.True(t, minSub.After(seedUntil.AddDate(-2, 0, -1)), minSub)
	require.True(t, maxSub.Before(seedUntil), maxSub)

	// Codes are in their own space, and the counters are past them.
	var below, beyond int
	require.NoError(t, conn.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE split_part(code, '-', 3)::int < $1),
		(SELECT count(*) FROM dossiers d WHERE NOT EXISTS (SELECT 1 FROM dossier_code_counters c
			WHERE c.agency_code = d.agency_code AND c.day = (d.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
			AND c.last_value >= split_part(d.code, '-', 3)::int))
		FROM dossiers`, store.SeedFirstCounter).Scan(&below, &beyond))
	require.Zero(t, below)
	require.Zero(t, beyond)
	var first string
	require.NoError(t, conn.QueryRow(ctx, `SELECT min(code) FROM dossiers WHERE agency_code = '000.00.17.H39'
		AND (submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date = '2026-06-01'`).Scan(&first))
	require.True(t, strings.HasSuffix(first, "-5004"), first)

	// A real submission afterwards gets a fresh code.
	sub, err := s.CreateDossier(ctx, newDossier(time.Date(2026, 6, 1, 9, 0, 0, 0, dossier.Location)), "", nil)
	require.NoError(t, err)
	require.True(t, sub.Created)

	// The report over the seeded data adds up.
	rows, err := s.Report(ctx, []store.ReportPeriod{{Start: seedUntil.AddDate(-3, 0, 0), End: seedUntil}}, store.ReportFilter{}, seedUntil)
	require.NoError(t, err)
	f := rows[0].ReportFigures
	require.EqualValues(t, received, f.Received.New)
	require.EqualValues(t, verdicts, f.Resolved.Result)
	require.Equal(t, f.Received.New, f.Resolved.Total+f.Pending.Total, "every received dossier is resolved or pending")
	// With the facts the recorder would have written: departments' steps,
	// submissions awaiting intake with their deadline.
	dept, err := s.Report(ctx, []store.ReportPeriod{{Start: seedUntil.AddDate(-3, 0, 0), End: seedUntil}},
		store.ReportFilter{GroupBy: "department"}, seedUntil)
	require.NoError(t, err)
	var steps store.ReportFigures
	for _, r := range dept {
		steps.Add(r.ReportFigures)
	}
	require.Equal(t, f.Received.New, steps.Received.New, "one review step per received dossier")
	waiting, err := s.AwaitingIntake(ctx, seedUntil, store.ReportFilter{})
	require.NoError(t, err)
	require.Positive(t, waiting.Total)
	require.Equal(t, f.Received.New, f.Received.Online+f.Received.Counter+f.Received.Postal)
}

func TestSeedDossiersIsDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	digest := func(seed uint64) string {
		url := testenv.NewDatabase(t)
		s, err := store.Open(ctx, url)
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, testenv.Seed(ctx, s))
		_, err = s.SeedDossiers(ctx, store.SeedOptions{N: 2000, Seed: seed, Until: seedUntil})
		require.NoError(t, err)
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		var d string
		require.NoError(t, conn.QueryRow(ctx, `SELECT md5(string_agg(concat_ws('|', code, procedure_code, channel, status,
			applicant::text, received_at, appointment_at, finished_at, verdict, supplement::text), ',' ORDER BY code))
			FROM dossiers`).Scan(&d))
		return d
	}
	a := digest(7)
	require.Equal(t, a, digest(7))
	require.NotEqual(t, a, digest(8))
}

// ---- Benchmarks (make bench-read) -------------------------------------------

var (
	benchOnce  sync.Once
	benchStore *store.Store
	benchErr   error
)

// benchmarkStore is one database with MOTCUA_BENCH_DOSSIERS (default
// 1,000,000) seeded dossiers, made once per run.
func benchmarkStore(b *testing.B) *store.Store {
	b.Helper()
	benchOnce.Do(func() {
		n := 1_000_000
		if v := os.Getenv("MOTCUA_BENCH_DOSSIERS"); v != "" {
			if n, benchErr = strconv.Atoi(v); benchErr != nil {
				return
			}
		}
		benchStore = testenv.SharedStore(b)
		start := time.Now()
		var copied int64
		copied, benchErr = benchStore.SeedDossiers(context.Background(), store.SeedOptions{N: n, Seed: 1, Until: seedUntil})
		fmt.Printf("seeded %d dossiers in %s (COPY, then VACUUM ANALYZE)\n", copied, time.Since(start).Round(time.Millisecond))
		if benchErr != nil {
			return
		}
		// The days before seedUntil are closed: snapshot them as the API's
		// job would, so the reports below read the snapshot path.
		start = time.Now()
		var days int
		days, benchErr = benchStore.BuildReportSnapshots(context.Background(), seedUntil)
		fmt.Printf("built report snapshots of %d days in %s\n", days, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

var benchMonth = []store.ReportPeriod{{Start: store.LocalDay(2026, 3, 1), End: store.LocalDay(2026, 4, 1)}}

func benchmarkReport(b *testing.B, periods []store.ReportPeriod, f store.ReportFilter) {
	s := benchmarkStore(b)
	ctx := context.Background()
	plan, err := s.ExplainReport(ctx, periods, f, seedUntil)
	if err != nil {
		b.Fatal(err)
	}
	// The live query (what the report costs without snapshots, and what
	// the open tail of a period runs); the benchmark times Report itself.
	fmt.Printf("--- EXPLAIN (ANALYZE, BUFFERS) %s, live query without snapshots\n%s", b.Name(), plan)
	if plan, err = s.ExplainReportSnapshots(ctx, periods, f, seedUntil); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("--- EXPLAIN (ANALYZE, BUFFERS) %s, snapshot read (Report adds the live query of any open tail)\n%s", b.Name(), plan)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Report(ctx, periods, f, seedUntil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

func BenchmarkReportMonth(b *testing.B) { benchmarkReport(b, benchMonth, store.ReportFilter{}) }

func BenchmarkReportMonthByProcedure(b *testing.B) {
	benchmarkReport(b, benchMonth, store.ReportFilter{GroupBy: "procedure"})
}

func BenchmarkReportMonthOneAgency(b *testing.B) {
	benchmarkReport(b, benchMonth, store.ReportFilter{Agency: "000.00.17.H39"})
}

func BenchmarkReportYearByMonth(b *testing.B) {
	var periods []store.ReportPeriod
	for m := time.January; m <= time.December; m++ {
		periods = append(periods, store.ReportPeriod{Start: store.LocalDay(2026, m, 1), End: store.LocalDay(2026, m+1, 1)})
	}
	benchmarkReport(b, periods, store.ReportFilter{})
}

func BenchmarkReportMonthBySector(b *testing.B) {
	benchmarkReport(b, benchMonth, store.ReportFilter{GroupBy: "sector"})
}

// BenchmarkReportMonthByDepartment counts the departments' steps.
func BenchmarkReportMonthByDepartment(b *testing.B) {
	benchmarkReport(b, benchMonth, store.ReportFilter{GroupBy: "department"})
}

// BenchmarkReportMonthOneDepartment is what a department's leader reads.
func BenchmarkReportMonthOneDepartment(b *testing.B) {
	benchmarkReport(b, benchMonth, store.ReportFilter{Department: "000.00.18.H39"})
}

// BenchmarkAwaitingIntake is the block beside the month's summary.
func BenchmarkAwaitingIntake(b *testing.B) {
	s := benchmarkStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.AwaitingIntake(ctx, benchMonth[0].End, store.ReportFilter{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/report")
}

// BenchmarkInboxAwaitingIntake is the intake officer's first page of
// submissions waiting for intake, most urgent (intake deadline) first.
func BenchmarkInboxAwaitingIntake(b *testing.B) {
	benchmarkInbox(b, store.InboxFilter{Agency: "000.00.17.H39", Stage: dossier.StageIntake, Status: dossier.StatusSubmitted, Limit: 50})
}

// BenchmarkInboxPage is a reviewer's first inbox page: one agency's
// dossiers in review, most urgent first.
func BenchmarkInboxPage(b *testing.B) {
	benchmarkInbox(b, store.InboxFilter{Agency: "000.00.17.H39", Stage: dossier.StageReview, Limit: 50})
}

// BenchmarkInboxNextPage follows next_cursor once.
func BenchmarkInboxNextPage(b *testing.B) {
	s := benchmarkStore(b)
	_, cur, err := s.Inbox(context.Background(), store.InboxFilter{Agency: "000.00.17.H39", Stage: dossier.StageReview, Limit: 50})
	if err != nil || cur == nil {
		b.Fatalf("no second page: %v", err)
	}
	benchmarkInbox(b, store.InboxFilter{Agency: "000.00.17.H39", Stage: dossier.StageReview, Limit: 50, After: cur})
}

// BenchmarkInboxNameSearch searches by applicant name without diacritics.
func BenchmarkInboxNameSearch(b *testing.B) {
	benchmarkInbox(b, store.InboxFilter{Query: "nguyen van an", Limit: 50})
}

func benchmarkInbox(b *testing.B, f store.InboxFilter) {
	s := benchmarkStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Inbox(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}

// BenchmarkPublicLookup looks a dossier up by code and key. Seeded dossiers
// have no key, so this is the wrong-key path: the same primary-key read and
// constant-time comparison as a right key.
func BenchmarkPublicLookup(b *testing.B) {
	s := benchmarkStore(b)
	ctx := context.Background()
	page, _, err := s.Inbox(ctx, store.InboxFilter{Limit: 1})
	if err != nil || len(page) == 0 {
		b.Fatalf("no dossier to look up: %v", err)
	}
	code := page[0].Code
	hash := store.HashLookupKey("ABCDEFGHJK")
	b.ResetTimer()
	for b.Loop() {
		_, _ = s.PublicDossier(ctx, code, hash)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/lookup")
}
