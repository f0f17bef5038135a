package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/motcua/motcua/dossier"
)

// Snapshots of closed days (migration 00027, docs/PERFORMANCE.md
// "Snapshots of closed days", docs/OPERATIONS.md "Report snapshots").
//
// A closed period's figures never change, so they are computed once and
// kept: per local day and per grain (department, agency, procedure,
// sector, channel), the day's flows (new by channel, resolved by verdict
// and by ending), the stock at its start (carried over) and the stock at
// its end (pending, overdue judged at the end). Each day is computed by the
// live query itself (reportQuery, the day as its period), so a report
// summed from snapshots equals the live report: for a period [S, E) of
// whole days, carried over is day S's, the flows are the sums over the
// days, pending is day E-1's. Report reads the snapshots for the closed
// days of a period and computes only the open tail [C, E) live (its flows
// and its pending at E); the stock at C needs no reading, carried over
// comes from day S.
//
// When a day is closed: its end has passed by ReportSnapshotGrace (by the
// business clock) and the build job reached it. Facts recorded later with
// an earlier business time (a recorder retried after an outage, a
// reconcile --fix, an import) are caught by triggers on every table the
// reports read (migration 00027): a fact dated before the build's horizon
// drops the snapshots of its day and every later day, and the next build
// computes them again. Days are only ever dropped and rebuilt whole, from
// the facts, never adjusted.
//
// Two processes: a build takes the state row with NOWAIT and skips when
// another holds it. Races with late facts are closed in two steps: the
// build first publishes the horizon it will build to (closing) and waits
// for every transaction older than that to end, so a fact written before
// the publication is visible to the build; a fact written after sees the
// new horizon in its trigger and, being late, waits for the build's lock
// and then drops what the build wrote.

// ReportSnapshotGrace is how long after a day's end the build job waits
// before snapshotting it: facts reach the store seconds after they happen,
// so a day is almost always complete by then (a later one is still caught,
// see above; the grace only saves rebuilding).
const ReportSnapshotGrace = time.Hour

// ReportSnapshotInterval is how often the API runs the build job.
const ReportSnapshotInterval = 15 * time.Minute

// snapshotBatchDays is how many days one build statement computes.
const snapshotBatchDays = 7

// snapshotFigures are the figure columns of report_snapshots, in the
// order reportQuery returns them.
const snapshotFigures = `carried_over, new, online, counter, postal, resolved, early, on_time, late,
	result, refused, withdrawn, stopped, pending, overdue`

// snapshotBuildSQL is the INSERT of the snapshots of a batch of days for
// the dossiers or the steps: reportQuery with the whole grain as its
// group key ($1, $2, $3: the days' starts, ends and cuts; $4..$8 empty).
func snapshotBuildSQL(steps bool) string {
	key := `concat_ws(chr(31), d.agency_code, d.procedure_code, coalesce(pv.document->'sector'->>'code', ''), d.channel, %s)`
	items := reportDossiers
	filter := "$6::text = $6::text AND $8::text = $8::text"
	dept := "''"
	if steps {
		items, filter, dept = reportSteps, "$6::text = $6::text", "st.department"
	}
	q := fmt.Sprintf(reportQuery, fmt.Sprintf(items, fmt.Sprintf(key, dept), sectorJoin, filter))
	return fmt.Sprintf(`INSERT INTO report_snapshots (steps, day, agency, procedure, sector, channel, department, %s)
		SELECT %t, ($1::timestamptz[])[r.idx + 1], split_part(r.key, chr(31), 1), split_part(r.key, chr(31), 2),
			split_part(r.key, chr(31), 3), split_part(r.key, chr(31), 4), split_part(r.key, chr(31), 5),
			r.c1, r.c2, r.c3, r.c4, r.c5, r.c6, r.c7, r.c8, r.c9, r.c10, r.c11, r.c12, r.c13, r.c14, r.c15
		FROM (%s) r (idx, key, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15)`,
		snapshotFigures, steps, q)
}

