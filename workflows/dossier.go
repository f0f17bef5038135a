package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
	return dossierUpTo(ctx, in, VersionLifecycleOneUpsert)
}

// DossierBuild is the workflow as a build that knew VersionLifecycle only up
// to lifecycleMax: what the workers of an earlier release ran. Tests use it
// to start dossiers on the old code and finish them on the new (the upgrade
// of running dossiers, docs/RELIABILITY.md).
func DossierBuild(lifecycleMax workflow.Version) func(workflow.Context, DossierInput) (DossierResult, error) {
	return func(ctx workflow.Context, in DossierInput) (DossierResult, error) {
		return dossierUpTo(ctx, in, lifecycleMax)
	}
}

func dossierUpTo(ctx workflow.Context, in DossierInput, lifecycleMax workflow.Version) (DossierResult, error) {
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
	// Dossiers started before a change replay without it.
	r.legalTime = workflow.GetVersion(ctx, VersionLegalTime, workflow.DefaultVersion, 1) >= 1
	lifecycle := workflow.GetVersion(ctx, VersionLifecycle, workflow.DefaultVersion, lifecycleMax)
	r.lifecycle = lifecycle >= 1
	r.lean = lifecycle >= VersionLifecycleLean
	r.oneUpsert = lifecycle >= VersionLifecycleOneUpsert
	r.reportRule = workflow.GetVersion(ctx, VersionReportRule, workflow.DefaultVersion, 1) >= 1
	r.notices = workflow.GetVersion(ctx, VersionApplicantNotices, workflow.DefaultVersion, 1) >= 1
	r.st.ReturnMethod = in.ReturnMethod
	if err := r.register(ctx); err != nil {
		return DossierResult{}, err
	}
	if r.reportRule {
		r.startIntakeClock(ctx)
	}
	return r.run(ctx)
}

// startIntakeClock gives an online or postal submission its intake
// deadline (Rules.IntakeDeadline): the intake step, warned and escalated
// like any step, shown in the intake officers' inbox by the activity. A
// counter submission is decided in front of the applicant: none.
func (r *run) startIntakeClock(ctx workflow.Context) {
	d := r.in.Rules.IntakeDeadline
	if d.N <= 0 || !r.legalTime || r.in.Channel == dossier.ChannelCounter {
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

// run holds one dossier workflow's state and bookkeeping.
type run struct {
	in     DossierInput
	st     State
	logger log.Logger
	sa     searchState

	// legalTime: warnings, escalations, apology letters, paused clocks
	// and extensions (VersionLegalTime).
	legalTime bool
	// lifecycle: withdrawal, stop, returns for rework, counter payment,
	// postal fallback to the counter (VersionLifecycle).
	lifecycle bool
	// lean: fewer history events per dossier (VersionLifecycleLean):
	// third-party calls try a local activity first, and the deadline timer
	// is not cancelled when the dossier ends.
	lean bool
	// oneUpsert: search attributes are upserted once per workflow task, by
	// the main loop when the task's transitions are done
	// (VersionLifecycleOneUpsert); saDirty says a transition changed them,
	// commits counts transitions still being written.
	oneUpsert bool
	// reportRule: the one rule for late, endings with a finishing time
	// (VersionReportRule); overdueAtInstant: the schedule's calendar has no
	// days (simulated time).
	reportRule       bool
	overdueAtInstant bool
	saDirty          bool
	commits          int
	// notices: the applicant is told of every milestone
	// (VersionApplicantNotices).
	notices bool
	// cancelShipment stops a shipment request still retrying when the
	// return falls back to the counter; cancelPayment a payment request
	// still retrying when the dossier is stopped.
	cancelShipment workflow.CancelFunc
	cancelPayment  workflow.CancelFunc

	// deciding is set while a decision's handler computes with the
	// calendar before it changes the state, so a second decision is
	// rejected meanwhile instead of being validated against a stale state.
	deciding bool

	// The deadline timer: one timer, on the earliest pending deadline.
	armedAt       time.Time
	cancelTimer   workflow.CancelFunc
	deadlineFired bool

	// Third-party calls in flight, run beside the main loop so deadlines
	// still fire during a long outage.
	paymentBusy  bool
	shipmentBusy bool
	// refund: a paid fee is paid back through the gateway when the dossier
	// ends without its result (VersionRefund; 0 not asked yet, 1 yes, -1
	// a run from before it); refundBusy while the request is in flight.
	refund     int
	refundBusy bool
	// shipNotice: a declined dossier returning by post sends its refusal
	// notice by post before it closes (VersionRefusalNotice).
	shipNotice bool
	// feeTiming: the fee is collected as the procedure's fee_timing says
	// (VersionFeeTiming; 0 not asked yet, 1 yes, -1 a run from before it).
	feeTiming int
	// localAttempts counts third-party calls whose local first attempt
	// (lean version) has not returned yet; counted up before the call's
	// goroutine starts, down by thirdParty.
	localAttempts int
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
		{UpdateSupplement, r.onSupplement, r.validateSupplement},
		{UpdateApology, r.onApology, r.validateApology},
		{UpdateExtension, r.onExtension, r.validateExtension},
		{UpdateWithdrawal, r.onWithdrawal, r.validateWithdrawal},
		{UpdateStop, r.onStop, r.validateStop},
		{UpdateCounterPayment, r.onCounterPayment, r.validateCounterPayment},
		{UpdateAssignment, r.onAssignment, r.validateAssignment},
		{UpdateReturnMethod, r.onReturnMethod, r.validateReturnMethod},
		{UpdateRefund, r.onRefund, r.validateRefund},
		{UpdatePostalSuspension, r.onPostalSuspension, r.validatePostalSuspension},
		{UpdateFeeExemption, r.onFeeExemption, r.validateFeeExemption},
		{UpdatePickupOverdue, r.onPickupOverdue, r.validatePickupOverdue},
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
		if err := r.flushSearchAttributes(ctx); err != nil {
			return DossierResult{}, err
		}
		if r.oneUpsert && r.ended() {
			// The flush waited for the transition that ended the dossier:
			// close without touching the timer (see the lean version).
			break
		}
		r.armDeadline(ctx)
		if err := workflow.Await(ctx, func() bool {
			// Wake when a handler moved the earliest deadline too, so the
			// timer follows it, and when a transition changed what
			// visibility shows.
			return r.deadlineFired || r.ended() || r.pendingCall() != nil || !r.nextDeadline().Equal(r.armedAt) || r.saDirty
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
			if r.lean {
				// Let the call's local first attempt (a few seconds at
				// most) finish before the timer is re-armed: its result
				// usually moves the deadline again, and arming in between
				// would cost a TimerStarted and a TimerCanceled.
				if err := workflow.Await(ctx, func() bool { return r.localAttempts == 0 }); err != nil {
					return DossierResult{}, err
				}
			}
		}
		// Otherwise the earliest deadline moved, or search attributes
		// changed: re-arm and upsert at the loop's top.
	}
	// A timer still pending when the run closes is dropped with it: the
	// lean version saves the TimerCanceled event.
	if r.cancelTimer != nil && !r.lean {
		r.cancelTimer()
	}
	// Let an update that ended the dossier finish writing before the run closes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DossierResult{}, err
	}
	if err := r.flushSearchAttributes(ctx); err != nil {
		return DossierResult{}, err
	}
	return DossierResult{Status: r.st.Status, FinishedAt: r.st.FinishedAt, ReturnedAt: r.st.ReturnedAt}, nil
}

// ended reports whether the dossier reached its end and nothing is in flight.
func (r *run) ended() bool {
	return r.st.Status.Final() && !r.paymentBusy && !r.shipmentBusy && !r.refundOpen() &&
		!(r.shipNotice && r.st.Shipment == nil)
}

// pendingCall returns the work the current stage needs from the main loop,
// or nil when the dossier waits for a person or a callback.
func (r *run) pendingCall() func(workflow.Context) {
	if r.st.Status.Final() {
		if r.refund > 0 && r.st.Refund == nil && !r.refundBusy {
			return r.requestRefund
		}
		if r.shipNotice && r.st.Shipment == nil && !r.shipmentBusy {
			return r.shipRefusalNotice
		}
		return nil
	}
	if r.collectsAtFiling() && r.in.Channel == dossier.ChannelOnline && r.st.Fee.Status == dossier.FeeNone &&
		!r.paymentBusy && r.feeTiming >= 0 {
		return r.requestPaymentAtFiling
	}
	switch {
	case r.st.Stage == dossier.StagePayment && r.st.Fee.Status == dossier.FeeNone && !r.paymentBusy:
		return r.requestPayment
	case r.st.Stage == dossier.StageReturn && r.st.ReturnMethod == dossier.ReturnPostal && r.st.Shipment == nil && !r.shipmentBusy:
		return r.requestShipment
	case r.st.Stage == dossier.StageReturn && r.st.ReturnMethod == dossier.ReturnElectronic && r.st.Status == dossier.StatusResultReady:
		return r.issueElectronically
	}
	return nil
}

// snapshot returns a deep copy of the state.
func (r *run) snapshot() State {
	s := r.st
	s.Progress = r.st.Progress.Clone()
	s.StepDueAt = slices.Clone(r.st.StepDueAt)
	s.StepWarnAt = slices.Clone(r.st.StepWarnAt)
	s.Transactions = slices.Clone(r.st.Transactions)
	s.SupplementRequests = slices.Clone(r.st.SupplementRequests)
	if r.st.PausedAt != nil {
		p := *r.st.PausedAt
		s.PausedAt = &p
	}
	return s
}

// mark captures the stage and status before a transition.
type mark struct {
	at     time.Time
	stage  dossier.Stage
	status dossier.Status
}

// now is business time: the server's time of this workflow task plus the
// offset the API started the dossier with (zero in production).
func (r *run) now(ctx workflow.Context) time.Time { return workflow.Now(ctx).Add(r.in.ClockOffset) }

func (r *run) mark(ctx workflow.Context) mark {
	return mark{at: r.now(ctx), stage: r.st.Stage, status: r.st.Status}
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
	return r.commitWith(ctx, m, ev, dossier.Transition{})
}

// commitWith is commit with documents to add and notifications to send,
// written in the same transaction as the event.
func (r *run) commitWith(ctx workflow.Context, m mark, ev dossier.Event, extra dossier.Transition) error {
	r.st.Version++
	if r.reportRule {
		r.st.DueAt = r.due()
	}
	ev.Seq = r.st.Version
	ev.At = m.at
	ev.FromStage, ev.ToStage = m.stage, r.st.Stage
	ev.FromStatus, ev.ToStatus = m.status, r.st.Status
	if ev.Actor == "" {
		ev.Actor = actorSystem
	}
	if r.oneUpsert {
		r.saDirty = true // the main loop upserts once the task's work is done
	} else if err := r.upsertSearchAttributes(ctx); err != nil {
		return err
	}
	r.commits++
	defer func() { r.commits-- }()
	t := dossier.Transition{Code: r.in.Code, Event: ev, Progress: r.st.Progress.Clone(),
		Documents: extra.Documents, Notifications: extra.Notifications}
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if err := workflow.ExecuteLocalActivity(lctx, activities.NameRecordTransition, t).Get(lctx, nil); err != nil {
		r.logger.Error("could not record a transition", "seq", ev.Seq, "action", ev.Action, "error", err)
		return err
	}
	return nil
}

// flushSearchAttributes upserts what the workflow task's transitions changed,
// once (VersionLifecycleOneUpsert), after waiting until they are done: no
// update handler running, no transition being written, no third party's
// local first attempt pending (its answer is usually a transition of its
// own in the same task). Everything waited for finishes within the task
// unless PostgreSQL or the third party is down, when the task waits anyway.
func (r *run) flushSearchAttributes(ctx workflow.Context) error {
	if !r.oneUpsert || !r.saDirty {
		return nil
	}
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && r.commits == 0 && r.localAttempts == 0
	}); err != nil {
		return err
	}
	r.saDirty = false
	return r.upsertSearchAttributes(ctx)
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
		err := r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant,
			Template: "refused", Message: "Hồ sơ " + r.in.Code + " không được tiếp nhận: " + d.Note}))
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
	err = r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "received",
		Message: "Hồ sơ " + r.in.Code + " đã được tiếp nhận; hẹn trả kết quả " + formatLocal(sched.AppointmentAt)}))
	return r.snapshot(), err
}

