package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

// rejectedWith checks an update was refused as a stage conflict whose
// message quotes the rule and where it comes from.
func rejectedWith(t *testing.T, r *updateResult, contains ...string) {
	t.Helper()
	requireRejected(t, r, workflows.ErrStageConflict)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, r.rejected, &appErr)
	for _, c := range contains {
		require.Contains(t, appErr.Error(), c)
	}
}

var cdd = []dossier.Document{{Name: "cccd.pdf", SHA256: "ab"}}

// One written supplement request per dossier per agency (rules,
// max_supplement_requests): the intake desk once before receipt, the
// reviewing department once after; a second request from either is refused
// and changes nothing, and the dossier is then completed or refused.
func TestOneSupplementRequestPerAgency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	first := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "request_supplement", Missing: []string{"tờ khai"}})
	h.send(time.Hour, workflows.UpdateSupplement, workflows.SupplementIn{Documents: cdd})
	again := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "request_supplement", Missing: []string{"ảnh"}})
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	review := h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "request_supplement", Missing: []string{"bản sao CCCD"}})
	h.send(time.Hour, workflows.UpdateSupplement, workflows.SupplementIn{Documents: cdd})
	reviewAgain := h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "request_supplement", Missing: []string{"x"}})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "không đủ điều kiện"})
	h.run()

	ok(t, first)
	rejectedWith(t, again, "000.00.17.H39 already sent a written supplement request", "allow 1 per dossier per agency", "rules default")
	st := ok(t, review)
	require.Len(t, st.SupplementRequests, 2)
	require.Equal(t, "000.00.17.H39", st.SupplementRequests[0].Agency)
	require.True(t, st.SupplementRequests[0].At.Equal(start.Add(time.Minute)))
	require.Equal(t, "000.00.19.H39", st.SupplementRequests[1].Agency, "the reviewing department has its own request")
	rejectedWith(t, reviewAgain, "000.00.19.H39 already sent")
	require.Equal(t, []string{"intake.request_supplement", "supplement.received", "intake.accept",
		"review.request_supplement", "supplement.received", "review.refuse"}, h.actions(), "the refused requests recorded nothing")
}

// A supplement may be requested after receipt only within the rules'
// time from receipt (supplement_request_within, 3 working days).
func TestSupplementRequestOnlyWithinItsTime(t *testing.T) {
	t.Parallel()
	// Received Monday 23 Nov 09:01: requests allowed until Thursday 09:01.
	h := newHarness(t, loadCatalog(t)["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	acc := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	late := h.send(ict(2026, 11, 26, 10, 0).Sub(start.Add(time.Minute)), workflows.UpdateReview,
		workflows.ReviewDecision{Decision: "request_supplement", Missing: []string{"bản sao CCCD"}})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "kết thúc"})
	h.run()
	require.Equal(t, ict(2026, 11, 26, 9, 1), ok(t, acc).SupplementRequestBy.In(dossier.Location))
	rejectedWith(t, late, "only within 3wd of receipt, by 09:01 26/11/2026")
	require.NotContains(t, h.actions(), dossier.ActionReviewSupplement)
}

// An apology letter is due one working day before the appointment: on
// time it is recorded on_time; later, still before the appointment, it is
// accepted and recorded late with the rule; after the appointment it is
// refused and nothing is recorded.
func TestApologyInTimeLateAndTooLate(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// KH-HKD-01 received Monday 09:01: appointment Thursday 09:01, the
	// apology due by Wednesday 09:01.
	letter := func(at time.Time) workflows.Apology {
		return workflows.Apology{NewAppointmentAt: ict(2026, 12, 4, 17, 0), Reason: "chờ xác minh", Actor: "leader"}
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"in time", ict(2026, 11, 24, 10, 0), dossier.OnTime},
		{"late", ict(2026, 11, 25, 15, 0), dossier.Late},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
			acc := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
			ap := h.send(tc.at.Sub(start.Add(time.Minute)), workflows.UpdateApology, letter(tc.at))
			h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "kết thúc"})
			h.run()
			require.Equal(t, ict(2026, 11, 25, 9, 1), ok(t, acc).ApologyBy.In(dossier.Location))
			require.Equal(t, 1, ok(t, ap).AppointmentResets)
			ev := h.transition(dossier.ActionApologyIssued).Event
			require.Equal(t, tc.want, ev.OnTime)
			if tc.want == dossier.Late {
				require.Contains(t, ev.Note, "issued late: due by 09:01 25/11/2026, 8h0m0s of working time before the appointment (rules default)")
				require.Contains(t, h.actions(), dossier.ActionApologyRequired, "the leader was reminded first")
			} else {
				require.NotContains(t, ev.Note, "late")
			}
		})
	}
	t.Run("after the appointment", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
		h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
		at := ict(2026, 11, 26, 10, 0)
		ap := h.send(at.Sub(start.Add(time.Minute)), workflows.UpdateApology, letter(at))
		h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "kết thúc"})
		h.run()
		rejectedWith(t, ap, "the appointment of 09:01 26/11/2026 has passed", "at least 8h0m0s of working time before (rules default)")
		require.NotContains(t, h.actions(), dossier.ActionApologyIssued)
	})
}