// snapshotReadSQL sums the snapshots of each period's closed days [s, c):
// carried over from day s, the flows of every day, and when the period is
// closed to its end (whole) the pending stock of its last day. LATERAL:
// each period is one range of the primary key (steps, day, ...).
const snapshotReadSQL = `
WITH periods AS (
	SELECT (ord - 1)::int AS idx, s, c, last, whole
	FROM unnest($1::timestamptz[], $2::timestamptz[], $3::timestamptz[], $4::bool[]) WITH ORDINALITY AS u(s, c, last, whole, ord)
)
SELECT p.idx, g.* FROM periods p
CROSS JOIN LATERAL (
	SELECT %s AS key,
		coalesce(sum(r.carried_over) FILTER (WHERE r.day = p.s), 0)::bigint,
		sum(r.new)::bigint, sum(r.online)::bigint, sum(r.counter)::bigint, sum(r.postal)::bigint,
		sum(r.resolved)::bigint, sum(r.early)::bigint, sum(r.on_time)::bigint, sum(r.late)::bigint,
		sum(r.result)::bigint, sum(r.refused)::bigint, sum(r.withdrawn)::bigint, sum(r.stopped)::bigint,
		coalesce(sum(r.pending) FILTER (WHERE p.whole AND r.day = p.last), 0)::bigint,
		coalesce(sum(r.overdue) FILTER (WHERE p.whole AND r.day = p.last), 0)::bigint
	FROM report_snapshots r
	WHERE r.steps = $5 AND r.day >= p.s AND r.day < p.c
		AND ($6 = '' OR r.agency = $6) AND ($7 = '' OR r.procedure = $7) AND ($8 = '' OR r.sector = $8)
		AND ($9 = '' OR r.channel = $9) AND ($10 = '' OR r.department = $10)
	GROUP BY 1
) g`

// snapshotKeys are the report_snapshots columns of each grouping.
var snapshotKeys = map[string]string{"": "''", "procedure": "r.procedure", "agency": "r.agency",
	"sector": "r.sector", "channel": "r.channel", "department": "r.department"}

// snapshotPart is where a period's snapshots end: C, the end of its last
// closed day (zero: none).
type snapshotPart struct {
	c    time.Time
	live int // index of its live part in the live query, -1 for none
}