func notify(n ...dossier.Notification) dossier.Transition {
	return dossier.Transition{Notifications: n}
}

// applicantNotice is a notice to the applicant of a milestone they were
// not told of before VersionApplicantNotices (none for older dossiers).
func (r *run) applicantNotice(template, msg string) dossier.Transition {
	if !r.notices {
		return dossier.Transition{}
	}
	return notify(dossier.Notification{To: dossier.ToApplicant, Template: template, Message: msg})
}

// resultReadyNotice tells the applicant where the result waits once the
// return step begins (not while the fee is still owed: the please-pay
// notice comes first). It names the dossier only, no personal data.
func (r *run) resultReadyNotice() dossier.Transition {
	if r.st.Stage != dossier.StageReturn {
		return dossier.Transition{}
	}
	how := "mời nhận tại bộ phận một cửa, mang theo giấy tiếp nhận hồ sơ"
	switch r.st.ReturnMethod {
	case dossier.ReturnPostal:
		how = "sẽ được gửi qua bưu điện đến địa chỉ đã đăng ký"
	case dossier.ReturnElectronic:
		how = "tải về tại trang tra cứu với mã tra cứu trên giấy tiếp nhận hồ sơ"
	}
	return r.applicantNotice("result_ready", "Kết quả hồ sơ "+r.in.Code+" đã có: "+how)
}

func formatLocal(t time.Time) string { return t.In(dossier.Location).Format("15:04 02/01/2006") }

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
	r.enterStep(r.st.StepIndex + 1)
	err := r.commitWith(ctx, m, ev, r.resultReadyNotice())
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

// quickThirdPartyOptions bound the first, local attempt of a third-party
// call (lean version): a few seconds, then the durable activity takes over.
var quickThirdPartyOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 5 * time.Second,
	// One attempt: the regular activity's retries take over at once.
	RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
}

// thirdParty calls the gateway or the postal service. The lean version
// tries a local activity first: when the third party answers, that costs
// one marker event in the workflow task already running, instead of an
// activity's three events plus a workflow task of three more. When it does
// not answer within quickThirdPartyOptions (an outage), the regular
// activity retries for as long as it takes, adding no events per retry (a
// local activity would add a timer per long backoff). Both calls are
// idempotent on the dossier code, so a local attempt that timed out after
// the third party acted is harmless.
func (r *run) thirdParty(ctx workflow.Context, name string, in, out any) error {
	if r.lean {
		lctx := workflow.WithLocalActivityOptions(ctx, quickThirdPartyOptions)
		err := workflow.ExecuteLocalActivity(lctx, name, in).Get(lctx, out)
		r.localAttempts--
		var refused *temporal.ApplicationError
		if err == nil || temporal.IsCanceledError(err) || (errors.As(err, &refused) && refused.NonRetryable()) {
			return err
		}
		r.logger.Warn("third party did not answer the local attempt; retrying as an activity", "activity", name, "error", err)
	}
	actx := workflow.WithActivityOptions(ctx, thirdPartyOptions)
	return workflow.ExecuteActivity(actx, name, in).Get(actx, out)
}

