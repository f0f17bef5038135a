package workflows

// Fees (phí, lệ phí): at filing, before the result or as a financial
// obligation; exemptions, online and counter payment, refunds.

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

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
	r.st.Fee.Method = dossier.FeeMethodOnline
	if err := r.paid(ctx, m); err != nil {
		return State{}, err
	}
	err := r.commitWith(ctx, m, ev, r.resultReadyNotice())
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
	r.st.Fee.Method = dossier.FeeMethodCounter
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
	return versionOnce(ctx, &r.feeTiming, VersionFeeTiming)
}

// versionOnce asks workflow.GetVersion for change (version 1) once per run
// and keeps the answer in *asked: 0 not asked yet, 1 yes, -1 a run from
// before the change.
func versionOnce(ctx workflow.Context, asked *int, change string) bool {
	if *asked == 0 {
		*asked = -1
		if workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) >= 1 {
			*asked = 1
		}
	}
	return *asked > 0
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
	r.st.Fee.PaidAt = &m.at
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

// ---- Cash on delivery -----------------------------------------------------------

// codOn asks once whether this run lets the postman collect the fee
// (VersionCOD); only dossiers whose applicant chose it ask.
func (r *run) codOn(ctx workflow.Context) bool { return versionOnce(ctx, &r.cod, VersionCOD) }

// collectsOnDelivery: the fee still to pay goes with the result, to be
// collected by the postman (the applicant chose it, the procedure allows
// it, the result goes by post).
func (r *run) collectsOnDelivery() bool {
	return r.cod > 0 && r.st.Fee.OnDelivery && r.in.Procedure.CashOnDelivery &&
		r.st.ReturnMethod == dossier.ReturnPostal && r.st.Fee.Amount > 0 && r.st.Fee.Status == dossier.FeeNone
}

// validateCollected checks the delivery of a result whose fee the postman
// was to collect: he must have collected exactly the fee.
func (r *run) validateCollected(n PostalNotice) error {
	if n.Event != "delivered" || r.st.Fee.Status != dossier.FeeOnDelivery {
		return nil
	}
	if n.Collected != r.st.Fee.Amount {
		return temporal.NewApplicationError(fmt.Sprintf("the postman collected %d VND on delivery; the fee is %d VND",
			n.Collected, r.st.Fee.Amount), ErrAmountMismatch)
	}
	return nil
}

// collectedOnDelivery records the fee the postman collected, at the
// delivery's time, before the delivery itself.
func (r *run) collectedOnDelivery(ctx workflow.Context, n PostalNotice) error {
	at := r.now(ctx)
	if !n.At.IsZero() && !n.At.After(at) {
		at = n.At // when the postman reported it, not when it reached us
	}
	r.st.Fee.Status, r.st.Fee.Method, r.st.Fee.PaidAt = dossier.FeePaid, dossier.FeeMethodCOD, &at
	r.st.Transactions = append(r.st.Transactions, "cod:"+n.Waybill)
	m := mark{at: at, stage: r.st.Stage, status: r.st.Status}
	return r.commit(ctx, m, dossier.Event{Action: dossier.ActionPaymentOnDelivery, Actor: actorPostal,
		Note: fmt.Sprintf("%d VND collected on delivery, waybill %s", n.Collected, n.Waybill)})
}

// codNotCollected: a result whose fee the postman was to collect did not
// reach the applicant (a failed delivery, the post office down for good):
// nothing was collected, so the fee is due before the result is handed
// over at the counter; the main loop asks for it as for any fee.
func (r *run) codNotCollected() string {
	if r.st.Fee.Status != dossier.FeeOnDelivery {
		return ""
	}
	r.st.Fee.Status, r.st.Fee.OnDelivery = dossier.FeeNone, false
	r.st.Stage, r.st.CurrentStep = dossier.StagePayment, nil
	return fmt.Sprintf("; nothing was collected on delivery: the fee of %d VND is due before the result is handed over", r.st.Fee.Amount)
}
