package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/config"
)

type stopRecorder struct{ stopped bool }

func (s *stopRecorder) Stop() { s.stopped = true }

// TestWorkerFatalErrorExits: the SDK's fatal-error hook is wired; once it
// fires, /healthz stops saying ok and the worker command returns the
// error (the process exits non-zero) instead of idling with no poller.
func TestWorkerFatalErrorExits(t *testing.T) {
	t.Parallel()
	fatal := newFatalWatch()
	opts := workerOptions(config.Config{ShutdownTimeout: time.Second}, fatal)
	require.NotNil(t, opts.OnFatalError, "the worker must hear about fatal errors")

	rec := httptest.NewRecorder()
	fatal.healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	require.Equal(t, 200, rec.Code)
	require.JSONEq(t, `{"status":"ok"}`, rec.Body.String())

	w := &stopRecorder{}
	done := make(chan error, 1)
	go func() { done <- waitWorker(context.Background(), w, fatal, slog.New(slog.DiscardHandler)) }()
	cause := errors.New("namespace motcua not found")
	opts.OnFatalError(cause)
	opts.OnFatalError(errors.New("a second one is ignored"))
	select {
	case err := <-done:
		require.ErrorIs(t, err, cause)
	case <-time.After(5 * time.Second):
		t.Fatal("the worker kept running after a fatal error")
	}
	require.True(t, w.stopped)

	rec = httptest.NewRecorder()
	fatal.healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	require.Equal(t, 503, rec.Code)
	require.JSONEq(t, `{"status":"fatal","error":"namespace motcua not found"}`, rec.Body.String())
}

// TestWorkerStopsCleanlyOnSIGTERM: without a fatal error, SIGTERM ends
// the worker with no error (exit 0).
func TestWorkerStopsCleanlyOnSIGTERM(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &stopRecorder{}
	require.NoError(t, waitWorker(ctx, w, newFatalWatch(), slog.New(slog.DiscardHandler)))
	require.True(t, w.stopped)
}