// retryAfterPermanentFailure is how long the workflow waits before asking
// again after a third party refused a request outright (a bug or a
// misconfiguration that ops must fix; the error is in the history).
const retryAfterPermanentFailure = time.Hour

func (r *run) requestPayment(ctx workflow.Context) {
	r.paymentBusy = true
	if r.lean {
		r.localAttempts++
	}
	if r.lifecycle {
		ctx, r.cancelPayment = workflow.WithCancel(ctx)
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.paymentBusy = false }()
		var res activities.PaymentResult
		in := activities.PaymentInput{Code: r.in.Code, Amount: r.st.Fee.Amount,
			Description: fmt.Sprintf("%s %s", r.in.Procedure.Code, r.in.Code)}
		if r.lifecycle && r.in.Rules.PaymentExpiry > 0 {
			in.ExpiresAt = r.now(ctx).Add(r.in.Rules.PaymentExpiry)
		}
		err := r.thirdParty(ctx, activities.NameRequestPayment, in, &res)
		if err != nil {
			if temporal.IsCanceledError(err) {
				return // the dossier ended meanwhile
			}
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
		r.st.PaymentExpiresAt = in.ExpiresAt
		// A fee collected at filing is asked before receipt: the dossier
		// stays submitted and no clock runs yet (VersionFeeTiming).
		if r.st.Stage != dossier.StageIntake {
			r.st.Status = dossier.StatusAwaitingPayment
			if r.legalTime && r.in.Rules.PauseClockForPayment {
				r.st.PausedAt = &m.at // the applicant owes: the agency's clock stops
			}
		}
		var pay dossier.Transition
		if r.notices {
			msg := fmt.Sprintf("Hồ sơ %s đã giải quyết xong; vui lòng nộp phí, lệ phí %d đồng tại %s", r.in.Code, r.st.Fee.Amount, res.PayURL)
			if !in.ExpiresAt.IsZero() {
				msg += " trước " + formatLocal(in.ExpiresAt)
			}
			pay = notify(dossier.Notification{To: dossier.ToApplicant, Template: "payment_requested", Message: msg})
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentRequested,
			Note: fmt.Sprintf("%d VND, payment_ref %s", r.st.Fee.Amount, res.PaymentRef)}, pay)
	})
}

func (r *run) validatePayment(n PaymentNotice) error {
	if slices.Contains(r.st.Transactions, n.TransactionID) {
		return temporal.NewApplicationError("transaction "+n.TransactionID+" was already handled", ErrDuplicate)
	}
	if (r.st.Stage != dossier.StagePayment && !r.collectsAtFiling()) || r.st.Fee.Status != dossier.FeeAwaitingPayment {
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
	if err := r.paid(ctx, m); err != nil {
		return State{}, err
	}
	err := r.commitWith(ctx, m, ev, r.resultReadyNotice())
	return r.snapshot(), err
}

// ---- Return ----------------------------------------------------------------

func (r *run) requestShipment(ctx workflow.Context) {
	r.shipmentBusy = true
	if r.lean {
		r.localAttempts++
	}
	if r.lifecycle {
		if r.st.ShipmentSince.IsZero() {
			r.st.ShipmentSince = r.now(ctx)
		}
		ctx, r.cancelShipment = workflow.WithCancel(ctx)
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.shipmentBusy = false }()
		var res activities.ShipmentResult
		err := r.thirdParty(ctx, activities.NameRequestShipment, activities.ShipmentInput{Code: r.in.Code}, &res)
		if err != nil {
			if temporal.IsCanceledError(err) {
				return // the return fell back to the counter
			}
			r.logger.Error("shipment request failed", "error", err)
			_ = workflow.Sleep(ctx, retryAfterPermanentFailure)
			return
		}
		if r.st.Status.Final() || r.st.Shipment != nil || r.st.ReturnMethod != dossier.ReturnPostal {
			return
		}
		m := r.mark(ctx)
		r.st.Shipment = &dossier.Shipment{Waybill: res.Waybill, Status: dossier.ShipmentRequested}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentRequested, Note: "waybill " + res.Waybill},
			r.applicantNotice("shipped", "Kết quả hồ sơ "+r.in.Code+" đã được gửi qua bưu điện, mã vận đơn "+res.Waybill))
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
	if n.PickedUpAt != nil && n.Event != "picked_up" && r.st.Shipment.Status == dossier.ShipmentRequested {
		// The pickup reached the API alone (PostalNotice.PickedUpAt): it
		// goes on the control sheet now, at its own time, before the
		// delivery or failure. Replay is unaffected: notices recorded
		// before this carry no PickedUpAt.
		r.st.Shipment.Status = dossier.ShipmentPickedUp
		pm := mark{at: *n.PickedUpAt, stage: r.st.Stage, status: r.st.Status}
		if err := r.commit(ctx, pm, dossier.Event{Action: dossier.ActionShipmentPickedUp, Actor: actorPostal,
			Note: "waybill " + n.Waybill}); err != nil {
			return State{}, err
		}
	}
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
		if r.lifecycle {
			// The parcel comes back: the applicant picks the result up.
			r.st.ReturnMethod = dossier.ReturnCounter
			ev.Note += "; the result is brought back to the counter for pickup"
			err := r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "counter_pickup",
				Message: "Bưu điện không giao được kết quả hồ sơ " + r.in.Code + "; mời nhận tại bộ phận một cửa"}))
			return r.snapshot(), err
		}
	case "delivered":
		ev.Action = dossier.ActionShipmentDelivered
		r.st.Shipment.Status = dossier.ShipmentDelivered
		r.returned(m, &ev)
		err := r.commitWith(ctx, m, ev, r.applicantNotice("delivered",
			"Bưu điện đã giao kết quả hồ sơ "+r.in.Code+" (vận đơn "+n.Waybill+")"))
		return r.snapshot(), err
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

func (r *run) validateHandover(h Handover) error {
	if r.st.ReturnMethod != dossier.ReturnCounter {
		return r.conflict("the result goes back by %s, not at the counter", r.st.ReturnMethod)
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

// nextDeadline is the earliest deadline not yet acted on: a supplement's
// deadline; while the clock runs, the current step's warning and due time;
// until the result is ready, the apology deadline and the appointment.
func (r *run) nextDeadline() time.Time {
	next, _ := r.nextDeadlineNamed()
	return next
}

// deadlineLabel says what a deadline is, for the timer's summary in the
// Temporal UI. It is a value, turned into text only when a timer is armed:
// nextDeadline runs in the main loop's Await condition, i.e. on every pass
// of the workflow's dispatcher.
type deadlineLabel struct {
	text       string
	step, dept string // "step <step>[ due for <dept>]" before text
}

func (l deadlineLabel) String() string {
	switch {
	case l.dept != "":
		return "step " + l.step + " due for " + l.dept + l.text
	case l.step != "":
		return "step " + l.step + l.text
	}
	return l.text
}

// nextDeadlineNamed is nextDeadline with what that deadline is.
func (r *run) nextDeadlineNamed() (next time.Time, what deadlineLabel) {
	consider := func(t time.Time, name deadlineLabel) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next, what = t, name
		}
	}
	if !r.legalTime {
		if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue {
			consider(s.DueAt, deadlineLabel{step: s.Name, text: " due"})
		}
		if a := r.st.AppointmentAt; a != nil && !r.st.Overdue && r.st.FinishedAt == nil {
			consider(*a, deadlineLabel{text: deadlineAppointment})
		}
		return next, what
	}
	if sp := r.st.Supplement; sp != nil {
		consider(sp.DueAt, deadlineLabel{text: "supplement deadline: without the supplement the dossier is refused"})
	}
	if r.paymentWatch() {
		if !r.st.PaymentReminded && r.in.Rules.PaymentReminderBefore > 0 {
			consider(r.st.PaymentExpiresAt.Add(-r.in.Rules.PaymentReminderBefore), deadlineLabel{text: "payment reminder to the applicant"})
		}
		consider(r.st.PaymentExpiresAt, deadlineLabel{text: "online payment request expires (the counter remains)"})
	}
	if r.outageWatch() {
		if !r.st.OutageNotified {
			consider(r.st.ShipmentSince.Add(r.in.Rules.PostalOutageNotice), deadlineLabel{text: "postal outage: staff are told"})
		}
		consider(r.st.ShipmentSince.Add(r.in.Rules.PostalOutageFallback), deadlineLabel{text: "postal outage: counter pickup is offered"})
	}
	if r.st.PausedAt != nil || r.st.Status.Final() {
		return next, what // the legal clock is stopped
	}
	if s := r.st.CurrentStep; s != nil {
		if s.WarnAt != nil && !r.st.StepWarned && !r.st.StepOverdue {
			consider(*s.WarnAt, deadlineLabel{step: s.Name, text: " warning: most of its time is used"})
		}
		if !r.st.StepOverdue {
			consider(s.DueAt, deadlineLabel{step: s.Name, text: " due: escalated to the department's leader"})
		}
		if r.lifecycle && len(s.Branches) > 1 {
			for _, b := range s.Branches {
				if !b.Decided && !b.Escalated {
					consider(b.DueAt, deadlineLabel{step: s.Name, dept: b.Department, text: ": escalated to its leader"})
				}
			}
		}
	}
	if r.st.FinishedAt == nil {
		if r.apologyPending() {
			consider(r.st.ApologyBy, deadlineLabel{text: "apology deadline: a leader must issue an apology letter (form 04) with a new appointment"})
		}
		if a, ok := r.overdueAt(); ok && !r.st.Overdue {
			consider(a, deadlineLabel{text: deadlineAppointment})
		}
	}
	return next, what
}

