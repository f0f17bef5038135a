package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flaky answers the scripted statuses in turn (0: drop the connection
// without an answer), then 200, and records what each attempt carried.
type flaky struct {
	mu     sync.Mutex
	script []int
	always int // after the script, instead of 200
	keys   []string
	bodies []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
	f.bodies = append(f.bodies, string(body))
	status := http.StatusOK
	if f.always != 0 {
		status = f.always
	}
	if len(f.script) > 0 {
		status, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	switch status {
	case 0:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "0")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"code":"X"}`)
}

func newFlakyGen(t *testing.T, retryFor time.Duration, script ...int) (*gen, *flaky, string) {
	t.Helper()
	f := &flaky{script: script}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	g := &gen{opts: Options{API: srv.URL, RetryFor: retryFor}, stats: newStats()}
	require.NoError(t, g.opts.defaults())
	return g, f, srv.URL
}

func post(g *gen, u string) error {
	return g.call(context.Background(), "POST", u+"/v1/dossiers/X/intake", "POST intake", map[string]any{"decision": "accept"},
		nil, []int{200}, "Idempotency-Key", "k-1")
}

// A dropped connection and 503s are sent again with the same key and
// body; the retries are counted by kind, and no error reaches the report.
// (The connection dropped is a new one: on a reused one net/http itself
// resends a request with an Idempotency-Key once.)
func TestRetrySendsAgainWithTheSameKey(t *testing.T) {
	g, f, u := newFlakyGen(t, time.Minute, 0, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	require.NoError(t, post(g, u))
	require.Equal(t, []string{"k-1", "k-1", "k-1", "k-1"}, f.keys)
	for _, b := range f.bodies {
		require.JSONEq(t, `{"decision":"accept"}`, b)
	}
	rep := g.retryReport()
	require.Equal(t, map[string]int{"503 POST intake": 2, "transport POST intake": 1}, rep.Retries)
	require.Empty(t, rep.RetriesGaveUp)
	require.Zero(t, g.stats.errorCount())
}

// Without RetryFor nothing is sent again: the 503 is an error.
func TestNoRetryByDefault(t *testing.T) {
	g, f, u := newFlakyGen(t, 0, http.StatusServiceUnavailable)
	require.ErrorIs(t, post(g, u), errDossier)
	require.Len(t, f.keys, 1)
	require.Equal(t, map[string]int{"503 POST intake": 1}, g.stats.report(time.Second, 0, 0, 0).Errors)
	require.Empty(t, g.retryReport().Retries)
}

// When the retry time runs out the last answer counts, and the request is
// reported as given up.
func TestRetryGivesUp(t *testing.T) {
	g, f, u := newFlakyGen(t, 200*time.Millisecond)
	f.always = http.StatusServiceUnavailable
	require.ErrorIs(t, post(g, u), errDossier)
	require.Greater(t, len(f.keys), 1)
	require.Equal(t, map[string]int{"POST intake": 1}, g.retryReport().RetriesGaveUp)
	require.Equal(t, map[string]int{"503 POST intake": 1}, g.stats.report(time.Second, 0, 0, 0).Errors)
}

// A 409 to a retried decision means its first attempt was applied; a 409
// to a first attempt is an error.
func TestConflictAfterRetryIsSuccess(t *testing.T) {
	g, _, u := newFlakyGen(t, time.Minute, 0, http.StatusConflict)
	require.NoError(t, post(g, u))

	g, _, u = newFlakyGen(t, time.Minute, http.StatusConflict)
	require.ErrorIs(t, post(g, u), errDossier)
}

func TestRetryAfter(t *testing.T) {
	h := http.Header{}
	require.Equal(t, time.Second, retryAfter(h, time.Second))
	h.Set("Retry-After", "5")
	require.Equal(t, 5*time.Second, retryAfter(h, time.Second))
	h.Set("Retry-After", "3600")
	require.Equal(t, retryMaxAfter, retryAfter(h, time.Second))
	h.Set("Retry-After", "soon")
	require.Equal(t, time.Second, retryAfter(h, time.Second))
}

// A payment whose callback was not taken is redelivered until the API
// takes it: 502 callback_failed, then a callback answered 503, then 200.
func TestSimCallRedeliversAnOwedCallback(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	answers := []struct {
		status int
		body   string
	}{
		{http.StatusBadGateway, `{"error":"callback_failed","transaction_id":"T1"}`},
		{http.StatusOK, `{"transaction_id":"T1","callback_status":503}`},
		{http.StatusOK, `{"transaction_id":"T1","callback_status":200}`},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		a := answers[0]
		answers = answers[1:]
		mu.Unlock()
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	g := &gen{opts: Options{RetryFor: time.Minute}, stats: newStats()}
	require.NoError(t, g.opts.defaults())
	base := srv.URL + "/payment/v1/payment-requests/P1"
	_, err := g.simCall(context.Background(), base+"/pay", base+"/redeliver", epPay, map[string]any{})
	require.NoError(t, err)
	require.Equal(t, []string{"/payment/v1/payment-requests/P1/pay", "/payment/v1/payment-requests/P1/redeliver",
		"/payment/v1/payment-requests/P1/redeliver"}, paths)
	require.Equal(t, map[string]int{"callback owed (0) " + epPay: 1, "callback owed (503) " + epPay: 1}, g.retryReport().Retries)
	require.Zero(t, g.stats.errorCount())
}
