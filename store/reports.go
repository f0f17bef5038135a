package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// Report form II.06a. Every figure is a fact written once, when it
// happened, from the append-only control sheet (store/reportfacts.go), so a
// closed period computed today equals what it was at its end.
//
// Definitions, for a period [Start, End) (local midnights, +07:00), README
// "Reports (form II.06a)":
//   - received: accepted at intake (received_at); never-received dossiers
//     (refused at intake, still submitted, withdrawn before intake) are not
//     counted. carried_over: received before Start and not ended before
//     Start; new: received in the period, by channel.
//   - resolved: ended in the period (ended_at, from the ending event:
//     dossier.EndingOf), with a result or without one (refused after
//     receipt, withdrawn, stopped), by verdict (dossier.EndingVerdict) and
//     by ending.
//   - pending: received before End and not ended before End; overdue when,
//     at the end (or now, for a period not over), the dossier is not waiting
//     for a supplement and the appointment it is judged against has passed
//     by the rule for late (dossier.IsOverdue) — both read from the last
//     control-sheet event before the end, not from today's row.
//
// So carried_over + new = resolved.total + pending.total, each dossier once.
//
// By department, the rows are the departments' steps (dossier_steps):
// received = steps entered, resolved = steps finished against the step's
// due time, pending = steps open at the end.

// ReportPeriod is a half-open interval of time [Start, End).
type ReportPeriod struct {
	Start, End time.Time
}

// ReportFilter narrows a report; empty fields do not filter.
type ReportFilter struct {
	Agency, Procedure, Sector, Channel string
	// Department switches the report to the department's steps.
	Department string
	// GroupBy is "", "procedure", "agency", "sector", "channel" or
	// "department" (steps, by their department).
	GroupBy string
}

// ReportGroupings are the values of ReportFilter.GroupBy besides "".
var ReportGroupings = []string{"procedure", "agency", "sector", "channel", "department"}

// Received is the received part of the report.
type Received struct {
	CarriedOver int64 `json:"carried_over"`
	New         int64 `json:"new"`
	Online      int64 `json:"online"`
	Counter     int64 `json:"counter"`
	Postal      int64 `json:"postal"`
}

