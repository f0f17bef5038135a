package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// Actors recorded on the control sheet for what no person did.
const (
	actorSystem  = "system"
	actorGateway = "payment-gateway"
	actorPostal  = "postal-service"
)

// Dossier is the workflow of one dossier, from submission to its end. Its ID
// is the dossier code.
func Dossier(ctx workflow.Context, in DossierInput) (DossierResult, error) {
	r := &run{
		in:     in,
		logger: workflow.GetLogger(ctx),
		st: State{
			Code: in.Code,
			Progress: dossier.Progress{
				// Event 1 ("submitted") was written with the read-model row
				// by the API before the workflow started.
				Version: 1,
				Status:  dossier.StatusSubmitted,
				Stage:   dossier.StageIntake,
				Fee:     dossier.Fee{Amount: in.FeeAmount, Status: dossier.FeeNone},
			},
		},
		sa: searchState{status: dossier.StatusSubmitted, stage: dossier.StageIntake},
	}
	if err := r.register(ctx); err != nil {
		return DossierResult{}, err
	}
	return r.run(ctx)
}

// run holds one dossier workflow's state and bookkeeping.
type run struct {
	in     DossierInput
	st     State
	logger log.Logger
	sa     searchState

	// intakeBusy is set while an accepted intake decision computes the
	// schedule, so a second intake decision is rejected meanwhile.
	intakeBusy bool

	// The deadline timer: one timer, on the earliest pending deadline.
	armedAt       time.Time
	cancelTimer   workflow.CancelFunc
	deadlineFired bool

	// Third-party calls in flight, run beside the main loop so deadlines
	// still fire during a long outage.
	paymentBusy  bool
	shipmentBusy bool
}

// searchState is what was last upserted, so only changes are sent.
type searchState struct {
	status        dossier.Status
	stage         dossier.Stage
	appointmentAt time.Time
	overdue       bool
}

func (r *run) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return r.snapshot(), nil }); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateIntake, r.onIntake, r.validateIntake},
		{UpdateReview, r.onReview, r.validateReview},
		{UpdateApproval, r.onApproval, r.validateApproval},
		{UpdatePayment, r.onPayment, r.validatePayment},
		{UpdatePostal, r.onPostal, r.validatePostal},
		{UpdateHandover, r.onHandover, r.validateHandover},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

// run is the main loop: it sleeps until a decision leaves work for it (a
// third-party call) or a deadline passes, and ends when the dossier does.
func (r *run) run(ctx workflow.Context) (DossierResult, error) {
	for {
		r.armDeadline(ctx)
		if err := workflow.Await(ctx, func() bool {
			// Wake when a handler moved the earliest deadline too, so the
			// timer follows it.
			return r.deadlineFired || r.ended() || r.pendingCall() != nil || !r.nextDeadline().Equal(r.armedAt)
		}); err != nil {
			return DossierResult{}, err
		}
		if r.ended() {
			break
		}
		if r.deadlineFired {
			r.deadlineFired = false
			r.handleDeadlines(ctx)
			continue
		}
		if call := r.pendingCall(); call != nil {
			call(ctx)
		}
		// Otherwise the earliest deadline moved: re-arm at the loop's top.
	}
	if r.cancelTimer != nil {
		r.cancelTimer()
	}
	// Let an update that ended the dossier finish writing before the run closes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DossierResult{}, err
	}
	return DossierResult{Status: r.st.Status, FinishedAt: r.st.FinishedAt, ReturnedAt: r.st.ReturnedAt}, nil
}

// ended reports whether the dossier reached its end and nothing is in flight.
func (r *run) ended() bool {
	return r.st.Status.Final() && !r.paymentBusy && !r.shipmentBusy
}

// pendingCall returns the work the current stage needs from the main loop,
// or nil when the dossier waits for a person or a callback.
func (r *run) pendingCall() func(workflow.Context) {
	if r.st.Status.Final() {
		return nil
	}
	switch {
	case r.st.Stage == dossier.StagePayment && r.st.Fee.Status == dossier.FeeNone && !r.paymentBusy:
		return r.requestPayment
	case r.st.Stage == dossier.StageReturn && r.in.ReturnMethod == dossier.ReturnPostal && r.st.Shipment == nil && !r.shipmentBusy:
		return r.requestShipment
	case r.st.Stage == dossier.StageReturn && r.in.ReturnMethod == dossier.ReturnElectronic && r.st.Status == dossier.StatusResultReady:
		return r.issueElectronically
	}
	return nil
}

