package workflows_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/workflows"
)

func loadCatalog(t *testing.T) map[string]catalog.Procedure {
	t.Helper()
	data, err := os.ReadFile("../data/procedures.yaml")
	require.NoError(t, err)
	c, err := catalog.Parse(data)
	require.NoError(t, err)
	out := map[string]catalog.Procedure{}
	for _, p := range c.Procedures {
		out[p.Code] = p
	}
	return out
}

// harness runs one dossier workflow in the SDK's time-skipping test
// environment, with the real schedule arithmetic and in-memory stand-ins for
// the activities that touch PostgreSQL and third parties.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	in  workflows.DossierInput

	mu          sync.Mutex
	transitions []dossier.Transition
	payments    int
	shipments   int
	// shipped are the shipment requests the postal stand-in accepted.
	shipped []activities.ShipmentInput
	refunds []activities.RefundInput
	// shipmentFails makes the postal stand-in refuse this many requests
	// (as during an outage) before it accepts; -1: it never accepts.
	shipmentFails int

	offset  time.Duration
	results []*updateResult
}

type updateResult struct {
	name     string
	rejected error
	state    workflows.State
	err      error
	done     bool
}

// start is a Monday 09:00 in Vietnam: inside working hours.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, dossier.Location)

func newHarness(t *testing.T, proc catalog.Procedure, ch dossier.Channel, method dossier.ReturnMethod) *harness {
	return newHarnessAt(t, proc, ch, method, start, calendar.Default())
}

// newHarnessAt starts the dossier at `at`, with the calendar `cal`.
func newHarnessAt(t *testing.T, proc catalog.Procedure, ch dossier.Channel, method dossier.ReturnMethod, at time.Time, cal *calendar.Calendar) *harness {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(at)
	h := &harness{t: t, env: env, in: workflows.DossierInput{
		Code: "000.00.17.H39-261123-0001", Procedure: proc, Channel: ch, ReturnMethod: method,
		FeeAmount: proc.FeeFor(ch, 1), SubmittedAt: at, Rules: rules.Default(),
		// As the API starts a dossier today.
		Features: workflows.FeaturesMax,
	}}
	env.RegisterWorkflowWithOptions(workflows.Dossier, workflowRegisterOptions)
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.ScheduleInput) (activities.ScheduleResult, error) {
		return activities.Schedule(cal, in)
	}, activity.RegisterOptions{Name: activities.NameComputeSchedule})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.DueAfterInput) (time.Time, error) {
		return cal.Due(in.From, in.Duration, calendar.DefaultSameDayCutoff)
	}, activity.RegisterOptions{Name: activities.NameDueAfter})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.IntakeClockInput) (activities.IntakeClockResult, error) {
		return activities.IntakeClock(cal, in)
	}, activity.RegisterOptions{Name: activities.NameStartIntakeClock})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.ShiftInput) (activities.ShiftResult, error) {
		return activities.Shift(cal, in)
	}, activity.RegisterOptions{Name: activities.NameShiftInstants})
	notices, err := notify.DefaultTemplates()
	require.NoError(t, err)
	// As the real activities do: every notice the workflow asks for must
	// render from its template with the facts it gave.
	render := func(tr *dossier.Transition) {
		notices.RenderNotices(tr, "https://motcua.example")
		for _, n := range tr.Notifications {
			if n.RenderError != "" {
				t.Errorf("notice %s at seq %d: %s", n.Template, tr.Event.Seq, n.RenderError)
			}
		}
	}
	env.RegisterActivityWithOptions(func(ctx context.Context, tr dossier.Transition) error {
		render(&tr)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.transitions = append(h.transitions, tr)
		return nil
	}, activity.RegisterOptions{Name: activities.NameRecordTransition})
	env.RegisterActivityWithOptions(func(ctx context.Context, ts []dossier.Transition) error {
		for i := range ts {
			render(&ts[i])
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.transitions = append(h.transitions, ts...)
		return nil
	}, activity.RegisterOptions{Name: activities.NameRecordTransitions})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.PaymentInput) (activities.PaymentResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.payments++
		return activities.PaymentResult{PaymentRef: "PAY-" + in.Code, PayURL: "http://pay.example/" + in.Code}, nil
	}, activity.RegisterOptions{Name: activities.NameRequestPayment})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.ShipmentInput) (activities.ShipmentResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.shipments++
		if h.shipmentFails < 0 || h.shipments <= h.shipmentFails {
			return activities.ShipmentResult{}, errors.New("postal service suspended")
		}
		h.shipped = append(h.shipped, in)
		return activities.ShipmentResult{Waybill: "EV000000001VN"}, nil
	}, activity.RegisterOptions{Name: activities.NameRequestShipment})
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.RefundInput) (activities.RefundResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.refunds = append(h.refunds, in)
		return activities.RefundResult{RefundRef: "REF-" + in.Code}, nil
	}, activity.RegisterOptions{Name: activities.NameRequestRefund})
	return h
}

