package payment_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/upstream/upstreamtest"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/sim"
)

type env struct {
	srv     *httptest.Server
	base    string // the gateway's base URL
	client  *payment.Client
	creates *upstreamtest.StatusRecorder
	cb      *upstreamtest.Receiver[payment.Notification]
}

// newEnv starts a real gateway simulator, mounted as `motcua sim` mounts
// it, and a callback server, which answers "received <transaction_id>".
func newEnv(t *testing.T, opts sim.PaymentOptions) *env {
	t.Helper()
	cb := upstreamtest.NewReceiver(t, func(n payment.Notification) string { return "received " + n.TransactionID })
	opts.Logger = upstreamtest.Logger(t)
	gw := sim.NewPaymentGateway(opts)
	t.Cleanup(gw.Close)
	rec := &upstreamtest.StatusRecorder{Method: http.MethodPost, PathSuffix: "/v1/payment-requests"}
	srv := httptest.NewServer(rec.Wrap(sim.NewHandler(gw, nil)))
	t.Cleanup(srv.Close)
	base := srv.URL + "/payment"
	return &env{srv: srv, base: base, client: payment.New(base, srv.Client()), creates: rec, cb: cb}
}

// do sends a JSON request to the simulator and decodes the JSON answer.
func (e *env) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return upstreamtest.CallJSON(t, e.srv.Client(), method, e.base+path, body)
}

func (e *env) request(t *testing.T, merchantRef string, amount int64) payment.PaymentRequested {
	t.Helper()
	got, err := e.client.RequestPayment(t.Context(), payment.PaymentRequest{
		MerchantRef: merchantRef,
		Amount:      amount,
		Description: "Lệ phí cấp giấy phép xây dựng",
		NotifyURL:   e.cb.URL + "/callbacks/payment",
	})
	require.NoError(t, err)
	return got
}

func TestRequestPaymentIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	const dossier = "000.00.17.H39-261127-0001"

	first := e.request(t, dossier, 200000)
	require.Regexp(t, `^PAY-[0-9A-F]{12}$`, first.PaymentRef)
	require.Equal(t, payment.StatusPending, first.Status)
	require.Equal(t, int64(200000), first.Amount)
	require.Equal(t, e.base+"/pay/"+first.PaymentRef, first.PayURL)
	require.WithinDuration(t, time.Now().Add(24*time.Hour), first.ExpiresAt, time.Minute)

	second := e.request(t, dossier, 200000)
	require.Equal(t, first, second)
	require.Equal(t, []int{http.StatusCreated, http.StatusOK}, e.creates.Statuses())

	status, list := e.do(t, http.MethodGet, "/v1/payment-requests?merchant_ref="+dossier, "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list["payment_requests"], 1)

	// The pay_url really is the gateway's payment page.
	resp, err := e.srv.Client().Get(first.PayURL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), first.PaymentRef)
}

func TestRequestPaymentConcurrentRetriesCreateOneRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	const dossier = "000.00.17.H39-261127-0002"

	refs := make([]string, 16)
	var wg sync.WaitGroup
	for i := range refs {
		wg.Go(func() {
			got, err := e.client.RequestPayment(t.Context(), payment.PaymentRequest{
				MerchantRef: dossier, Amount: 50000, NotifyURL: e.cb.URL,
			})
			if err == nil {
				refs[i] = got.PaymentRef
			}
		})
	}
	wg.Wait()
	for _, ref := range refs {
		require.Equal(t, refs[0], ref)
	}
	require.NotEmpty(t, refs[0])
	_, list := e.do(t, http.MethodGet, "/v1/payment-requests?merchant_ref="+dossier, "")
	require.Len(t, list["payment_requests"], 1)
}

func TestRequestPaymentDifferentAmountIsPermanentConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	const dossier = "000.00.17.H39-261127-0003"
	e.request(t, dossier, 200000)

	_, err := e.client.RequestPayment(t.Context(), payment.PaymentRequest{
		MerchantRef: dossier, Amount: 300000, NotifyURL: e.cb.URL,
	})
	require.Error(t, err)
	require.ErrorIs(t, err, payment.ErrConflict)
	require.True(t, payment.IsPermanent(err))
	var perr *payment.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, http.StatusConflict, perr.StatusCode)
	require.Equal(t, "merchant_ref_conflict", perr.Code)
}

