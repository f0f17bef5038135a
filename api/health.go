package api

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/dossier"
)

// health remembers whether Temporal answered its last health check, so
// that while it is down actions fail at once with 503 and Retry-After
// instead of waiting out the update timeout, and a submission is refused
// before anything is written. Reads from PostgreSQL do not depend on it.
type health struct {
	temporalDown atomic.Bool
}

// Watch checks Temporal every interval until ctx ends (the api command runs
// it; without it Temporal is assumed up and errors are classified as they
// come).
func (s *Server) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.checkTemporal(ctx, interval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) checkTemporal(ctx context.Context, timeout time.Duration) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := s.temporal.CheckHealth(cctx, &client.CheckHealthRequest{})
	if ctx.Err() != nil {
		return
	}
	was := s.health.temporalDown.Swap(err != nil)
	switch {
	case err != nil && !was:
		s.log.Warn("Temporal is not answering: actions answer 503 until it is back", "error", err)
	case err == nil && was:
		s.log.Info("Temporal answers again")
	}
}

// requireTemporal answers 503 at once while Temporal is known to be down.
func (s *Server) requireTemporal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.health.temporalDown.Load() {
			writeError(w, r, s.log, &dossier.Error{Code: dossier.EUnavailable,
				Message: "the workflow engine (Temporal) is not answering; nothing was changed, retry shortly"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