// send schedules an update after the previous one, `after` later.
func (h *harness) send(after time.Duration, name string, arg any) *updateResult {
	h.offset += after
	r := &updateResult{name: name}
	h.results = append(h.results, r)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err; r.done = true },
			OnComplete: func(v any, err error) {
				r.done = true
				r.err = err
				if st, ok := v.(workflows.State); ok {
					r.state = st
				}
			},
		}, arg)
	}, h.offset)
	return r
}

// throughApproval accepts the dossier, approves its (single) review step
// and the leader signs, a minute apart: the way most tests reach the result.
func (h *harness) throughApproval() {
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
}

func (h *harness) run() workflows.DossierResult {
	h.env.ExecuteWorkflow(workflows.WorkflowName, h.in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "the dossier did not reach its end")
	require.NoError(h.t, h.env.GetWorkflowError())
	var res workflows.DossierResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	for _, r := range h.results {
		require.True(h.t, r.done, "update %s got no answer", r.name)
	}
	return res
}

// actions lists the recorded events in control-sheet order. Transitions
// may complete out of order (an update's write and the main loop's), and
// their sequence numbers, not completion order, order the sheet.
func (h *harness) actions() []string {
	slices.SortFunc(h.transitions, func(a, b dossier.Transition) int { return a.Event.Seq - b.Event.Seq })
	var out []string
	for _, tr := range h.transitions {
		out = append(out, tr.Event.Action)
	}
	return out
}

// requireRejected checks an update was rejected by its validator with the
// given error type.
func requireRejected(t *testing.T, r *updateResult, errType string) {
	t.Helper()
	require.Error(t, r.rejected, "update %s should have been rejected", r.name)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, r.rejected, &appErr)
	require.Equal(t, errType, appErr.Type(), appErr.Error())
}

func ok(t *testing.T, r *updateResult) workflows.State {
	t.Helper()
	require.NoError(t, r.rejected, "update %s rejected", r.name)
	require.NoError(t, r.err, "update %s failed", r.name)
	return r.state
}

// The API keeps a postal pickup with the shipment and sends it with the
// delivery (PostalNotice.PickedUpAt) instead of as an update of its own: the
// control sheet still gets both, the pickup first and at its own time.
func TestPickupRecordedWithTheDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["KH-DN-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.throughApproval()
	pickedUp := start.Add(3*time.Minute + 30*time.Second)
	delivered := h.send(time.Hour, workflows.UpdatePostal, workflows.PostalNotice{
		Waybill: "EV000000001VN", Event: "delivered", PickedUpAt: &pickedUp})
	res := h.run()
	require.Equal(t, dossier.StatusReturned, res.Status)
	ok(t, delivered)
	require.Equal(t, []string{"intake.accept", "review.approve", "approval.approve",
		"shipment.requested", "shipment.picked_up", "shipment.delivered"}, h.actions())
	pickup, delivery := h.transitions[4], h.transitions[5]
	require.True(t, pickup.Event.At.Equal(pickedUp), "the pickup at its own time: %v", pickup.Event.At)
	require.Equal(t, "postal-service", pickup.Event.Actor)
	require.Equal(t, dossier.ShipmentPickedUp, pickup.Progress.Shipment.Status)
	require.Equal(t, dossier.StatusResultReady, pickup.Progress.Status, "a pickup changes no status")
	require.Equal(t, dossier.ShipmentDelivered, delivery.Progress.Shipment.Status)
	require.True(t, delivery.Event.At.After(pickedUp))
}