// deadlineAppointment: the legal deadline of the whole dossier.
const deadlineAppointment = "appointment to return the result: the dossier becomes overdue"

// apologyPending: the apology deadline is still ahead of the dossier.
func (r *run) apologyPending() bool {
	return !r.st.ApologyBy.IsZero() && !r.st.ApologyRequired &&
		r.st.AppointmentResets < r.in.Rules.MaxAppointmentResets
}

// armDeadline keeps exactly one timer, on the earliest pending deadline;
// it replaces the timer only when that deadline changes. One timer on the
// earliest of all deadlines does what a timer per step and one per dossier
// would, with fewer history events for a dossier that waits for months.
func (r *run) armDeadline(ctx workflow.Context) {
	next, what := r.nextDeadlineNamed()
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
	wait := next.Sub(r.now(ctx))
	if wait <= 0 {
		r.deadlineFired = true
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	r.cancelTimer = cancel
	// The summary (shown on the timer in the Temporal UI) is not part of
	// command matching on replay (the SDK matches a timer by its ID), so
	// histories recorded without it replay unchanged: no GetVersion.
	timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{
		Summary: what.String() + " — " + formatLocal(next),
	})
	workflow.Go(ctx, func(gctx workflow.Context) {
		if err := timer.Get(gctx, nil); err == nil {
			r.deadlineFired = true
		}
	})
}

// handleDeadlines acts on every deadline that has passed: it records it on
// the control sheet and notifies who must act.
func (r *run) handleDeadlines(ctx workflow.Context) {
	// The timer that fired is spent: arm afresh afterwards.
	r.armedAt = time.Time{}
	r.cancelTimer = nil
	now := r.now(ctx)
	if r.paymentWatch() {
		if !r.st.PaymentReminded && r.in.Rules.PaymentReminderBefore > 0 &&
			!r.st.PaymentExpiresAt.Add(-r.in.Rules.PaymentReminderBefore).After(now) {
			m := r.mark(ctx)
			r.st.PaymentReminded = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentReminder,
				Note: "the payment request closes at " + formatLocal(r.st.PaymentExpiresAt)},
				notify(dossier.Notification{To: dossier.ToApplicant, Template: "payment_reminder",
					Message: fmt.Sprintf("Hồ sơ %s: vui lòng nộp phí %d đồng trước %s", r.in.Code, r.st.Fee.Amount, formatLocal(r.st.PaymentExpiresAt))}))
		}
		if !r.st.PaymentExpiresAt.After(now) {
			m := r.mark(ctx)
			r.st.PaymentExpired = true
			extra := r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "payment_expired",
				"Hồ sơ "+r.in.Code+": yêu cầu thanh toán đã hết hạn")
			extra.Notifications = append(extra.Notifications, dossier.Notification{To: dossier.ToApplicant, Template: "payment_expired",
				Message: "Hồ sơ " + r.in.Code + ": yêu cầu thanh toán trực tuyến đã hết hạn; có thể nộp phí tại bộ phận một cửa"})
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentExpired,
				Note: "the dossier keeps waiting: the fee can be paid at the counter"}, extra)
		}
	}
	if r.lifecycle && r.st.PausedAt == nil && !r.st.Status.Final() {
		if s := r.st.CurrentStep; s != nil && len(s.Branches) > 1 {
			for i := range s.Branches {
				b := &s.Branches[i]
				if b.Decided || b.Escalated || b.DueAt.After(now) {
					continue
				}
				// Each department of a parallel step is escalated on its own.
				m := r.mark(ctx)
				b.Escalated = true
				_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepOverdue, Step: s.Name, Department: b.Department,
					Note: "department's part due at " + b.DueAt.In(dossier.Location).Format(time.RFC3339)},
					r.toAgencies([]string{b.Department}, dossier.ToLeader, "step_overdue",
						"Hồ sơ "+r.in.Code+": phần việc của đơn vị ở bước "+s.Name+" đã quá hạn ("+formatLocal(b.DueAt)+")"))
			}
		}
	}
	if r.outageWatch() {
		if !r.st.OutageNotified && !r.st.ShipmentSince.Add(r.in.Rules.PostalOutageNotice).After(now) {
			m := r.mark(ctx)
			r.st.OutageNotified = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentDelayed,
				Note: "the postal service has not accepted the shipment since " + formatLocal(r.st.ShipmentSince)},
				r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "postal_outage",
					"Bưu điện chưa nhận chuyển phát hồ sơ "+r.in.Code+" từ "+formatLocal(r.st.ShipmentSince)))
		}
		if !r.st.ShipmentSince.Add(r.in.Rules.PostalOutageFallback).After(now) {
			m := r.mark(ctx)
			r.st.ReturnMethod = dossier.ReturnCounter
			if r.cancelShipment != nil {
				r.cancelShipment()
			}
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionCounterPickup,
				Note: "postal service unavailable since " + formatLocal(r.st.ShipmentSince) + "; the result waits at the counter"},
				notify(dossier.Notification{To: dossier.ToApplicant, Template: "counter_pickup",
					Message: "Bưu điện tạm ngừng: mời nhận kết quả hồ sơ " + r.in.Code + " tại bộ phận một cửa"}))
		}
	}
	if r.legalTime {
		if sp := r.st.Supplement; sp != nil && !sp.DueAt.After(now) {
			r.expireSupplement(ctx)
			return
		}
		if r.st.PausedAt != nil || r.st.Status.Final() {
			return
		}
		if s := r.st.CurrentStep; s != nil && s.WarnAt != nil && !r.st.StepWarned && !s.WarnAt.After(now) && s.DueAt.After(now) {
			// (A step already past its due time is escalated instead.)
			m := r.mark(ctx)
			r.st.StepWarned = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepWarning, Step: s.Name,
				Note: "step due at " + formatLocal(s.DueAt)},
				r.toAgencies(s.Pending, dossier.ToDepartment, "step_warning",
					"Hồ sơ "+r.in.Code+": bước "+s.Name+" sắp đến hạn ("+formatLocal(s.DueAt)+")"))
		}
	}
	if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue && !s.DueAt.After(now) {
		m := r.mark(ctx)
		r.st.StepOverdue = true
		var extra dossier.Transition
		if r.legalTime {
			// Escalate: the step is late; its departments' leaders are told.
			s.Escalated = true
			extra = r.toAgencies(s.Pending, dossier.ToLeader, "step_overdue",
				"Hồ sơ "+r.in.Code+": bước "+s.Name+" đã quá hạn ("+formatLocal(s.DueAt)+")")
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepOverdue, Step: s.Name,
			Note: "step due at " + s.DueAt.In(dossier.Location).Format(time.RFC3339)}, extra)
	}
	if r.legalTime && r.st.FinishedAt == nil && r.apologyPending() && !r.st.ApologyBy.After(now) {
		m := r.mark(ctx)
		r.st.ApologyRequired = true
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionApologyRequired,
			Note: "appointment " + formatLocal(*r.st.AppointmentAt) + " will be missed: an apology letter (form 04) is required"},
			r.toAgencies([]string{r.approvalDepartment()}, dossier.ToLeader, "apology_required",
				"Hồ sơ "+r.in.Code+" sẽ trễ hẹn "+formatLocal(*r.st.AppointmentAt)+": cần thư xin lỗi và hẹn lại"))
	}
	if at, ok := r.overdueAt(); ok && !r.st.Overdue && r.st.FinishedAt == nil && !at.After(now) {
		a := r.st.AppointmentAt
		if r.reportRule {
			a = r.due()
		}
		m := r.mark(ctx)
		r.st.Overdue = true
		note := "appointment was " + a.In(dossier.Location).Format(time.RFC3339)
		var extra dossier.Transition
		if r.legalTime {
			if r.st.AppointmentResets > 0 {
				note += " (the appointment set by an apology letter passed too)"
			}
			extra = r.toAgencies([]string{r.approvalDepartment()}, dossier.ToLeader, "appointment_overdue",
				"Hồ sơ "+r.in.Code+" đã quá hạn hẹn trả "+formatLocal(*a))
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionAppointmentOverdue, Note: note}, extra)
	}
}

