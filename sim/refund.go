package sim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// refundAfter is how long the simulated gateway takes to settle a refund
// before it posts the signed callback: real refunds settle on their own,
// later than the request.
const refundAfter = 200 * time.Millisecond

// refundRecord is one refund: its wire representation.
type refundRecord struct {
	RefundRef   string `json:"refund_ref"`
	PaymentRef  string `json:"payment_ref"`
	MerchantRef string `json:"merchant_ref"`
	Amount      int64  `json:"amount"`
	Reason      string `json:"reason"`
	NotifyURL   string `json:"notify_url"`
	Status      string `json:"status"`
}

// refundNotification is the refund callback body (see
// payment.RefundNotification).
type refundNotification struct {
	RefundRef   string `json:"refund_ref"`
	PaymentRef  string `json:"payment_ref"`
	MerchantRef string `json:"merchant_ref"`
	Amount      int64  `json:"amount"`
	Status      string `json:"status"`
}

// routeRefunds adds the refund routes:
//
//	POST /v1/refunds         refund a paid request (idempotent on payment_ref); settles by itself and calls back
//	GET  /v1/refunds/{ref}   one refund and its status
func (g *PaymentGateway) routeRefunds() {
	g.refunds = map[string]*refundRecord{}
	g.mux.Post("/v1/refunds", g.createRefund)
	g.mux.Get("/v1/refunds/{ref}", g.getRefund)
}

func (g *PaymentGateway) createRefund(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PaymentRef string `json:"payment_ref"`
		Amount     int64  `json:"amount"`
		Reason     string `json:"reason"`
		NotifyURL  string `json:"notify_url"`
	}
	if !readJSON(w, r, &in, false) {
		return
	}
	if err := checkNotifyURL(in.NotifyURL); err != nil {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_request", err.Error()))
		return
	}
	g.mu.Lock()
	pay, ok := g.byRef[in.PaymentRef]
	var e *httpError
	switch {
	case !ok:
		e = newHTTPError(http.StatusNotFound, "not_found", "payment request "+in.PaymentRef+" not found")
	case pay.Status != paySucceeded:
		e = newHTTPError(http.StatusConflict, "not_paid", "payment request "+in.PaymentRef+" is "+pay.Status+"; only a paid request is refunded")
	case in.Amount <= 0 || in.Amount > pay.PaidAmount:
		e = newHTTPError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("amount must be positive and at most the %d VND paid, got %d", pay.PaidAmount, in.Amount))
	}
	if e != nil {
		g.mu.Unlock()
		writeError(w, e)
		return
	}
	if old := g.refunds[in.PaymentRef]; old != nil {
		view := *old
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, view) // idempotent repeat
		return
	}
	rec := &refundRecord{RefundRef: "REF-" + randomHex(6), PaymentRef: in.PaymentRef, MerchantRef: pay.MerchantRef,
		Amount: in.Amount, Reason: strings.TrimSpace(in.Reason), NotifyURL: in.NotifyURL, Status: payPending}
	g.refunds[in.PaymentRef] = rec
	view := *rec
	g.mu.Unlock()
	g.log.Info("refund requested", "refund_ref", rec.RefundRef, "payment_ref", rec.PaymentRef, "amount", rec.Amount)
	ref := rec.PaymentRef
	g.bg.start(func(ctx context.Context) {
		autoCallback(ctx, &g.simulator, "refund", refundAfter, func() (*refundNotification, string, *httpError) {
			g.mu.Lock()
			defer g.mu.Unlock()
			rec := g.refunds[ref]
			if rec.Status != payPending {
				return nil, "", nil
			}
			rec.Status = paySucceeded
			return &refundNotification{RefundRef: rec.RefundRef, PaymentRef: rec.PaymentRef, MerchantRef: rec.MerchantRef,
				Amount: rec.Amount, Status: rec.Status}, rec.NotifyURL, nil
		}, "refund_ref", view.RefundRef)
	})
	writeJSON(w, http.StatusCreated, view)
}

func (g *PaymentGateway) getRefund(w http.ResponseWriter, r *http.Request) {
	ref := chi.URLParam(r, "ref")
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, rec := range g.refunds {
		if rec.RefundRef == ref {
			writeJSON(w, http.StatusOK, *rec)
			return
		}
	}
	writeError(w, newHTTPError(http.StatusNotFound, "not_found", "refund "+ref+" not found"))
}
