package sim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/upstream/upstreamtest"
	"github.com/motcua/motcua/sim"
)

type gatewayEnv struct {
	gw   *sim.PaymentGateway
	srv  *httptest.Server
	base string
	hook *hookServer
}

// newGatewayEnv serves a gateway alone (not under /payment), so these
// tests also cover it as a standalone handler.
func newGatewayEnv(t *testing.T, opts sim.PaymentOptions) *gatewayEnv {
	t.Helper()
	hook := newHookServer(t)
	if opts.Logger == nil {
		opts.Logger = upstreamtest.Logger(t)
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = hookSecret
	}
	gw := sim.NewPaymentGateway(opts)
	t.Cleanup(gw.Close)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &gatewayEnv{gw: gw, srv: srv, base: srv.URL, hook: hook}
}

func (e *gatewayEnv) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return upstreamtest.CallJSON(t, e.srv.Client(), method, e.base+path, body)
}

func (e *gatewayEnv) create(t *testing.T, merchantRef string, amount int64) map[string]any {
	t.Helper()
	status, out := e.call(t, http.MethodPost, "/v1/payment-requests", fmt.Sprintf(
		`{"merchant_ref":%q,"amount":%d,"description":"Lệ phí","notify_url":%q}`, merchantRef, amount, e.hook.URL+"/cb"))
	require.Equal(t, http.StatusCreated, status, out)
	return out
}

func TestGatewayCreateStatusCodes(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	body := fmt.Sprintf(`{"merchant_ref":"D-1","amount":200000,"description":"x","notify_url":%q}`, e.hook.URL)

	status, first := e.call(t, http.MethodPost, "/v1/payment-requests", body)
	require.Equal(t, http.StatusCreated, status)
	ref := first["payment_ref"].(string)
	require.Regexp(t, `^PAY-[0-9A-F]{12}$`, ref)
	require.Equal(t, e.base+"/pay/"+ref, first["pay_url"])
	require.Equal(t, "pending", first["status"])
	require.Equal(t, "D-1", first["merchant_ref"])
	require.EqualValues(t, 200000, first["amount"])
	_, err := time.Parse(time.RFC3339, first["expires_at"].(string))
	require.NoError(t, err)
	require.NotContains(t, first, "paid_at")

	status, again := e.call(t, http.MethodPost, "/v1/payment-requests", body)
	require.Equal(t, http.StatusOK, status)
	// The repeat is counted (chaos runs read it), nothing else changes.
	require.EqualValues(t, 1, first["create_calls"])
	require.EqualValues(t, 2, again["create_calls"])
	first["create_calls"] = again["create_calls"]
	require.Equal(t, first, again)

	status, conflict := e.call(t, http.MethodPost, "/v1/payment-requests",
		strings.Replace(body, "200000", "200001", 1))
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "merchant_ref_conflict", conflict["error"])
	require.Equal(t, ref, conflict["payment_ref"])
	require.NotEmpty(t, conflict["detail"])

	status, got := e.call(t, http.MethodGet, "/v1/payment-requests/"+ref, "")
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 3, got["create_calls"], "the create, its repeat and the conflicting one")
	first["create_calls"] = got["create_calls"]
	require.Equal(t, first, got)

	status, list := e.call(t, http.MethodGet, "/v1/payment-requests", "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list["payment_requests"], 1)
	require.EqualValues(t, 3, list["payment_requests"].([]any)[0].(map[string]any)["create_calls"],
		"the create, its repeat and the conflicting one")
}

func TestGatewayConcurrentCreatesStoreOneRequest(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	body := fmt.Sprintf(`{"merchant_ref":"D-1","amount":1000,"notify_url":%q}`, e.hook.URL)
	statuses, refs := postConcurrently(e.srv.Client(), e.base+"/v1/payment-requests", body, 20, "payment_ref")
	created := 0
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusOK}, s)
		if s == http.StatusCreated {
			created++
		}
		require.Equal(t, refs[0], refs[i])
	}
	require.Equal(t, 1, created)
}