// toAgencies builds notifications to the staff or leaders of agencies.
func (r *run) toAgencies(agencies []string, to, template, msg string) dossier.Transition {
	var t dossier.Transition
	for _, a := range agencies {
		t.Notifications = append(t.Notifications, dossier.Notification{To: to, Agency: a, Template: template, Message: msg})
	}
	return t
}

// approvalDepartment is the department whose leader signs the result.
func (r *run) approvalDepartment() string {
	if s, ok := r.in.Procedure.Step(catalog.StepApproval); ok {
		return s.Department
	}
	return r.in.Procedure.IntakeAgency
}

// due is the appointment the rule for late judges against: the original
// one or the latest one, as the rules say (dossier.OverdueFrom).
func (r *run) due() *time.Time {
	against := r.st.OriginalAppointmentAt
	if r.in.Rules.VerdictAgainst == "latest" || against == nil {
		against = r.st.AppointmentAt
	}
	return against
}

// overdueAt is when the unfinished dossier becomes overdue: by the one rule
// for late from VersionReportRule, before it at the latest appointment's
// instant; ok is false before receipt.
func (r *run) overdueAt() (time.Time, bool) {
	if !r.reportRule {
		if a := r.st.AppointmentAt; a != nil {
			return *a, true
		}
		return time.Time{}, false
	}
	due := r.due()
	if due == nil {
		return time.Time{}, false
	}
	if r.overdueAtInstant {
		return *due, true
	}
	return dossier.OverdueFrom(*due), true
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
	err = r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "supplement_requested",
		Message: "Hồ sơ " + r.in.Code + " cần bổ sung: " + list + ". Hạn bổ sung: " + formatLocal(due)}))
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
		extra.Notifications = []dossier.Notification{{To: dossier.ToApplicant, Template: "supplement_received",
			Message: "Hồ sơ " + r.in.Code + " đã nhận bổ sung; hẹn trả kết quả " + formatLocal(*r.st.AppointmentAt)}}
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
		notify(dossier.Notification{To: dossier.ToApplicant, Template: "refused",
			Message: "Hồ sơ " + r.in.Code + " bị từ chối vì không bổ sung trước " + formatLocal(sp.DueAt)}))
}

// ---- Apology letters and extensions ----------------------------------------

func (r *run) validateApology(ctx workflow.Context, a Apology) error {
	if err := r.available(r.legalTime, "an apology letter"); err != nil {
		return err
	}
	if r.st.Status.Final() || r.st.FinishedAt != nil || r.st.AppointmentAt == nil {
		return r.conflict("the dossier has no pending appointment to move")
	}
	if r.st.AppointmentResets >= r.in.Rules.MaxAppointmentResets {
		return r.conflict("the appointment was already moved %d time(s); the rules allow %d",
			r.st.AppointmentResets, r.in.Rules.MaxAppointmentResets)
	}
	if !r.now(ctx).Before(*r.st.AppointmentAt) {
		return r.conflict("the appointment of %s has passed: an apology letter must be issued before it, at least %s of working time before (%s)",
			formatLocal(*r.st.AppointmentAt), r.in.Rules.ApologyLeadTime, r.in.Rules.Cite())
	}
	if strings.TrimSpace(a.Reason) == "" {
		return invalid("reason is required: the apology letter tells the applicant why")
	}
	if !a.NewAppointmentAt.After(*r.st.AppointmentAt) {
		return invalid("new_appointment_at must be after the current appointment %s", formatLocal(*r.st.AppointmentAt))
	}
	return nil
}

func (r *run) onApology(ctx workflow.Context, a Apology) (State, error) {
	m := r.mark(ctx)
	old := *r.st.AppointmentAt
	late, lateNote := r.apologyLate(m.at)
	appt := a.NewAppointmentAt
	r.st.AppointmentAt = &appt
	r.st.AppointmentResets++
	r.st.ApologyRequired = false
	// A further letter, where the rules allow one, is the leader's call:
	// the workflow reminds only before the first.
	r.st.ApologyBy = time.Time{}
	ev := dossier.Event{Action: dossier.ActionApologyIssued, Actor: a.Actor,
		Note: a.Reason + " — appointment moved from " + formatLocal(old) + " to " + formatLocal(appt) + lateNote}
	if late != "" {
		// Reports count the letters issued late (apology.issued, on_time late).
		ev.OnTime = late
	}
	err := r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "apology",
		Message: "Thư xin lỗi: hồ sơ " + r.in.Code + " được hẹn lại " + formatLocal(appt) + ". Lý do: " + a.Reason}))
	return r.snapshot(), err
}

// apologyLate judges a first apology letter issued at `at` against its
// deadline, the rules' lead time before the appointment (computed at
// receipt, moved by paused clocks): on_time, or late with what the rule
// says for the control sheet. A letter after the appointment is refused
// instead. A further letter, where the rules allow one, has no deadline
// of its own and is not judged ("").
func (r *run) apologyLate(at time.Time) (verdict, note string) {
	if !r.legalTime || r.in.Rules.ApologyLeadTime <= 0 || r.st.AppointmentResets > 0 {
		return "", ""
	}
	by := r.st.ApologyBy
	if !r.st.ApologyRequired && !by.IsZero() && at.Before(by) {
		return dossier.OnTime, ""
	}
	due := "before receipt (the processing time is shorter than the lead time)"
	if !by.IsZero() {
		due = formatLocal(by)
	}
	return dossier.Late, fmt.Sprintf(" — issued late: due by %s, %s of working time before the appointment (%s)",
		due, r.in.Rules.ApologyLeadTime, r.in.Rules.Cite())
}