func TestPayDeliversNotification(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	const dossier = "000.00.17.H39-261127-0004"
	req := e.request(t, dossier, 200000)

	status, res := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", "")
	require.Equal(t, http.StatusOK, status, res)
	txn, _ := res["transaction_id"].(string)
	require.Regexp(t, `^TXN-[0-9A-F]+$`, txn)
	require.EqualValues(t, http.StatusOK, res["callback_status"])
	require.Equal(t, "received "+txn, res["callback_body"])

	cb := e.cb.Next(t)
	keys := make([]string, 0, len(cb.Raw))
	for k := range cb.Raw {
		keys = append(keys, k)
	}
	require.ElementsMatch(t, []string{"payment_ref", "merchant_ref", "transaction_id", "amount", "status", "paid_at"}, keys)
	require.EqualValues(t, 200000, cb.Raw["amount"])
	_, err := time.Parse(time.RFC3339, cb.Raw["paid_at"].(string))
	require.NoError(t, err)
	require.Equal(t, req.PaymentRef, cb.N.PaymentRef)
	require.Equal(t, dossier, cb.N.MerchantRef)
	require.Equal(t, txn, cb.N.TransactionID)
	require.Equal(t, payment.StatusSucceeded, cb.N.Status)
	require.Empty(t, cb.N.Reason)
	require.WithinDuration(t, time.Now(), cb.N.PaidAt, time.Minute)

	// The gateway now reports the request paid, also to a retried request.
	again := e.request(t, dossier, 200000)
	require.Equal(t, payment.StatusSucceeded, again.Status)
	// And refuses to take the money twice.
	status, res = e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", "")
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "already_paid", res["error"])
}

func TestPayWithWrongAmountIsDeliveredAsSuch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	req := e.request(t, "000.00.17.H39-261127-0005", 200000)

	status, res := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", `{"amount": 150000}`)
	require.Equal(t, http.StatusOK, status, res)
	cb := e.cb.Next(t)
	require.EqualValues(t, 150000, cb.Raw["amount"])
	require.Equal(t, int64(150000), cb.N.Amount)
	require.Equal(t, payment.StatusSucceeded, cb.N.Status)

	status, view := e.do(t, http.MethodGet, "/v1/payment-requests/"+req.PaymentRef, "")
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 200000, view["amount"])
	require.EqualValues(t, 150000, view["paid_amount"])
}

func TestFailedPaymentThenRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	req := e.request(t, "000.00.17.H39-261127-0006", 75000)

	status, res := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay",
		`{"outcome": "failed", "reason": "insufficient funds"}`)
	require.Equal(t, http.StatusOK, status, res)
	failed := e.cb.Next(t)
	require.Equal(t, payment.StatusFailed, failed.N.Status)
	require.Equal(t, "insufficient funds", failed.N.Reason)
	require.Equal(t, "insufficient funds", failed.Raw["reason"])

	// The citizen tries another card: a new transaction succeeds.
	status, res = e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", `{"outcome": "succeeded"}`)
	require.Equal(t, http.StatusOK, status, res)
	ok := e.cb.Next(t)
	require.Equal(t, payment.StatusSucceeded, ok.N.Status)
	require.NotEqual(t, failed.N.TransactionID, ok.N.TransactionID)
	require.Equal(t, int64(75000), ok.N.Amount)
}

func TestRedeliverRepeatsTheSameTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	req := e.request(t, "000.00.17.H39-261127-0007", 200000)

	status, res := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/redeliver", "")
	require.Equal(t, http.StatusConflict, status, "nothing to redeliver before a payment")
	require.Equal(t, "no_notification", res["error"])

	status, paid := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", "")
	require.Equal(t, http.StatusOK, status)
	first := e.cb.Next(t)

	status, again := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/redeliver", "")
	require.Equal(t, http.StatusOK, status, again)
	second := e.cb.Next(t)
	require.Equal(t, paid["transaction_id"], again["transaction_id"])
	require.Equal(t, first.N.TransactionID, second.N.TransactionID)
	require.JSONEq(t, string(first.Body), string(second.Body))
	require.EqualValues(t, http.StatusOK, again["callback_status"])
}

func TestAutoPayDeliversCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{AutoPayAfter: 20 * time.Millisecond})
	req := e.request(t, "000.00.17.H39-261127-0008", 120000)

	cb := e.cb.Next(t)
	require.Equal(t, req.PaymentRef, cb.N.PaymentRef)
	require.Equal(t, payment.StatusSucceeded, cb.N.Status)
	require.Equal(t, int64(120000), cb.N.Amount)
}