// Report computes the figures of each period, as of now (ReportLive says
// what the rows are): the closed days of a period from their snapshots, the
// rest live, in one consistent read of the database. The figures are
// ReportLive's exactly (TestReportSnapshotsEqualLive).
func (s *Store) Report(ctx context.Context, periods []ReportPeriod, f ReportFilter, now time.Time) ([]ReportRow, error) {
	if _, err := ReportSQL(f); err != nil {
		return nil, err
	}
	var out []ReportRow
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// The live tail touches a few thousand rows: compiling it (JIT)
		// would cost more than running it, and a plan made once for any
		// periods (the generic plan a prepared statement switches to after
		// five runs) scans every dossier.
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return err
		}
		var since, through *time.Time
		if err := tx.QueryRow(ctx, `SELECT since, through FROM report_snapshot_state`).Scan(&since, &through); err != nil {
			return err
		}
		plan := planReport(periods, f, since, through, now)
		parts, live, snapIdx := plan.parts, plan.live, plan.snapIdx

		type groupKey struct {
			period int
			key    string
		}
		merged := map[groupKey]*ReportFigures{}
		at := func(k groupKey) *ReportFigures {
			if merged[k] == nil {
				merged[k] = &ReportFigures{}
			}
			return merged[k]
		}
		if len(snapIdx) > 0 {
			rows, err := tx.Query(ctx, fmt.Sprintf(snapshotReadSQL, snapshotKeys[f.GroupBy]), plan.snapArgs...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r ReportRow
				if err := scanReportRow(rows, &r); err != nil {
					rows.Close()
					return err
				}
				*at(groupKey{snapIdx[r.Period], r.Key}) = r.ReportFigures
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if len(live) > 0 {
			rows, err := reportLive(ctx, tx, live, f, now)
			if err != nil {
				return err
			}
			owner := make([]int, len(live))
			for i, p := range parts {
				if p.live >= 0 {
					owner[p.live] = i
				}
			}
			for _, r := range rows {
				i := owner[r.Period]
				g := at(groupKey{i, r.Key})
				if parts[i].c.IsZero() {
					*g = r.ReportFigures
					continue
				}
				// The open tail: its flows and its pending at the end;
				// carried over is the snapshot's, at the period's start.
				carried := g.Received.CarriedOver
				r.Received.CarriedOver = 0
				g.Add(r.ReportFigures)
				g.Received.CarriedOver = carried
			}
		}

		keys := make([]groupKey, 0, len(merged))
		for k, g := range merged {
			// A group exists when a dossier (step) touches the period.
			if g.Received.CarriedOver+g.Received.New > 0 {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b groupKey) int {
			if a.period != b.period {
				return a.period - b.period
			}
			return strings.Compare(a.key, b.key)
		})
		if f.GroupBy == "" {
			out = make([]ReportRow, len(periods))
			for i := range out {
				out[i].Period = i
				if g := merged[groupKey{i, ""}]; g != nil {
					out[i].ReportFigures = *g
				}
			}
		} else {
			for _, k := range keys {
				out = append(out, ReportRow{Period: k.period, Key: k.key, ReportFigures: *merged[k]})
			}
		}
		for i := range out {
			out[i].Pending.NotDue = out[i].Pending.Total - out[i].Pending.Overdue
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	return out, nil
}

// reportPlan splits a report's periods between snapshots and the live
// query.
type reportPlan struct {
	parts []snapshotPart
	// live are the periods (or open tails) computed live.
	live []ReportPeriod
	// snapIdx are the periods read from snapshots, snapArgs the arguments
	// of snapshotReadSQL for them.
	snapIdx  []int
	snapArgs []any
}

// planReport reads from snapshots the whole days of each period that are
// in [since, through) and over for this report too (its overdue cut is the
// day's end); the rest is live.
func planReport(periods []ReportPeriod, f ReportFilter, since, through *time.Time, now time.Time) reportPlan {
	// Snapshots serve whole days that are over for this report too
	// (its overdue cut is the day's end) and lie in [since, through).
	var limit time.Time
	if since != nil && through != nil {
		limit = *through
		if today := LocalDayOf(now); today.Before(limit) {
			limit = today
		}
	}
	parts := make([]snapshotPart, len(periods))
	var live []ReportPeriod
	var snapS, snapC, snapLast []time.Time
	var snapWhole []bool
	var snapIdx []int
	for i, p := range periods {
		parts[i].live = -1
		c := p.End
		if limit.Before(c) {
			c = limit
		}
		if limit.IsZero() || p.Start.Before(*since) || !c.After(p.Start) || !p.Start.Equal(LocalDayOf(p.Start)) ||
			!c.Equal(LocalDayOf(c)) {
			parts[i].live = len(live)
			live = append(live, p)
			continue
		}
		parts[i].c = c
		snapS, snapC, snapLast = append(snapS, p.Start), append(snapC, c), append(snapLast, c.Add(-24*time.Hour))
		snapWhole, snapIdx = append(snapWhole, c.Equal(p.End)), append(snapIdx, i)
		if c.Before(p.End) {
			parts[i].live = len(live)
			live = append(live, ReportPeriod{Start: c, End: p.End})
		}
	}

	return reportPlan{parts: parts, live: live, snapIdx: snapIdx,
		snapArgs: []any{snapS, snapC, snapLast, snapWhole, f.Department != "" || f.GroupBy == "department",
			f.Agency, f.Procedure, f.Sector, f.Channel, f.Department}}
}

// ExplainReportSnapshots runs EXPLAIN (ANALYZE, BUFFERS) on the snapshot
// read of Report (empty when no period is read from snapshots), for
// benchmarks.
func (s *Store) ExplainReportSnapshots(ctx context.Context, periods []ReportPeriod, f ReportFilter, now time.Time) (string, error) {
	var since, through *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT since, through FROM report_snapshot_state`).Scan(&since, &through); err != nil {
		return "", fmt.Errorf("store: explain report snapshots: %w", err)
	}
	plan := planReport(periods, f, since, through, now)
	if len(plan.snapIdx) == 0 {
		return "", nil
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+fmt.Sprintf(snapshotReadSQL, snapshotKeys[f.GroupBy]), plan.snapArgs...)
	if err != nil {
		return "", fmt.Errorf("store: explain report snapshots: %w", err)
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

// scanReportRow scans a row of reportQuery or snapshotReadSQL.
func scanReportRow(rows pgx.Rows, r *ReportRow) error {
	return rows.Scan(&r.Period, &r.Key,
		&r.Received.CarriedOver, &r.Received.New, &r.Received.Online, &r.Received.Counter, &r.Received.Postal,
		&r.Resolved.Total, &r.Resolved.Early, &r.Resolved.OnTime, &r.Resolved.Late,
		&r.Resolved.Result, &r.Resolved.Refused, &r.Resolved.Withdrawn, &r.Resolved.Stopped,
		&r.Pending.Total, &r.Pending.Overdue)
}

// ReportSnapshotState says which days the snapshots hold: [Since,
// Through), both zero when none.
type ReportSnapshotState struct {
	Since, Through time.Time
}

// ReportSnapshots reads which days the snapshots hold.
func (s *Store) ReportSnapshots(ctx context.Context) (ReportSnapshotState, error) {
	var since, through *time.Time
	var st ReportSnapshotState
	if err := s.pool.QueryRow(ctx, `SELECT since, through FROM report_snapshot_state`).Scan(&since, &through); err != nil {
		return st, fmt.Errorf("store: report snapshots: %w", err)
	}
	if since != nil && through != nil && through.After(*since) {
		st.Since, st.Through = since.In(dossier.Location), through.In(dossier.Location)
	}
	return st, nil
}

// errSnapshotBusy: another process holds the snapshot state, or a late
// fact moved it; the build stops and the next round goes on.
var errSnapshotBusy = errors.New("report snapshots: state taken or moved")

// lockSnapshotState takes the state row in tx, or errSnapshotBusy.
func lockSnapshotState(ctx context.Context, tx pgx.Tx) (since, through, closing *time.Time, err error) {
	err = tx.QueryRow(ctx, `SELECT since, through, closing FROM report_snapshot_state FOR UPDATE NOWAIT`).Scan(&since, &through, &closing)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		return nil, nil, nil, errSnapshotBusy
	}
	return since, through, closing, err
}

// BuildReportSnapshots snapshots every day that ends at or before local
// midnight of until and is not snapshotted yet (from the first day any
// dossier was received, the first time), and returns how many days it
// computed. Idempotent; when another process is building it does nothing.
// The job passes now less ReportSnapshotGrace.
func (s *Store) BuildReportSnapshots(ctx context.Context, until time.Time) (int, error) {
	target := LocalDayOf(until)
	// 1. Publish the horizon: from now on a fact dated before it is late.
	var done bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, through, _, err := lockSnapshotState(ctx, tx)
		if err != nil {
			return err
		}
		if through != nil && !through.Before(target) {
			done = true
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE report_snapshot_state SET closing = $1 WHERE closing IS NULL OR closing < $1`, target)
		return err
	})
	if errors.Is(err, errSnapshotBusy) || (err == nil && done) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: build report snapshots: %w", err)
	}
	// 2. Wait until every transaction that may have written a fact without
	// seeing the horizon has ended, so the build reads its facts.
	if err := s.waitOlderTransactions(ctx, time.Minute); err != nil {
		return 0, fmt.Errorf("store: build report snapshots: %w", err)
	}
	// 3. Build under the state's lock, a chunk of days at a time (a late
	// fact waits for the chunk, not for the whole backfill, then drops
	// what it changes).
	var days int
	for {
		n, more, err := s.buildSnapshotChunk(ctx, target)
		days += n
		if errors.Is(err, errSnapshotBusy) {
			return days, nil
		}
		if err != nil {
			return days, fmt.Errorf("store: build report snapshots: %w", err)
		}
		if !more {
			return days, nil
		}
	}
}