// A dossier refused after receipt is declined (11), not "not received"
// (3): the applicant is told the reasons, by the dossier's return channel.
func TestRefusalAfterReceiptIsDeclined(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	for _, tc := range []struct {
		method  dossier.ReturnMethod
		channel string
	}{
		{dossier.ReturnCounter, "tại bộ phận một cửa"},
		{dossier.ReturnPostal, "qua bưu chính"},
		{dossier.ReturnElectronic, "phương thức điện tử"},
	} {
		t.Run(string(tc.method), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, tc.method)
			h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
			h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "ngành nghề không được kinh doanh"})
			res := h.run()
			require.Equal(t, dossier.StatusDeclined, res.Status)
			require.Equal(t, 11, res.Status.Code())
			require.NotEqual(t, dossier.StatusRefused.Code(), res.Status.Code())
			tr := h.transition(dossier.ActionReviewRefuse)
			require.Equal(t, dossier.StatusDeclined, tr.Event.ToStatus)
			require.Equal(t, dossier.StageDone, tr.Progress.Stage)
			require.Contains(t, tr.Event.Note, "refusal notice returned by "+string(tc.method))
			n := h.notifications("declined")
			require.Len(t, n, 1)
			require.Equal(t, dossier.ToApplicant, n[0].To)
			require.Contains(t, n[0].Message, "Lý do: ngành nghề không được kinh doanh")
			require.Contains(t, n[0].Message, tc.channel)
			if tc.method == dossier.ReturnPostal {
				// The notice itself goes by post before the dossier closes.
				require.Equal(t, 1, h.shipments)
				sh := h.transition(dossier.ActionShipmentRequested)
				require.Equal(t, "refusal notice (form 03), waybill EV000000001VN", sh.Event.Note)
				require.Equal(t, dossier.StatusDeclined, sh.Progress.Status)
			} else {
				require.Zero(t, h.shipments)
			}
		})
	}
	t.Run("supplement never came", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
		h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
		h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "request_supplement", Missing: []string{"bản sao CCCD"}})
		res := h.run()
		require.Equal(t, dossier.StatusDeclined, res.Status)
		e := h.transition(dossier.ActionSupplementExpired)
		require.Contains(t, e.Event.Note, "missing: bản sao CCCD")
		require.Contains(t, h.notifications("declined")[0].Message, "còn thiếu: bản sao CCCD")
	})
}

// A procedure's cut-off applies to working-day procedures too: received
// after it, the dossier's clock starts the next working day; its office's
// winter hours make shorter days.
func TestCutoffAndOfficeHoursInTheSchedule(t *testing.T) {
	t.Parallel()
	proc := loadCatalog(t)["KH-HKD-01"]
	proc.Duration.Cutoff = "15:00"
	winter, err := calendar.NewWithPeriods(calendar.DefaultWindows(), []calendar.Period{{
		From: calendar.Date{Year: 2026, Month: 11, Day: 1}, To: calendar.Date{Year: 2027, Month: 2, Day: 28},
		Windows: []calendar.Window{{Start: 7*time.Hour + 30*time.Minute, End: 11*time.Hour + 30*time.Minute}, {Start: 13 * time.Hour, End: 16 * time.Hour}},
	}}, official(t).Table())
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		cal      *calendar.Calendar
		received time.Time
		want     time.Time
	}{
		{"before the cut-off", official(t), ict(2026, 11, 23, 14, 30), ict(2026, 11, 26, 14, 30)},
		{"after the cut-off", official(t), ict(2026, 11, 23, 15, 30), ict(2026, 11, 26, 17, 0)},
		{"after the cut-off, winter hours", winter, ict(2026, 12, 1, 15, 30), ict(2026, 12, 4, 16, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessAt(t, proc, dossier.ChannelCounter, dossier.ReturnCounter, tc.received.Add(-time.Minute), tc.cal)
			acc := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
			h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "kết thúc"})
			h.run()
			st := ok(t, acc)
			require.Equal(t, tc.want, st.AppointmentAt.In(dossier.Location))
			require.False(t, st.StepDueAt[0].Before(*st.ReceivedAt), "no step is due before receipt")
		})
	}
}

