package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// fixture is one row of the read model, as far as reports read it.
type fixture struct {
	code, agency, procedure, channel, status, verdict string
	received, finished, appointment                   *time.Time
	supplement                                        bool
}

func at(y int, m time.Month, d, hh, mm, ss int) *time.Time {
	t := time.Date(y, m, d, hh, mm, ss, 0, time.FixedZone("ICT", 7*3600))
	return &t
}

// insertFixtures writes rows straight into the dossiers table.
func insertFixtures(t *testing.T, url string, rows []fixture) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, f := range rows {
		var verdict, supplement any
		if f.verdict != "" {
			verdict = f.verdict
		}
		if f.supplement {
			supplement = `{"missing": ["Bản sao CCCD"], "due_at": "2026-04-30T17:00:00+07:00"}`
		}
		submitted := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		if f.received != nil {
			submitted = f.received.Add(-time.Hour)
		}
		_, err := conn.Exec(ctx, `INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel,
			status, stage, applicant, documents, return_method, submitted_at, received_at, appointment_at,
			original_appointment_at, finished_at, verdict, supplement, version)
			VALUES ($1, $2, 1, $3, $4, $5, 'processing', '{}', '[]', 'counter', $6, $7, $8, $8, $9, $10, $11::jsonb, 1)`,
			f.code, f.procedure, f.agency, f.channel, f.status, submitted, f.received, f.appointment, f.finished,
			verdict, supplement)
		require.NoError(t, err, f.code)
	}
}

func reportFixtures() []fixture {
	return []fixture{
		// Received on the last day of February, resolved in March: carried over.
		{code: "carried", agency: "A", procedure: "P1", channel: "online", status: "result_ready", verdict: "on_time",
			received: at(2026, 2, 28, 23, 59, 59), finished: at(2026, 3, 5, 10, 0, 0), appointment: at(2026, 3, 6, 17, 0, 0)},
		// 23:59 local on 31 March: new in March, pending at its end.
		{code: "last-minute", agency: "A", procedure: "P1", channel: "online", status: "processing",
			received: at(2026, 3, 31, 23, 59, 0), appointment: at(2026, 4, 10, 17, 0, 0)},
		// 00:00 local on 1 April: April's.
		{code: "next-midnight", agency: "B", procedure: "P2", channel: "counter", status: "processing",
			received: at(2026, 4, 1, 0, 0, 0), appointment: at(2026, 4, 8, 17, 0, 0)},
		// Refused after receipt: received, never resolved nor pending.
		{code: "refused", agency: "A", procedure: "P2", channel: "online", status: "refused",
			received: at(2026, 3, 3, 9, 0, 0), finished: at(2026, 3, 4, 9, 0, 0), appointment: at(2026, 3, 10, 17, 0, 0)},
		// Withdrawn in March, received in February: carried over only.
		{code: "withdrawn", agency: "B", procedure: "P1", channel: "postal", status: "withdrawn",
			received: at(2026, 2, 20, 9, 0, 0), finished: at(2026, 3, 2, 9, 0, 0), appointment: at(2026, 3, 3, 17, 0, 0)},
		// Waiting for a supplement past its appointment: not due.
		{code: "supplement", agency: "A", procedure: "P1", channel: "online", status: "supplement_requested",
			received: at(2026, 3, 10, 8, 0, 0), appointment: at(2026, 3, 20, 17, 0, 0), supplement: true},
		{code: "overdue", agency: "B", procedure: "P2", channel: "counter", status: "processing",
			received: at(2026, 3, 5, 8, 0, 0), appointment: at(2026, 3, 25, 17, 0, 0)},
		// Resolved late in the last second of March.
		{code: "late", agency: "B", procedure: "P1", channel: "postal", status: "returned", verdict: "late",
			received: at(2026, 3, 2, 8, 0, 0), finished: at(2026, 3, 31, 23, 59, 59), appointment: at(2026, 3, 20, 17, 0, 0)},
		// Received at 00:00 of 1 March, early.
		{code: "early", agency: "A", procedure: "P2", channel: "counter", status: "result_ready", verdict: "early",
			received: at(2026, 3, 1, 0, 0, 0), finished: at(2026, 3, 2, 8, 0, 0), appointment: at(2026, 3, 5, 17, 0, 0)},
		// Result ready at 00:00 of 1 April, due exactly then: pending (not due)
		// at the end of March, resolved in April.
		{code: "april-midnight", agency: "A", procedure: "P1", channel: "online", status: "result_ready", verdict: "on_time",
			received: at(2026, 3, 15, 8, 0, 0), finished: at(2026, 4, 1, 0, 0, 0), appointment: at(2026, 4, 1, 0, 0, 0)},
		// Over before March.
		{code: "january", agency: "A", procedure: "P1", channel: "online", status: "returned", verdict: "early",
			received: at(2026, 1, 10, 8, 0, 0), finished: at(2026, 2, 27, 8, 0, 0), appointment: at(2026, 2, 28, 17, 0, 0)},
		{code: "feb-last-second", agency: "B", procedure: "P2", channel: "online", status: "result_ready", verdict: "on_time",
			received: at(2026, 2, 1, 8, 0, 0), finished: at(2026, 2, 28, 23, 59, 59), appointment: at(2026, 3, 1, 0, 0, 0)},
		// Never received: counted nowhere.
		{code: "submitted", agency: "A", procedure: "P1", channel: "online", status: "submitted"},
		// Received in February, overdue since February, still open.
		{code: "old-overdue", agency: "B", procedure: "P1", channel: "counter", status: "processing",
			received: at(2026, 2, 10, 8, 0, 0), appointment: at(2026, 2, 20, 17, 0, 0)},
	}
}

