package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/upstream"
	"github.com/motcua/motcua/internal/upstream/upstreamtest"
)

var errInvalid = errors.New("test: invalid request")

func TestPermanentOrRetryable(t *testing.T) {
	t.Parallel()
	for status, permanent := range map[int]bool{
		400: true, 401: true, 404: true, 409: true, 422: true, 499: true,
		408: false, 429: false, 500: false, 502: false, 503: false, 204: false, 302: false,
	} {
		err := fmt.Errorf("call: %w", &upstream.Error{StatusCode: status})
		require.Equal(t, permanent, upstream.IsPermanent(err, errInvalid), status)
	}
	require.True(t, upstream.IsPermanent(fmt.Errorf("%w: no amount", errInvalid), errInvalid))
	for _, err := range []error{nil, context.Canceled, context.DeadlineExceeded, errors.New("connection refused")} {
		require.False(t, upstream.IsPermanent(err, errInvalid), err)
	}
}

func TestErrorMessageAndKind(t *testing.T) {
	t.Parallel()
	errSpecial := errors.New("special")
	e := &upstream.Error{Service: "test service", StatusCode: 409, Code: "taken", Detail: "by D1"}
	require.Equal(t, "test service: HTTP 409 taken: by D1", e.Error())
	require.Equal(t, "test service: HTTP 502", (&upstream.Error{Service: "test service", StatusCode: 502}).Error())
	require.False(t, errors.Is(e, errSpecial))
	e.Kind = errSpecial
	require.ErrorIs(t, fmt.Errorf("call: %w", e), errSpecial)
}

func TestPostJSON(t *testing.T) {
	t.Parallel()
	srv, bodies := upstreamtest.Capturing(t, "/svc/v1/things", `{"id":"T1"}`)
	c := upstream.NewClient("test service", srv.URL+"/svc/", srv.Client(), errInvalid)
	var out struct{ ID string }
	require.NoError(t, c.PostJSON(t.Context(), "create thing", "/v1/things", map[string]int{"n": 1}, &out))
	require.Equal(t, "T1", out.ID)
	require.Equal(t, map[string]any{"n": float64(1)}, <-bodies)

	// A body that cannot be encoded can never be sent.
	err := c.PostJSON(t.Context(), "create thing", "/v1/things", math.NaN(), &out)
	require.ErrorIs(t, err, errInvalid)

	// An error answer keeps its body for the adapter to read.
	srv = upstreamtest.Answering(t, http.StatusConflict, `{"error":"exists","detail":"T1 exists","id":"T1"}`)
	err = upstream.NewClient("test service", srv.URL, nil, errInvalid).PostJSON(t.Context(), "create thing", "/", 1, &out)
	require.EqualError(t, err, "create thing: test service: HTTP 409 exists: T1 exists")
	e, ok := errors.AsType[*upstream.Error](err)
	require.True(t, ok)
	require.NoError(t, e.DecodeBody(&out))
	require.Equal(t, "T1", out.ID)
}
