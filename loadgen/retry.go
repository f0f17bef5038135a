package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Retries, as a real client survives a restart: with Options.RetryFor
// set, a request that got no answer (refused, reset, timed out) or a 502,
// 503, 504 or 429 is sent again, with the same Idempotency-Key, after the
// Retry-After the server gave or a doubling backoff, until RetryFor has
// passed since its first attempt. Submissions and decisions carry an
// Idempotency-Key and the simulators' pay and event endpoints answer 409
// once done, so sending again never does anything twice.
const (
	retryFirstBackoff = 250 * time.Millisecond
	retryMaxBackoff   = 5 * time.Second
	// retryMaxAfter caps a Retry-After, so a confused server cannot park
	// the client for an hour.
	retryMaxAfter = 30 * time.Second
)

// retryable reports whether an answer with this status is worth sending
// again: the server (or what stands in front of it) said "not now".
func retryable(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return true
	}
	return false
}

// retryStats counts the retried attempts by kind ("503 POST /v1/dossiers",
// "transport GET /v1/dossiers/{code}") and the requests that were retried
// at least once and then succeeded or finally failed.
type retryStats struct {
	mu      sync.Mutex
	byKind  map[string]int
	gaveUp  map[string]int
	longest time.Duration // longest time one request spent retrying
}

func (r *retryStats) add(kind string) {
	r.mu.Lock()
	if r.byKind == nil {
		r.byKind = map[string]int{}
	}
	r.byKind[kind]++
	r.mu.Unlock()
}

func (r *retryStats) done(endpoint string, spent time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		if r.gaveUp == nil {
			r.gaveUp = map[string]int{}
		}
		r.gaveUp[endpoint]++
	}
	r.longest = max(r.longest, spent)
}

func (r *retryStats) snapshot() (byKind, gaveUp map[string]int, longest time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byKind, gaveUp = map[string]int{}, map[string]int{}
	for k, v := range r.byKind {
		byKind[k] = v
	}
	for k, v := range r.gaveUp {
		gaveUp[k] = v
	}
	return byKind, gaveUp, r.longest
}

// retryAfter reads a Retry-After header in seconds (the form motcua sends;
// an HTTP date is honoured too).
func retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return fallback
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, retryMaxAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), retryMaxAfter)
	}
	return fallback
}

// do sends req, again and again as the retry policy allows. The answer's
// body is read in full (a reset in the middle of it is a transport error
// like any other) and handed back buffered. retried reports whether more
// than one attempt was made: a 409 to a retried decision then means the
// first attempt was applied before its answer was lost.
func (g *gen) do(ctx context.Context, req *http.Request, endpoint string) (res *http.Response, retried bool, err error) {
	start := time.Now()
	backoff := retryFirstBackoff
	for attempt := 1; ; attempt++ {
		try := req.Clone(ctx)
		if req.GetBody != nil {
			if try.Body, err = req.GetBody(); err != nil {
				return nil, retried, err
			}
		}
		var kind string
		var wait time.Duration
		var raw []byte
		res, err = g.opts.Client.Do(try)
		if err == nil {
			raw, err = io.ReadAll(io.LimitReader(res.Body, 4<<20))
			res.Body.Close()
			res.Body = io.NopCloser(bytes.NewReader(raw))
		}
		switch {
		case err != nil:
			kind = "transport " + endpoint
			wait = backoff
		case retryable(res.StatusCode) && !(res.StatusCode == http.StatusBadGateway && bytes.Contains(raw, []byte("callback_failed"))):
			kind = fmt.Sprintf("%d %s", res.StatusCode, endpoint)
			wait = retryAfter(res.Header, backoff)
		default:
			if retried {
				g.retries.done(endpoint, time.Since(start), true)
			}
			return res, retried, nil
		}
		if ctx.Err() != nil {
			return nil, retried, ctx.Err()
		}
		if g.opts.RetryFor <= 0 || time.Since(start)+wait > g.opts.RetryFor {
			if retried {
				g.retries.done(endpoint, time.Since(start), false)
			}
			if err == nil {
				return res, retried, nil // the caller counts the status as an error
			}
			return nil, retried, err
		}
		g.retries.add(kind)
		retried = true
		if serr := sleep(ctx, wait); serr != nil {
			return nil, retried, errors.Join(serr, err)
		}
		backoff = min(backoff*2, retryMaxBackoff)
	}
}

