package main

import (
	"encoding/json"
	"net/http"
	"sync"
)

// fatalWatch holds the worker's fatal error: the SDK calls report
// (sdkworker.Options.OnFatalError) when polling fails for good (the
// namespace was deleted, a permission was revoked) and stops the worker.
// Without it the process would stay up with nobody polling while its
// /healthz still said ok, so no supervisor would ever restart it.
type fatalWatch struct {
	mu   sync.Mutex
	err  error
	done chan struct{}
}

func newFatalWatch() *fatalWatch { return &fatalWatch{done: make(chan struct{})} }

// report records the first fatal error and wakes whoever waits on done.
func (f *fatalWatch) report(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return
	}
	f.err = err
	close(f.done)
}

// Err is the fatal error, nil while the worker runs.
func (f *fatalWatch) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// healthz is the worker's liveness probe: ok until a fatal error, 503
// after it (the process is about to exit non-zero anyway; this covers the
// moments in between and a slow shutdown).
func (f *fatalWatch) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := f.Err(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "fatal", "error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}
