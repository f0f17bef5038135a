// Package upstream is what the adapters for third-party HTTP/JSON
// services (packages payment and postal) share: the error type for the
// services' error answers, the rule that tells permanent errors from
// retryable ones, and the JSON POST both make.
//
// Each adapter keeps what is its own: the wire types, the validation of a
// request, and what an error answer means for its service (payment's 409
// conflict, postal's 409 already_exists and 503 service_suspended).
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Error is an error answer from a service: an HTTP status and the
// service's error code and detail, when the body was its JSON error
// {"error": "<code>", "detail": "<text>"}.
type Error struct {
	// Service names the service in the message, e.g. "payment gateway".
	Service string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the service's machine-readable error code ("" if the body was
	// not the service's JSON error, e.g. a proxy's HTML page).
	Code string
	// Detail is the service's human-readable explanation, or the start of
	// the body when it was not JSON.
	Detail string
	// Kind, when set by the adapter, is the sentinel error the answer
	// stands for (payment.ErrConflict, postal.ErrSuspended), so that
	// errors.Is(err, Kind) holds and callers need not know status codes.
	Kind error

	body []byte // the start of the answer's body, for DecodeBody
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: HTTP %d", e.Service, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is reports whether target is the answer's Kind.
func (e *Error) Is(target error) bool {
	return e.Kind != nil && target == e.Kind
}

// Permanent reports whether retrying the same call cannot help: a 4xx
// answer, except 408 Request Timeout and 429 Too Many Requests, which say
// "later", not "never".
func (e *Error) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// DecodeBody decodes the answer's body into v, for error answers that
// carry more than a code and a detail.
func (e *Error) DecodeBody(v any) error {
	return json.Unmarshal(e.body, v)
}

// IsPermanent reports whether err means the call can never succeed as made,
// so a caller such as a Temporal activity should stop retrying: an error
// matching invalid (the adapter's ErrInvalid, for requests it refuses to
// send) or an [Error] that is Permanent. Everything else — 5xx, 408 and
// 429 answers, network errors, timeouts, cancelled contexts, malformed
// answers — is retryable. IsPermanent(nil, …) is false.
func IsPermanent(err, invalid error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, invalid) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// defaultTimeout bounds a call when the adapter's caller gives no
// http.Client, so a hung service cannot block an activity forever.
const defaultTimeout = 30 * time.Second

// maxErrorBody bounds how much of an error answer is read; the detail is
// for humans and a misbehaving proxy may send megabytes.
const maxErrorBody = 4 << 10

// Client makes the JSON calls of one adapter to its service. It is safe
// for concurrent use.
type Client struct {
	service string
	baseURL string
	http    *http.Client
	invalid error
}

// NewClient returns a Client for service (its name in error messages, e.g.
// "payment gateway") at baseURL; a trailing slash does not matter. A nil
// httpClient means a client with a 30-second timeout. invalid is the
// adapter's ErrInvalid, wrapped around requests that cannot even be built.
func NewClient(service, baseURL string, httpClient *http.Client, invalid error) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{service: service, baseURL: strings.TrimRight(baseURL, "/"), http: httpClient, invalid: invalid}
}

// PostJSON POSTs in as JSON to path (below the base URL) and decodes a 200
// or 201 answer into out. op names the call in error messages, e.g.
// "request payment D1". The error is
//   - one wrapping the Client's invalid error when the request cannot be
//     built (in does not marshal, the URL does not parse): permanent;
//   - an [*Error] for any other status, permanent or not by its status;
//   - otherwise the transport's error or a decoding error: retryable.
func (c *Client) PostJSON(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%w: %v", c.invalid, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", c.invalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", c.service, op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %w", op, c.readError(resp))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: %s: decode answer: %w", c.service, op, err)
	}
	return nil
}

// readError turns a non-success answer into an *Error, keeping the
// service's code and detail when the body is its JSON error.
func (c *Client) readError(resp *http.Response) *Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Service: c.service, StatusCode: resp.StatusCode, body: raw}
	var body struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error != "" {
		e.Code, e.Detail = body.Error, body.Detail
	} else {
		e.Detail = strings.TrimSpace(string(raw))
	}
	return e
}
