package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/store"
)

// TestEarlyPaymentNotificationIsRetried: a gateway that answers a payment
// request before the dossier's workflow has recorded that request (found
// by chaos runs: the activity wrote the payment row, the workflow had not
// yet taken in its result) is asked to retry (503), not told "ignored";
// once the dossier has moved on for good, the same notification is
// ignored.
func TestEarlyPaymentNotificationIsRetried(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"))
	code := d["code"].(string)
	amount := int64(fee(d)["amount"].(float64))
	ref := "PAY-EARLY-" + code
	// The activity's write, ahead of the workflow.
	require.NoError(t, s.store.RecordPaymentRequest(context.Background(), store.Payment{DossierCode: code, PaymentRef: ref, Amount: amount}))
	note := map[string]any{"payment_ref": ref, "transaction_id": "T-" + code, "amount": amount, "status": "succeeded"}

	res := s.callback("/v1/payments/notifications", note)
	require.Equal(t, 503, res.status, string(res.body))
	require.NotEmpty(t, res.header.Get("Retry-After"))
	require.Equal(t, []string{"submitted"}, s.actions(code), "nothing recorded")
	// Retried while still early: the same answer, not "duplicate".
	res = s.callback("/v1/payments/notifications", note)
	require.Equal(t, 503, res.status, string(res.body))

	// The applicant withdraws: the dossier is closed, the payment is late.
	s.must(200, "POST", "/v1/dossiers/"+code+"/withdrawal", map[string]any{"reason": "không còn nhu cầu"})
	res = s.callback("/v1/payments/notifications", note)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "ignored", res.json(t)["result"])
	res = s.callback("/v1/payments/notifications", note)
	require.Equal(t, "duplicate", res.json(t)["result"])
}