func TestRequestPaymentWireFormat(t *testing.T) {
	t.Parallel()
	srv, bodies := upstreamtest.Capturing(t, "/gw/v1/payment-requests",
		`{"payment_ref":"PAY-000000000001","pay_url":"http://127.0.0.1/pay","status":"pending","amount":200000,"expires_at":"2026-11-28T10:00:00+07:00"}`)
	c := payment.New(srv.URL+"/gw/", srv.Client()) // the trailing slash must not matter

	expires := time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	got, err := c.RequestPayment(t.Context(), payment.PaymentRequest{
		MerchantRef: "D1", Amount: 200000, Description: "fee", NotifyURL: "http://127.0.0.1/cb", ExpiresAt: expires,
	})
	require.NoError(t, err)
	require.Equal(t, "PAY-000000000001", got.PaymentRef)
	require.True(t, expires.Equal(got.ExpiresAt))
	require.Equal(t, map[string]any{
		"merchant_ref": "D1", "amount": float64(200000), "description": "fee",
		"notify_url": "http://127.0.0.1/cb", "expires_at": "2026-11-28T10:00:00+07:00",
	}, <-bodies)

	_, err = c.RequestPayment(t.Context(), payment.PaymentRequest{MerchantRef: "D2", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
	require.NoError(t, err)
	require.NotContains(t, <-bodies, "expires_at", "a zero ExpiresAt leaves the default to the gateway")
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		conflict  bool
		code      string
	}{
		{"bad request", 400, `{"error":"invalid_request","detail":"amount"}`, true, false, "invalid_request"},
		{"not found", 404, `{"error":"not_found"}`, true, false, "not_found"},
		{"conflict", 409, `{"error":"merchant_ref_conflict"}`, true, true, "merchant_ref_conflict"},
		{"unprocessable", 422, `{"error":"x"}`, true, false, "x"},
		{"request timeout", 408, ``, false, false, ""},
		{"rate limited", 429, `{"error":"slow_down"}`, false, false, "slow_down"},
		{"internal", 500, `{"error":"internal"}`, false, false, "internal"},
		{"proxy html", 502, `<html>bad gateway</html>`, false, false, ""},
		{"unavailable", 503, `{"error":"maintenance"}`, false, false, "maintenance"},
		{"unexpected 2xx", 204, ``, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := upstreamtest.Answering(t, tt.status, tt.body)
			_, err := payment.New(srv.URL, srv.Client()).RequestPayment(t.Context(),
				payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
			require.Error(t, err)
			require.Equal(t, tt.permanent, payment.IsPermanent(err), err.Error())
			require.Equal(t, tt.conflict, errors.Is(err, payment.ErrConflict))
			var perr *payment.Error
			require.ErrorAs(t, err, &perr)
			require.Equal(t, tt.status, perr.StatusCode)
			require.Equal(t, tt.code, perr.Code)
		})
	}

	t.Run("malformed 201", func(t *testing.T) {
		t.Parallel()
		srv := upstreamtest.Answering(t, http.StatusCreated, `{"status":`)
		_, err := payment.New(srv.URL, srv.Client()).RequestPayment(t.Context(),
			payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
		require.Error(t, err)
		require.False(t, payment.IsPermanent(err))
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		_, err := payment.New(upstreamtest.ClosedURL(), nil).RequestPayment(t.Context(),
			payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
		require.Error(t, err)
		require.False(t, payment.IsPermanent(err))
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := upstreamtest.Hanging(t)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := payment.New(srv.URL, srv.Client()).RequestPayment(ctx,
			payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, payment.IsPermanent(err))
	})

	t.Run("invalid before sending", func(t *testing.T) {
		t.Parallel()
		c := payment.New("http://127.0.0.1:1", nil) // never contacted
		for _, req := range []payment.PaymentRequest{
			{Amount: 1, NotifyURL: "http://127.0.0.1/cb"},
			{MerchantRef: "D", Amount: 0, NotifyURL: "http://127.0.0.1/cb"},
			{MerchantRef: "D", Amount: -5, NotifyURL: "http://127.0.0.1/cb"},
			{MerchantRef: "D", Amount: 1},
		} {
			_, err := c.RequestPayment(t.Context(), req)
			require.ErrorIs(t, err, payment.ErrInvalid)
			require.True(t, payment.IsPermanent(err))
		}
	})

	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		require.False(t, payment.IsPermanent(nil))
		require.False(t, payment.IsPermanent(errors.New("anything else")))
	})
}

func TestInvalidNotifyURLIsRejectedByGatewayAsPermanent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{})
	_, err := e.client.RequestPayment(t.Context(), payment.PaymentRequest{
		MerchantRef: "000.00.17.H39-261127-0009", Amount: 1000, NotifyURL: "/relative/only",
	})
	require.Error(t, err)
	require.True(t, payment.IsPermanent(err))
	require.False(t, errors.Is(err, payment.ErrConflict))
	var perr *payment.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, http.StatusBadRequest, perr.StatusCode)
	require.Equal(t, "invalid_request", perr.Code)
}