func TestGatewayRejectsBadRequests(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	notify := e.hook.URL
	past := time.Now().Add(-time.Hour).Format(time.RFC3339)
	tests := []struct {
		name, body, code string
	}{
		{"not json", `{"merchant_ref":`, "invalid_json"},
		{"empty", ``, "invalid_json"},
		{"unknown field", `{"merchantRef":"D","amount":1,"notify_url":"` + notify + `"}`, "invalid_json"},
		{"fractional amount", `{"merchant_ref":"D","amount":1.5,"notify_url":"` + notify + `"}`, "invalid_json"},
		{"trailing data", `{"merchant_ref":"D","amount":1,"notify_url":"` + notify + `"} {}`, "invalid_json"},
		{"no merchant_ref", `{"amount":1,"notify_url":"` + notify + `"}`, "invalid_request"},
		{"zero amount", `{"merchant_ref":"D","amount":0,"notify_url":"` + notify + `"}`, "invalid_request"},
		{"no notify_url", `{"merchant_ref":"D","amount":1}`, "invalid_request"},
		{"relative notify_url", `{"merchant_ref":"D","amount":1,"notify_url":"/cb"}`, "invalid_request"},
		{"expired", `{"merchant_ref":"D","amount":1,"notify_url":"` + notify + `","expires_at":"` + past + `"}`, "invalid_request"},
	}
	for _, tt := range tests {
		status, out := e.call(t, http.MethodPost, "/v1/payment-requests", tt.body)
		require.Equal(t, http.StatusBadRequest, status, tt.name)
		require.Equal(t, tt.code, out["error"], tt.name)
		require.NotEmpty(t, out["detail"], tt.name)
	}

	ref := e.create(t, "D-ok", 1000)["payment_ref"].(string)
	for _, body := range []string{`{"outcome":"maybe"}`, `{"amount":0}`, `{"amount":-1}`, `not json`, `{"outcome":"failed","extra":1}`} {
		status, out := e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/pay", body)
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, []any{"invalid_json", "invalid_request"}, out["error"], body)
	}
	e.hook.None(t, 50*time.Millisecond)
}

func TestGatewayUnknownRefIs404(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/v1/payment-requests/PAY-000000000000"},
		{http.MethodPost, "/v1/payment-requests/PAY-000000000000/pay"},
		{http.MethodPost, "/v1/payment-requests/PAY-000000000000/redeliver"},
		{http.MethodGet, "/pay/PAY-000000000000"},
	} {
		status, out := e.call(t, tt.method, tt.path, "")
		require.Equal(t, http.StatusNotFound, status, tt.path)
		require.Equal(t, "not_found", out["error"], tt.path)
	}
}

func TestGatewayPayAndRedeliver(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	e.hook.setAnswer(func(n int) int {
		if n == 2 {
			return http.StatusInternalServerError // the redelivery hits a failing receiver
		}
		return http.StatusOK
	})
	ref := e.create(t, "D-1", 200000)["payment_ref"].(string)

	status, paid := e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/pay", `{"outcome":"succeeded"}`)
	require.Equal(t, http.StatusOK, status, paid)
	require.EqualValues(t, http.StatusOK, paid["callback_status"])
	require.Equal(t, "hook says OK", paid["callback_body"])
	first := e.hook.Next(t)
	require.Equal(t, paid["transaction_id"], first.Body["transaction_id"])
	require.Equal(t, ref, first.Body["payment_ref"])
	require.Equal(t, "D-1", first.Body["merchant_ref"])
	require.EqualValues(t, 200000, first.Body["amount"])
	require.Equal(t, "succeeded", first.Body["status"])
	require.NotContains(t, first.Body, "reason")

	// A receiver's 500 is still a delivered callback: 200 with its status.
	status, again := e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/redeliver", "")
	require.Equal(t, http.StatusOK, status, again)
	require.EqualValues(t, http.StatusInternalServerError, again["callback_status"])
	require.Equal(t, "hook says Internal Server Error", again["callback_body"])
	require.Equal(t, first.Body, e.hook.Next(t).Body)

	status, view := e.call(t, http.MethodGet, "/v1/payment-requests/"+ref, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "succeeded", view["status"])
	require.Equal(t, paid["transaction_id"], view["transaction_id"])
	require.Equal(t, first.Body["paid_at"], view["paid_at"])
}

func TestGatewayUndeliverableCallbackIs502(t *testing.T) {
	t.Parallel()
	deadURL := upstreamtest.ClosedURL()
	e := newGatewayEnv(t, sim.PaymentOptions{})
	status, created := e.call(t, http.MethodPost, "/v1/payment-requests",
		fmt.Sprintf(`{"merchant_ref":"D-1","amount":5000,"notify_url":%q}`, deadURL+"/cb"))
	require.Equal(t, http.StatusCreated, status)
	ref := created["payment_ref"].(string)

	status, out := e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/pay", "")
	require.Equal(t, http.StatusBadGateway, status)
	require.Equal(t, "callback_failed", out["error"])
	require.NotEmpty(t, out["detail"])
	txn := out["transaction_id"]
	require.NotEmpty(t, txn)

	// The payment stands; only its callback is owed, and redeliver retries it.
	_, view := e.call(t, http.MethodGet, "/v1/payment-requests/"+ref, "")
	require.Equal(t, "succeeded", view["status"])
	status, out = e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/redeliver", "")
	require.Equal(t, http.StatusBadGateway, status)
	require.Equal(t, txn, out["transaction_id"])
}

