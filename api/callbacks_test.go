package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/webhook"
)

// TestCallbacksMustBeSigned plays an attacker against the real API and
// worker: forged, replayed, unsigned and tampered callbacks are 401 and
// change nothing; the correctly signed one is applied.
func TestCallbacksMustBeSigned(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "counter", "counter"))
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	ref := fee(d)["payment_ref"].(string)
	amount := int64(fee(d)["amount"].(float64))
	before := s.actions(code)

	body, err := json.Marshal(map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-FORGED-" + code, "amount": amount, "status": "succeeded"})
	require.NoError(t, err)
	const path = "/v1/payments/notifications"
	now := time.Now()
	tampered := []byte(strings.Replace(string(body), "TXN-FORGED-", "TXN-TAMPERED-", 1))
	for _, c := range []struct {
		name, header string
		body         []byte
		detail       string
	}{
		{"forged (wrong secret)", webhook.Sign("guessed-secret", body, now), body, "does not match the body"},
		{"signed with the postal secret", webhook.Sign(postalSecret, body, now), body, "does not match the body"},
		{"replayed after 6 minutes", webhook.Sign(paymentSecret, body, now.Add(-6*time.Minute)), body, "at most 5m0s allowed"},
		{"signed 6 minutes ahead", webhook.Sign(paymentSecret, body, now.Add(6*time.Minute)), body, "at most 5m0s allowed"},
		{"no signature", "", body, "missing X-Signature"},
		{"malformed", "sha256=" + strings.Repeat("0", 64), body, "must be t=<unix seconds>"},
		{"body tampered after signing", webhook.Sign(paymentSecret, body, now), tampered, "does not match the body"},
	} {
		var headers []string
		if c.header != "" {
			headers = []string{webhook.Header, c.header}
		}
		res := s.call("POST", path, c.body, headers...)
		require.Equal(t, 401, res.status, "%s: %s", c.name, res.body)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), c.name)
		require.Contains(t, res.json(t)["detail"], c.detail, c.name)
	}
	// Nothing changed: the dossier still waits for its payment with the
	// same control sheet…
	d = s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, "awaiting_payment", d["status"])
	require.Equal(t, "awaiting_payment", fee(d)["status"])
	require.Equal(t, before, s.actions(code))
	// …and no notification was recorded: the same transaction id with other
	// content would otherwise be a 409 (already notified with other
	// content); here it is simply a failed payment, applied.
	failed := s.callback(path, map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-FORGED-" + code, "amount": amount, "status": "failed", "reason": "declined"})
	require.Equal(t, 200, failed.status, string(failed.body))
	require.Equal(t, "applied", failed.json(t)["result"])
	require.Equal(t, "awaiting_payment", failed.json(t)["dossier"].(map[string]any)["status"])

	// The postal callback is guarded the same way (and by its own secret).
	postal, err := json.Marshal(map[string]any{"waybill": "EV000VN", "event": "delivered", "at": now.Format(time.RFC3339)})
	require.NoError(t, err)
	res := s.call("POST", "/v1/postal/notifications", postal)
	require.Equal(t, 401, res.status, string(res.body))
	res = s.call("POST", "/v1/postal/notifications", postal, webhook.Header, webhook.Sign(paymentSecret, postal, now))
	require.Equal(t, 401, res.status, string(res.body))
	res = s.call("POST", "/v1/postal/notifications", postal, webhook.Header, webhook.Sign(postalSecret, postal, now))
	require.Equal(t, 404, res.status, "signed right, it reaches the handler (an unknown waybill): %s", res.body)

	// Correctly signed, within the tolerance (a retry signed 4 minutes
	// ago, by a gateway rotating its secret): accepted and applied.
	ok, err := json.Marshal(map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-OK-" + code, "amount": amount, "status": "succeeded"})
	require.NoError(t, err)
	res = s.call("POST", path, ok, webhook.Header, webhook.Sign("the-next-secret", ok, now.Add(-4*time.Minute), paymentSecret))
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "applied", res.json(t)["result"])
	d = s.eventually(code, "paid", func(d map[string]any) bool { return fee(d)["status"] == "paid" })
	require.NotEqual(t, "awaiting_payment", d["status"])
	require.Contains(t, s.actions(code), "payment.succeeded", "actions: "+strconv.Quote(strings.Join(s.actions(code), ",")))
}
