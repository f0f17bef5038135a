// Package upstreamtest holds helpers for the tests of the third-party
// adapters (packages payment and postal) and of their simulators (package
// sim): fake servers, a stand-in for the API's callback endpoints, and JSON
// calls.
package upstreamtest

import (
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
)

// Logger returns a logger that writes to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// Inbox holds what a test server received, for the test to wait on.
type Inbox[T any] chan T

// NewInbox returns an Inbox with room for 16 items, so servers do not block
// on a test that has not read yet.
func NewInbox[T any]() Inbox[T] {
	return make(Inbox[T], 16)
}

// Next returns the next item, failing the test if none arrives within 5
// seconds.
func (in Inbox[T]) Next(t testing.TB) T {
	t.Helper()
	select {
	case v := <-in:
		return v
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no callback received")
		var zero T
		return zero
	}
}

// None fails the test if an item arrives within wait.
func (in Inbox[T]) None(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case v := <-in:
		require.FailNow(t, "unexpected callback", "%+v", v)
	case <-time.After(wait):
	}
}

// Callback is one callback a [Receiver] got: the body as sent, as a JSON
// object (to check the keys on the wire), and decoded into N.
type Callback[N any] struct {
	Body []byte
	Raw  map[string]any
	N    N
}

// Receiver stands in for one of the API's callback endpoints. It accepts
// JSON POSTs, answering each with 200 and the text answer returns, and
// refuses anything else with 400. Its Inbox holds what it accepted.
type Receiver[N any] struct {
	*httptest.Server
	Inbox[Callback[N]]
}

// NewReceiver starts a Receiver, closed when the test ends.
func NewReceiver[N any](t testing.TB, answer func(N) string) *Receiver[N] {
	t.Helper()
	rc := &Receiver[N]{Inbox: NewInbox[Callback[N]]()}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		c := Callback[N]{Body: body}
		if json.Unmarshal(body, &c.Raw) != nil || json.Unmarshal(body, &c.N) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rc.Inbox <- c
		_, _ = io.WriteString(w, answer(c.N))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// StatusRecorder records the status of every answer to Method requests
// whose path ends in PathSuffix, so tests can check what a client really
// got on the wire (201 or 200, 201 or 409).
type StatusRecorder struct {
	Method, PathSuffix string

	mu       sync.Mutex
	statuses []int
}

// Wrap returns h recording statuses.
func (s *StatusRecorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if r.Method == s.Method && strings.HasSuffix(r.URL.Path, s.PathSuffix) {
			s.mu.Lock()
			s.statuses = append(s.statuses, rec.status)
			s.mu.Unlock()
		}
	})
}

// Statuses returns the statuses recorded so far, oldest first.
func (s *StatusRecorder) Statuses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.statuses...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// CallJSON sends a request with a JSON (or empty) body and decodes the
// answer, which must be JSON.
func CallJSON(t testing.TB, client *http.Client, method, url, body string) (int, map[string]any) {
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

// Answering starts a server that answers every request with status and
// body, closed when the test ends.
func Answering(t testing.TB, status int, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Hanging starts a server that answers nothing until the client gives up
// or the test ends.
func Hanging(t testing.TB) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

// ClosedURL returns the URL of a server that has shut down already, so
// connections to it are refused.
func ClosedURL() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// Capturing starts a server that takes JSON POSTs to path, hands their
// bodies to the test through the returned channel, and answers 201 with
// answer; any other request gets 418. It is closed when the test ends.
func Capturing(t testing.TB, path, answer string) (*httptest.Server, <-chan map[string]any) {
	bodies := make(chan map[string]any, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		bodies <- body
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, bodies
}