// The return method changes before the result is ready, among those the
// procedure allows; a method it does not allow, the same method, or a
// change after the result is ready records nothing.
func TestReturnMethodChange(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// TP-LLTP-01 returns at the counter or by post only.
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	electronic := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnElectronic})
	same := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnPostal})
	counter := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnCounter, Reason: "nhận tại quầy", Actor: "portal"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	tooLate := h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnPostal})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: h.in.FeeAmount, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()

	requireRejected(t, electronic, workflows.ErrNotAllowed)
	require.Contains(t, electronic.rejected.Error(), "returns its result by counter, postal only, not by electronic")
	requireRejected(t, same, workflows.ErrInvalidDecision)
	require.Equal(t, dossier.ReturnCounter, ok(t, counter).ReturnMethod)
	rejectedWith(t, tooLate, "the result is ready")
	require.Equal(t, dossier.StatusReturned, res.Status)
	require.Zero(t, h.shipments, "nothing was sent by post")
	tr := h.transition(dossier.ActionReturnMethodChanged)
	require.Equal(t, "postal → counter: nhận tại quầy", tr.Event.Note)
	require.Equal(t, "portal", tr.Event.Actor)
	require.Len(t, h.notifications("return_method_changed"), 1)
	require.Equal(t, []string{"intake.accept", "return.method_changed", "review.approve", "approval.approve",
		"payment.requested", "payment.succeeded", "handover"}, h.actions())
}

// A fee paid online for a dossier that ends without its result is paid back
// through the gateway: the workflow asks for the refund, stays open until
// the gateway's callback settles it, and the dossier shows refund{amount,
// status}. Paid at the counter, it is paid back there.
func TestPaidFeeIsRefunded(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	t.Run("online", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnCounter)
		h.throughApproval()
		h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
		stop := h.send(time.Minute, workflows.UpdateStop, workflows.Stop{Reason: "cơ quan cấp trên đình chỉ", Actor: "leader"})
		wrong := h.send(time.Minute, workflows.UpdateRefund, workflows.RefundNotice{RefundRef: "REF-other", Amount: 100000, Status: "succeeded"})
		short := h.send(time.Second, workflows.UpdateRefund, workflows.RefundNotice{RefundRef: "REF-" + h.in.Code, Amount: 1, Status: "succeeded"})
		settled := h.send(time.Second, workflows.UpdateRefund, workflows.RefundNotice{RefundRef: "REF-" + h.in.Code, Amount: 100000, Status: "succeeded"})
		res := h.run()

		require.Equal(t, dossier.StatusStopped, res.Status)
		require.Equal(t, dossier.FeeRefundDue, ok(t, stop).Fee.Status, "owed back until the gateway pays")
		requireRejected(t, wrong, workflows.ErrStageConflict)
		requireRejected(t, short, workflows.ErrAmountMismatch)
		st := ok(t, settled)
		require.Equal(t, &dossier.Refund{Amount: 100000, Status: dossier.RefundSucceeded, RefundRef: "REF-" + h.in.Code}, st.Refund)
		require.Equal(t, dossier.FeeRefunded, st.Fee.Status)
		require.Equal(t, []activities.RefundInput{{Code: h.in.Code, PaymentRef: "PAY-" + h.in.Code, Amount: 100000, Reason: "hồ sơ stopped"}}, h.refunds)
		acts := h.actions()
		require.Equal(t, []string{"stopped", "refund.requested", "refund.succeeded"}, acts[len(acts)-3:])
		require.Len(t, h.notifications("refunded"), 1)
	})
	t.Run("at the counter", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
		h.throughApproval()
		h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-1", Amount: 100000})
		stop := h.send(time.Minute, workflows.UpdateStop, workflows.Stop{Reason: "đình chỉ"})
		res := h.run()
		require.Equal(t, dossier.StatusStopped, res.Status)
		require.Equal(t, &dossier.Refund{Amount: 100000, Status: dossier.RefundAtCounter}, ok(t, stop).Refund)
		require.Empty(t, h.refunds, "nothing asked of the gateway")
	})
}

