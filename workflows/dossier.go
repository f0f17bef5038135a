package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/dossier"
)

// The dossier workflow, one file per stage: this file starts a dossier and
// runs its main loop; intake.go, supplement.go, review.go, approval.go,
// payment.go, return.go and endings.go hold each stage's decisions (an
// update's validator beside its handler); deadlines.go the one timer and
// what it enforces; state.go the bookkeeping every stage shares (business
// time, commits to the control sheet, search attributes); thirdparty.go the
// calls to the payment gateway and the postal service; types.go the inputs,
// the state and the version markers.

// Actors recorded on the control sheet for what no person did.
const (
	actorSystem  = "system"
	actorGateway = "payment-gateway"
	actorPostal  = "postal-service"
)

// Dossier is the workflow of one dossier, from submission to its end. Its ID
// is the dossier code.
func Dossier(ctx workflow.Context, in DossierInput) (DossierResult, error) {
	return dossierUpTo(ctx, in, VersionLifecycleOneUpsert, 1)
}

// DossierBuild is the workflow as a build that knew VersionLifecycle only up
// to lifecycleMax: what the workers of an earlier release ran. Tests use it
// to start dossiers on the old code and finish them on the new (the upgrade
// of running dossiers, docs/RELIABILITY.md).
func DossierBuild(lifecycleMax workflow.Version) func(workflow.Context, DossierInput) (DossierResult, error) {
	return func(ctx workflow.Context, in DossierInput) (DossierResult, error) {
		return dossierUpTo(ctx, in, lifecycleMax, workflow.DefaultVersion)
	}
}

// dossierUpTo runs a dossier as a build that knew VersionLifecycle up to
// lifecycleMax and VersionPerfEvents up to perfMax.
func dossierUpTo(ctx workflow.Context, in DossierInput, lifecycleMax, perfMax workflow.Version) (DossierResult, error) {
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
				Fee:     dossier.Fee{Amount: in.FeeAmount, Status: dossier.FeeNone, OnDelivery: in.PayOnDelivery},
			},
		},
		sa: searchState{status: dossier.StatusSubmitted, stage: dossier.StageIntake},
	}
	if in.Features > FeaturesMax {
		// A panic fails the workflow task, which is retried: the dossier
		// waits for a worker that knows its level (FeaturesMax).
		panic(fmt.Sprintf("dossier %s was started with workflow features %d; this worker knows up to %d: upgrade the workers",
			in.Code, in.Features, FeaturesMax))
	}
	// Dossiers started before a change replay without it. A dossier the
	// API started at FeaturesPerfEvents has the VersionPerfEvents
	// behaviour from its input, without a marker. Otherwise
	// VersionPerfEvents is asked first: a dossier started with it has the
	// four changes below without asking them (one marker and upsert
	// instead of four); one started before it finds no marker, reads
	// DefaultVersion, and asks the four as it did. (A dossier with the
	// level in its input that a worker of the release before ran anyway
	// recorded the VersionPerfEvents marker; replayed here without the
	// call, the SDK skips the marker and its upsert, and the behaviour is
	// the same.)
	r.perf = perfMax >= 1 && (in.Features >= FeaturesPerfEvents ||
		workflow.GetVersion(ctx, VersionPerfEvents, workflow.DefaultVersion, perfMax) >= 1)
	if r.perf {
		r.legalTime, r.lifecycle, r.lean, r.oneUpsert, r.reportRule, r.notices = true, true, true, true, true, true
	} else {
		r.legalTime = workflow.GetVersion(ctx, VersionLegalTime, workflow.DefaultVersion, 1) >= 1
		lifecycle := workflow.GetVersion(ctx, VersionLifecycle, workflow.DefaultVersion, lifecycleMax)
		r.lifecycle = lifecycle >= 1
		r.lean = lifecycle >= VersionLifecycleLean
		r.oneUpsert = lifecycle >= VersionLifecycleOneUpsert
		r.reportRule = workflow.GetVersion(ctx, VersionReportRule, workflow.DefaultVersion, 1) >= 1
		r.notices = workflow.GetVersion(ctx, VersionApplicantNotices, workflow.DefaultVersion, 1) >= 1
	}
	r.st.ReturnMethod = in.ReturnMethod
	if err := r.register(ctx); err != nil {
		return DossierResult{}, err
	}
	if r.reportRule {
		r.startIntakeClock(ctx)
	}
	return r.run(ctx)
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
	// perf: a shorter history (VersionPerfEvents): the intake step from
	// the input, the first timer armed once the first task's decisions
	// are recorded, transitions of one handler written together.
	perf bool
	// hold keeps the transitions committed meanwhile in held, to be
	// written with the next one (commitWith).
	hold bool
	held []dossier.Transition
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
	// cod: the postman may collect the fee on delivery (VersionCOD; 0 not
	// asked yet, 1 yes, -1 a run from before it).
	cod int
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
	if r.perf {
		// An intake decided in the first workflow task (its update waits
		// for the handlers registered above) would move the earliest
		// deadline from the intake's to the review's: let it finish before
		// the first timer is armed. The first evaluation is false so that
		// the update's handler, spawned when the handlers were registered,
		// runs once before the condition is read.
		started := false
		if err := workflow.Await(ctx, func() bool {
			if !started {
				started = true
				return false
			}
			return workflow.AllHandlersFinished(ctx) && r.commits == 0 && r.localAttempts == 0
		}); err != nil {
			return DossierResult{}, err
		}
	}
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
