package workflows

// Intake (tiếp nhận): the intake deadline of an online or postal
// submission, and the intake officer's decision.

import (
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// startIntakeClock gives an online or postal submission its intake
// deadline (Rules.IntakeDeadline): the intake step, warned and escalated
// like any step, shown in the intake officers' inbox by the activity. A
// counter submission is decided in front of the applicant: none.
func (r *run) startIntakeClock(ctx workflow.Context) {
	d := r.in.Rules.IntakeDeadline
	if d.N <= 0 || !r.legalTime || r.in.Channel == dossier.ChannelCounter {
		return
	}
	if r.perf && r.in.IntakeStep != nil {
		// Computed by the API and already in the read model.
		s := *r.in.IntakeStep
		r.st.CurrentStep = &s
		return
	}
	var res activities.IntakeClockResult
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, activities.NameStartIntakeClock, activities.IntakeClockInput{
		Code: r.in.Code, From: r.in.SubmittedAt, Duration: d, WarningFraction: r.in.Rules.WarningFraction,
		Agency: r.in.Procedure.IntakeAgency}).Get(lctx, &res)
	if err != nil {
		// The dossier still runs, without an intake deadline.
		r.logger.Error("could not start the intake clock", "error", err)
		return
	}
	// Only while nothing happened meanwhile (a decision may have come in
	// while the clock was computed).
	if r.st.Version == 1 && r.st.Status == dossier.StatusSubmitted && r.st.CurrentStep == nil {
		r.st.CurrentStep = activities.IntakeStep(r.in.Procedure.IntakeAgency, res)
	}
}

// ---- Intake ----------------------------------------------------------------

func (r *run) validateIntake(ctx workflow.Context, d IntakeDecision) error {
	if err := r.notDeciding(); err != nil {
		return err
	}
	if r.st.Stage != dossier.StageIntake || r.st.Status != dossier.StatusSubmitted {
		return r.conflict("an intake decision was already made")
	}
	switch d.Decision {
	case "accept":
		if r.collectsAtFiling() && r.st.Fee.Status != dossier.FeePaid {
			return r.conflict("procedure %s collects its fee of %d VND at filing (fee_timing at_filing, the catalog): it must be paid before the dossier is received",
				r.in.Procedure.Code, r.st.Fee.Amount)
		}
	case "request_supplement":
		if err := r.validateSupplementRequest(ctx, r.in.Procedure.Steps[0].Department, d.Missing); err != nil {
			return err
		}
	case "refuse":
		if d.Note == "" {
			return invalid("note is required when refusing: the applicant must be told the reasons")
		}
	default:
		return invalid("decision must be accept or refuse")
	}
	return nil
}

func (r *run) onIntake(ctx workflow.Context, d IntakeDecision) (State, error) {
	m := r.mark(ctx)
	intake := r.in.Procedure.Steps[0]
	ev := dossier.Event{Actor: d.Actor, Note: d.Note, Step: intake.Name, Department: intake.Department}
	switch d.Decision {
	case "refuse":
		ev.Action = dossier.ActionIntakeRefuse
		r.st.Status, r.st.Stage = dossier.StatusRefused, dossier.StageDone
		r.st.FinishedAt = &m.at
		if r.reportRule {
			r.st.CurrentStep = nil // the intake step is over
		}
		err := r.commitWith(ctx, m, ev, notify(notice("refused", map[string]string{"reason": d.Note, "due": ""})))
		return r.snapshot(), err
	case "request_supplement":
		ev.Action = dossier.ActionIntakeSupplement
		if r.reportRule {
			// The applicant acts now: no intake deadline meanwhile.
			r.st.CurrentStep, r.st.StepOverdue, r.st.StepWarned = nil, false, false
		}
		return r.requestSupplement(ctx, m, ev, d.Missing)
	}

	// The legal clock starts at receipt. The schedule is computed once, by a
	// local activity, and kept: a replay reads it from history.
	r.deciding = true
	defer func() { r.deciding = false }()
	var sched activities.ScheduleResult
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	in := activities.ScheduleInput{ReceivedAt: m.at, Procedure: r.in.Procedure, Channel: r.in.Channel}
	if r.legalTime {
		in.WarningFraction, in.ApologyLeadTime = r.in.Rules.WarningFraction, r.in.Rules.ApologyLeadTime
		in.SupplementRequestWithin = r.in.Rules.SupplementRequestWithin
	}
	err := workflow.ExecuteLocalActivity(lctx, activities.NameComputeSchedule, in).Get(lctx, &sched)
	if err != nil {
		return State{}, err
	}
	r.st.ReceivedAt = &m.at
	r.st.AppointmentAt = &sched.AppointmentAt
	original := sched.AppointmentAt
	r.st.OriginalAppointmentAt = &original
	r.st.StepDueAt = sched.StepDueAt
	r.st.StepWarnAt = sched.StepWarnAt
	r.st.ApologyBy = sched.ApologyBy
	r.st.StepBranchDueAt = sched.BranchDueAt
	r.overdueAtInstant = sched.OverdueAtInstant
	r.st.SupplementRequestBy = sched.SupplementRequestBy
	r.st.Status = dossier.StatusReceived
	ev.Action = dossier.ActionIntakeAccept
	ev.OnTime = dossier.Timeliness(m.at, sched.StepDueAt[0])
	if s := r.st.CurrentStep; r.reportRule && s != nil && s.Name == catalog.StepIntake {
		ev.OnTime = dossier.Timeliness(m.at, s.DueAt) // against the intake deadline
	}
	r.enterStep(1)
	err = r.commitWith(ctx, m, ev, notify(notice("received", map[string]string{"appointment": formatLocal(sched.AppointmentAt)})))
	return r.snapshot(), err
}
