// Package sim holds simulators of the third parties motcua talks to: the
// payment gateway ([PaymentGateway]) and the postal service
// ([PostalService]).
//
// They are real HTTP services speaking the same wire protocol as the
// adapters in packages payment and postal, not in-process mocks: they keep
// state in memory, post real callbacks to the notify URLs they are given,
// and expose control endpoints ("pay this request", "deliver this parcel",
// "suspend the service") so developers and end-to-end tests can drive them.
// [NewHandler] serves both on one port, which is what `motcua sim` runs.
//
// The simulators deliberately implement the protocol on their own types
// instead of importing the adapters' types, so that a drift on either side
// shows up in tests instead of being hidden by a shared struct.
package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/internal/webhook"
)

// NewHandler serves the payment gateway under /payment and the postal
// service under /postal, so one process on one port simulates both (gateway
// base URL http://host:port/payment, postal base URL
// http://host:port/postal), plus GET /healthz answering 200 "ok". A nil
// simulator is simply not mounted.
func NewHandler(pay *PaymentGateway, post *PostalService, more ...Mount) http.Handler {
	r := newRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	if pay != nil {
		r.Mount("/payment", pay)
	}
	if post != nil {
		r.Mount("/postal", post)
	}
	for _, m := range more {
		r.Mount(m.Path, m.Handler)
	}
	return r
}

// Mount is a further simulator served under Path (e.g. the messaging
// gateway under /messages).
type Mount struct {
	Path    string
	Handler http.Handler
}

const (
	// callbackTimeout bounds one callback delivery, so a hung receiver
	// cannot hold a control request or a background goroutine forever.
	callbackTimeout = 10 * time.Second
	// maxCallbackBody is how much of a callback's answer is echoed back
	// to the caller of a control endpoint: enough to read an error.
	maxCallbackBody = 2 << 10
	// maxRequestBody bounds request bodies; real requests are tiny.
	maxRequestBody = 1 << 20
	// autoAttempts, autoFirstBackoff and autoMaxBackoff shape the retries
	// of automatic callbacks: like real gateways, the simulators retry a
	// callback that got no answer or a 5xx, so a worker started a little
	// late still gets it. Real gateways go on for hours; 12 attempts
	// doubling from 1 s up to 30 s span about 4 minutes, enough to ride
	// out the restarts of a chaos run (make chaos). Manual control
	// endpoints never retry; they report instead.
	autoAttempts     = 12
	autoFirstBackoff = time.Second
	autoMaxBackoff   = 30 * time.Second
)