// snapshot returns a deep copy of the state.
func (r *run) snapshot() State {
	s := r.st
	s.Progress = r.st.Progress.Clone()
	s.StepDueAt = slices.Clone(r.st.StepDueAt)
	s.Transactions = slices.Clone(r.st.Transactions)
	return s
}

// mark captures the stage and status before a transition.
type mark struct {
	at     time.Time
	stage  dossier.Stage
	status dossier.Status
}

func (r *run) mark(ctx workflow.Context) mark {
	return mark{at: workflow.Now(ctx), stage: r.st.Stage, status: r.st.Status}
}

var localOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	// A transition must reach PostgreSQL; while it is down, keep trying
	// (the workflow task heartbeats meanwhile) rather than lose it.
	ScheduleToCloseTimeout: 7 * 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Second,
	},
}

// commit records a transition: the next control-sheet event and the
// progress after it, written by a local activity before commit returns, so
// an API call answered after it reads its own write. Search attributes are
// upserted in the same workflow task.
func (r *run) commit(ctx workflow.Context, m mark, ev dossier.Event) error {
	r.st.Version++
	ev.Seq = r.st.Version
	ev.At = m.at
	ev.FromStage, ev.ToStage = m.stage, r.st.Stage
	ev.FromStatus, ev.ToStatus = m.status, r.st.Status
	if ev.Actor == "" {
		ev.Actor = actorSystem
	}
	if err := r.upsertSearchAttributes(ctx); err != nil {
		return err
	}
	t := dossier.Transition{Code: r.in.Code, Event: ev, Progress: r.st.Progress.Clone()}
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if err := workflow.ExecuteLocalActivity(lctx, activities.NameRecordTransition, t).Get(lctx, nil); err != nil {
		r.logger.Error("could not record a transition", "seq", ev.Seq, "action", ev.Action, "error", err)
		return err
	}
	return nil
}

func (r *run) upsertSearchAttributes(ctx workflow.Context) error {
	var ups []temporal.SearchAttributeUpdate
	if r.st.Status != r.sa.status {
		ups = append(ups, SearchStatus.ValueSet(string(r.st.Status)))
		r.sa.status = r.st.Status
	}
	if r.st.Stage != r.sa.stage {
		ups = append(ups, SearchStage.ValueSet(string(r.st.Stage)))
		r.sa.stage = r.st.Stage
	}
	if a := r.st.AppointmentAt; a != nil && !a.Equal(r.sa.appointmentAt) {
		ups = append(ups, SearchAppointmentAt.ValueSet(*a))
		r.sa.appointmentAt = *a
	}
	if r.st.Overdue != r.sa.overdue {
		ups = append(ups, SearchOverdue.ValueSet(r.st.Overdue))
		r.sa.overdue = r.st.Overdue
	}
	if len(ups) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, ups...)
}

// conflict rejects an update that does not fit the dossier's stage.
func (r *run) conflict(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewApplicationError(
		fmt.Sprintf("%s (the dossier is %s, at stage %s)", msg, r.st.Status, r.st.Stage), ErrStageConflict)
}

func invalid(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrInvalidDecision)
}

// ---- Intake ----------------------------------------------------------------