func TestHappyPaths(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	cases := []struct {
		name      string
		proc      string
		channel   dossier.Channel
		method    dossier.ReturnMethod
		wantFee   int64
		wantTrail []string
	}{
		{"counter return with fee", "TP-LLTP-01", dossier.ChannelCounter, dossier.ReturnCounter, 200000, []string{
			"intake.accept", "review.approve", "approval.approve", "payment.requested", "payment.succeeded", "handover"}},
		{"postal return with fee", "KH-HKD-01", dossier.ChannelOnline, dossier.ReturnPostal, 100000, []string{
			"intake.accept", "review.approve", "approval.approve", "payment.requested", "payment.succeeded",
			"shipment.requested", "shipment.picked_up", "shipment.delivered"}},
		{"electronic return with fee", "KH-HKD-01", dossier.ChannelOnline, dossier.ReturnElectronic, 100000, []string{
			"intake.accept", "review.approve", "approval.approve", "payment.requested", "payment.succeeded",
			"result.issued_electronically"}},
		{"counter return without fee", "HT-KS-01", dossier.ChannelCounter, dossier.ReturnCounter, 0, []string{
			"intake.accept", "review.approve", "approval.approve", "handover"}},
		{"electronic return without fee", "HT-KS-01", dossier.ChannelOnline, dossier.ReturnElectronic, 0, []string{
			"intake.accept", "review.approve", "approval.approve", "result.issued_electronically"}},
		{"postal return without fee (online fee waived)", "KH-DN-01", dossier.ChannelOnline, dossier.ReturnPostal, 0, []string{
			"intake.accept", "review.approve", "approval.approve",
			"shipment.requested", "shipment.picked_up", "shipment.delivered"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, procs[tc.proc], tc.channel, tc.method)
			require.Equal(t, tc.wantFee, h.in.FeeAmount)
			intake := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept", Actor: "officer"})
			review := h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Actor: "reviewer"})
			approval := h.send(time.Hour, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve", Actor: "leader"})
			if tc.wantFee > 0 {
				h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{
					PaymentRef: "PAY-" + h.in.Code, TransactionID: "T1", Amount: tc.wantFee, Status: "succeeded"})
			}
			switch tc.method {
			case dossier.ReturnCounter:
				h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "Nguyễn Văn A", Actor: "officer"})
			case dossier.ReturnPostal:
				h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "picked_up"})
				h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "delivered"})
			}
			res := h.run()
			acts := h.actions()

			st := ok(t, intake)
			require.Equal(t, dossier.StatusReceived, st.Status)
			require.NotNil(t, st.AppointmentAt)
			require.True(t, st.AppointmentAt.After(*st.ReceivedAt))
			ok(t, review)
			ok(t, approval)
			for _, tr := range h.transitions {
				if tr.Event.Action == dossier.ActionApprovalApprove {
					require.Equal(t, dossier.StatusResultReady, tr.Progress.Status)
					require.NotNil(t, tr.Progress.FinishedAt)
				}
			}

			require.Equal(t, dossier.StatusReturned, res.Status)
			require.NotNil(t, res.ReturnedAt)
			require.Equal(t, tc.wantTrail, acts)
			// The control sheet is numbered without gaps after "submitted".
			for i, tr := range h.transitions {
				require.Equal(t, i+2, tr.Event.Seq)
				require.Equal(t, tr.Event.Seq, tr.Progress.Version)
			}
			last := h.transitions[len(h.transitions)-1].Progress
			require.Equal(t, dossier.StageDone, last.Stage)
			require.Nil(t, last.CurrentStep)
			if tc.wantFee > 0 {
				require.Equal(t, dossier.FeePaid, last.Fee.Status)
				require.Equal(t, 1, h.payments)
			} else {
				require.Equal(t, dossier.FeeNone, last.Fee.Status)
				require.Zero(t, h.payments)
			}
			if tc.method == dossier.ReturnPostal {
				require.Equal(t, 1, h.shipments)
				require.Equal(t, dossier.ShipmentDelivered, last.Shipment.Status)
			}
		})
	}
}

