package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGracefulShutdown: on SIGTERM (ctx cancelled) the server stops
// accepting connections, lets the request in flight finish, and returns
// within the timeout.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)

	started, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, srv, 5*time.Second, slog.New(slog.DiscardHandler), "test") }()
	require.Eventually(t, func() bool { return listening(addr) }, 5*time.Second, 20*time.Millisecond)

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		inflight <- result{string(b), err}
	}()
	<-started
	stop() // SIGTERM
	// New connections are refused while the request in flight goes on.
	require.Eventually(t, func() bool { return !listening(addr) }, 5*time.Second, 20*time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) before the request in flight finished", err)
	default:
	}
	close(release)
	r := <-inflight
	require.NoError(t, r.err)
	require.Equal(t, "finished", r.body)
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the last request")
	}
}

// TestShutdownIsBounded: a request that never finishes does not hold the
// process past the timeout.
func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	started := make(chan struct{})
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		time.Sleep(10 * time.Second)
	})}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, srv, 300*time.Millisecond, slog.New(slog.DiscardHandler), "test") }()
	require.Eventually(t, func() bool { return listening(addr) }, 5*time.Second, 20*time.Millisecond)
	go func() { _, _ = http.Get("http://" + addr + "/") }()
	<-started
	t0 := time.Now()
	stop()
	select {
	case err := <-served:
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(t0), 3*time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("serve waited past its timeout")
	}
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// listening reports whether a connection to addr is accepted.
func listening(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
	}
	return err == nil
}