// Resolved is the resolved part of the report: by verdict, and by ending.
type Resolved struct {
	Total     int64 `json:"total"`
	Early     int64 `json:"early"`
	OnTime    int64 `json:"on_time"`
	Late      int64 `json:"late"`
	Result    int64 `json:"result"`
	Refused   int64 `json:"refused"`
	Withdrawn int64 `json:"withdrawn"`
	Stopped   int64 `json:"stopped"`
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

// Add adds g's figures to f (totals rows).
func (f *ReportFigures) Add(g ReportFigures) {
	f.Received.CarriedOver += g.Received.CarriedOver
	f.Received.New += g.Received.New
	f.Received.Online += g.Received.Online
	f.Received.Counter += g.Received.Counter
	f.Received.Postal += g.Received.Postal
	f.Resolved.Total += g.Resolved.Total
	f.Resolved.Early += g.Resolved.Early
	f.Resolved.OnTime += g.Resolved.OnTime
	f.Resolved.Late += g.Resolved.Late
	f.Resolved.Result += g.Resolved.Result
	f.Resolved.Refused += g.Resolved.Refused
	f.Resolved.Withdrawn += g.Resolved.Withdrawn
	f.Resolved.Stopped += g.Resolved.Stopped
	f.Pending.Total += g.Pending.Total
	f.Pending.NotDue += g.Pending.NotDue
	f.Pending.Overdue += g.Pending.Overdue
}

// ReportRow is one row: the period's index in the request, the group key
// ("" when not grouped) and its figures.
type ReportRow struct {
	Period int
	Key    string
	ReportFigures
}

// reportItems are the rows a report counts, one per received dossier (or
// per department's step), with the columns the aggregate reads: key, code,
// channel, rin (received / entered), rout (ended / finished), ending,
// verdict, due (the appointment when no event says it) and by_event (the
// last event's due_at applies). $1..$3: periods (starts, ends, overdue
// cuts); $4 agency, $5 procedure, $6 sector, $7 channel, $8 department
// (” for all). The group key replaces %[1]s.
const reportDossiers = `
	SELECT p.idx, %[1]s AS key, d.code, d.channel, d.received_at AS rin, d.ended_at AS rout, d.ending, d.end_verdict AS verdict,
		coalesce(d.original_appointment_at, d.appointment_at) AS due, true AS by_event, p.s, p.e, p.cut
	FROM periods p
	JOIN dossiers d ON d.received_at IS NOT NULL
		AND tstzrange(d.received_at, CASE WHEN d.ended_at < d.received_at THEN d.received_at ELSE d.ended_at END, '[]') && tstzrange(p.s, p.e, '[)')
	%[2]s
	WHERE ($4 = '' OR d.agency_code = $4) AND ($5 = '' OR d.procedure_code = $5) AND ($7 = '' OR d.channel = $7) AND %[3]s`

const reportSteps = `
	SELECT p.idx, %[1]s AS key, d.code, d.channel, st.entered_at AS rin, st.finished_at AS rout, st.ending, st.verdict,
		CASE WHEN st.finished_at IS NULL OR st.finished_at >= p.e THEN coalesce((SELECT c.due_at FROM dossier_step_dues c
			WHERE c.dossier_code = st.dossier_code AND c.entered_seq = st.entered_seq AND c.department = st.department
				AND c.at < p.e ORDER BY c.seq DESC LIMIT 1), st.due_at) END AS due,
		false AS by_event, p.s, p.e, p.cut
	FROM periods p
	JOIN dossier_steps st ON tstzrange(st.entered_at, CASE WHEN st.finished_at < st.entered_at THEN st.entered_at ELSE st.finished_at END, '[]')
		&& tstzrange(p.s, p.e, '[)')
	JOIN dossiers d ON d.code = st.dossier_code
	%[2]s
	WHERE ($8 = '' OR st.department = $8) AND ($4 = '' OR d.agency_code = $4) AND ($5 = '' OR d.procedure_code = $5)
		AND ($7 = '' OR d.channel = $7) AND %[3]s`

// reportQuery aggregates the items (%s). A pending item is overdue when the
// dossier's last event before the period's end leaves it not waiting for a
// supplement and its appointment before the cut (dossier.IsOverdue: the cut
// is local midnight of the end, or of today for a period not over).
const reportQuery = `
WITH periods AS (
	SELECT (ord - 1)::int AS idx, s, e, cut FROM unnest($1::timestamptz[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS u(s, e, cut, ord)
), items AS (%s
)
SELECT i.idx, i.key,
	count(*) FILTER (WHERE i.rin < i.s),
	count(*) FILTER (WHERE i.rin >= i.s),
	count(*) FILTER (WHERE i.rin >= i.s AND i.channel = 'online'),
	count(*) FILTER (WHERE i.rin >= i.s AND i.channel = 'counter'),
	count(*) FILTER (WHERE i.rin >= i.s AND i.channel = 'postal'),
	count(*) FILTER (WHERE i.rout < i.e),
	count(*) FILTER (WHERE i.rout < i.e AND i.verdict = 'early'),
	count(*) FILTER (WHERE i.rout < i.e AND i.verdict = 'on_time'),
	count(*) FILTER (WHERE i.rout < i.e AND i.verdict = 'late'),
	count(*) FILTER (WHERE i.rout < i.e AND i.ending = 'result'),
	count(*) FILTER (WHERE i.rout < i.e AND i.ending = 'refused'),
	count(*) FILTER (WHERE i.rout < i.e AND i.ending = 'withdrawn'),
	count(*) FILTER (WHERE i.rout < i.e AND i.ending = 'stopped'),
	count(*) FILTER (WHERE i.rout IS NULL OR i.rout >= i.e),
	count(*) FILTER (WHERE (i.rout IS NULL OR i.rout >= i.e) AND last.to_status IS DISTINCT FROM 'supplement_requested'
		AND coalesce(CASE WHEN i.by_event THEN last.due_at END, i.due) < i.cut)
FROM items i
LEFT JOIN LATERAL (
	-- Only for pending items (a one-time filter: resolved ones skip the scan).
	SELECT ev.to_status, ev.due_at FROM dossier_events ev
	WHERE (i.rout IS NULL OR i.rout >= i.e) AND ev.dossier_code = i.code AND ev.at < i.e
	ORDER BY ev.seq DESC LIMIT 1
) last ON true
GROUP BY i.idx, i.key
ORDER BY i.idx, i.key COLLATE "C"`

// sectorJoin finds the sector of the procedure version a dossier was
// received under.
const sectorJoin = `LEFT JOIN procedure_versions pv ON pv.code = d.procedure_code AND pv.version = d.procedure_version`

// ReportSQL returns the SQL of Report for a filter's grouping and source
// (dossiers, or the departments' steps), for EXPLAIN in benchmarks.
func ReportSQL(f ReportFilter) (string, error) {
	steps := f.Department != "" || f.GroupBy == "department"
	var key string
	switch f.GroupBy {
	case "":
		key = "''"
	case "procedure":
		key = "d.procedure_code"
	case "agency":
		key = "d.agency_code"
	case "sector":
		key = "coalesce(pv.document->'sector'->>'code', '')"
	case "channel":
		key = "d.channel"
	case "department":
		key = "st.department"
	default:
		return "", fmt.Errorf("store: report: unknown grouping %q", f.GroupBy)
	}
	var join, sector string
	if f.GroupBy == "sector" || f.Sector != "" {
		join, sector = sectorJoin, "($6 = '' OR pv.document->'sector'->>'code' = $6)"
	} else {
		sector = "$6::text = $6::text" // every parameter is referenced
	}
	items := reportDossiers
	if steps {
		items = reportSteps
	} else {
		sector += " AND $8::text = $8::text"
	}
	return fmt.Sprintf(reportQuery, fmt.Sprintf(items, key, join, sector)), nil
}

// ReportArgs are the arguments of ReportSQL's query; now is the instant
// the report is computed at (pending figures of a period not over are as
// of now).
func ReportArgs(periods []ReportPeriod, f ReportFilter, now time.Time) []any {
	starts := make([]time.Time, len(periods))
	ends := make([]time.Time, len(periods))
	cuts := make([]time.Time, len(periods))
	today := LocalDayOf(now)
	for i, p := range periods {
		starts[i], ends[i] = p.Start, p.End
		cuts[i] = p.End
		if today.Before(p.End) {
			cuts[i] = today
		}
	}
	return []any{starts, ends, cuts, f.Agency, f.Procedure, f.Sector, f.Channel, f.Department}
}

// rowsQuerier runs a query: the pool, or a transaction.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ReportLive computes the figures of each period, as of now, from the
// control sheet's facts alone, without the snapshots of closed days
// (Report uses them). Without grouping every period has exactly one row
// (zeros when no dossier touches it); with grouping, one row per key that
// has any figure, ordered by period then key (byte order).
func (s *Store) ReportLive(ctx context.Context, periods []ReportPeriod, f ReportFilter, now time.Time) ([]ReportRow, error) {
	return reportLive(ctx, s.pool, periods, f, now)
}

func reportLive(ctx context.Context, db rowsQuerier, periods []ReportPeriod, f ReportFilter, now time.Time) ([]ReportRow, error) {
	q, err := ReportSQL(f)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, q, ReportArgs(periods, f, now)...)
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		var r ReportRow
		if err := scanReportRow(rows, &r); err != nil {
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

// LocalDayOf is local midnight (+07:00) of the day of t.
func LocalDayOf(t time.Time) time.Time {
	y, m, d := t.In(dossier.Location).Date()
	return LocalDay(y, m, d)
}

// LocalDay is local midnight (+07:00) of a calendar date.
func LocalDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, dossier.Location)
}

