package workflows

// Supplements (bổ sung): the one written request, the paused legal clock,
// the applicant's supplement, the deadline without one.

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/dossier"
)

// ---- Paused clock: supplements ---------------------------------------------

// validateSupplementRequest checks a request for missing documents from
// agency: listed, and within the rules (one written request per agency;
// after receipt, only within the legal time from receipt).
func (r *run) validateSupplementRequest(ctx workflow.Context, agency string, missing []string) error {
	if !r.legalTime {
		return invalid("request_supplement is not available for dossiers started before it existed")
	}
	if limit := r.in.Rules.MaxSupplementRequests; limit > 0 {
		var sent []SupplementRequest
		for _, q := range r.st.SupplementRequests {
			if q.Agency == agency {
				sent = append(sent, q)
			}
		}
		if len(sent) >= limit {
			return r.conflict("%s already sent a written supplement request on %s; the rules allow %d per dossier per agency (%s): complete the dossier or refuse it",
				agency, formatLocal(sent[len(sent)-1].At), limit, r.in.Rules.Cite())
		}
	}
	if by := r.st.SupplementRequestBy; !by.IsZero() && r.now(ctx).After(by) {
		return r.conflict("a supplement may be requested only within %s of receipt, by %s (%s): complete the dossier or refuse it",
			r.in.Rules.SupplementRequestWithin, formatLocal(by), r.in.Rules.Cite())
	}
	if len(missing) == 0 {
		return invalid("missing is required: list what the applicant must supplement")
	}
	for _, item := range missing {
		if strings.TrimSpace(item) == "" {
			return invalid("missing must not contain empty items")
		}
	}
	return nil
}

// requestSupplement asks the applicant for missing documents (form 02): the
// legal clock stops (if it was running) and a supplement deadline starts.
func (r *run) requestSupplement(ctx workflow.Context, m mark, ev dossier.Event, missing []string) (State, error) {
	r.deciding = true
	defer func() { r.deciding = false }()
	var due time.Time
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, activities.NameDueAfter,
		activities.DueAfterInput{From: m.at, Duration: r.in.Rules.SupplementDeadline, Agency: r.in.Procedure.IntakeAgency}).Get(lctx, &due)
	if err != nil {
		return State{}, err
	}
	r.st.Supplement = &dossier.Supplement{RequestedAt: m.at, DueAt: due, Missing: slices.Clone(missing)}
	r.st.SupplementRequests = append(r.st.SupplementRequests, SupplementRequest{Agency: ev.Department, At: m.at})
	r.st.ResumeStatus = r.st.Status
	r.st.Status = dossier.StatusSupplementRequested
	if r.st.ReceivedAt != nil && r.st.PausedAt == nil {
		r.st.PausedAt = &m.at
	}
	list := strings.Join(missing, "; ")
	if ev.Note != "" {
		ev.Note += " — "
	}
	ev.Note += "missing: " + list
	err = r.commitWith(ctx, m, ev, notify(notice("supplement_requested", map[string]string{"missing": list, "due": formatLocal(due)})))
	return r.snapshot(), err
}

func (r *run) validateSupplement(in SupplementIn) error {
	if err := r.notDeciding(); err != nil {
		return err
	}
	if r.st.Status != dossier.StatusSupplementRequested || r.st.Supplement == nil {
		return r.conflict("no supplement is outstanding")
	}
	if len(in.Documents) == 0 {
		return invalid("documents is required: the supplemented documents")
	}
	return nil
}

// onSupplement resumes the dossier where it was: the appointment and the
// due times move later by the working time the clock was stopped.
func (r *run) onSupplement(ctx workflow.Context, in SupplementIn) (State, error) {
	m := r.mark(ctx)
	r.deciding = true
	defer func() { r.deciding = false }()
	r.st.Status, r.st.ResumeStatus = r.st.ResumeStatus, ""
	r.st.Supplement = nil
	ev := dossier.Event{Action: dossier.ActionSupplementIn, Actor: in.Actor, Note: in.Note}
	if r.st.PausedAt != nil {
		if err := r.resumeClock(ctx, m.at); err != nil {
			return State{}, err
		}
		if r.st.AppointmentAt != nil {
			if ev.Note != "" {
				ev.Note += " — "
			}
			ev.Note += "new appointment " + formatLocal(*r.st.AppointmentAt)
		}
	}
	extra := dossier.Transition{Documents: in.Documents}
	if r.st.AppointmentAt != nil {
		extra.Notifications = []dossier.Notification{notice("supplement_received",
			map[string]string{"appointment": formatLocal(*r.st.AppointmentAt)})}
	}
	err := r.commitWith(ctx, m, ev, extra)
	return r.snapshot(), err
}

