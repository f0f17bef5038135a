package workflows

// Review (thẩm định): the procedure's steps, each department's
// decision, returns for rework, assignments.

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// enterStep makes procedure step i the current one and sets the stage it
// belongs to: review steps, then approval, then payment (when a fee is
// due) and return.
func (r *run) enterStep(i int) {
	steps := r.in.Procedure.Steps
	r.st.StepIndex = i
	r.st.StepOverdue = false
	r.st.StepWarned = false
	step := steps[i]
	switch step.Name {
	case catalog.StepApproval:
		r.st.Stage = dossier.StageApproval
	case catalog.StepReturn:
		if r.collectsOnDelivery() {
			// The postman collects the fee with the delivery.
			r.st.Fee.Status = dossier.FeeOnDelivery
		} else if r.st.Fee.Amount > 0 && r.st.Fee.Status != dossier.FeePaid {
			// Payment comes before the result goes out; the step waits
			// on the applicant, not on a department.
			r.st.Stage = dossier.StagePayment
			r.st.CurrentStep = nil
			return
		}
		r.st.Stage = dossier.StageReturn
	default:
		r.st.Stage = dossier.StageReview
	}
	deps := step.Departments()
	r.st.CurrentStep = &dossier.CurrentStep{
		Name:        step.Name,
		Departments: deps,
		Pending:     slices.Clone(deps),
		DueAt:       r.st.StepDueAt[i],
	}
	if r.legalTime && i < len(r.st.StepWarnAt) && !r.st.StepWarnAt[i].IsZero() {
		warn := r.st.StepWarnAt[i]
		r.st.CurrentStep.WarnAt = &warn
	}
	for k, d := range deps {
		due := r.st.StepDueAt[i]
		if i < len(r.st.StepBranchDueAt) && k < len(r.st.StepBranchDueAt[i]) {
			due = r.st.StepBranchDueAt[i][k]
		}
		r.st.CurrentStep.Branches = append(r.st.CurrentStep.Branches, dossier.Branch{Department: d, DueAt: due})
	}
}

// branch returns the current step's part of a department.
func (r *run) branch(dept string) *dossier.Branch {
	if s := r.st.CurrentStep; s != nil {
		for i := range s.Branches {
			if s.Branches[i].Department == dept {
				return &s.Branches[i]
			}
		}
	}
	return nil
}

// ---- Review ----------------------------------------------------------------

func (r *run) validateReview(ctx workflow.Context, d ReviewDecision) error {
	if err := r.notDeciding(); err != nil {
		return err
	}
	if r.st.Stage != dossier.StageReview || r.st.CurrentStep == nil || r.st.Status == dossier.StatusSupplementRequested {
		return r.conflict("there is no review step waiting for a decision")
	}
	switch d.Decision {
	case "approve", "refuse":
	case "request_supplement":
		dept := d.Department
		if dept == "" {
			dept = r.st.CurrentStep.Departments[0]
		}
		if err := r.validateSupplementRequest(ctx, dept, d.Missing); err != nil {
			return err
		}
	case "return":
		if err := r.validateReturn(d.Note); err != nil {
			return err
		}
	default:
		return invalid("decision must be approve, refuse, return or request_supplement")
	}
	if d.Decision == "refuse" && d.Note == "" {
		return invalid("note is required when refusing: the applicant must be told the reasons")
	}
	if d.AssessedFee != nil {
		if r.in.Procedure.Fee.Kind != catalog.FeeAssessed {
			return invalid("assessed_fee is only for procedures whose fee is assessed during review; %s has a %s fee", r.in.Procedure.Code, r.in.Procedure.Fee.Kind)
		}
		if *d.AssessedFee < 0 {
			return invalid("assessed_fee must not be negative")
		}
	}
	step := r.st.CurrentStep
	if d.Department == "" {
		if len(step.Departments) > 1 {
			return invalid("department is required: step %s is reviewed in parallel by %v", step.Name, step.Departments)
		}
		return nil
	}
	if !slices.Contains(step.Departments, d.Department) {
		return r.conflict("department %s does not review step %s (its departments: %v)", d.Department, step.Name, step.Departments)
	}
	if !slices.Contains(step.Pending, d.Department) {
		return r.conflict("department %s has already decided step %s", d.Department, step.Name)
	}
	return nil
}

