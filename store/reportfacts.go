package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/catalog"
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
//     left otherwise (a return for rework, the dossier's end); each move of
//     its due time while it is open (extension, supplement pause) appended
//     to dossier_step_dues.
func recordReportFacts(ctx context.Context, tx pgx.Tx, t dossier.Transition) error {
	ev, p := t.Event, t.Progress
	switch ev.Action {
	case dossier.ActionIntakeAccept, dossier.ActionIntakeRefuse, dossier.ActionWithdrawn, dossier.ActionStopped:
		if _, err := tx.Exec(ctx, `UPDATE dossiers SET intake_closed_at = $2 WHERE code = $1 AND intake_closed_at IS NULL`,
			t.Code, ev.At); err != nil {
			return fmt.Errorf("store: record intake decision: %w", err)
		}
	}
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
	// The intake step is the receiving agency's, reported as awaiting
	// intake (AwaitingIntake), not among the departments' steps.
	if s := p.CurrentStep; s != nil && !p.Status.Final() && s.Name != catalog.StepIntake {
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
	// An open step's due time is the latest it was moved to (extension,
	// supplement pause), else the one it was entered with.
	rows, err := tx.Query(ctx, `SELECT st.entered_seq, st.step, st.department,
			coalesce((SELECT c.due_at FROM dossier_step_dues c WHERE c.dossier_code = st.dossier_code
				AND c.entered_seq = st.entered_seq AND c.department = st.department ORDER BY c.seq DESC LIMIT 1), st.due_at)
		FROM dossier_steps st WHERE st.dossier_code = $1 AND st.finished_at IS NULL`, t.Code)
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
				// Appended, not updated: a past period reads the due time
				// of its end.
				if _, err := tx.Exec(ctx, `INSERT INTO dossier_step_dues (dossier_code, entered_seq, department, seq, at, due_at)
					VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, t.Code, o.seq, o.dep, ev.Seq, ev.At, w.due); err != nil {
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

// SetIntakeStep shows a submission's intake step (its decision deadline) in
// the read model, so the intake officers' inbox lists it with its due time.
// It changes nothing once anything else happened to the dossier (the row
// is past the submission's version), so a late retry is harmless.
func (s *Store) SetIntakeStep(ctx context.Context, code string, step *dossier.CurrentStep) error {
	raw, err := jsonOrNil(step)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE dossiers SET current_step = $2, updated_at = now()
		WHERE code = $1 AND version = 1 AND current_step IS NULL`, code, raw); err != nil {
		return fmt.Errorf("store: set intake step: %w", err)
	}
	return nil
}

// AwaitingIntake is the block reported beside form II.06a: online and
// postal submissions not yet decided at intake.
type AwaitingIntake struct {
	Total   int64 `json:"total"`
	Overdue int64 `json:"overdue"`
}

// AwaitingIntake counts, at `at`, the online and postal submissions not yet
// decided at intake (not counting those waiting for the applicant's
// supplement), and among them those past their intake deadline (escalated
// on the control sheet). From the control sheet's facts: a past instant
// gives what it was then. Department filters have none (intake is the
// receiving agency's).
func (s *Store) AwaitingIntake(ctx context.Context, at time.Time, f ReportFilter) (AwaitingIntake, error) {
	var out AwaitingIntake
	if f.Department != "" || f.Channel == string(dossier.ChannelCounter) {
		return out, nil
	}
	// Submitted before `at` and not decided by then: `at` lies in
	// (submitted_at, intake_closed_at], one probe of migration 00028's
	// index on that interval.
	err := s.pool.QueryRow(ctx, `
		WITH waiting AS (
			SELECT code, agency_code, procedure_code, procedure_version, channel FROM dossiers
			WHERE channel IN ('online', 'postal') AND tstzrange(submitted_at,
				CASE WHEN intake_closed_at < submitted_at THEN submitted_at ELSE intake_closed_at END, '(]') @> $1::timestamptz
		)
		SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM dossier_events ev WHERE ev.dossier_code = d.code
			AND ev.action = 'deadline.step_overdue' AND ev.step = 'intake' AND ev.at < $1))
		FROM waiting d
		LEFT JOIN procedure_versions pv ON $4 <> '' AND pv.code = d.procedure_code AND pv.version = d.procedure_version
		WHERE ($2 = '' OR d.agency_code = $2) AND ($3 = '' OR d.procedure_code = $3)
			AND ($4 = '' OR pv.document->'sector'->>'code' = $4) AND ($5 = '' OR d.channel = $5)
			AND (SELECT ev.to_status FROM dossier_events ev WHERE ev.dossier_code = d.code AND ev.at < $1
				ORDER BY ev.seq DESC LIMIT 1) IS DISTINCT FROM 'supplement_requested'`,
		at, f.Agency, f.Procedure, f.Sector, f.Channel).Scan(&out.Total, &out.Overdue)
	if err != nil {
		return out, fmt.Errorf("store: awaiting intake: %w", err)
	}
	return out, nil
}