// A postal suspension offers a dossier returning by post the procedure's
// other methods; one that no longer returns by post, or whose result the
// post office has, is not told.
func TestPostalSuspensionOffersTheOtherMethods(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	notice := workflows.PostalSuspension{Area: "Huyện Bến Lức (803)", From: "2026-11-24", To: "2026-12-15", Reason: "ngập lụt", Actor: "ops"}
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	told := h.send(time.Minute, workflows.UpdatePostalSuspension, notice)
	h.send(time.Minute, workflows.UpdateReturnMethod, workflows.ReturnMethodChange{Method: dossier.ReturnElectronic})
	again := h.send(time.Minute, workflows.UpdatePostalSuspension, notice)
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "kết thúc"})
	h.run()
	ok(t, told)
	rejectedWith(t, again, "not by post")
	tr := h.transition(dossier.ActionPostalSuspended)
	require.Equal(t, "postal service suspended in Huyện Bến Lức (803) from 2026-11-24 to 2026-12-15: ngập lụt; offered: counter, electronic", tr.Event.Note)
	n := h.notifications("postal_suspended")
	require.Len(t, n, 2, "the applicant and the intake desk")
	require.Contains(t, n[0].Message, "tại bộ phận một cửa hoặc bằng phương thức điện tử")
	require.Equal(t, "000.00.17.H39", n[1].Agency)
}

// The intake officer exempts one dossier from its fee or reduces it, with
// the reason and legal basis on the control sheet, before the fee is asked
// for; without them, or after, it is refused and changes nothing.
func TestFeeExemptionAndReduction(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	t.Run("exempt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
		bare := h.send(time.Minute, workflows.UpdateFeeExemption, workflows.FeeExemption{Amount: 0})
		exempt := h.send(time.Minute, workflows.UpdateFeeExemption, workflows.FeeExemption{Amount: 0,
			Reason: "hộ nghèo", LegalBasis: "Quyết định 12/2026/QĐ-UBND", Actor: "officer"})
		h.throughApproval()
		res := h.run()
		requireRejected(t, bare, workflows.ErrNotAllowed)
		require.Contains(t, bare.rejected.Error(), "97/2015/QH13")
		require.Zero(t, ok(t, exempt).Fee.Amount)
		require.Equal(t, dossier.StatusReturned, res.Status)
		require.Zero(t, h.payments, "nothing to pay")
		require.Equal(t, "100000 → 0 VND: hộ nghèo (legal basis: Quyết định 12/2026/QĐ-UBND)", h.transition(dossier.ActionFeeExempted).Event.Note)
	})
	t.Run("reduced, then too late", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
		reduce := h.send(time.Minute, workflows.UpdateFeeExemption, workflows.FeeExemption{Amount: 50000, Reason: "giảm 50%", LegalBasis: "Thông tư 85/2019/TT-BTC"})
		h.throughApproval()
		late := h.send(time.Minute, workflows.UpdateFeeExemption, workflows.FeeExemption{Amount: 0, Reason: "x", LegalBasis: "y"})
		h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 50000, Status: "succeeded"})
		res := h.run()
		require.Equal(t, int64(50000), ok(t, reduce).Fee.Amount)
		rejectedWith(t, late, "already asked for")
		require.Equal(t, dossier.StatusReturned, res.Status)
		require.Contains(t, h.actions(), dossier.ActionFeeReduced)
	})
}

// The pickup watch's word that the postal service has not come: recorded
// once on the control sheet, the intake desk warned; not for a shipment
// already picked up.
func TestShipmentNotPickedUpIsRecordedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, loadCatalog(t)["KH-DN-01"], dossier.ChannelOnline, dossier.ReturnPostal)
	h.throughApproval()
	overdue := workflows.PickupOverdue{Waybill: "EV000000001VN", RequestedAt: start.Add(3 * time.Minute),
		Due: ict(2026, 11, 24, 9, 3), Rule: "8wh of working time after the request, rules default"}
	warned := h.send(24*time.Hour, workflows.UpdatePickupOverdue, overdue)
	again := h.send(time.Minute, workflows.UpdatePickupOverdue, overdue)
	wrong := h.send(time.Minute, workflows.UpdatePickupOverdue, workflows.PickupOverdue{Waybill: "EV-other"})
	h.send(time.Hour, workflows.UpdatePostal, workflows.PostalNotice{Waybill: "EV000000001VN", Event: "delivered"})
	res := h.run()
	require.True(t, ok(t, warned).PickupWarned)
	requireRejected(t, again, workflows.ErrDuplicate)
	requireRejected(t, wrong, workflows.ErrStageConflict)
	require.Equal(t, dossier.StatusReturned, res.Status)
	tr := h.transition(dossier.ActionShipmentNotPickedUp)
	require.Contains(t, tr.Event.Note, "not picked up by 09:03 24/11/2026 (8wh of working time after the request, rules default)")
	require.Equal(t, "000.00.17.H39", h.notifications("pickup_overdue")[0].Agency)
}

