package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/sim"
)

// callback is one request received by a callbackServer.
type callback struct {
	body []byte
	raw  map[string]any
	n    payment.Notification
}

// callbackServer stands in for the API's payment callback endpoint.
type callbackServer struct {
	*httptest.Server
	got chan callback
}

func newCallbackServer(t *testing.T) *callbackServer {
	t.Helper()
	cs := &callbackServer{got: make(chan callback, 16)}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		c := callback{body: body}
		if json.Unmarshal(body, &c.raw) != nil || json.Unmarshal(body, &c.n) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		cs.got <- c
		_, _ = io.WriteString(w, "received "+c.n.TransactionID)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *callbackServer) next(t *testing.T) callback {
	t.Helper()
	select {
	case c := <-cs.got:
		return c
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no callback received")
		return callback{}
	}
}

// statusRecorder records the status of every answer, so tests can check
// what the adapter actually got on the wire (201 vs 200).
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v1/payment-requests") {
			s.mu.Lock()
			s.statuses = append(s.statuses, rec.status)
			s.mu.Unlock()
		}
	})
}

func (s *statusRecorder) get() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.statuses...)
}

type recordingWriter struct {
	http.ResponseWriter
	status int
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

type env struct {
	srv     *httptest.Server
	base    string // the gateway's base URL
	client  *payment.Client
	creates *statusRecorder
	cb      *callbackServer
}

// newEnv starts a real gateway simulator, mounted as `motcua sim` mounts
// it, and a callback server.
func newEnv(t *testing.T, opts sim.PaymentOptions) *env {
	t.Helper()
	cb := newCallbackServer(t)
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	gw := sim.NewPaymentGateway(opts)
	t.Cleanup(gw.Close)
	rec := &statusRecorder{}
	srv := httptest.NewServer(rec.wrap(sim.NewHandler(gw, nil)))
	t.Cleanup(srv.Close)
	base := srv.URL + "/payment"
	return &env{srv: srv, base: base, client: payment.New(base, srv.Client()), creates: rec, cb: cb}
}

// do sends a JSON request to the simulator and decodes the JSON answer.
func (e *env) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
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
	require.Equal(t, []int{http.StatusCreated, http.StatusOK}, e.creates.get())

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

	cb := e.cb.next(t)
	keys := make([]string, 0, len(cb.raw))
	for k := range cb.raw {
		keys = append(keys, k)
	}
	require.ElementsMatch(t, []string{"payment_ref", "merchant_ref", "transaction_id", "amount", "status", "paid_at"}, keys)
	require.EqualValues(t, 200000, cb.raw["amount"])
	_, err := time.Parse(time.RFC3339, cb.raw["paid_at"].(string))
	require.NoError(t, err)
	require.Equal(t, req.PaymentRef, cb.n.PaymentRef)
	require.Equal(t, dossier, cb.n.MerchantRef)
	require.Equal(t, txn, cb.n.TransactionID)
	require.Equal(t, payment.StatusSucceeded, cb.n.Status)
	require.Empty(t, cb.n.Reason)
	require.WithinDuration(t, time.Now(), cb.n.PaidAt, time.Minute)

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
	cb := e.cb.next(t)
	require.EqualValues(t, 150000, cb.raw["amount"])
	require.Equal(t, int64(150000), cb.n.Amount)
	require.Equal(t, payment.StatusSucceeded, cb.n.Status)

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
	failed := e.cb.next(t)
	require.Equal(t, payment.StatusFailed, failed.n.Status)
	require.Equal(t, "insufficient funds", failed.n.Reason)
	require.Equal(t, "insufficient funds", failed.raw["reason"])

	// The citizen tries another card: a new transaction succeeds.
	status, res = e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/pay", `{"outcome": "succeeded"}`)
	require.Equal(t, http.StatusOK, status, res)
	ok := e.cb.next(t)
	require.Equal(t, payment.StatusSucceeded, ok.n.Status)
	require.NotEqual(t, failed.n.TransactionID, ok.n.TransactionID)
	require.Equal(t, int64(75000), ok.n.Amount)
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
	first := e.cb.next(t)

	status, again := e.do(t, http.MethodPost, "/v1/payment-requests/"+req.PaymentRef+"/redeliver", "")
	require.Equal(t, http.StatusOK, status, again)
	second := e.cb.next(t)
	require.Equal(t, paid["transaction_id"], again["transaction_id"])
	require.Equal(t, first.n.TransactionID, second.n.TransactionID)
	require.JSONEq(t, string(first.body), string(second.body))
	require.EqualValues(t, http.StatusOK, again["callback_status"])
}

func TestAutoPayDeliversCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PaymentOptions{AutoPayAfter: 20 * time.Millisecond})
	req := e.request(t, "000.00.17.H39-261127-0008", 120000)

	cb := e.cb.next(t)
	require.Equal(t, req.PaymentRef, cb.n.PaymentRef)
	require.Equal(t, payment.StatusSucceeded, cb.n.Status)
	require.Equal(t, int64(120000), cb.n.Amount)
}

func TestRequestPaymentWireFormat(t *testing.T) {
	t.Parallel()
	bodies := make(chan map[string]any, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/gw/v1/payment-requests" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		bodies <- body
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"payment_ref":"PAY-000000000001","pay_url":"http://127.0.0.1/pay","status":"pending","amount":200000,"expires_at":"2026-11-28T10:00:00+07:00"}`)
	}))
	t.Cleanup(srv.Close)
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
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
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
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"status":`)
		}))
		t.Cleanup(srv.Close)
		_, err := payment.New(srv.URL, srv.Client()).RequestPayment(t.Context(),
			payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
		require.Error(t, err)
		require.False(t, payment.IsPermanent(err))
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := payment.New(url, nil).RequestPayment(t.Context(),
			payment.PaymentRequest{MerchantRef: "D", Amount: 1, NotifyURL: "http://127.0.0.1/cb"})
		require.Error(t, err)
		require.False(t, payment.IsPermanent(err))
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
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