func (r *run) validateExtension(ctx workflow.Context, e Extension) error {
	if err := r.available(r.legalTime, "an extension"); err != nil {
		return err
	}
	s := r.st.CurrentStep
	if s == nil || (r.st.Stage != dossier.StageReview && r.st.Stage != dossier.StageApproval) {
		return r.conflict("no department step is open")
	}
	if s.Extended {
		return r.conflict("step %s was already extended once", s.Name)
	}
	if strings.TrimSpace(e.Reason) == "" {
		return invalid("reason is required")
	}
	if !e.NewDueAt.After(s.DueAt) || !e.NewDueAt.After(r.now(ctx)) {
		return invalid("new_due_at must be after the step's due time %s and in the future", formatLocal(s.DueAt))
	}
	return nil
}

func (r *run) onExtension(ctx workflow.Context, e Extension) (State, error) {
	m := r.mark(ctx)
	s := r.st.CurrentStep
	old := s.DueAt
	s.DueAt, s.Extended = e.NewDueAt, true
	r.st.StepDueAt[r.st.StepIndex] = e.NewDueAt
	r.st.StepOverdue = false
	ev := dossier.Event{Action: dossier.ActionStepExtended, Actor: e.Actor, Step: s.Name,
		Note: e.Reason + " — due " + formatLocal(old) + " → " + formatLocal(e.NewDueAt)}
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

// available is the first check of a decision that came with a workflow
// change: the dossier's run must have the change (has), and no other
// decision may be half-recorded.
func (r *run) available(has bool, what string) error {
	if !has {
		return r.conflict("%s is not available for dossiers started before it existed", what)
	}
	return r.notDeciding()
}

// notDeciding rejects a decision while another one computes with the
// calendar before changing the state (it would be validated against a state
// about to change).
func (r *run) notDeciding() error {
	if r.deciding {
		return r.conflict("another decision is being recorded; retry")
	}
	return nil
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

// outageWatch: a postal return whose shipment request has not gone
// through yet is watched for an outage.
func (r *run) outageWatch() bool {
	return r.lifecycle && r.st.Stage == dossier.StageReturn && r.st.ReturnMethod == dossier.ReturnPostal &&
		r.st.Shipment == nil && !r.st.ShipmentSince.IsZero() && !r.st.Status.Final()
}

// end closes the dossier in a terminal status at `at`: timers stop, an owed
// supplement or a paused clock no longer matters, a paid fee is owed back;
// the finishing time is set unless the result was ready before
// (VersionReportRule).
func (r *run) end(status dossier.Status, at time.Time) {
	r.st.Status, r.st.Stage = status, dossier.StageDone
	if r.reportRule && r.st.FinishedAt == nil {
		r.st.FinishedAt = &at
	}
	r.st.CurrentStep, r.st.Supplement, r.st.PausedAt, r.st.ResumeStatus = nil, nil, nil, ""
	if r.st.Fee.Status == dossier.FeePaid {
		r.st.Fee.Status = dossier.FeeRefundDue
	}
	if r.cancelShipment != nil {
		r.cancelShipment()
	}
	if r.cancelPayment != nil {
		r.cancelPayment()
	}
}

// decline ends a received dossier that will not be resolved (từ chối giải
// quyết): its own status, not "not received"; the applicant is told the
// reasons through the dossier's return channel; a paid fee is owed back
// (end). The refusal notice travels as the applicant's notification: by
// the return method's channel, electronic, at the counter or by post.
func (r *run) decline(ctx workflow.Context, m mark, ev dossier.Event, reasons string) (State, error) {
	r.end(dossier.StatusDeclined, m.at)
	r.planRefund(ctx)
	msg := "Hồ sơ " + r.in.Code + " bị từ chối giải quyết. Lý do: " + reasons
	switch r.st.ReturnMethod {
	case dossier.ReturnCounter:
		msg += ". Mời nhận thông báo từ chối và hồ sơ tại bộ phận một cửa"
	case dossier.ReturnPostal:
		msg += ". Thông báo từ chối được gửi qua bưu chính đến địa chỉ đã đăng ký"
		// The main loop asks the postal service to carry it.
		r.shipNotice = r.lifecycle && r.st.Shipment == nil &&
			workflow.GetVersion(ctx, VersionRefusalNotice, workflow.DefaultVersion, 1) >= 1
	default:
		msg += ". Thông báo từ chối được trả bằng phương thức điện tử"
	}
	if ev.Note != "" {
		ev.Note += " — "
	}
	ev.Note += "refusal notice returned by " + string(r.st.ReturnMethod)
	if r.st.Fee.Status == dossier.FeeRefundDue {
		ev.Note += fmt.Sprintf("; the fee of %d VND is owed back", r.st.Fee.Amount)
	}
	err := r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "declined", Message: msg}))
	return r.snapshot(), err
}

func (r *run) validateWithdrawal(w Withdrawal) error {
	if err := r.available(r.lifecycle, "withdrawal"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.FinishedAt != nil {
		return r.conflict("the result is ready; the dossier can no longer be withdrawn")
	}
	if strings.TrimSpace(w.Reason) == "" {
		return invalid("reason is required")
	}
	return nil
}

func (r *run) onWithdrawal(ctx workflow.Context, w Withdrawal) (State, error) {
	m := r.mark(ctx)
	var extra dossier.Transition
	if s := r.st.CurrentStep; s != nil {
		extra = r.toAgencies(s.Departments, dossier.ToDepartment, "withdrawn", "Hồ sơ "+r.in.Code+" đã được rút: "+w.Reason)
	}
	r.end(dossier.StatusWithdrawn, m.at)
	r.planRefund(ctx)
	if r.notices {
		msg := "Hồ sơ " + r.in.Code + " đã được rút theo đề nghị của ông/bà"
		if r.refund > 0 {
			msg += fmt.Sprintf("; phí đã nộp (%d đồng) sẽ được hoàn lại", r.refund)
		}
		extra.Notifications = append(extra.Notifications, dossier.Notification{To: dossier.ToApplicant, Template: "withdrawn", Message: msg})
	}
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionWithdrawn, Actor: w.Actor, Note: w.Reason}, extra)
	return r.snapshot(), err
}

func (r *run) validateStop(st Stop) error {
	if err := r.available(r.lifecycle, "stopping"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if strings.TrimSpace(st.Reason) == "" {
		return invalid("reason is required: the notice (form 05) tells the applicant why")
	}
	return nil
}

func (r *run) onStop(ctx workflow.Context, st Stop) (State, error) {
	m := r.mark(ctx)
	r.end(dossier.StatusStopped, m.at)
	r.planRefund(ctx)
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStopped, Actor: st.Actor, Note: st.Reason},
		notify(dossier.Notification{To: dossier.ToApplicant, Template: "stopped",
			Message: "Thông báo dừng xử lý hồ sơ " + r.in.Code + ": " + st.Reason}))
	return r.snapshot(), err
}

func (r *run) validateCounterPayment(p CounterPayment) error {
	if err := r.available(r.lifecycle, "counter payment"); err != nil {
		return err
	}
	if (r.st.Stage != dossier.StagePayment && !r.collectsAtFiling()) || r.st.Fee.Status == dossier.FeePaid {
		return r.conflict("the dossier is not awaiting payment")
	}
	if strings.TrimSpace(p.ReceiptNumber) == "" {
		return invalid("receipt_number is required")
	}
	if p.Amount != r.st.Fee.Amount {
		return temporal.NewApplicationError(
			fmt.Sprintf("paid amount %d VND does not match the fee of %d VND", p.Amount, r.st.Fee.Amount), ErrAmountMismatch)
	}
	return nil
}