// fee_timing at_filing: the fee is asked for before intake decides (online)
// or paid at the desk (counter), and intake cannot receive the dossier
// until it is paid; nothing is asked again before the result.
func TestFeeCollectedAtFiling(t *testing.T) {
	t.Parallel()
	proc := loadCatalog(t)["KH-HKD-01"]
	proc.FeeTiming = catalog.FeeAtFiling
	t.Run("online", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, proc, dossier.ChannelOnline, dossier.ReturnElectronic)
		early := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
		paid := h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
		h.throughApproval()
		res := h.run()
		rejectedWith(t, early, "collects its fee of 100000 VND at filing (fee_timing at_filing, the catalog)")
		st := ok(t, paid)
		require.Equal(t, dossier.StatusSubmitted, st.Status, "paid, still waiting for intake")
		require.Nil(t, st.PausedAt, "no clock runs before receipt")
		require.Equal(t, dossier.StatusReturned, res.Status)
		require.Equal(t, 1, h.payments)
		require.Equal(t, []string{"payment.requested", "payment.succeeded", "intake.accept", "review.approve", "approval.approve",
			"result.issued_electronically"}, h.actions())
	})
	t.Run("at the counter", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, proc, dossier.ChannelCounter, dossier.ReturnCounter)
		h.send(time.Minute, workflows.UpdateCounterPayment, workflows.CounterPayment{ReceiptNumber: "BL-1", Amount: 100000})
		h.throughApproval()
		h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
		res := h.run()
		require.Equal(t, dossier.StatusReturned, res.Status)
		require.Zero(t, h.payments, "nothing asked of the gateway")
		require.Equal(t, []string{"payment.counter", "intake.accept", "review.approve", "approval.approve", "handover"}, h.actions())
	})
}

// fee_timing financial_obligation: the assessed fee is asked for when the
// review assesses it, before approval; the clock pauses until it is paid
// and the appointment moves by the time it was stopped.
func TestFinancialObligationPausesTheClock(t *testing.T) {
	t.Parallel()
	proc := loadCatalog(t)["KH-HKD-01"]
	proc.FeeTiming, proc.Fee = catalog.FeeFinancialObligation, catalog.Fee{Kind: catalog.FeeAssessed}
	h := newHarness(t, proc, dossier.ChannelCounter, dossier.ReturnCounter)
	require.Zero(t, h.in.FeeAmount)
	assessed := int64(2_500_000)
	acc := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	review := h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve", AssessedFee: &assessed})
	// Paid a day later, Tuesday 10:01.
	paid := h.send(24*time.Hour, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: assessed, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	res := h.run()
	require.Equal(t, dossier.StagePayment, ok(t, review).Stage, "asked for before approval")
	st := ok(t, paid)
	require.Equal(t, dossier.StageApproval, st.Stage)
	require.Equal(t, dossier.StatusProcessing, st.Status)
	require.Equal(t, dossier.StatusReturned, res.Status)
	requested := h.transition(dossier.ActionPaymentRequested)
	require.Equal(t, dossier.StatusAwaitingPayment, requested.Event.ToStatus, "status 6 while the applicant owes")
	require.Nil(t, requested.Progress.CurrentStep, "no department works while the applicant owes")
	// Paused from Monday 10:01 (the payment request) to Tuesday 10:01:
	// 8 working hours, by which the appointment moves.
	require.Equal(t, 8*time.Hour, calendar.Default().WorkingTimeBetween(ict(2026, 11, 23, 10, 1), ict(2026, 11, 24, 10, 1)))
	require.True(t, calendar.Default().AddWorkingTime(*ok(t, acc).AppointmentAt, 8*time.Hour).Equal(*st.AppointmentAt),
		"the appointment moved by the paused time: %s → %s", ok(t, acc).AppointmentAt, st.AppointmentAt)
	require.Equal(t, 1, h.payments)
	require.Equal(t, []string{"intake.accept", "review.approve", "payment.requested", "payment.succeeded", "approval.approve", "handover"}, h.actions())
}
