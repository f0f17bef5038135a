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

	"github.com/motcua/motcua/internal/upstream/upstreamtest"
	"github.com/motcua/motcua/internal/webhook"
	"github.com/motcua/motcua/sim"
)

// hook is one callback received by a hookServer.
type hook struct {
	Body map[string]any
}

// hookSecret is the secret the simulators under test sign with and the
// hookServer verifies with.
const hookSecret = "sim-test-webhook-secret"

// hookServer stands in for the API's callback endpoints: like them it
// answers 401 to a callback whose X-Signature does not verify. answer decides
// the status of each callback (200 when nil); block makes it hang until
// the caller gives up, to test cancellation.
type hookServer struct {
	*httptest.Server
	upstreamtest.Inbox[hook]
	entered chan struct{}
	mu      sync.Mutex
	answer  func(n int) int
	block   bool
	calls   int
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	h := &hookServer{Inbox: upstreamtest.NewInbox[hook](), entered: make(chan struct{}, 16)}
	release := make(chan struct{})
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(hookSecret, r.Header.Get(webhook.Header), raw, time.Now()); err != nil {
			http.Error(w, "hook refuses: "+err.Error(), http.StatusUnauthorized)
			return
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil || r.Header.Get("Content-Type") != "application/json" {
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
		h.Inbox <- hook{Body: body}
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

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

// postConcurrently POSTs the JSON body to url n times at once and returns
// the status of each answer and its value for key (a zero status and a nil
// value when a POST failed).
func postConcurrently(client *http.Client, url, body string, n int, key string) ([]int, []any) {
	statuses := make([]int, n)
	values := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := client.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			statuses[i] = resp.StatusCode
			var out map[string]any
			if json.NewDecoder(resp.Body).Decode(&out) == nil {
				values[i] = out[key]
			}
		})
	}
	wg.Wait()
	return statuses, values
}

func TestHandlerServesBothSimulatorsAndHealth(t *testing.T) {
	t.Parallel()
	gw := sim.NewPaymentGateway(sim.PaymentOptions{Logger: upstreamtest.Logger(t)})
	ps := sim.NewPostalService(sim.PostalOptions{Logger: upstreamtest.Logger(t)})
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

	status, out := upstreamtest.CallJSON(t, srv.Client(), http.MethodGet, srv.URL+"/payment/v1/payment-requests", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, out, "payment_requests")
	status, out = upstreamtest.CallJSON(t, srv.Client(), http.MethodGet, srv.URL+"/postal/v1/shipments", "")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, out, "shipments")

	for _, path := range []string{"/nope", "/payment/nope", "/postal/v1/nope"} {
		status, out = upstreamtest.CallJSON(t, srv.Client(), http.MethodGet, srv.URL+path, "")
		require.Equal(t, http.StatusNotFound, status, path)
		require.Equal(t, "not_found", out["error"], path)
	}
	status, out = upstreamtest.CallJSON(t, srv.Client(), http.MethodDelete, srv.URL+"/postal/v1/shipments", "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
	require.Equal(t, "method_not_allowed", out["error"])
}

func TestHandlerWithoutSimulators(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(sim.NewHandler(nil, nil))
	t.Cleanup(srv.Close)
	status, _ := upstreamtest.CallJSON(t, srv.Client(), http.MethodGet, srv.URL+"/payment/v1/payment-requests", "")
	require.Equal(t, http.StatusNotFound, status)
}