func (r *run) onReview(ctx workflow.Context, d ReviewDecision) (State, error) {
	m := r.mark(ctx)
	step := r.st.CurrentStep
	dept := d.Department
	if dept == "" {
		dept = step.Departments[0]
	}
	ev := dossier.Event{Actor: d.Actor, Note: d.Note, Step: step.Name, Department: dept,
		OnTime: dossier.Timeliness(m.at, step.DueAt)}
	if d.AssessedFee != nil {
		r.st.Fee.Amount = *d.AssessedFee
	}
	if d.Decision == "request_supplement" {
		ev.Action, ev.OnTime = dossier.ActionReviewSupplement, ""
		return r.requestSupplement(ctx, m, ev, d.Missing)
	}
	if d.Decision == "return" {
		ev.Action = dossier.ActionReviewReturn
		return r.returnForRework(ctx, m, ev, d.Note)
	}
	if d.Decision == "refuse" {
		ev.Action = dossier.ActionReviewRefuse
		r.st.FinishedAt = &m.at
		return r.decline(ctx, m, ev, d.Note)
	}
	ev.Action = dossier.ActionReviewApprove
	r.st.Status = dossier.StatusProcessing
	step.Pending = slices.DeleteFunc(step.Pending, func(p string) bool { return p == dept })
	if b := r.branch(dept); b != nil {
		b.Decided = true
		if len(step.Departments) > 1 {
			ev.OnTime = dossier.Timeliness(m.at, b.DueAt) // its own share of the time
		}
	}
	if len(step.Pending) == 0 {
		if r.in.Procedure.FeeTiming == catalog.FeeFinancialObligation && r.st.Fee.Amount > 0 &&
			r.st.Fee.Status == dossier.FeeNone && r.feeTimingOn(ctx) {
			// The obligation is asked for now, before approval; the main
			// loop requests the payment and the clock pauses until paid.
			r.st.ObligationNext = r.st.StepIndex + 1
			r.st.Stage, r.st.CurrentStep = dossier.StagePayment, nil
		} else {
			r.enterStep(r.st.StepIndex + 1)
		}
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// ---- Lifecycle: rework, withdrawal, stop, counter payment -------------------

// validateReturn checks a return for rework: available for this dossier,
// explained, and with a review step before the current one to go back to.
func (r *run) validateReturn(note string) error {
	if !r.lifecycle {
		return invalid("return is not available for dossiers started before it existed")
	}
	if note == "" {
		return invalid("note is required when returning: say what to rework")
	}
	if !r.isReviewStep(r.st.StepIndex - 1) {
		return r.conflict("step %s has no review step before it to return to", r.st.CurrentStep.Name)
	}
	return nil
}

// returnForRework sends the dossier back to the previous (review) step and
// tells that step's departments why.
func (r *run) returnForRework(ctx workflow.Context, m mark, ev dossier.Event, note string) (State, error) {
	ev.OnTime = ""
	r.st.Status = dossier.StatusProcessing
	r.enterStep(r.st.StepIndex - 1)
	err := r.commitWith(ctx, m, ev, r.toAgencies(r.st.CurrentStep.Departments, dossier.ToDepartment, "returned_for_rework",
		"Hồ sơ "+r.in.Code+" được trả lại bước "+r.st.CurrentStep.Name+": "+note))
	return r.snapshot(), err
}

// isReviewStep reports whether procedure step i is a department review step.
func (r *run) isReviewStep(i int) bool {
	if i <= 0 || i >= len(r.in.Procedure.Steps) {
		return false
	}
	switch r.in.Procedure.Steps[i].Name {
	case catalog.StepIntake, catalog.StepApproval, catalog.StepReturn:
		return false
	}
	return true
}

func (r *run) validateAssignment(a Assignment) error {
	if err := r.available(r.lifecycle, "assignment"); err != nil {
		return err
	}
	s := r.st.CurrentStep
	if s == nil || (r.st.Stage != dossier.StageReview && r.st.Stage != dossier.StageApproval) {
		return r.conflict("no department step is open")
	}
	if strings.TrimSpace(a.Assignee) == "" {
		return invalid("assignee is required")
	}
	dept := a.Department
	if dept == "" {
		if len(s.Departments) > 1 {
			return invalid("department is required: step %s is worked on in parallel by %v", s.Name, s.Departments)
		}
		dept = s.Departments[0]
	}
	b := r.branch(dept)
	if b == nil {
		return r.conflict("department %s does not work on step %s", dept, s.Name)
	}
	if b.Decided {
		return r.conflict("department %s has already decided step %s", dept, s.Name)
	}
	return nil
}

func (r *run) onAssignment(ctx workflow.Context, a Assignment) (State, error) {
	m := r.mark(ctx)
	dept := a.Department
	if dept == "" {
		dept = r.st.CurrentStep.Departments[0]
	}
	b := r.branch(dept)
	from := b.Assignee
	b.Assignee = a.Assignee
	note := "assigned to " + a.Assignee
	if from != "" {
		note = "reassigned from " + from + " to " + a.Assignee
	}
	err := r.commit(ctx, m, dossier.Event{Action: dossier.ActionStepAssigned, Actor: a.Actor,
		Step: r.st.CurrentStep.Name, Department: dept, Note: note})
	return r.snapshot(), err
}
