package api

import (
	"errors"
	"net/http"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

type refundNotification struct {
	RefundRef   string `json:"refund_ref"`
	PaymentRef  string `json:"payment_ref"`
	MerchantRef string `json:"merchant_ref"`
	Amount      *int64 `json:"amount"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
}

// refundNotification is the gateway's signed word on a refund: it settles
// the dossier's refund (its workflow waits for it). Repeated, it is a
// duplicate; ahead of the workflow recording the refund, 503 asks the
// gateway to retry.
func (s *Server) refundNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var n refundNotification
	if err := decode(w, r, &n); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	checkText(&v, "refund_ref", n.RefundRef, true)
	checkText(&v, "merchant_ref", n.MerchantRef, true)
	checkText(&v, "payment_ref", n.PaymentRef, false)
	checkText(&v, "reason", n.Reason, false)
	if n.Amount == nil || *n.Amount < 0 {
		v.Add("amount", "is required: a whole number of VND, not negative")
	}
	if n.Status != dossier.RefundSucceeded && n.Status != dossier.RefundFailed {
		v.Add("status", "must be succeeded or failed")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	d, err := s.store.Dossier(ctx, n.MerchantRef)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		writeError(w, r, s.log, dossier.Errorf(dossier.EUnprocessable, "merchant_ref %s is not a dossier", n.MerchantRef))
		return
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if d.Refund == nil || d.Refund.RefundRef == "" {
		if d.Fee.Status == dossier.FeeRefundDue {
			// The gateway answered before the workflow recorded the refund.
			writeError(w, r, s.log, &dossier.Error{Code: dossier.EUnavailable,
				Message: "dossier " + d.Code + " has not recorded refund " + n.RefundRef + " yet; retry shortly"})
			return
		}
		writeError(w, r, s.log, dossier.Errorf(dossier.EConflict, "dossier %s owes no refund", d.Code))
		return
	}
	if d.Refund.RefundRef == n.RefundRef && d.Refund.Status != dossier.RefundPending {
		// Settled before (the workflow may have closed since): change nothing.
		s.answerCallback(w, r, d.Code, "duplicate")
		return
	}
	err = s.sendUpdate(ctx, d.Code, workflows.UpdateRefund, "refund:"+n.RefundRef+":"+n.Status, workflows.RefundNotice{
		RefundRef: n.RefundRef, Amount: *n.Amount, Status: n.Status, Reason: n.Reason})
	result := "applied"
	switch {
	case errors.Is(err, errDuplicate):
		result = "duplicate"
	case err != nil:
		writeError(w, r, s.log, err)
		return
	}
	s.answerCallback(w, r, d.Code, result)
}
