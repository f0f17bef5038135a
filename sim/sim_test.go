package sim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/sim"
)

// hook is one callback received by a hookServer.
type hook struct {
	Body map[string]any
}

// hookServer stands in for the API's callback endpoints. answer decides
// the status of each callback (200 when nil); block makes it hang until
// the caller gives up, to test cancellation.
type hookServer struct {
	*httptest.Server
	got     chan hook
	entered chan struct{}
	mu      sync.Mutex
	answer  func(n int) int
	block   bool
	calls   int
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{got: make(chan hook, 16), entered: make(chan struct{}, 16)}
	release := make(chan struct{})
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.calls++
		n, answer, block := h.calls, h.answer, h.block
		h.mu.Unlock()
		h.entered <- struct{}{}
		if block {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		status := http.StatusOK
		if answer != nil {
			status = answer(n)
		}
		h.got <- hook{Body: body}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "hook says "+http.StatusText(status))
	}))
	t.Cleanup(h.Close)
	t.Cleanup(func() { close(release) })
	return h
}

// setAnswer makes the n-th callback (from 1) answer answer(n).
func (h *hookServer) setAnswer(answer func(n int) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer = answer
}

// setBlock makes callbacks hang until the sender gives up.
func (h *hookServer) setBlock() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.block = true
}

func (h *hookServer) next(t *testing.T) hook {
	t.Helper()
	select {
	case c := <-h.got:
		return c
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no callback received")
		return hook{}
	}
}

func (h *hookServer) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case c := <-h.got:
		require.FailNow(t, "unexpected callback", "%v", c.Body)
	case <-time.After(wait):
	}
}

// lockedBuffer is a log destination tests can read while goroutines write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

func jsonDecode(r io.Reader, v any) error {
	return json.NewDecoder(r).Decode(v)
}

// call sends a request with a JSON (or empty) body and decodes a JSON answer.
func call(t *testing.T, client *http.Client, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestHandlerServesBothSimulatorsAndHealth(t *testing.T) {
	t.Parallel()
	gw := sim.NewPaymentGateway(sim.PaymentOptions{Logger: testLogger(t)})
	ps := sim.NewPostalService(sim.PostalOptions{Logger: testLogger(t)})
	t.Cleanup(gw.Close)
	t.Cleanup(ps.Close)
	srv := httptest.NewServer(sim.NewHandler(gw, ps))
	t.Cleanup(srv.Close)

	resp, err := srv.Client().Get(srv.URL + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", string(body))

	status, out := call(t, srv.Client(), http.MethodGet, srv.URL+"/payment/v1/payment-requests", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, out, "payment_requests")
	status, out = call(t, srv.Client(), http.MethodGet, srv.URL+"/postal/v1/shipments", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, out, "shipments")

	for _, path := range []string{"/nope", "/payment/nope", "/postal/v1/nope"} {
		status, out = call(t, srv.Client(), http.MethodGet, srv.URL+path, "")
		require.Equal(t, http.StatusNotFound, status, path)
		require.Equal(t, "not_found", out["error"], path)
	}
	status, out = call(t, srv.Client(), http.MethodDelete, srv.URL+"/postal/v1/shipments", "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
	require.Equal(t, "method_not_allowed", out["error"])
}

func TestHandlerWithoutSimulators(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(sim.NewHandler(nil, nil))
	t.Cleanup(srv.Close)
	status, _ := call(t, srv.Client(), http.MethodGet, srv.URL+"/payment/v1/payment-requests", "")
	require.Equal(t, http.StatusNotFound, status)
}