// errorBody is the JSON error every simulator endpoint answers with. The
// optional fields carry what a client needs to recover (the existing
// waybill of a duplicate order, the transaction of an undelivered callback).
type errorBody struct {
	Error         string `json:"error"`
	Detail        string `json:"detail,omitempty"`
	PaymentRef    string `json:"payment_ref,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Waybill       string `json:"waybill,omitempty"`
	Status        string `json:"status,omitempty"`
}

// httpError is an error answer not yet written; handlers share logic that
// fails in several ways and write the answer in one place.
type httpError struct {
	status int
	body   errorBody
}

func (e *httpError) Error() string { return e.body.Error + ": " + e.body.Detail }

func newHTTPError(status int, code, detail string) *httpError {
	return &httpError{status: status, body: errorBody{Error: code, Detail: detail}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *httpError) {
	writeJSON(w, e.status, e.body)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, newHTTPError(http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path))
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, newHTTPError(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" not allowed on "+r.URL.Path))
}

// readJSON decodes the request body into v, or writes the error answer and
// returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) bool {
	if e := decodeJSON(w, r, v, allowEmpty); e != nil {
		writeError(w, e)
		return false
	}
	return true
}

// decodeJSON decodes the request body into v, strictly: unknown fields and
// trailing data are refused, so a client drifting from the protocol fails
// loudly in development instead of being half-understood. An empty body is
// accepted only when allowEmpty, leaving v untouched.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) *httpError {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return newHTTPError(http.StatusRequestEntityTooLarge, "too_large", err.Error())
		}
		return newHTTPError(http.StatusBadRequest, "bad_request", "read body: "+err.Error())
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if allowEmpty {
			return nil
		}
		return newHTTPError(http.StatusBadRequest, "invalid_json", "request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newHTTPError(http.StatusBadRequest, "invalid_json", err.Error())
	}
	if dec.More() {
		return newHTTPError(http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object")
	}
	return nil
}

// checkNotifyURL accepts only absolute http(s) URLs: anything else could
// never receive a callback, and saying so at request time beats a 502 later.
func checkNotifyURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("notify_url: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("notify_url must be an absolute http(s) URL, got %q", s)
	}
	return nil
}

// randomHex returns n random bytes as uppercase hex (2n characters).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return strings.ToUpper(hex.EncodeToString(b))
}

// now is the simulator's clock: business time (the same offset as the API's
// in development and tests), UTC, whole seconds, because the wire carries
// RFC 3339 and sub-second noise only makes logs harder to read.
func (s *simulator) now() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

// delivery is what happened to one callback: the receiver's status and the
// start of its answer, as the control endpoints report it.
type delivery struct {
	CallbackStatus int    `json:"callback_status"`
	CallbackBody   string `json:"callback_body"`
}

// postCallback POSTs payload as JSON to target, signed with secret (an
// X-Signature header, as the real gateway and postal service sign theirs),
// and returns the receiver's answer. An error means no HTTP answer was
// received at all (refused, timed out, cancelled); any status, even 500,
// counts as delivered.
func postCallback(ctx context.Context, client *http.Client, secret, target string, payload any) (delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	body, err := json.Marshal(payload)
	if err != nil {
		return delivery{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return delivery{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	// Signed at each attempt: a retry minutes later carries a fresh
	// timestamp, as a real sender's does, and is not taken for a replay.
	req.Header.Set(webhook.Header, webhook.Sign(secret, body, time.Now()))
	resp, err := client.Do(req)
	if err != nil {
		return delivery{}, err
	}
	defer resp.Body.Close()
	// A read error after the status line still leaves a useful status; the
	// partial body is what the caller gets to see.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxCallbackBody))
	return delivery{CallbackStatus: resp.StatusCode, CallbackBody: string(answer)}, nil
}

// postCallbackRetrying is postCallback for automatic (background)
// callbacks: it retries transport errors and 5xx answers with doubling
// backoff, up to autoAttempts, and gives up at once when ctx is cancelled.
func postCallbackRetrying(ctx context.Context, log *slog.Logger, client *http.Client, secret, target string, payload any) (delivery, error) {
	backoff := autoFirstBackoff
	var (
		d   delivery
		err error
	)
	for attempt := 1; ; attempt++ {
		d, err = postCallback(ctx, client, secret, target, payload)
		if err == nil && d.CallbackStatus < 500 {
			return d, nil
		}
		if attempt == autoAttempts || ctx.Err() != nil {
			return d, err
		}
		log.Warn("callback not accepted, will retry",
			"url", target, "attempt", attempt, "status", d.CallbackStatus, "err", err, "backoff", backoff)
		if !sleep(ctx, backoff) {
			return d, ctx.Err()
		}
		backoff = min(backoff*2, autoMaxBackoff)
	}
}

// sleep waits for d or until ctx is done, reporting whether the full
// delay elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// background runs the simulators' automatic work (auto pay, auto deliver)
// in goroutines that Close can stop and wait for, so tests and the sim
// command shut down without leaking goroutines or posting callbacks after
// they are gone.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and orders wg.Go before wg.Wait
	closed bool
	wg     sync.WaitGroup
}

func newBackground() *background {
	ctx, cancel := context.WithCancel(context.Background())
	return &background{ctx: ctx, cancel: cancel}
}

// start runs fn in a goroutine with a context cancelled by close; it
// reports false, running nothing, once close has been called.
func (b *background) start(fn func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Go(func() { fn(b.ctx) })
	return true
}

// close cancels the running goroutines and waits for them to return. It is
// idempotent.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// newMux returns a router with the simulators' common behaviour: JSON 404
// and 405, panic recovery, and a log line per request, since watching the
// traffic is much of what a simulator is for.
// newRouter is a router whose unknown paths and methods answer like the
// rest of the simulators (JSON errors).
func newRouter() *chi.Mux {
	r := chi.NewRouter()
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)
	return r
}

func newMux(log *slog.Logger) *chi.Mux {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, requestLogger(log))
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)
	return r
}

func requestLogger(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			log.Info("request", "method", r.Method, "path", r.URL.Path,
				"status", ww.Status(), "duration", time.Since(start))
		})
	}
}

// simulator is what the simulators have in common: a logger, the client
// that posts callbacks, a router, and the background goroutines that Close
// stops.
type simulator struct {
	log    *slog.Logger
	client *http.Client
	secret string // signs the callbacks
	mux    *chi.Mux
	bg     *background
	clock  clock.Clock
}

// newSimulator returns a simulator whose log lines say sim=name. A nil
// log means slog.Default(); a nil client, one with callbackTimeout.
func newSimulator(name string, log *slog.Logger, client *http.Client, secret string, c clock.Clock) simulator {
	if log == nil {
		log = slog.Default()
	}
	if client == nil {
		client = &http.Client{Timeout: callbackTimeout}
	}
	log = log.With("sim", name)
	return simulator{log: log, client: client, secret: secret, mux: newMux(log), bg: newBackground(), clock: c}
}

// ServeHTTP implements http.Handler.
func (s *simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close stops the pending automatic payments or deliveries, cancelling
// callbacks in flight, and returns once their goroutines have exited. The
// simulator keeps serving HTTP afterwards, with no automatic work. Close is
// idempotent.
func (s *simulator) Close() {
	s.bg.close()
}

// deliver posts payload to notifyURL once, for a control endpoint, and
// returns the receiver's answer. When none came it returns a 502
// callback_failed, which the caller completes with the id of what happened
// (it stands: only its callback is owed). attrs identify the callback in
// the log.
func (s *simulator) deliver(ctx context.Context, notifyURL string, payload any, attrs ...any) (delivery, *httpError) {
	d, err := postCallback(ctx, s.client, s.secret, notifyURL, payload)
	if err != nil {
		s.log.Warn("callback not delivered", append(attrs, "url", notifyURL, "err", err)...)
		return delivery{}, newHTTPError(http.StatusBadGateway, "callback_failed", err.Error())
	}
	s.log.Info("callback delivered", append(attrs, "url", notifyURL, "callback_status", d.CallbackStatus)...)
	return d, nil
}

// autoCallback is one automatic step (auto pay, auto deliver): it waits
// delay, lets apply change the record and return the notification and
// where to send it, and delivers that with retries. apply returns a nil
// notification when a manual change got there first. name starts the log
// lines; attrs identify the record. autoCallback reports whether the
// callback was delivered, so that a sequence of steps can go on.
func autoCallback[N any](ctx context.Context, s *simulator, name string, delay time.Duration,
	apply func() (*N, string, *httpError), attrs ...any,
) bool {
	if !sleep(ctx, delay) {
		s.log.Info(name+" cancelled", attrs...)
		return false
	}
	n, notifyURL, e := apply()
	if e != nil || n == nil {
		s.log.Info(name+" skipped", append(attrs, "err", e)...)
		return false
	}
	d, err := postCallbackRetrying(ctx, s.log, s.client, s.secret, notifyURL, n)
	if err != nil {
		s.log.Warn(name+": callback not delivered", append(attrs, "err", err)...)
		return false
	}
	s.log.Info(name+": callback delivered", append(attrs, "callback_status", d.CallbackStatus)...)
	return true
}