func (r *run) onCounterPayment(ctx workflow.Context, p CounterPayment) (State, error) {
	m := r.mark(ctx)
	r.st.Transactions = append(r.st.Transactions, "counter:"+p.ReceiptNumber)
	if err := r.paid(ctx, m); err != nil {
		return State{}, err
	}
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentCounter, Actor: p.Actor,
		Note: fmt.Sprintf("%d VND, receipt %s", p.Amount, p.ReceiptNumber)}, r.resultReadyNotice())
	return r.snapshot(), err
}

// paymentWatch: an open online payment request with an expiry.
func (r *run) paymentWatch() bool {
	return r.lifecycle && r.st.Stage == dossier.StagePayment && r.st.Fee.Status == dossier.FeeAwaitingPayment &&
		!r.st.PaymentExpiresAt.IsZero() && !r.st.PaymentExpired && !r.st.Status.Final()
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

// ---- Return method ----------------------------------------------------------

func (r *run) validateReturnMethod(c ReturnMethodChange) error {
	if err := r.available(r.lifecycle, "changing the return method"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.FinishedAt != nil {
		return r.conflict("the result is ready: the return method can change only before it is")
	}
	if !c.Method.Valid() {
		return invalid("method must be postal, counter or electronic")
	}
	if c.Method == r.st.ReturnMethod {
		return invalid("the result already goes back by %s", c.Method)
	}
	if !slices.Contains(r.in.Procedure.ReturnMethods, string(c.Method)) {
		return temporal.NewApplicationError(fmt.Sprintf("procedure %s (version %d, the catalog) returns its result by %s only, not by %s",
			r.in.Procedure.Code, r.in.Procedure.Version, strings.Join(r.in.Procedure.ReturnMethods, ", "), c.Method), ErrNotAllowed)
	}
	return nil
}

func (r *run) onReturnMethod(ctx workflow.Context, c ReturnMethodChange) (State, error) {
	m := r.mark(ctx)
	from := r.st.ReturnMethod
	r.st.ReturnMethod = c.Method
	note := string(from) + " → " + string(c.Method)
	if c.Reason != "" {
		note += ": " + c.Reason
	}
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionReturnMethodChanged, Actor: c.Actor, Note: note},
		notify(dossier.Notification{To: dossier.ToApplicant, Template: "return_method_changed",
			Message: "Hồ sơ " + r.in.Code + ": kết quả sẽ được trả " + returnMethodVi(c.Method)}))
	return r.snapshot(), err
}

// returnMethodVi says how the result is returned, for the applicant.
func returnMethodVi(m dossier.ReturnMethod) string {
	switch m {
	case dossier.ReturnPostal:
		return "qua bưu chính"
	case dossier.ReturnCounter:
		return "tại bộ phận một cửa"
	}
	return "bằng phương thức điện tử"
}

// ---- Refunds ------------------------------------------------------------------

// planRefund decides, as a dossier ends with its fee paid (end made it
// refund_due), how the fee goes back: paid at the counter, it is paid back
// there (refund at_counter, nothing to wait for); paid online, the main
// loop asks the gateway (VersionRefund) and the workflow stays open until
// the gateway's signed callback settles it. Runs from before the change
// keep the fee refund_due, as they did.
func (r *run) planRefund(ctx workflow.Context) {
	if r.st.Fee.Status != dossier.FeeRefundDue || r.st.Refund != nil || r.refund != 0 {
		return
	}
	if slices.ContainsFunc(r.st.Transactions, func(t string) bool { return strings.HasPrefix(t, "counter:") }) ||
		r.st.Fee.PaymentRef == "" {
		r.st.Refund = &dossier.Refund{Amount: r.st.Fee.Amount, Status: dossier.RefundAtCounter}
		return
	}
	if workflow.GetVersion(ctx, VersionRefund, workflow.DefaultVersion, 1) < 1 {
		r.refund = -1
		return
	}
	r.refund = 1
}

// refundOpen: a refund through the gateway is still to ask for or settle.
func (r *run) refundOpen() bool {
	if r.refund <= 0 {
		return false
	}
	return r.refundBusy || r.st.Refund == nil || r.st.Refund.Status == dossier.RefundPending
}

func (r *run) requestRefund(ctx workflow.Context) {
	r.refundBusy = true
	if r.lean {
		r.localAttempts++
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.refundBusy = false }()
		in := activities.RefundInput{Code: r.in.Code, PaymentRef: r.st.Fee.PaymentRef, Amount: r.st.Fee.Amount,
			Reason: "hồ sơ " + string(r.st.Status)}
		var res activities.RefundResult
		err := r.thirdParty(ctx, activities.NameRequestRefund, in, &res)
		m := r.mark(ctx)
		if err != nil {
			// Refused outright (retryable errors retry for as long as it
			// takes): staff pay it back by hand.
			r.logger.Error("refund request refused", "error", err)
			r.st.Refund = &dossier.Refund{Amount: in.Amount, Status: dossier.RefundFailed}
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionRefundFailed, Actor: actorGateway,
				Note: "the gateway refused the refund: " + err.Error()},
				r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "refund_failed",
					fmt.Sprintf("Hồ sơ %s: cổng thanh toán không hoàn được phí %d đồng; cần hoàn trả thủ công", r.in.Code, in.Amount)))
			return
		}
		r.st.Refund = &dossier.Refund{Amount: in.Amount, Status: dossier.RefundPending, RefundRef: res.RefundRef}
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionRefundRequested,
			Note: fmt.Sprintf("%d VND of payment_ref %s, refund_ref %s", in.Amount, in.PaymentRef, res.RefundRef)})
	})
}

func (r *run) validateRefund(n RefundNotice) error {
	rf := r.st.Refund
	if rf == nil || rf.RefundRef == "" || rf.RefundRef != n.RefundRef {
		return r.conflict("refund_ref %s is not this dossier's refund", n.RefundRef)
	}
	if rf.Status != dossier.RefundPending {
		return temporal.NewApplicationError("the refund is already "+rf.Status, ErrDuplicate)
	}
	if n.Status != dossier.RefundSucceeded && n.Status != dossier.RefundFailed {
		return invalid("status must be succeeded or failed")
	}
	if n.Status == dossier.RefundSucceeded && n.Amount != rf.Amount {
		return temporal.NewApplicationError(
			fmt.Sprintf("refunded amount %d VND does not match the %d VND owed back", n.Amount, rf.Amount), ErrAmountMismatch)
	}
	return nil
}

func (r *run) onRefund(ctx workflow.Context, n RefundNotice) (State, error) {
	m := r.mark(ctx)
	r.st.Refund.Status = n.Status
	ev := dossier.Event{Action: dossier.ActionRefundSucceeded, Actor: actorGateway,
		Note: fmt.Sprintf("%d VND, refund_ref %s", n.Amount, n.RefundRef)}
	extra := notify(dossier.Notification{To: dossier.ToApplicant, Template: "refunded",
		Message: fmt.Sprintf("Hồ sơ %s: đã hoàn trả phí %d đồng", r.in.Code, n.Amount)})
	if n.Status == dossier.RefundSucceeded {
		r.st.Fee.Status = dossier.FeeRefunded
	} else {
		ev.Action = dossier.ActionRefundFailed
		if n.Reason != "" {
			ev.Note += ": " + n.Reason
		}
		extra = r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "refund_failed",
			fmt.Sprintf("Hồ sơ %s: hoàn phí %d đồng không thành công; cần hoàn trả thủ công", r.in.Code, r.st.Refund.Amount))
	}
	err := r.commitWith(ctx, m, ev, extra)
	return r.snapshot(), err
}

// ---- Postal suspension --------------------------------------------------------