func TestGatewayHTMLPayPage(t *testing.T) {
	t.Parallel()
	hook := newHookServer(t)
	gw := sim.NewPaymentGateway(sim.PaymentOptions{Logger: upstreamtest.Logger(t), WebhookSecret: hookSecret})
	t.Cleanup(gw.Close)
	srv := httptest.NewServer(sim.NewHandler(gw, nil))
	t.Cleanup(srv.Close)
	status, created := upstreamtest.CallJSON(t, srv.Client(), http.MethodPost, srv.URL+"/payment/v1/payment-requests",
		fmt.Sprintf(`{"merchant_ref":"000.00.17.H39-261127-0001","amount":1200000,"description":"Lệ phí <b>cấp phép</b>","notify_url":%q}`, hook.URL))
	require.Equal(t, http.StatusCreated, status)
	ref := created["payment_ref"].(string)
	payURL := created["pay_url"].(string)
	require.Equal(t, srv.URL+"/payment/pay/"+ref, payURL)

	resp, err := srv.Client().Get(payURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	html := string(page)
	require.Contains(t, html, ref)
	require.Contains(t, html, "1.200.000 ₫")
	require.Contains(t, html, "Lệ phí &lt;b&gt;cấp phép&lt;/b&gt;", "the description must be escaped")
	require.Equal(t, 2, strings.Count(html, `<form method="post">`))
	require.NotContains(t, html, "<script")

	// The human fails the payment, then pays.
	resp, err = srv.Client().PostForm(payURL, url.Values{"outcome": {"failed"}, "reason": {"thẻ hết hạn"}})
	require.NoError(t, err)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	failed := hook.Next(t)
	require.Equal(t, "failed", failed.Body["status"])
	require.Equal(t, "thẻ hết hạn", failed.Body["reason"])
	require.Contains(t, string(page), failed.Body["transaction_id"].(string))

	resp, err = srv.Client().PostForm(payURL, url.Values{"outcome": {"succeeded"}, "amount": {"1200000"}})
	require.NoError(t, err)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	paid := hook.Next(t)
	require.Equal(t, "succeeded", paid.Body["status"])
	require.EqualValues(t, 1200000, paid.Body["amount"])
	require.Contains(t, string(page), "hook says OK")

	resp, err = srv.Client().Get(payURL)
	require.NoError(t, err)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(page), "Already paid")
	require.NotContains(t, string(page), "<form")
}

func TestGatewayAutoPay(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{AutoPayAfter: 10 * time.Millisecond})
	ref := e.create(t, "D-1", 90000)["payment_ref"].(string)
	got := e.hook.Next(t)
	require.Equal(t, ref, got.Body["payment_ref"])
	require.Equal(t, "succeeded", got.Body["status"])
	require.EqualValues(t, 90000, got.Body["amount"])

	// An idempotent repeat does not schedule a second payment.
	status, _ := e.call(t, http.MethodPost, "/v1/payment-requests",
		fmt.Sprintf(`{"merchant_ref":"D-1","amount":90000,"notify_url":%q}`, e.hook.URL+"/cb"))
	require.Equal(t, http.StatusOK, status)
	e.hook.None(t, 100*time.Millisecond)
}

func TestGatewayAutoPayRetriesA5xxCallback(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{AutoPayAfter: time.Millisecond})
	e.hook.setAnswer(func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable // the API is still starting
		}
		return http.StatusOK
	})
	e.create(t, "D-1", 1000)
	first, second := e.hook.Next(t), e.hook.Next(t)
	require.Equal(t, first.Body, second.Body, "a retry repeats the same notification")
}

func TestGatewayAutoPaySkipsRequestsAlreadySettled(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{AutoPayAfter: 200 * time.Millisecond})
	ref := e.create(t, "D-1", 1000)["payment_ref"].(string)
	status, _ := e.call(t, http.MethodPost, "/v1/payment-requests/"+ref+"/pay", `{"outcome":"failed"}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "failed", e.hook.Next(t).Body["status"])
	e.hook.None(t, 400*time.Millisecond)
}

func TestGatewayCloseStopsPendingAutoPay(t *testing.T) {
	t.Parallel()
	e := newGatewayEnv(t, sim.PaymentOptions{AutoPayAfter: time.Hour})
	ref := e.create(t, "D-1", 1000)["payment_ref"].(string)

	closed := make(chan struct{})
	go func() {
		e.gw.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		require.FailNow(t, "Close must cancel the pending timer, not wait for it")
	}
	e.gw.Close() // idempotent

	// After Close the gateway still answers, but pays nothing by itself.
	e.create(t, "D-2", 1000)
	e.hook.None(t, 100*time.Millisecond)
	_, view := e.call(t, http.MethodGet, "/v1/payment-requests/"+ref, "")
	require.Equal(t, "pending", view["status"])
}

func TestGatewayCloseWaitsForCallbackInFlight(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	e := newGatewayEnv(t, sim.PaymentOptions{
		AutoPayAfter: time.Millisecond,
		Logger:       slogTo(logs),
	})
	e.hook.setBlock()
	e.create(t, "D-1", 1000)
	select {
	case <-e.hook.entered:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "auto pay never called back")
	}

	e.gw.Close()
	// The goroutine logs its outcome before it exits; Close returning
	// before that line exists would mean it did not wait.
	require.Contains(t, logs.String(), "auto pay: callback not delivered")
}