func TestOutOfStageActionsAreRejected(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	pay := workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T1", Amount: 200000, Status: "succeeded"}

	reviewEarly := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	approvalEarly := h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	handoverEarly := h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	paymentEarly := h.send(time.Minute, workflows.UpdatePayment, pay)
	postalWrong := h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV9", Event: "delivered"})
	badDecision := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "maybe"})
	refuseNoNote := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "refuse"})
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	intakeTwice := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	approvalInReview := h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	wrongDept := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.99.H39"})
	assessedOnFixed := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", AssessedFee: new(int64)})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	handoverBeforePaid := h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	wrongAmount := h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{
		PaymentRef: pay.PaymentRef, TransactionID: "T0", Amount: 1000, Status: "succeeded"})
	failed := h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{
		PaymentRef: pay.PaymentRef, TransactionID: "T-failed", Amount: 200000, Status: "failed", Reason: "card declined"})
	h.send(time.Minute, workflows.UpdatePayment, pay)
	paidTwice := h.send(time.Minute, workflows.UpdatePayment, pay)
	otherTxn := h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{
		PaymentRef: pay.PaymentRef, TransactionID: "T2", Amount: 200000, Status: "succeeded"})
	handoverNoName := h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "Nguyễn Văn A"})
	res := h.run()

	requireRejected(t, reviewEarly, workflows.ErrStageConflict)
	requireRejected(t, approvalEarly, workflows.ErrStageConflict)
	requireRejected(t, handoverEarly, workflows.ErrStageConflict)
	requireRejected(t, paymentEarly, workflows.ErrStageConflict)
	requireRejected(t, postalWrong, workflows.ErrStageConflict)
	requireRejected(t, badDecision, workflows.ErrInvalidDecision)
	requireRejected(t, refuseNoNote, workflows.ErrInvalidDecision)
	requireRejected(t, intakeTwice, workflows.ErrStageConflict)
	requireRejected(t, approvalInReview, workflows.ErrStageConflict)
	requireRejected(t, wrongDept, workflows.ErrStageConflict)
	requireRejected(t, assessedOnFixed, workflows.ErrInvalidDecision)
	requireRejected(t, handoverBeforePaid, workflows.ErrStageConflict)
	requireRejected(t, wrongAmount, workflows.ErrAmountMismatch)
	st := ok(t, failed)
	require.Equal(t, dossier.StatusAwaitingPayment, st.Status, "a failed payment leaves the dossier waiting")
	requireRejected(t, paidTwice, workflows.ErrDuplicate)
	requireRejected(t, otherTxn, workflows.ErrStageConflict)
	requireRejected(t, handoverNoName, workflows.ErrInvalidDecision)

	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Equal(t, []string{"intake.accept", "review.approve", "approval.approve", "payment.requested",
		"payment.failed", "payment.succeeded", "handover"}, h.actions(),
		"rejected actions leave no trace on the control sheet")
	require.Equal(t, 1, h.payments)
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	for _, tc := range []struct {
		name   string
		steps  func(h *harness)
		action string
		status dossier.Status
	}{
		{"at intake", func(h *harness) {
			h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "refuse", Note: "thiếu tờ khai"})
		}, "intake.refuse", dossier.StatusRefused},
		{"at review", func(h *harness) {
			h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
			h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "không đủ điều kiện"})
		}, "review.refuse", dossier.StatusDeclined},
		{"at approval", func(h *harness) {
			h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
			h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
			h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "reject", Note: "sai thẩm quyền"})
		}, "approval.reject", dossier.StatusDeclined},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelOnline, dossier.ReturnCounter)
			tc.steps(h)
			res := h.run()
			// Refused at intake: not received (3); after receipt: declined (11).
			require.Equal(t, tc.status, res.Status)
			acts := h.actions()
			require.Equal(t, tc.action, acts[len(acts)-1])
			require.Zero(t, h.payments)
			require.NotNil(t, res.FinishedAt)
		})
	}
}