func (r *run) validateIntake(d IntakeDecision) error {
	if r.st.Stage != dossier.StageIntake || r.st.Status != dossier.StatusSubmitted || r.intakeBusy {
		return r.conflict("an intake decision was already made")
	}
	switch d.Decision {
	case "accept":
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
	if d.Decision == "refuse" {
		ev.Action = dossier.ActionIntakeRefuse
		r.st.Status, r.st.Stage = dossier.StatusRefused, dossier.StageDone
		r.st.FinishedAt = &m.at
		err := r.commit(ctx, m, ev)
		return r.snapshot(), err
	}

	// The legal clock starts at receipt. The schedule is computed once, by a
	// local activity, and kept: a replay reads it from history.
	r.intakeBusy = true
	defer func() { r.intakeBusy = false }()
	var sched activities.ScheduleResult
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, activities.NameComputeSchedule, activities.ScheduleInput{
		ReceivedAt: m.at, Procedure: r.in.Procedure, Channel: r.in.Channel,
	}).Get(lctx, &sched)
	if err != nil {
		return State{}, err
	}
	r.st.ReceivedAt = &m.at
	r.st.AppointmentAt = &sched.AppointmentAt
	r.st.StepDueAt = sched.StepDueAt
	r.st.Status = dossier.StatusReceived
	ev.Action = dossier.ActionIntakeAccept
	ev.OnTime = dossier.Timeliness(m.at, sched.StepDueAt[0])
	r.enterStep(1)
	err = r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// enterStep makes procedure step i the current one and sets the stage it
// belongs to: review steps, then approval, then payment (when a fee is
// due) and return.
func (r *run) enterStep(i int) {
	steps := r.in.Procedure.Steps
	r.st.StepIndex = i
	r.st.StepOverdue = false
	step := steps[i]
	switch step.Name {
	case catalog.StepApproval:
		r.st.Stage = dossier.StageApproval
	case catalog.StepReturn:
		if r.st.Fee.Amount > 0 && r.st.Fee.Status != dossier.FeePaid {
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
}

// ---- Review ----------------------------------------------------------------

func (r *run) validateReview(d ReviewDecision) error {
	if r.st.Stage != dossier.StageReview || r.st.CurrentStep == nil {
		return r.conflict("there is no review step waiting for a decision")
	}
	if d.Decision != "approve" && d.Decision != "refuse" {
		return invalid("decision must be approve or refuse")
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
	if d.Decision == "refuse" {
		ev.Action = dossier.ActionReviewRefuse
		r.st.Status, r.st.Stage = dossier.StatusRefused, dossier.StageDone
		r.st.CurrentStep = nil
		r.st.FinishedAt = &m.at
		err := r.commit(ctx, m, ev)
		return r.snapshot(), err
	}
	ev.Action = dossier.ActionReviewApprove
	r.st.Status = dossier.StatusProcessing
	step.Pending = slices.DeleteFunc(step.Pending, func(p string) bool { return p == dept })
	if len(step.Pending) == 0 {
		r.enterStep(r.st.StepIndex + 1)
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// ---- Approval --------------------------------------------------------------

func (r *run) validateApproval(d ApprovalDecision) error {
	if r.st.Stage != dossier.StageApproval {
		return r.conflict("the dossier is not waiting for a leader's approval")
	}
	switch d.Decision {
	case "approve":
	case "reject":
		if d.Note == "" {
			return invalid("note is required when rejecting: the applicant must be told the reasons")
		}
	default:
		return invalid("decision must be approve or reject")
	}
	return nil
}

func (r *run) onApproval(ctx workflow.Context, d ApprovalDecision) (State, error) {
	m := r.mark(ctx)
	step := r.st.CurrentStep
	ev := dossier.Event{Actor: d.Actor, Note: d.Note, Step: step.Name, Department: step.Departments[0],
		OnTime: dossier.Timeliness(m.at, step.DueAt)}
	r.st.FinishedAt = &m.at
	if d.Decision == "reject" {
		ev.Action = dossier.ActionApprovalReject
		r.st.Status, r.st.Stage = dossier.StatusRefused, dossier.StageDone
		r.st.CurrentStep = nil
		err := r.commit(ctx, m, ev)
		return r.snapshot(), err
	}
	ev.Action = dossier.ActionApprovalApprove
	r.st.Status = dossier.StatusResultReady
	r.enterStep(r.st.StepIndex + 1)
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// ---- Payment ---------------------------------------------------------------

// thirdPartyOptions: calls to the gateway and the postal service retry with
// backoff for as long as it takes (an outage can last weeks); retries of one
// activity add no history events.
var thirdPartyOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
	},
}

// retryAfterPermanentFailure is how long the workflow waits before asking
// again after a third party refused a request outright (a bug or a
// misconfiguration that ops must fix; the error is in the history).
const retryAfterPermanentFailure = time.Hour

func (r *run) requestPayment(ctx workflow.Context) {
	r.paymentBusy = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.paymentBusy = false }()
		var res activities.PaymentResult
		actx := workflow.WithActivityOptions(ctx, thirdPartyOptions)
		err := workflow.ExecuteActivity(actx, activities.NameRequestPayment, activities.PaymentInput{
			Code: r.in.Code, Amount: r.st.Fee.Amount,
			Description: fmt.Sprintf("%s %s", r.in.Procedure.Code, r.in.Code),
		}).Get(actx, &res)
		if err != nil {
			r.logger.Error("payment request failed", "error", err)
			_ = workflow.Sleep(ctx, retryAfterPermanentFailure)
			return
		}
		if r.st.Status.Final() || r.st.Fee.Status != dossier.FeeNone {
			return
		}
		m := r.mark(ctx)
		r.st.Fee.Status = dossier.FeeAwaitingPayment
		r.st.Fee.PaymentRef, r.st.Fee.PayURL = res.PaymentRef, res.PayURL
		r.st.Status = dossier.StatusAwaitingPayment
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionPaymentRequested,
			Note: fmt.Sprintf("%d VND, payment_ref %s", r.st.Fee.Amount, res.PaymentRef)})
	})
}