func month(y int, m time.Month) store.ReportPeriod {
	return store.ReportPeriod{Start: store.LocalDay(y, m, 1), End: store.LocalDay(y, m+1, 1)}
}

func newReportStore(t *testing.T) *store.Store {
	t.Helper()
	url := testenv.NewDatabase(t)
	s, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	insertFixtures(t, url, reportFixtures())
	return s
}

func TestReportBoundaries(t *testing.T) {
	t.Parallel()
	s := newReportStore(t)
	ctx := context.Background()
	fig := func(p store.ReportPeriod, f store.ReportFilter) store.ReportFigures {
		rows, err := s.Report(ctx, []store.ReportPeriod{p}, f)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		return rows[0].ReportFigures
	}
	for _, tc := range []struct {
		name   string
		period store.ReportPeriod
		filter store.ReportFilter
		want   store.ReportFigures
	}{
		{"march", month(2026, 3), store.ReportFilter{}, store.ReportFigures{
			Received: store.Received{CarriedOver: 3, New: 7, Online: 4, Counter: 2, Postal: 1},
			Resolved: store.Resolved{Total: 3, Early: 1, OnTime: 1, Late: 1},
			Pending:  store.Pending{Total: 5, NotDue: 3, Overdue: 2}}},
		{"april", month(2026, 4), store.ReportFilter{}, store.ReportFigures{
			Received: store.Received{CarriedOver: 5, New: 1, Counter: 1},
			Resolved: store.Resolved{Total: 1, OnTime: 1},
			Pending:  store.Pending{Total: 5, NotDue: 1, Overdue: 4}}},
		{"february", month(2026, 2), store.ReportFilter{}, store.ReportFigures{
			Received: store.Received{CarriedOver: 1, New: 4, Online: 2, Counter: 1, Postal: 1},
			Resolved: store.Resolved{Total: 2, Early: 1, OnTime: 1},
			Pending:  store.Pending{Total: 3, NotDue: 2, Overdue: 1}}},
		{"31 march only", store.ReportPeriod{Start: store.LocalDay(2026, 3, 31), End: store.LocalDay(2026, 4, 1)}, store.ReportFilter{},
			store.ReportFigures{
				Received: store.Received{CarriedOver: 5, New: 1, Online: 1},
				Resolved: store.Resolved{Total: 1, Late: 1},
				Pending:  store.Pending{Total: 5, NotDue: 3, Overdue: 2}}},
		{"march, agency A", month(2026, 3), store.ReportFilter{Agency: "A"}, store.ReportFigures{
			Received: store.Received{CarriedOver: 1, New: 5, Online: 4, Counter: 1},
			Resolved: store.Resolved{Total: 2, Early: 1, OnTime: 1},
			Pending:  store.Pending{Total: 3, NotDue: 3}}},
		{"march, P2", month(2026, 3), store.ReportFilter{Procedure: "P2"}, store.ReportFigures{
			Received: store.Received{New: 3, Online: 1, Counter: 2},
			Resolved: store.Resolved{Total: 1, Early: 1},
			Pending:  store.Pending{Total: 1, Overdue: 1}}},
		{"nothing", month(2020, 3), store.ReportFilter{}, store.ReportFigures{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fig(tc.period, tc.filter)
			require.Equal(t, tc.want, got)
			require.Equal(t, count(reportFixtures(), tc.period, tc.filter.Agency, tc.filter.Procedure), got)
		})
	}
	rate := fig(month(2026, 3), store.ReportFilter{}).OnTimeRate()
	require.NotNil(t, rate)
	require.InDelta(t, 2.0/3.0, *rate, 1e-9)
	require.Nil(t, fig(month(2020, 3), store.ReportFilter{}).OnTimeRate())
}

