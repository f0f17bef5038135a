package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

func TestReturnForRework(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// XD-GPXD-01 has two review steps: site-inspection, then review.
	h := newHarness(t, procs["XD-GPXD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	firstBack := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "return", Note: "x"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	noNote := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "return"})
	back := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "return", Note: "đo đạc lại ranh giới"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	toReview := h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "return", Note: "bổ sung ý kiến pháp chế"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "reject", Note: "end"})
	h.run()

	requireRejected(t, firstBack, workflows.ErrStageConflict) // the first review step has nowhere to go back
	requireRejected(t, noNote, workflows.ErrInvalidDecision)
	st := ok(t, back)
	require.Equal(t, "site-inspection", st.CurrentStep.Name)
	st = ok(t, toReview)
	require.Equal(t, dossier.StageReview, st.Stage)
	require.Equal(t, "review", st.CurrentStep.Name)
	require.Equal(t, []string{"intake.accept", "review.approve", "review.return", "review.approve", "review.approve",
		"approval.return", "review.approve", "approval.reject"}, h.actions())
	require.Len(t, h.notifications("returned_for_rework"), 2)
}

func TestApprovalReturnNeedsAReviewStep(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["CT-BS-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	back := h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "return", Note: "x"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "reject", Note: "end"})
	h.run()
	requireRejected(t, back, workflows.ErrStageConflict)
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelOnline, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	noReason := h.send(time.Minute, workflows.UpdateWithdrawal, workflows.Withdrawal{})
	w := h.send(time.Hour, workflows.UpdateWithdrawal, workflows.Withdrawal{Reason: "không còn nhu cầu", Actor: "portal"})
	res := h.run()
	requireRejected(t, noReason, workflows.ErrInvalidDecision)
	st := ok(t, w)
	require.Equal(t, dossier.StatusWithdrawn, st.Status)
	require.Equal(t, 7, st.Status.Code())
	require.Nil(t, st.CurrentStep)
	// The run closes with the dossier: later actions reach a closed
	// workflow, which the API answers with 409 (see the API tests).
	require.Equal(t, dossier.StatusWithdrawn, res.Status)
	require.NotContains(t, h.actions(), dossier.ActionStepOverdue, "the timers stopped")
	require.Equal(t, "000.00.18.H39", h.transition(dossier.ActionWithdrawn).Notifications[0].Agency)
}

func TestWithdrawalAfterTheResultIsReadyIsRefused(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.throughApproval()
	w := h.send(time.Minute, workflows.UpdateWithdrawal, workflows.Withdrawal{Reason: "late"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	requireRejected(t, w, workflows.ErrStageConflict)
	require.Equal(t, dossier.StatusReturned, res.Status)
}

func TestStopAtAnyStageMarksAPaidFeeForRefund(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.throughApproval()
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 200000, Status: "succeeded"})
	stop := h.send(time.Minute, workflows.UpdateStop, workflows.Stop{Reason: "phát hiện giả mạo giấy tờ", Actor: "leader"})
	// The fee paid online goes back through the gateway (TestPaidFeeIsRefunded).
	refunded := h.send(time.Minute, workflows.UpdateRefund, workflows.RefundNotice{RefundRef: "REF-" + h.in.Code, Amount: 200000, Status: "succeeded"})
	res := h.run()
	st := ok(t, stop)
	require.Equal(t, dossier.StatusStopped, st.Status)
	require.Equal(t, dossier.FeeRefundDue, st.Fee.Status)
	require.Equal(t, dossier.FeeRefunded, ok(t, refunded).Fee.Status)
	require.Equal(t, dossier.StatusStopped, res.Status)
	require.Len(t, h.notifications("stopped"), 1, "the applicant gets the notice (form 05)")
}

func TestCounterPayment(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	early := h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-1", Amount: 200000})
	h.throughApproval()
	wrong := h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-2", Amount: 20000})
	paid := h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-3", Amount: 200000, Actor: "officer"})
	gateway := h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 200000, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	requireRejected(t, early, workflows.ErrStageConflict)
	requireRejected(t, wrong, workflows.ErrAmountMismatch)
	st := ok(t, paid)
	require.Equal(t, dossier.FeePaid, st.Fee.Status)
	requireRejected(t, gateway, workflows.ErrStageConflict) // a late gateway callback never pays twice
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Contains(t, h.actions(), dossier.ActionPaymentCounter)
}

func TestFailedDeliveryComesBackToTheCounter(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	h.in.ReturnMethod = dossier.ReturnPostal
	h.throughApproval()
	h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "picked_up"})
	failed := h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "failed", Reason: "không có người nhận"})
	handover := h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	st := ok(t, failed)
	require.Equal(t, dossier.ReturnCounter, st.ReturnMethod)
	require.Equal(t, dossier.ShipmentFailed, st.Shipment.Status)
	ok(t, handover)
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Len(t, h.notifications("counter_pickup"), 1)
}

func TestPostalOutageThatRecovers(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	h.in.ReturnMethod = dossier.ReturnPostal
	// Retries back off to one every 10 minutes: 250 failures are about 31
	// hours of outage (200 were measured at 22 h 50 m).
	h.shipmentFails = 250
	h.throughApproval()
	h.send(3*24*time.Hour, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "delivered"})
	res := h.run()
	require.Equal(t, dossier.StatusReturned, res.Status)
	acts := h.actions()
	require.Contains(t, acts, dossier.ActionShipmentDelayed, "staff were told after a day")
	require.NotContains(t, acts, dossier.ActionCounterPickup, "it recovered before the fallback")
	require.Less(t, slices.Index(acts, dossier.ActionShipmentDelayed), slices.Index(acts, dossier.ActionShipmentRequested))
	require.Equal(t, 251, h.shipments, "one request per attempt, one waybill in the end")
	require.Equal(t, "postal_outage", h.notifications("postal_outage")[0].Template)
}

