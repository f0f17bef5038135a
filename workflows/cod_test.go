package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

// Cash on delivery (Decision 45/2016/QĐ-TTg): GT-GPLX-01 lets the postman
// collect its fee. The applicant who chose it is not asked to pay before
// the result goes out; the shipment request carries the amount; the
// delivery records the fee paid "cod" at the postman's time, before the
// delivery itself. A postman who reports a different amount is refused and
// nothing is recorded.
func TestCashOnDeliveryCollectedByThePostman(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["GT-GPLX-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.in.PayOnDelivery = true
	fee := h.in.FeeAmount
	require.Equal(t, int64(135000), fee)
	h.throughApproval()
	collectedAt := start.Add(50 * time.Minute)
	short := h.send(time.Hour, workflows.UpdatePostal, workflows.PostalNotice{
		Waybill: "EV000000001VN", Event: "delivered", At: collectedAt, Collected: fee - 1000})
	delivered := h.send(time.Minute, workflows.UpdatePostal, workflows.PostalNotice{
		Waybill: "EV000000001VN", Event: "delivered", At: collectedAt, Collected: fee})
	res := h.run()

	requireRejected(t, short, workflows.ErrAmountMismatch)
	require.Contains(t, short.rejected.Error(), "the postman collected 134000 VND on delivery; the fee is 135000 VND")
	ok(t, delivered)
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Zero(t, h.payments, "no payment request: the postman collects it")
	require.Len(t, h.shipped, 1)
	require.Equal(t, fee, h.shipped[0].CollectAmount, "the shipment request carries the amount to collect")
	require.Equal(t, []string{"intake.accept", "review.approve", "approval.approve",
		"shipment.requested", "payment.on_delivery", "shipment.delivered"}, h.actions())

	approved := h.transition(dossier.ActionApprovalApprove)
	require.Equal(t, dossier.StageReturn, approved.Progress.Stage, "straight to the return, no payment stage")
	require.Equal(t, dossier.FeeOnDelivery, approved.Progress.Fee.Status)
	require.Contains(t, h.transition(dossier.ActionShipmentRequested).Event.Note, "135000 VND to collect on delivery")
	cod := h.transition(dossier.ActionPaymentOnDelivery)
	require.True(t, cod.Event.At.Equal(collectedAt), "at the postman's time: %v", cod.Event.At)
	require.Equal(t, "postal-service", cod.Event.Actor)
	require.Equal(t, "135000 VND collected on delivery, waybill EV000000001VN", cod.Event.Note)
	last := h.transitions[len(h.transitions)-1].Progress
	require.Equal(t, dossier.FeePaid, last.Fee.Status)
	require.Equal(t, dossier.FeeMethodCOD, last.Fee.Method)
	require.NotNil(t, last.Fee.PaidAt)
	require.True(t, last.Fee.PaidAt.Equal(collectedAt))
	// The applicant is told what to pay the postman.
	var told bool
	for _, n := range h.notifications("shipped") {
		told = told || strings.Contains(n.Message, "135000 đồng cho nhân viên bưu điện")
	}
	require.True(t, told, "the shipped notice says what to pay the postman")
}

// A failed delivery collects nothing: the result comes back to the counter
// (the existing failed-delivery path) and the fee is still due, asked for
// as any fee before the result is handed over.
func TestCashOnDeliveryFailedDeliveryLeavesTheFeeDue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["GT-GPLX-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.in.PayOnDelivery = true
	h.throughApproval()
	failed := h.send(time.Hour, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "failed",
		Reason: "không liên lạc được người nhận"})
	tooEarly := h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-7", Amount: h.in.FeeAmount})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()

	st := ok(t, failed)
	require.Equal(t, dossier.FeeNone, st.Fee.Status, "nothing was collected")
	require.Equal(t, dossier.StagePayment, st.Stage)
	require.Equal(t, dossier.ReturnCounter, st.ReturnMethod)
	requireRejected(t, tooEarly, workflows.ErrStageConflict)
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Equal(t, 1, h.payments, "the fee is asked for as usual")
	require.Equal(t, []string{"intake.accept", "review.approve", "approval.approve", "shipment.requested",
		"shipment.failed", "payment.requested", "payment.counter", "handover"}, h.actions())
	require.Contains(t, h.transition(dossier.ActionShipmentFailed).Event.Note,
		"nothing was collected on delivery: the fee of 135000 VND is due before the result is handed over")
	last := h.transitions[len(h.transitions)-1].Progress
	require.Equal(t, dossier.FeePaid, last.Fee.Status)
	require.Equal(t, dossier.FeeMethodCounter, last.Fee.Method)
}

// The choice can be made with the return method, before the result is
// ready, only where the procedure allows it; a procedure without it pays
// before the result as before.
func TestCashOnDeliveryChosenWithTheReturnMethod(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)

	h := newHarness(t, procs["GT-GPLX-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	counterCOD := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnCounter, PayOnDelivery: true})
	chosen := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnPostal, PayOnDelivery: true, Actor: "officer"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Hour, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "delivered", Collected: h.in.FeeAmount})
	res := h.run()
	requireRejected(t, counterCOD, workflows.ErrInvalidDecision)
	st := ok(t, chosen)
	require.True(t, st.Fee.OnDelivery)
	require.Equal(t, "counter → postal, the fee of 135000 VND paid to the postman on delivery",
		h.transition(dossier.ActionReturnMethodChanged).Event.Note)
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Zero(t, h.payments)
	require.Contains(t, h.actions(), dossier.ActionPaymentOnDelivery)

	// KH-HKD-01 does not allow it: refused, saying where the rule is.
	h = newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	notAllowed := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnPostal, PayOnDelivery: true})
	h.send(time.Minute, workflows.UpdateStop, workflows.Stop{Reason: "kết thúc"})
	h.run()
	requireRejected(t, notAllowed, workflows.ErrNotAllowed)
	require.Contains(t, notAllowed.rejected.Error(), "does not let the postal service collect its fee on delivery (cash_on_delivery, Decision 45/2016/QĐ-TTg)")
	require.NotContains(t, h.actions(), dossier.ActionReturnMethodChanged)
}

// A postal outage that ends in counter pickup collects nothing either: the
// fee is asked for before the result is handed over.
func TestCashOnDeliveryPostalOutageLeavesTheFeeDue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["GT-GPLX-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.in.PayOnDelivery = true
	h.shipmentFails = -1 // the postal service stays suspended for weeks
	h.throughApproval()
	paid := h.send(8*24*time.Hour, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-9", Amount: h.in.FeeAmount})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	ok(t, paid)
	require.Equal(t, dossier.StatusReturned, res.Status)
	// In this order, among the deadlines' own events.
	var got []string
	for _, a := range h.actions() {
		switch a {
		case dossier.ActionShipmentDelayed, dossier.ActionCounterPickup, dossier.ActionPaymentRequested,
			dossier.ActionPaymentCounter, dossier.ActionHandover, dossier.ActionPaymentOnDelivery:
			got = append(got, a)
		}
	}
	require.Equal(t, []string{dossier.ActionShipmentDelayed, dossier.ActionCounterPickup, dossier.ActionPaymentRequested,
		dossier.ActionPaymentCounter, dossier.ActionHandover}, got)
	require.Contains(t, h.transition(dossier.ActionCounterPickup).Event.Note, "nothing was collected on delivery")
	require.Empty(t, h.shipped, "nothing went out with an amount to collect")
}
