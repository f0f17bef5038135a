package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// recordReportFacts keeps what reports read, from a transition whose event
// was just appended (so once per event, in its transaction):
//
//   - the dossier's ending (dossier.EndingOf the event's action), written
//     once: when and how a received dossier ended and where it counts
//     among early / on time / late;
//   - the departments' steps (dossier_steps): a row per department per
//     step entered, closed when the department decides, when the step is
//     left otherwise (a return for rework, the dossier's end), its due time
//     following extensions and supplement pauses while it is open.
func recordReportFacts(ctx context.Context, tx pgx.Tx, t dossier.Transition) error {
	ev, p := t.Event, t.Progress
	ending, ends := dossier.EndingOf(ev.Action)
	if ends {
		var due time.Time
		if d := p.ReportDue(); d != nil {
			due = *d
		}
		verdict := dossier.EndingVerdict(ev.Action, ev.At, due)
		if ending == dossier.EndingResult && p.Verdict != "" {
			verdict = p.Verdict // the workflow's own verdict (the same rule)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE dossiers SET ended_at = $2, ending = $3, end_verdict = $4
			WHERE code = $1 AND ended_at IS NULL AND received_at IS NOT NULL AND received_at <= $2`,
			t.Code, ev.At, string(ending), verdict); err != nil {
			return fmt.Errorf("store: record ending: %w", err)
		}
	}

	// The departments that should have an open step after the event.
	type part struct {
		step string
		due  time.Time
	}
	want := map[string]part{}
	if s := p.CurrentStep; s != nil && !p.Status.Final() {
		for _, d := range s.Pending {
			due := s.DueAt
			for _, b := range s.Branches {
				if b.Department == d {
					due = b.DueAt
				}
			}
			want[d] = part{step: s.Name, due: due}
		}
	}
	rows, err := tx.Query(ctx, `SELECT entered_seq, step, department, due_at FROM dossier_steps
		WHERE dossier_code = $1 AND finished_at IS NULL`, t.Code)
	if err != nil {
		return fmt.Errorf("store: record steps: %w", err)
	}
	type open struct {
		seq       int
		step, dep string
		due       time.Time
	}
	var opened []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.seq, &o.step, &o.dep, &o.due); err != nil {
			rows.Close()
			return fmt.Errorf("store: record steps: %w", err)
		}
		opened = append(opened, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: record steps: %w", err)
	}
	for _, o := range opened {
		if w, ok := want[o.dep]; ok && w.step == o.step {
			delete(want, o.dep)
			if !w.due.Equal(o.due) {
				if _, err := tx.Exec(ctx, `UPDATE dossier_steps SET due_at = $4
					WHERE dossier_code = $1 AND entered_seq = $2 AND department = $3`, t.Code, o.seq, o.dep, w.due); err != nil {
					return fmt.Errorf("store: record steps: %w", err)
				}
			}
			continue
		}
		// The department's part is over: decided by it (the event's own
		// timeliness), or left by a return or by the dossier's end.
		how, verdict := string(dossier.EndingResult), dossier.Timeliness(ev.At, o.due)
		switch {
		case ev.Department == o.dep && ev.Step == o.step && ev.OnTime != "" && !ends:
			verdict = ev.OnTime
		case ends && ending != dossier.EndingResult:
			how, verdict = string(ending), dossier.EndingVerdict(ev.Action, ev.At, o.due)
		case ends && ev.OnTime != "":
			verdict = ev.OnTime
		}
		if _, err := tx.Exec(ctx, `UPDATE dossier_steps SET finished_at = $4, ending = $5, verdict = $6
			WHERE dossier_code = $1 AND entered_seq = $2 AND department = $3`,
			t.Code, o.seq, o.dep, ev.At, how, verdict); err != nil {
			return fmt.Errorf("store: record steps: %w", err)
		}
	}
	for dep, w := range want {
		if _, err := tx.Exec(ctx, `INSERT INTO dossier_steps (dossier_code, entered_seq, step, department, entered_at, due_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, t.Code, ev.Seq, w.step, dep, ev.At, w.due); err != nil {
			return fmt.Errorf("store: record steps: %w", err)
		}
	}
	return nil
}