func TestParallelReviewNeedsEveryDepartment(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TN-BDDD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	fee := int64(1_500_000)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	noDept := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	first := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.21.H39"})
	again := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.21.H39"})
	second := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.22.H39", AssessedFee: &fee})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: fee, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "B"})
	res := h.run()

	requireRejected(t, noDept, workflows.ErrInvalidDecision)
	st := ok(t, first)
	require.Equal(t, "assessment", st.CurrentStep.Name)
	require.Equal(t, []string{"000.00.22.H39"}, st.CurrentStep.Pending)
	requireRejected(t, again, workflows.ErrStageConflict)
	st = ok(t, second)
	require.Equal(t, dossier.StageApproval, st.Stage)
	require.Equal(t, fee, st.Fee.Amount)
	require.Equal(t, dossier.StatusReturned, res.Status)
}

func TestDeadlinesMarkOverdue(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	// Three working days from Monday 09:01 is Thursday 09:01; decide on
	// the following Monday, well after the appointment.
	late := h.send(7*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "C"})
	res := h.run()
	require.Equal(t, dossier.StatusReturned, res.Status)

	st := ok(t, late)
	require.True(t, st.Overdue)
	acts := h.actions()
	// Every step entered after its due time is overdue at once: the
	// approval step and the return step too.
	require.Equal(t, []string{"intake.accept", "deadline.step_warning", "deadline.apology_required",
		"deadline.step_overdue", "deadline.appointment_overdue", "review.approve",
		"deadline.step_overdue", "approval.approve", "payment.requested", "payment.succeeded",
		"deadline.step_overdue", "handover"}, acts)
	appt := h.transitions[0].Progress.AppointmentAt
	require.Equal(t, time.Date(2026, 11, 26, 9, 1, 0, 0, dossier.Location), appt.In(dossier.Location))
	for _, tr := range h.transitions {
		if tr.Event.Action == "review.approve" {
			require.Equal(t, dossier.Late, tr.Event.OnTime)
		}
	}
}

// TestWorkflowFeatureLevels: a dossier runs the same way whether its level
// comes from its input (as the API starts it today) or from GetVersion (as
// dossiers started before the level existed, Features 0); a level this
// build does not know fails the workflow task instead of running the
// dossier on a path its history would not match.
func TestWorkflowFeatureLevels(t *testing.T) {
	t.Parallel()
	proc := loadCatalog(t)["KH-HKD-01"]
	var sheets [][]string
	for _, level := range []int{0, workflows.FeaturesMax} {
		h := newHarness(t, proc, dossier.ChannelOnline, dossier.ReturnPostal)
		h.in.Features = level
		h.throughApproval()
		h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{
			PaymentRef: "PAY-" + h.in.Code, TransactionID: "T1", Amount: h.in.FeeAmount, Status: "succeeded"})
		h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "picked_up"})
		h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "delivered"})
		res := h.run()
		require.Equal(t, dossier.StatusReturned, res.Status, "level %d", level)
		sheets = append(sheets, h.actions())
	}
	require.Equal(t, sheets[0], sheets[1], "the same control sheet at both levels")

	h := newHarness(t, proc, dossier.ChannelOnline, dossier.ReturnPostal)
	h.in.Features = workflows.FeaturesMax + 1
	h.env.ExecuteWorkflow(workflows.WorkflowName, h.in)
	require.Error(t, h.env.GetWorkflowError())
	require.Contains(t, h.env.GetWorkflowError().Error(), "upgrade the workers")
}