func TestPostalOutageEndsInCounterPickup(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	h.in.ReturnMethod = dossier.ReturnPostal
	h.shipmentFails = -1 // the postal service stays suspended for weeks
	h.throughApproval()
	tooSoon := h.send(time.Hour, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	pickup := h.send(8*24*time.Hour, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "Nguyễn Văn A"})
	res := h.run()
	requireRejected(t, tooSoon, workflows.ErrStageConflict) // the result still goes by post then
	st := ok(t, pickup)
	require.Equal(t, dossier.ReturnCounter, st.ReturnMethod)
	require.Equal(t, dossier.StatusReturned, res.Status)
	acts := h.actions()
	require.Equal(t, []string{dossier.ActionShipmentDelayed, dossier.ActionCounterPickup, dossier.ActionHandover}, acts[len(acts)-3:])
	require.True(t, start.Add(3*time.Minute+7*24*time.Hour).Equal(h.transition(dossier.ActionCounterPickup).Event.At),
		"counter pickup is offered 7 days after the first shipment request")
	require.Len(t, h.notifications("counter_pickup"), 1)
}

func TestParallelDepartmentsHaveTheirOwnTimersAndAssignees(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// TN-BDDD-01, received Monday 09:01: intake 4 h, review 32 h, then the
	// assessment step, 16 h for each of two departments in parallel.
	h := newHarness(t, procs["TN-BDDD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	noDept := h.send(time.Minute, workflows.UpdateAssignment, workflows.Assignment{Assignee: "cv.lan"})
	assign := h.send(time.Minute, workflows.UpdateAssignment, workflows.Assignment{Assignee: "cv.lan", Department: "000.00.22.H39"})
	reassign := h.send(time.Minute, workflows.UpdateAssignment, workflows.Assignment{Assignee: "cv.minh", Department: "000.00.22.H39"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.21.H39"})
	decided := h.send(time.Minute, workflows.UpdateAssignment, workflows.Assignment{Assignee: "x", Department: "000.00.21.H39"})
	// The tax department takes ten days: its part (4 + 32 + 16 working
	// hours from Monday 09:01, i.e. Tuesday of the next week) is late.
	fee := int64(900_000)
	h.send(10*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", Department: "000.00.22.H39", AssessedFee: &fee})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "reject", Note: "end"})
	h.run()

	requireRejected(t, noDept, workflows.ErrInvalidDecision)
	st := ok(t, assign)
	require.Len(t, st.CurrentStep.Branches, 2)
	require.Equal(t, "cv.lan", st.CurrentStep.Branches[1].Assignee)
	st = ok(t, reassign)
	require.Equal(t, "cv.minh", st.CurrentStep.Branches[1].Assignee)
	requireRejected(t, decided, workflows.ErrStageConflict)
	var escalated []string
	for _, tr := range h.transitions {
		if tr.Event.Action == dossier.ActionStepOverdue && tr.Event.Step == "assessment" {
			escalated = append(escalated, tr.Event.Department)
		}
	}
	// Only the slow department's part is escalated, to its own leader,
	// then the step as a whole.
	require.Equal(t, []string{"000.00.22.H39", ""}, escalated)
	var notes []string
	for _, tr := range h.transitions {
		if tr.Event.Action == dossier.ActionStepAssigned {
			notes = append(notes, tr.Event.Note)
		}
	}
	require.Equal(t, []string{"assigned to cv.lan", "reassigned from cv.lan to cv.minh"}, notes)
}

func TestPaymentReminderAndExpiry(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.throughApproval()
	// Nobody pays online for four days; then the applicant pays at the counter.
	paid := h.send(4*24*time.Hour, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-9", Amount: 200000})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	require.Equal(t, dossier.StatusReturned, res.Status)
	ok(t, paid)
	requested := h.transition(dossier.ActionPaymentRequested).Event.At
	require.True(t, requested.Add(48*time.Hour).Equal(h.transition(dossier.ActionPaymentReminder).Event.At), "reminded 24 h before the 72 h expiry")
	require.True(t, requested.Add(72*time.Hour).Equal(h.transition(dossier.ActionPaymentExpired).Event.At))
	require.Len(t, h.notifications("payment_reminder"), 1)
	expired := h.transition(dossier.ActionPaymentExpired)
	require.Equal(t, dossier.StatusAwaitingPayment, expired.Progress.Status, "the dossier keeps waiting")
	require.Len(t, expired.Notifications, 2, "the applicant and the intake desk are told")
}

func TestElectronicReturnCarriesTheResultDocument(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve",
		ResultDocument: &dossier.Document{Name: "giay-khai-sinh.pdf", SHA256: "ab12"}})
	res := h.run()
	require.Equal(t, dossier.StatusReturned, res.Status)
	doc := h.transition(dossier.ActionIssuedElectronic).Progress.ResultDocument
	require.NotNil(t, doc)
	require.Equal(t, "giay-khai-sinh.pdf", doc.Name)
	require.True(t, start.Add(3*time.Minute).Equal(doc.IssuedAt))
}
