package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/webhook"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// The callbacks of the payment gateway and the postal service. Both may
// arrive twice, late or out of order: each is applied at most once, a late
// one never reopens a closed dossier, and every one is answered 200 unless
// it is wrong (so the third party stops retrying what is settled).

// signed lets a callback through only when its X-Signature is the body's
// HMAC under secret, made within webhook.Tolerance of now: anything else is
// 401 before the body is even decoded, so a forged or replayed callback
// changes nothing. The handler then reads the very bytes that were checked.
func (s *Server) signed(sender, secret string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, err := readBody(w, r)
			if err != nil {
				writeError(w, r, s.log, err)
				return
			}
			if err := webhook.Verify(secret, r.Header.Get(webhook.Header), raw, time.Now()); err != nil {
				s.log.Warn("callback refused: bad signature", "sender", sender, "path", r.URL.Path,
					"remote", clientIP(r), "reason", err)
				msg := err.Error()
				if secret == "" {
					msg = "callbacks from the " + sender + " are not accepted: no secret is configured for it"
				}
				writeError(w, r, s.log, dossier.Errorf(dossier.EUnauthenticated,
					"%s; sign the body as described in the README (Callbacks)", msg))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			next.ServeHTTP(w, r)
		})
	}
}

type paymentNotification struct {
	PaymentRef    string     `json:"payment_ref"`
	MerchantRef   string     `json:"merchant_ref"`
	TransactionID string     `json:"transaction_id"`
	Amount        *int64     `json:"amount"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason"`
	PaidAt        *time.Time `json:"paid_at"`
}

type callbackResult struct {
	Result  string      `json:"result"` // applied | duplicate | ignored
	Dossier dossierJSON `json:"dossier"`
}

func (s *Server) paymentNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var n paymentNotification
	if err := decode(w, r, &n); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	checkText(&v, "payment_ref", n.PaymentRef, true)
	checkText(&v, "transaction_id", n.TransactionID, true)
	if n.Amount == nil || *n.Amount < 0 {
		v.Add("amount", "is required: a whole number of VND, not negative")
	}
	if n.Status != "succeeded" && n.Status != "failed" {
		v.Add("status", "must be succeeded or failed")
	}
	checkText(&v, "reason", n.Reason, false)
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	pay, err := s.store.PaymentByRef(ctx, n.PaymentRef)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	stored, seen, err := s.store.RecordPaymentNotification(ctx, store.PaymentNotification{
		TransactionID: n.TransactionID, PaymentRef: n.PaymentRef, Amount: *n.Amount, Status: n.Status,
		Reason: n.Reason, Outcome: store.OutcomeReceived,
	})
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if seen && (stored.PaymentRef != n.PaymentRef || stored.Amount != *n.Amount || stored.Status != n.Status) {
		writeError(w, r, s.log, dossier.Errorf(dossier.EConflict,
			"transaction %s was already notified with other content", n.TransactionID))
		return
	}
	mismatch := func() {
		_ = s.store.SetPaymentNotificationOutcome(ctx, n.TransactionID, store.OutcomeAmountMismatch)
		s.log.Warn("payment amount mismatch: left for staff", "payment_ref", n.PaymentRef,
			"transaction_id", n.TransactionID, "paid", *n.Amount, "fee", pay.Amount)
		writeError(w, r, s.log, dossier.Errorf(dossier.EUnprocessable,
			"paid amount %d VND does not match the fee of %d VND for payment_ref %s; the payment was recorded for staff to resolve",
			*n.Amount, pay.Amount, n.PaymentRef))
	}
	switch {
	case seen && stored.Outcome == store.OutcomeAmountMismatch:
		mismatch()
		return
	case seen && stored.Outcome != store.OutcomeReceived:
		// Applied or ignored before: answer the same, change nothing.
		s.answerCallback(w, r, pay.DossierCode, "duplicate")
		return
	case n.Status == "succeeded" && *n.Amount != pay.Amount:
		mismatch()
		return
	}
	err = s.sendUpdate(ctx, pay.DossierCode, workflows.UpdatePayment, "payment:"+n.TransactionID, workflows.PaymentNotice{
		PaymentRef: n.PaymentRef, TransactionID: n.TransactionID, Amount: *n.Amount, Status: n.Status, Reason: n.Reason,
	})
	result, outcome := "applied", store.OutcomeApplied
	switch {
	case errors.Is(err, errDuplicate):
		result = "duplicate"
	case dossier.ErrorCodeOf(err) == dossier.EConflict:
		early, derr := s.paymentNotYetAwaited(ctx, pay.DossierCode, n.PaymentRef)
		if derr != nil {
			writeError(w, r, s.log, s.unavailable(derr))
			return
		}
		if early {
			// The gateway answered the request before the workflow took
			// in its answer (the activity wrote the payment row, the
			// workflow has not yet recorded it): too early, not late.
			// Nothing is recorded as ignored; the gateway retries.
			s.log.Info("payment notification before the workflow awaits it: asking the gateway to retry",
				"payment_ref", n.PaymentRef, "transaction_id", n.TransactionID, "dossier", pay.DossierCode)
			writeError(w, r, s.log, &dossier.Error{Code: dossier.EUnavailable,
				Message: "dossier " + pay.DossierCode + " is not yet waiting for this payment; retry shortly"})
			return
		}
		// Late or out of order: the dossier is no longer awaiting payment.
		result, outcome = "ignored", store.OutcomeIgnored
		s.log.Warn("payment notification ignored", "payment_ref", n.PaymentRef, "transaction_id", n.TransactionID, "reason", err)
	case dossier.ErrorCodeOf(err) == dossier.EUnprocessable:
		mismatch()
		return
	case err != nil:
		writeError(w, r, s.log, err)
		return
	}
	if err := s.store.SetPaymentNotificationOutcome(ctx, n.TransactionID, outcome); err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if result == "applied" && n.Status == "succeeded" {
		paidAt := s.clock.Now()
		if n.PaidAt != nil {
			paidAt = *n.PaidAt
		}
		if err := s.store.MarkPaymentPaid(ctx, n.PaymentRef, n.TransactionID, paidAt); err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	s.answerCallback(w, r, pay.DossierCode, result)
}

