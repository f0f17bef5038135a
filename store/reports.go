package store

import (
	"context"
	"fmt"
	"time"

	"github.com/motcua/motcua/dossier"
)

// Report form II.06a, computed by SQL aggregates over the read model only.
//
// Definitions, for a period [Start, End) (local midnights, +07:00):
//   - received.new: received_at (accepted at intake) in the period, split by
//     channel; dossiers never received (refused at intake, still submitted)
//     are not counted anywhere.
//   - received.carried_over: received before Start and not ended (finished_at,
//     set by every ending: result ready, refused, withdrawn, stopped) before
//     Start.
//   - resolved: result ready (verdict set) with finished_at in the period, by
//     verdict early / on_time / late. Refused, withdrawn and stopped dossiers
//     are received but never resolved nor pending after they end.
//   - pending: received before End and not ended before End; overdue when
//     appointment_at < End and not waiting for a supplement, otherwise not due.
//     The read model keeps only the current supplement request, so for a past
//     period "waiting for a supplement" means waiting now.
//
// Every figure comes from the dossiers whose [received_at, finished_at]
// interval overlaps the period, which migration 00006 indexes (GiST).

// ReportPeriod is a half-open interval of time [Start, End).
type ReportPeriod struct {
	Start, End time.Time
}

// ReportFilter narrows a report; empty fields do not filter.
type ReportFilter struct {
	Agency, Procedure string
	// GroupBy is "", "procedure" or "agency".
	GroupBy string
}

// Received is the received part of the report.
type Received struct {
	CarriedOver int64 `json:"carried_over"`
	New         int64 `json:"new"`
	Online      int64 `json:"online"`
	Counter     int64 `json:"counter"`
	Postal      int64 `json:"postal"`
}

// Resolved is the resolved part of the report.
type Resolved struct {
	Total  int64 `json:"total"`
	Early  int64 `json:"early"`
	OnTime int64 `json:"on_time"`
	Late   int64 `json:"late"`
}

// Pending is the pending part of the report, at the end of the period.
type Pending struct {
	Total   int64 `json:"total"`
	NotDue  int64 `json:"not_due"`
	Overdue int64 `json:"overdue"`
}

// ReportFigures are the figures of one row of the report.
type ReportFigures struct {
	Received Received
	Resolved Resolved
	Pending  Pending
}

// OnTimeRate is (early + on time) / resolved, nil when nothing was resolved.
func (f ReportFigures) OnTimeRate() *float64 {
	if f.Resolved.Total == 0 {
		return nil
	}
	r := float64(f.Resolved.Early+f.Resolved.OnTime) / float64(f.Resolved.Total)
	return &r
}

// ReportRow is one row: the period's index in the request, the group key
// ("" when not grouped) and its figures.
type ReportRow struct {
	Period int
	Key    string
	ReportFigures
}

// reportQuery is the SQL of Report (ReportSQL fills in the group key).
// $1, $2: arrays of period starts and ends; $3 agency, $4 procedure (the
// empty string: all); the group key replaces %s.
const reportQuery = `
WITH periods AS (
	SELECT (ord - 1)::int AS idx, s, e FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS u(s, e, ord)
)
SELECT p.idx, %s AS key,
	count(*) FILTER (WHERE d.received_at < p.s),
	count(*) FILTER (WHERE d.received_at >= p.s),
	count(*) FILTER (WHERE d.received_at >= p.s AND d.channel = 'online'),
	count(*) FILTER (WHERE d.received_at >= p.s AND d.channel = 'counter'),
	count(*) FILTER (WHERE d.received_at >= p.s AND d.channel = 'postal'),
	count(*) FILTER (WHERE d.verdict IS NOT NULL AND d.finished_at < p.e),
	count(*) FILTER (WHERE d.verdict = 'early' AND d.finished_at < p.e),
	count(*) FILTER (WHERE d.verdict = 'on_time' AND d.finished_at < p.e),
	count(*) FILTER (WHERE d.verdict = 'late' AND d.finished_at < p.e),
	count(*) FILTER (WHERE d.finished_at IS NULL OR d.finished_at >= p.e),
	count(*) FILTER (WHERE (d.finished_at IS NULL OR d.finished_at >= p.e)
		AND d.appointment_at < p.e AND (d.supplement IS NULL OR jsonb_typeof(d.supplement) = 'null'))
FROM periods p
JOIN dossiers d ON d.received_at IS NOT NULL
	AND tstzrange(d.received_at, CASE WHEN d.finished_at < d.received_at THEN d.received_at ELSE d.finished_at END, '[]') && tstzrange(p.s, p.e, '[)')
WHERE ($3 = '' OR d.agency_code = $3) AND ($4 = '' OR d.procedure_code = $4)
GROUP BY p.idx, key
ORDER BY p.idx, key`

// ReportSQL returns the SQL of Report for a grouping ("", "procedure",
// "agency"), for EXPLAIN in benchmarks.
func ReportSQL(groupBy string) (string, error) {
	var key string
	switch groupBy {
	case "":
		key = "''"
	case "procedure":
		key = "d.procedure_code"
	case "agency":
		key = "d.agency_code"
	default:
		return "", fmt.Errorf("store: report: unknown grouping %q", groupBy)
	}
	return fmt.Sprintf(reportQuery, key), nil
}

// ReportArgs are the arguments of ReportSQL's query.
func ReportArgs(periods []ReportPeriod, f ReportFilter) []any {
	starts := make([]time.Time, len(periods))
	ends := make([]time.Time, len(periods))
	for i, p := range periods {
		starts[i], ends[i] = p.Start, p.End
	}
	return []any{starts, ends, f.Agency, f.Procedure}
}

// Report computes the figures of each period. Without grouping every period
// has exactly one row (zeros when no dossier touches it); with grouping, one
// row per key that has any figure, ordered by period then key.
func (s *Store) Report(ctx context.Context, periods []ReportPeriod, f ReportFilter) ([]ReportRow, error) {
	q, err := ReportSQL(f.GroupBy)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q, ReportArgs(periods, f)...)
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		var r ReportRow
		if err := rows.Scan(&r.Period, &r.Key,
			&r.Received.CarriedOver, &r.Received.New, &r.Received.Online, &r.Received.Counter, &r.Received.Postal,
			&r.Resolved.Total, &r.Resolved.Early, &r.Resolved.OnTime, &r.Resolved.Late,
			&r.Pending.Total, &r.Pending.Overdue); err != nil {
			return nil, fmt.Errorf("store: report: %w", err)
		}
		r.Pending.NotDue = r.Pending.Total - r.Pending.Overdue
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	if f.GroupBy == "" {
		// Periods no dossier touches have no row: fill in zeros.
		full := make([]ReportRow, len(periods))
		for i := range full {
			full[i].Period = i
		}
		for _, r := range out {
			full[r.Period] = r
		}
		out = full
	}
	return out, nil
}

// LocalDay is local midnight (+07:00) of a calendar date.
func LocalDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, dossier.Location)
}

// ExplainReport runs EXPLAIN (ANALYZE, BUFFERS) on Report's query, for
// benchmarks and docs/PERFORMANCE.md.
func (s *Store) ExplainReport(ctx context.Context, periods []ReportPeriod, f ReportFilter) (string, error) {
	q, err := ReportSQL(f.GroupBy)
	if err != nil {
		return "", err
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, ReportArgs(periods, f)...)
	if err != nil {
		return "", fmt.Errorf("store: explain report: %w", err)
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		out += line + "\n"
	}
	return out, rows.Err()
}