// count computes the figures in Go, from the fixture rows, independently of
// the SQL.
func count(rows []fixture, p store.ReportPeriod, agency, procedure string) store.ReportFigures {
	var f store.ReportFigures
	for _, r := range rows {
		if r.received == nil || (agency != "" && r.agency != agency) || (procedure != "" && r.procedure != procedure) {
			continue
		}
		endedBefore := func(t time.Time) bool { return r.finished != nil && r.finished.Before(t) }
		if r.received.Before(p.Start) && !endedBefore(p.Start) {
			f.Received.CarriedOver++
		}
		if !r.received.Before(p.Start) && r.received.Before(p.End) {
			f.Received.New++
			switch r.channel {
			case "online":
				f.Received.Online++
			case "counter":
				f.Received.Counter++
			case "postal":
				f.Received.Postal++
			}
		}
		if r.verdict != "" && !r.finished.Before(p.Start) && r.finished.Before(p.End) {
			f.Resolved.Total++
			switch r.verdict {
			case "early":
				f.Resolved.Early++
			case "on_time":
				f.Resolved.OnTime++
			case "late":
				f.Resolved.Late++
			}
		}
		if r.received.Before(p.End) && !endedBefore(p.End) {
			f.Pending.Total++
			if r.appointment != nil && r.appointment.Before(p.End) && !r.supplement {
				f.Pending.Overdue++
			} else {
				f.Pending.NotDue++
			}
		}
	}
	return f
}

func TestReportIndependentCount(t *testing.T) {
	t.Parallel()
	s := newReportStore(t)
	ctx := context.Background()
	var periods []store.ReportPeriod
	for m := time.January; m <= time.December; m++ {
		periods = append(periods, month(2026, m))
	}
	for d := 25; d <= 40; d++ { // single days around the turn of March
		periods = append(periods, store.ReportPeriod{Start: store.LocalDay(2026, 3, d), End: store.LocalDay(2026, 3, d+1)})
	}
	periods = append(periods, store.ReportPeriod{Start: store.LocalDay(2025, 1, 1), End: store.LocalDay(2027, 1, 1)})
	rows, err := s.Report(ctx, periods, store.ReportFilter{})
	require.NoError(t, err)
	require.Len(t, rows, len(periods))
	for i, p := range periods {
		require.Equal(t, count(reportFixtures(), p, "", ""), rows[i].ReportFigures, "period %d from %s", i, p.Start)
	}
	for _, by := range []string{"procedure", "agency"} {
		rows, err := s.Report(ctx, periods, store.ReportFilter{GroupBy: by})
		require.NoError(t, err)
		got := map[string]store.ReportFigures{}
		for _, r := range rows {
			got[fmt.Sprint(r.Period, "/", r.Key)] = r.ReportFigures
		}
		want := map[string]store.ReportFigures{}
		keys := map[string]bool{}
		for _, r := range reportFixtures() {
			if by == "procedure" {
				keys[r.procedure] = true
			} else {
				keys[r.agency] = true
			}
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for i, p := range periods {
			for _, k := range sorted {
				var f store.ReportFigures
				if by == "procedure" {
					f = count(reportFixtures(), p, "", k)
				} else {
					f = count(reportFixtures(), p, k, "")
				}
				if f != (store.ReportFigures{}) {
					want[fmt.Sprint(i, "/", k)] = f
				}
			}
		}
		require.Equal(t, want, got, by)
	}
}