func (r *run) validatePostalSuspension(p PostalSuspension) error {
	if err := r.available(r.lifecycle, "a postal suspension notice"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.ReturnMethod != dossier.ReturnPostal {
		return r.conflict("the result goes back by %s, not by post", r.st.ReturnMethod)
	}
	if sh := r.st.Shipment; sh != nil && sh.Status != dossier.ShipmentRequested {
		return r.conflict("the postal service already has the result (shipment %s)", sh.Status)
	}
	return nil
}

// onPostalSuspension offers the applicant the procedure's other return
// methods: the dossier keeps postal return until they (or the intake
// officer) choose one (return_method), and the intake desk is told.
func (r *run) onPostalSuspension(ctx workflow.Context, p PostalSuspension) (State, error) {
	m := r.mark(ctx)
	var others, othersVi []string
	for _, x := range r.in.Procedure.ReturnMethods {
		if x != string(dossier.ReturnPostal) {
			others = append(others, x)
			othersVi = append(othersVi, returnMethodVi(dossier.ReturnMethod(x)))
		}
	}
	note := "postal service suspended in " + p.Area + " from " + p.From + " to " + p.To + ": " + p.Reason
	msg := "Dịch vụ bưu chính tại " + p.Area + " tạm ngừng từ " + p.From + " đến " + p.To + "."
	if len(others) > 0 {
		note += "; offered: " + strings.Join(others, ", ")
		msg += " Hồ sơ " + r.in.Code + " có thể chuyển sang nhận kết quả " + strings.Join(othersVi, " hoặc ") + "."
	}
	extra := notify(dossier.Notification{To: dossier.ToApplicant, Template: "postal_suspended", Message: msg})
	extra.Notifications = append(extra.Notifications, r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment,
		"postal_suspended", "Hồ sơ "+r.in.Code+": bưu chính tại "+p.Area+" tạm ngừng; đã đề nghị người nộp đổi cách nhận").Notifications...)
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPostalSuspended, Actor: p.Actor, Note: note}, extra)
	return r.snapshot(), err
}

// ---- Fee exemption and reduction --------------------------------------------

func (r *run) validateFeeExemption(e FeeExemption) error {
	if err := r.available(r.lifecycle, "a fee exemption"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.Fee.Status != dossier.FeeNone || r.st.Stage == dossier.StagePayment {
		return r.conflict("the fee was already asked for (%s): an exemption or reduction comes before", r.st.Fee.Status)
	}
	if strings.TrimSpace(e.Reason) == "" || strings.TrimSpace(e.LegalBasis) == "" {
		return temporal.NewApplicationError("an exemption or reduction needs its reason and its legal basis, recorded on the control sheet: the Law on Fees and Charges (97/2015/QH13) exempts or reduces only where a legal document grants it", ErrNotAllowed)
	}
	if e.Amount < 0 || e.Amount >= r.st.Fee.Amount {
		return invalid("amount must be from 0 (exempt) to less than the fee of %d VND", r.st.Fee.Amount)
	}
	return nil
}

func (r *run) onFeeExemption(ctx workflow.Context, e FeeExemption) (State, error) {
	m := r.mark(ctx)
	from := r.st.Fee.Amount
	r.st.Fee.Amount = e.Amount
	ev := dossier.Event{Action: dossier.ActionFeeReduced, Actor: e.Actor,
		Note: fmt.Sprintf("%d → %d VND: %s (legal basis: %s)", from, e.Amount, e.Reason, e.LegalBasis)}
	if e.Amount == 0 {
		ev.Action = dossier.ActionFeeExempted
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

// ---- Shipments not picked up -------------------------------------------------

func (r *run) validatePickupOverdue(p PickupOverdue) error {
	if r.st.Status.Final() || r.st.Stage != dossier.StageReturn {
		return r.conflict("the result is not out for delivery")
	}
	if r.st.Shipment == nil || r.st.Shipment.Waybill != p.Waybill || r.st.Shipment.Status != dossier.ShipmentRequested {
		return r.conflict("waybill %s is not a shipment of this dossier waiting for pickup", p.Waybill)
	}
	if r.st.PickupWarned {
		return temporal.NewApplicationError("the intake desk was already warned", ErrDuplicate)
	}
	return nil
}

func (r *run) onPickupOverdue(ctx workflow.Context, p PickupOverdue) (State, error) {
	m := r.mark(ctx)
	r.st.PickupWarned = true
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentNotPickedUp, Actor: actorSystem,
		Note: "waybill " + p.Waybill + " requested " + formatLocal(p.RequestedAt) + ", not picked up by " + formatLocal(p.Due) + " (" + p.Rule + ")"},
		r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "pickup_overdue",
			"Hồ sơ "+r.in.Code+": bưu điện chưa đến nhận kết quả (vận đơn "+p.Waybill+", yêu cầu lúc "+formatLocal(p.RequestedAt)+")"))
	return r.snapshot(), err
}

// ---- Fee timing ---------------------------------------------------------------

// collectsAtFiling: the procedure collects its fee before intake decides
// and the dossier is still at intake with a fee to pay.
func (r *run) collectsAtFiling() bool {
	return r.in.Procedure.FeeTiming == catalog.FeeAtFiling && r.st.Stage == dossier.StageIntake &&
		r.st.Fee.Amount > 0 && !r.st.Status.Final()
}

// feeTimingOn asks once whether this run collects fees as fee_timing says
// (VersionFeeTiming); only the paths that need it ask.
func (r *run) feeTimingOn(ctx workflow.Context) bool {
	if r.feeTiming == 0 {
		r.feeTiming = -1
		if workflow.GetVersion(ctx, VersionFeeTiming, workflow.DefaultVersion, 1) >= 1 {
			r.feeTiming = 1
		}
	}
	return r.feeTiming > 0
}

// requestPaymentAtFiling asks the gateway for a fee collected at filing,
// before intake decides.
func (r *run) requestPaymentAtFiling(ctx workflow.Context) {
	if r.feeTimingOn(ctx) {
		r.requestPayment(ctx)
	}
}

// paid records a fee paid (online or at the counter) and moves on: at
// filing the dossier stays at intake; a financial obligation resumes the
// clock and goes on to the step after the review that assessed it; a fee
// before the result makes the result ready for return.
func (r *run) paid(ctx workflow.Context, m mark) error {
	r.st.Fee.Status = dossier.FeePaid
	if r.st.Stage == dossier.StageIntake {
		return nil
	}
	if r.st.PausedAt != nil {
		// The clock resumes where it stopped.
		if err := r.resumeClock(ctx, m.at); err != nil {
			return err
		}
	}
	if next := r.st.ObligationNext; next > 0 && r.st.FinishedAt == nil {
		r.st.ObligationNext = 0
		r.st.Status = dossier.StatusProcessing
		r.enterStep(next)
		return nil
	}
	r.st.Status = dossier.StatusResultReady
	r.enterStep(len(r.in.Procedure.Steps) - 1)
	return nil
}

// shipRefusalNotice asks the postal service to carry a declined dossier's
// refusal notice (form 03) to the applicant, the dossier's return channel;
// the workflow closes once the shipment is recorded. Its later postal
// callbacks find the dossier closed and change nothing.
func (r *run) shipRefusalNotice(ctx workflow.Context) {
	r.shipmentBusy = true
	if r.lean {
		r.localAttempts++
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.shipmentBusy = false }()
		var res activities.ShipmentResult
		err := r.thirdParty(ctx, activities.NameRequestShipment, activities.ShipmentInput{Code: r.in.Code,
			Contents: "Thông báo từ chối giải quyết hồ sơ " + r.in.Code}, &res)
		if err != nil {
			// Refused outright: the applicant has the notification.
			r.logger.Error("refusal notice shipment refused", "error", err)
			r.shipNotice = false
			return
		}
		m := r.mark(ctx)
		r.st.Shipment = &dossier.Shipment{Waybill: res.Waybill, Status: dossier.ShipmentRequested}
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionShipmentRequested,
			Note: "refusal notice (form 03), waybill " + res.Waybill})
	})
}