// snapshotChunkDays is how many days one lock cycle of a build computes.
const snapshotChunkDays = 8 * snapshotBatchDays

// buildSnapshotChunk builds the next chunk of days before target under the
// state's lock and says whether days are left.
func (s *Store) buildSnapshotChunk(ctx context.Context, target time.Time) (days int, more bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		since, through, closing, err := lockSnapshotState(ctx, tx)
		if err != nil {
			return err
		}
		if closing == nil || closing.Before(target) {
			// A late fact lowered the horizon since it was published: facts
			// written since may not have seen it. Start over next round.
			return errSnapshotBusy
		}
		var from time.Time
		if since != nil && through != nil && through.After(*since) {
			from = *through
		} else {
			var first *time.Time
			if err := tx.QueryRow(ctx, `SELECT least((SELECT min(received_at) FROM dossiers),
				(SELECT min(entered_at) FROM dossier_steps))`).Scan(&first); err != nil {
				return err
			}
			from = target
			if first != nil && first.Before(target) {
				from = LocalDayOf(*first)
			}
			since = &from
		}
		to := target
		if end := from.AddDate(0, 0, snapshotChunkDays); end.Before(to) {
			to, more = end, true
		}
		var batches [][2]time.Time
		for d := from; d.Before(to); {
			e := d.AddDate(0, 0, snapshotBatchDays)
			if e.After(to) {
				e = to
			}
			batches = append(batches, [2]time.Time{d, e})
			d = e
		}
		if err := s.buildSnapshotBatches(ctx, batches); err != nil {
			return err
		}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			days++
		}
		// closing stays at the build's horizon (target).
		_, err = tx.Exec(ctx, `UPDATE report_snapshot_state SET since = $1, through = $2`, *since, to)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return days, more, nil
}