func (r *run) validatePayment(n PaymentNotice) error {
	if slices.Contains(r.st.Transactions, n.TransactionID) {
		return temporal.NewApplicationError("transaction "+n.TransactionID+" was already handled", ErrDuplicate)
	}
	if r.st.Stage != dossier.StagePayment || r.st.Fee.Status != dossier.FeeAwaitingPayment {
		return r.conflict("the dossier is not awaiting payment")
	}
	if n.PaymentRef != r.st.Fee.PaymentRef {
		return invalid("payment_ref %s is not this dossier's payment request", n.PaymentRef)
	}
	if n.Status != "succeeded" && n.Status != "failed" {
		return invalid("status must be succeeded or failed")
	}
	if n.Status == "succeeded" && n.Amount != r.st.Fee.Amount {
		return temporal.NewApplicationError(
			fmt.Sprintf("paid amount %d VND does not match the fee of %d VND", n.Amount, r.st.Fee.Amount), ErrAmountMismatch)
	}
	return nil
}

func (r *run) onPayment(ctx workflow.Context, n PaymentNotice) (State, error) {
	m := r.mark(ctx)
	r.st.Transactions = append(r.st.Transactions, n.TransactionID)
	ev := dossier.Event{Actor: actorGateway, Note: "transaction " + n.TransactionID}
	if n.Status == "failed" {
		// The dossier keeps waiting; the reason is on the control sheet.
		ev.Action = dossier.ActionPaymentFailed
		if n.Reason != "" {
			ev.Note += ": " + n.Reason
		}
		err := r.commit(ctx, m, ev)
		return r.snapshot(), err
	}
	ev.Action = dossier.ActionPaymentSucceeded
	r.st.Fee.Status = dossier.FeePaid
	r.st.Status = dossier.StatusResultReady
	r.enterStep(len(r.in.Procedure.Steps) - 1)
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// ---- Return ----------------------------------------------------------------

func (r *run) requestShipment(ctx workflow.Context) {
	r.shipmentBusy = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.shipmentBusy = false }()
		var res activities.ShipmentResult
		actx := workflow.WithActivityOptions(ctx, thirdPartyOptions)
		err := workflow.ExecuteActivity(actx, activities.NameRequestShipment, activities.ShipmentInput{Code: r.in.Code}).Get(actx, &res)
		if err != nil {
			r.logger.Error("shipment request failed", "error", err)
			_ = workflow.Sleep(ctx, retryAfterPermanentFailure)
			return
		}
		if r.st.Status.Final() || r.st.Shipment != nil {
			return
		}
		m := r.mark(ctx)
		r.st.Shipment = &dossier.Shipment{Waybill: res.Waybill, Status: dossier.ShipmentRequested}
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionShipmentRequested, Note: "waybill " + res.Waybill})
	})
}

func (r *run) validatePostal(n PostalNotice) error {
	if r.st.Shipment == nil || r.st.Shipment.Waybill != n.Waybill {
		return r.conflict("waybill %s is not this dossier's shipment", n.Waybill)
	}
	var to dossier.ShipmentStatus
	switch n.Event {
	case "picked_up":
		to = dossier.ShipmentPickedUp
	case "delivered":
		to = dossier.ShipmentDelivered
	case "failed":
		to = dossier.ShipmentFailed
	default:
		return invalid("event must be picked_up, delivered or failed")
	}
	if r.st.Shipment.Status == to {
		return temporal.NewApplicationError("the shipment is already "+string(to), ErrDuplicate)
	}
	if r.st.Stage != dossier.StageReturn {
		return r.conflict("the result is not out for delivery")
	}
	return nil
}

