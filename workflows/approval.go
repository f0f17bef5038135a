package workflows

// Approval (phê duyệt): the leader's decision and the verdict against
// the appointment.

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// ---- Approval --------------------------------------------------------------

func (r *run) validateApproval(d ApprovalDecision) error {
	if err := r.notDeciding(); err != nil {
		return err
	}
	if r.st.Stage != dossier.StageApproval {
		return r.conflict("the dossier is not waiting for a leader's approval")
	}
	switch d.Decision {
	case "approve":
	case "reject":
		if d.Note == "" {
			return invalid("note is required when rejecting: the applicant must be told the reasons")
		}
	case "return":
		if err := r.validateReturn(d.Note); err != nil {
			return err
		}
	default:
		return invalid("decision must be approve, reject or return")
	}
	return nil
}

func (r *run) onApproval(ctx workflow.Context, d ApprovalDecision) (State, error) {
	m := r.mark(ctx)
	step := r.st.CurrentStep
	ev := dossier.Event{Actor: d.Actor, Note: d.Note, Step: step.Name, Department: step.Departments[0],
		OnTime: dossier.Timeliness(m.at, step.DueAt)}
	if d.Decision == "return" {
		ev.Action = dossier.ActionApprovalReturn
		return r.returnForRework(ctx, m, ev, d.Note)
	}
	r.st.FinishedAt = &m.at
	if d.Decision == "reject" {
		ev.Action = dossier.ActionApprovalReject
		return r.decline(ctx, m, ev, d.Note)
	}
	ev.Action = dossier.ActionApprovalApprove
	r.st.Status = dossier.StatusResultReady
	if d.ResultDocument != nil {
		r.st.ResultDocument = &dossier.ResultDocument{Name: d.ResultDocument.Name, SHA256: d.ResultDocument.SHA256, IssuedAt: m.at}
	}
	r.st.ApologyRequired = false
	r.st.Verdict = r.verdict(m.at)
	if r.st.Fee.OnDelivery {
		r.codOn(ctx) // asked only by dossiers whose applicant chose it
	}
	r.enterStep(r.st.StepIndex + 1)
	err := r.commitWith(ctx, m, ev, r.resultReadyNotice())
	return r.snapshot(), err
}

// approvalDepartment is the department whose leader signs the result.
func (r *run) approvalDepartment() string {
	if s, ok := r.in.Procedure.Step(catalog.StepApproval); ok {
		return s.Department
	}
	return r.in.Procedure.IntakeAgency
}

// verdict is early, on time or late for a result ready at done, against
// the original appointment or the latest one, as the rules say.
func (r *run) verdict(done time.Time) string {
	against := r.due()
	if against == nil {
		return ""
	}
	return dossier.Timeliness(done, *against)
}