// buildSnapshotBatches computes the batches of days on two connections at
// once, each batch in its own transaction (dropping first whatever an
// interrupted build left of it).
func (s *Store) buildSnapshotBatches(ctx context.Context, batches [][2]time.Time) error {
	const workers = 2
	work := make(chan [2]time.Time)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := s.buildSnapshotBatch(ctx, b[0], b[1]); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func (s *Store) buildSnapshotBatch(ctx context.Context, from, to time.Time) error {
	var starts, ends []time.Time
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		starts, ends = append(starts, d), append(ends, d.AddDate(0, 0, 1))
	}
	// A closed day's overdue cut is its end.
	args := []any{starts, ends, ends, "", "", "", "", ""}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Compiling these statements (JIT) costs more than running them,
		// and a plan made once for any days (the generic plan a prepared
		// statement switches to) scans every dossier.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM report_snapshots WHERE day >= $1 AND day < $2`, from, to); err != nil {
			return err
		}
		for _, steps := range []bool{false, true} {
			if _, err := tx.Exec(ctx, snapshotBuildSQL(steps), args...); err != nil {
				return fmt.Errorf("days %s – %s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
			}
		}
		return nil
	})
}

// waitOlderTransactions waits until every transaction running when it was
// called has ended (the wait CREATE INDEX CONCURRENTLY makes), at most
// limit.
func (s *Store) waitOlderTransactions(ctx context.Context, limit time.Duration) error {
	var horizon int64
	if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&horizon); err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		var clear bool
		if err := s.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= $1`, horizon).Scan(&clear); err != nil {
			return err
		}
		if clear {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("transactions older than %s still running; try again later", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// DropReportSnapshots drops the snapshots of the day of from and every
// later day, as a late fact would: the next build computes them again from
// the facts. A zero from drops them all.
func (s *Store) DropReportSnapshots(ctx context.Context, from time.Time) error {
	at := any(from)
	if from.IsZero() {
		at = "-infinity"
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Dropping needs the horizon past from: make it so, then record
		// from as a fact (motcua_report_fact does the rest).
		if _, err := tx.Exec(ctx, `UPDATE report_snapshot_state SET closing = 'infinity'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT motcua_report_fact($1::timestamptz)`, at); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE report_snapshot_state SET closing = through`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: drop report snapshots: %w", err)
	}
	return nil
}

// RunReportSnapshots builds the snapshots of the days closed by now()
// (ReportSnapshotGrace after their end) at once and then every interval,
// until ctx ends. Every API replica may run it: one builds, the others
// find the work done or the state taken and skip.
func (s *Store) RunReportSnapshots(ctx context.Context, now func() time.Time, interval time.Duration, log *slog.Logger) {
	for {
		start := time.Now()
		days, err := s.BuildReportSnapshots(ctx, now().Add(-ReportSnapshotGrace))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("report snapshots not built; retrying later", "err", err, "retry_in", interval)
		case days > 0:
			log.Info("report snapshots built", "days", days, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