func (r *run) onPostal(ctx workflow.Context, n PostalNotice) (State, error) {
	m := r.mark(ctx)
	ev := dossier.Event{Actor: actorPostal, Note: "waybill " + n.Waybill}
	if n.Reason != "" {
		ev.Note += ": " + n.Reason
	}
	switch n.Event {
	case "picked_up":
		ev.Action = dossier.ActionShipmentPickedUp
		r.st.Shipment.Status = dossier.ShipmentPickedUp
	case "failed":
		ev.Action = dossier.ActionShipmentFailed
		r.st.Shipment.Status = dossier.ShipmentFailed
	case "delivered":
		ev.Action = dossier.ActionShipmentDelivered
		r.st.Shipment.Status = dossier.ShipmentDelivered
		r.returned(m, &ev)
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

func (r *run) validateHandover(h Handover) error {
	if r.in.ReturnMethod != dossier.ReturnCounter {
		return r.conflict("the result goes back by %s, not at the counter", r.in.ReturnMethod)
	}
	if r.st.Stage != dossier.StageReturn || r.st.Status != dossier.StatusResultReady {
		return r.conflict("there is no result waiting at the counter")
	}
	if h.ReceivedBy == "" {
		return invalid("received_by is required: who took the result")
	}
	return nil
}

func (r *run) onHandover(ctx workflow.Context, h Handover) (State, error) {
	m := r.mark(ctx)
	ev := dossier.Event{Action: dossier.ActionHandover, Actor: h.Actor, Note: "received by " + h.ReceivedBy}
	r.returned(m, &ev)
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

func (r *run) issueElectronically(ctx workflow.Context) {
	m := r.mark(ctx)
	ev := dossier.Event{Action: dossier.ActionIssuedElectronic}
	r.returned(m, &ev)
	_ = r.commit(ctx, m, ev)
}

// returned ends the dossier: the result reached the applicant.
func (r *run) returned(m mark, ev *dossier.Event) {
	if step := r.st.CurrentStep; step != nil {
		ev.Step, ev.Department = step.Name, step.Departments[0]
		ev.OnTime = dossier.Timeliness(m.at, step.DueAt)
	}
	r.st.Status, r.st.Stage = dossier.StatusReturned, dossier.StageDone
	r.st.ReturnedAt = &m.at
	r.st.CurrentStep = nil
}

// ---- Deadlines -------------------------------------------------------------

// nextDeadline is the earliest deadline not yet acted on: the current step's
// due time or the appointment, until the result is ready.
func (r *run) nextDeadline() time.Time {
	var next time.Time
	if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue {
		next = s.DueAt
	}
	if a := r.st.AppointmentAt; a != nil && !r.st.Overdue && r.st.FinishedAt == nil {
		if next.IsZero() || a.Before(next) {
			next = *a
		}
	}
	return next
}

// armDeadline keeps exactly one timer, on the earliest pending deadline;
// it replaces the timer only when that deadline changes.
func (r *run) armDeadline(ctx workflow.Context) {
	next := r.nextDeadline()
	if next.Equal(r.armedAt) {
		return
	}
	if r.cancelTimer != nil {
		r.cancelTimer()
		r.cancelTimer = nil
	}
	r.armedAt = next
	if next.IsZero() {
		return
	}
	wait := next.Sub(workflow.Now(ctx))
	if wait <= 0 {
		r.deadlineFired = true
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	r.cancelTimer = cancel
	timer := workflow.NewTimer(tctx, wait)
	workflow.Go(ctx, func(gctx workflow.Context) {
		if err := timer.Get(gctx, nil); err == nil {
			r.deadlineFired = true
		}
	})
}

// handleDeadlines records every deadline that has passed. Warnings,
// escalations and apology letters build on these events.
func (r *run) handleDeadlines(ctx workflow.Context) {
	now := workflow.Now(ctx)
	if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue && !s.DueAt.After(now) {
		m := r.mark(ctx)
		r.st.StepOverdue = true
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionStepOverdue, Step: s.Name,
			Note: "step due at " + s.DueAt.In(dossier.Location).Format(time.RFC3339)})
	}
	if a := r.st.AppointmentAt; a != nil && !r.st.Overdue && r.st.FinishedAt == nil && !a.After(now) {
		m := r.mark(ctx)
		r.st.Overdue = true
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionAppointmentOverdue,
			Note: "appointment was " + a.In(dossier.Location).Format(time.RFC3339)})
	}
	// The timer that fired is spent: arm afresh.
	r.armedAt = time.Time{}
	r.cancelTimer = nil
}
