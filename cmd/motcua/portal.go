package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/portal"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
)

// startPortalSync runs the status sync to the national portal in the
// worker (every worker: items are claimed with a lease, one per dossier at
// a time) until ctx ends; the returned wait blocks until it has stopped.
// Without MOTCUA_PORTAL_URL nothing is pushed: the items wait in the
// outbox (and show as lagging) until it is set.
func startPortalSync(ctx context.Context, cfg config.Config, db *store.Store, reg prometheus.Registerer, log *slog.Logger) (wait func()) {
	metrics := portal.NewMetrics(reg, db, nil)
	if cfg.PortalURL == "" {
		log.Warn("MOTCUA_PORTAL_URL is not set: dossier statuses are not pushed to the national portal; they wait in the outbox")
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := portal.Client{URL: cfg.PortalURL, Token: cfg.PortalToken, HTTP: &http.Client{Timeout: 20 * time.Second}}
		(&portal.Dispatcher{Store: db, Portal: client, Log: log.With("component", "portal-sync"), Metrics: metrics}).Run(ctx)
	}()
	return func() { <-done }
}

// simPortal is the national portal's stand-in `motcua sim` serves under
// /portal: it accepts MOTCUA_PORTAL_TOKEN, and like the real one now and
// then times out (one post in 20) or answers 503 (one in 20).
func simPortal(cfg config.Config, log *slog.Logger) *sim.NationalPortal {
	return sim.NewNationalPortal(cfg.PortalToken, sim.PortalOptions{TimeoutRate: 0.05, ErrorRate: 0.05, Log: log})
}