// paymentNotYetAwaited tells an early payment notification from a late
// one: early when the dossier is still open, no fee has been settled, and
// the read model does not show this payment request yet (its workflow has
// not recorded the request the gateway is already answering).
func (s *Server) paymentNotYetAwaited(ctx context.Context, code, ref string) (bool, error) {
	d, err := s.store.Dossier(ctx, code)
	if err != nil {
		return false, err
	}
	if d.Status.Final() || d.Fee.Status == dossier.FeePaid || d.Fee.Status == dossier.FeeRefundDue {
		return false, nil
	}
	return d.Fee.PaymentRef != ref, nil
}

func (s *Server) answerCallback(w http.ResponseWriter, r *http.Request, code, result string) {
	d, err := s.store.Dossier(r.Context(), code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, callbackResult{Result: result, Dossier: renderDossier(d, false)})
}

type postalNotification struct {
	Waybill     string     `json:"waybill"`
	OrderNumber string     `json:"order_number"`
	Event       string     `json:"event"`
	At          *time.Time `json:"at"`
	Reason      string     `json:"reason"`
	// CODCollected: what the postman collected on delivery (cash on
	// delivery), VND.
	CODCollected int64 `json:"cod_collected"`
}

func (s *Server) postalNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var n postalNotification
	if err := decode(w, r, &n); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	checkText(&v, "waybill", n.Waybill, true)
	switch n.Event {
	case "picked_up", "delivered", "failed":
	default:
		v.Add("event", "must be picked_up, delivered or failed")
	}
	if n.At == nil {
		v.Add("at", "is required: when the event happened, RFC 3339")
	}
	checkText(&v, "reason", n.Reason, false)
	if n.CODCollected < 0 || (n.CODCollected > 0 && n.Event != "delivered") {
		v.Add("cod_collected", "is what the postman collected on a delivery: 0 or more, and only with event delivered")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if n.Event == "picked_up" {
		// Kept with the shipment, not sent to the workflow: a pickup
		// changes neither status nor stage, and an update would cost a
		// workflow task. The workflow records it on the control sheet with
		// the delivery or failure that follows (PostalNotice.PickedUpAt).
		sh, result, err := s.store.RecordPickup(ctx, n.Waybill, *n.At)
		if err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		if result == store.PickupIgnored {
			s.log.Warn("postal notification ignored", "waybill", n.Waybill, "event", n.Event,
				"reason", "the shipment is already "+sh.Status)
		}
		s.answerCallback(w, r, sh.DossierCode, result)
		return
	}
	sh, err := s.store.ShipmentByWaybill(ctx, n.Waybill)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	err = s.sendUpdate(ctx, sh.DossierCode, workflows.UpdatePostal, "",
		workflows.PostalNotice{Waybill: n.Waybill, Event: n.Event, Reason: n.Reason, At: *n.At, PickedUpAt: sh.PickedUpAt,
			Collected: n.CODCollected})
	result := "applied"
	switch {
	case errors.Is(err, errDuplicate):
		result = "duplicate"
	case dossier.ErrorCodeOf(err) == dossier.EConflict:
		result = "ignored"
		s.log.Warn("postal notification ignored", "waybill", n.Waybill, "event", n.Event, "reason", err)
	case err != nil:
		writeError(w, r, s.log, err)
		return
	}
	if result == "applied" {
		if err := s.store.SetShipmentStatus(ctx, n.Waybill, n.Event); err != nil {
			writeError(w, r, s.log, s.unavailable(fmt.Errorf("shipment status: %w", err)))
			return
		}
	}
	s.answerCallback(w, r, sh.DossierCode, result)
}