// resumeClock restarts the stopped legal clock at `at`: every pending
// instant moves later by the working time it was stopped. The appointment
// moves only while the result is not ready: after that it is history.
func (r *run) resumeClock(ctx workflow.Context, at time.Time) error {
	n := len(r.st.StepDueAt)
	instants := make([]time.Time, 0, 2*n+3)
	instants = append(instants, r.st.StepDueAt...)
	instants = append(instants, r.st.StepWarnAt...)
	var appt, cur time.Time
	if r.st.AppointmentAt != nil && r.st.FinishedAt == nil {
		appt = *r.st.AppointmentAt
	}
	if r.st.CurrentStep != nil {
		cur = r.st.CurrentStep.DueAt
	}
	instants = append(instants, appt, r.st.ApologyBy, cur)
	// Then every department's due time: of all steps, and of the current one.
	for _, ds := range r.st.StepBranchDueAt {
		instants = append(instants, ds...)
	}
	if r.st.CurrentStep != nil {
		for _, b := range r.st.CurrentStep.Branches {
			instants = append(instants, b.DueAt)
		}
	}
	// The paused time is not counted against the agency: the original
	// appointment, which the verdict judges against, moves too (last).
	shiftOriginal := r.reportRule && !appt.IsZero() && r.st.OriginalAppointmentAt != nil
	if shiftOriginal {
		instants = append(instants, *r.st.OriginalAppointmentAt)
	}
	var res activities.ShiftResult
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, activities.NameShiftInstants,
		activities.ShiftInput{PausedAt: *r.st.PausedAt, ResumedAt: at, Instants: instants,
			Agency: r.in.Procedure.IntakeAgency}).Get(lctx, &res)
	if err != nil {
		return err
	}
	sh := res.Shifted
	if shiftOriginal {
		orig := sh[len(sh)-1]
		r.st.OriginalAppointmentAt = &orig
		sh = sh[:len(sh)-1]
	}
	r.st.StepDueAt = sh[:n]
	if len(r.st.StepWarnAt) == n {
		r.st.StepWarnAt = sh[n : 2*n]
	}
	k := len(r.st.StepDueAt) + len(r.st.StepWarnAt)
	rest := sh[k+3:]
	for i := range r.st.StepBranchDueAt {
		m := len(r.st.StepBranchDueAt[i])
		r.st.StepBranchDueAt[i], rest = rest[:m:m], rest[m:]
	}
	if r.st.CurrentStep != nil {
		for i := range r.st.CurrentStep.Branches {
			r.st.CurrentStep.Branches[i].DueAt, rest = rest[0], rest[1:]
		}
	}
	if !appt.IsZero() {
		a := sh[k]
		r.st.AppointmentAt = &a
	}
	r.st.ApologyBy = sh[k+1]
	if s := r.st.CurrentStep; s != nil {
		s.DueAt = sh[k+2]
		if s.WarnAt != nil && r.st.StepIndex < len(r.st.StepWarnAt) {
			w := r.st.StepWarnAt[r.st.StepIndex]
			s.WarnAt = &w
		}
	}
	r.st.PausedAt = nil
	return nil
}

// expireSupplement refuses a dossier whose supplement did not come in time:
// before receipt it is not received; after, it is declined.
func (r *run) expireSupplement(ctx workflow.Context) {
	m := r.mark(ctx)
	sp := r.st.Supplement
	if r.st.ReceivedAt != nil {
		r.st.FinishedAt = &m.at
		_, _ = r.decline(ctx, m, dossier.Event{Action: dossier.ActionSupplementExpired,
			Note: "no supplement by " + formatLocal(sp.DueAt) + "; missing: " + strings.Join(sp.Missing, "; ")},
			"không bổ sung trước "+formatLocal(sp.DueAt)+"; còn thiếu: "+strings.Join(sp.Missing, "; "))
		return
	}
	r.st.Supplement, r.st.PausedAt, r.st.ResumeStatus = nil, nil, ""
	r.st.Status, r.st.Stage = dossier.StatusRefused, dossier.StageDone
	r.st.FinishedAt = &m.at
	r.st.CurrentStep = nil
	_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionSupplementExpired,
		Note: "no supplement by " + formatLocal(sp.DueAt) + "; missing: " + strings.Join(sp.Missing, "; ")},
		notify(notice("refused", map[string]string{"due": formatLocal(sp.DueAt), "reason": ""})))
}