// RetrySummary is what a report says about requests sent again: attempts by
// status (or "transport") and endpoint, requests still failing when the
// retry time ran out by endpoint, and the longest one request spent
// retrying before it was answered or given up.
type RetrySummary struct {
	Retries             map[string]int `json:"retries,omitempty"`
	RetriesGaveUp       map[string]int `json:"retries_gave_up,omitempty"`
	LongestRetrySeconds float64        `json:"longest_retry_seconds,omitempty"`
}

// RetryCount is the number of attempts sent again.
func (r RetrySummary) RetryCount() int {
	n := 0
	for _, c := range r.Retries {
		n += c
	}
	return n
}

func (g *gen) retryReport() RetrySummary {
	byKind, gaveUp, longest := g.retries.snapshot()
	return RetrySummary{Retries: byKind, RetriesGaveUp: gaveUp, LongestRetrySeconds: longest.Seconds()}
}

// WriteRetries writes the retries of the report for people.
func (r RetrySummary) WriteRetries(w io.Writer) {
	if len(r.Retries) == 0 {
		return
	}
	fmt.Fprintf(w, "  retried attempts: %d (longest retrying request %.1fs)\n", r.RetryCount(), r.LongestRetrySeconds)
	for _, k := range slices.Sorted(maps.Keys(r.Retries)) {
		fmt.Fprintf(w, "    %6d  %s\n", r.Retries[k], k)
	}
	for _, k := range slices.Sorted(maps.Keys(r.RetriesGaveUp)) {
		fmt.Fprintf(w, "    gave up after retrying: %d  %s\n", r.RetriesGaveUp[k], k)
	}
}

// simCall asks a simulator to pay (or move a shipment) and makes sure the
// callback it owes the API got through, as a real gateway's retries
// would: the simulators' control endpoints post the callback once and
// report, so a 502 callback_failed (the payment stands, its callback is
// owed) or a delivered callback answered 5xx (the API could not apply it
// yet) is followed by again (redeliver; or the same event when again is
// empty) until the API took it or RetryFor ran out. A 409 means the
// simulator did it by itself, with its own retrying callbacks. It returns
// the dossier as motcua's answer to the callback showed it (nil when that
// answer carried none).
func (g *gen) simCall(ctx context.Context, u, again, endpoint string, body any) (*dossierView, error) {
	start := time.Now()
	backoff := retryFirstBackoff
	for {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		res, _, err := g.do(ctx, req, endpoint)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			g.stats.addError("transport " + endpoint)
			return nil, errDossier
		}
		g.stats.observe(endpoint, time.Since(t0))
		answer, _ := io.ReadAll(res.Body)
		var out struct {
			CallbackStatus int    `json:"callback_status"`
			CallbackBody   string `json:"callback_body"`
		}
		switch res.StatusCode {
		case http.StatusConflict:
			return nil, nil
		case http.StatusOK:
			if json.Unmarshal(answer, &out) == nil && out.CallbackStatus < 500 {
				// motcua answers a callback with the dossier after it.
				var cb struct {
					Dossier *dossierView `json:"dossier"`
				}
				if out.CallbackStatus == http.StatusOK && json.Unmarshal([]byte(out.CallbackBody), &cb) == nil &&
					cb.Dossier != nil && cb.Dossier.Code != "" {
					return cb.Dossier, nil
				}
				return nil, nil
			}
		case http.StatusBadGateway: // callback_failed: owed
		default:
			g.stats.addError(fmt.Sprintf("%d %s", res.StatusCode, endpoint))
			g.stats.sample(fmt.Sprintf("%d POST %s: %.300s", res.StatusCode, u, answer))
			return nil, errDossier
		}
		if g.opts.RetryFor <= 0 || time.Since(start)+backoff > g.opts.RetryFor {
			g.stats.addError(fmt.Sprintf("callback not taken (%d) %s", out.CallbackStatus, endpoint))
			return nil, errDossier
		}
		g.retries.add(fmt.Sprintf("callback owed (%d) %s", out.CallbackStatus, endpoint))
		if err := sleep(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(backoff*2, retryMaxBackoff)
		if again != "" {
			u, body = again, map[string]any{}
		}
	}
}