// ExplainReport runs EXPLAIN (ANALYZE, BUFFERS) on Report's query, for
// benchmarks and docs/PERFORMANCE.md.
func (s *Store) ExplainReport(ctx context.Context, periods []ReportPeriod, f ReportFilter, now time.Time) (string, error) {
	q, err := ReportSQL(f)
	if err != nil {
		return "", err
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, ReportArgs(periods, f, now)...)
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

// ReportVocabulary is what report filters may name, so a typo is a 400
// rather than a silently empty report.
type ReportVocabulary struct {
	// Agencies maps each agency's code to its kind (center, department,
	// commune).
	Agencies   map[string]string
	Procedures map[string]bool
	// Sectors maps each sector's code to its name, from every procedure
	// version that has one.
	Sectors map[string]string
	// FirstYear and LastYear are the years the official calendar table
	// covers (0 when it is empty).
	FirstYear, LastYear int
}

// ReportVocabulary reads the agencies, procedures, sectors and calendar
// years reports may be asked about.
func (s *Store) ReportVocabulary(ctx context.Context) (ReportVocabulary, error) {
	v := ReportVocabulary{Agencies: map[string]string{}, Procedures: map[string]bool{}, Sectors: map[string]string{}}
	read := func(q string, scan func(pgx.Rows) error) error {
		rows, err := s.pool.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("store: report vocabulary: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("store: report vocabulary: %w", err)
			}
		}
		return rows.Err()
	}
	var code, name string
	if err := read(`SELECT code, kind FROM agencies`, func(r pgx.Rows) error {
		err := r.Scan(&code, &name)
		v.Agencies[code] = name
		return err
	}); err != nil {
		return v, err
	}
	if err := read(`SELECT DISTINCT code FROM procedure_versions`, func(r pgx.Rows) error {
		err := r.Scan(&code)
		v.Procedures[code] = true
		return err
	}); err != nil {
		return v, err
	}
	if err := read(`SELECT DISTINCT document->'sector'->>'code', document->'sector'->>'name' FROM procedure_versions
		WHERE document->'sector'->>'code' IS NOT NULL`, func(r pgx.Rows) error {
		err := r.Scan(&code, &name)
		v.Sectors[code] = name
		return err
	}); err != nil {
		return v, err
	}
	err := s.pool.QueryRow(ctx, `SELECT coalesce(min(extract(year FROM day))::int, 0), coalesce(max(extract(year FROM day))::int, 0)
		FROM calendar_days`).Scan(&v.FirstYear, &v.LastYear)
	if err != nil {
		return v, fmt.Errorf("store: report vocabulary: %w", err)
	}
	return v, nil
}
