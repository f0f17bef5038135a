// Package notify sends the notifications dossier workflows write to the
// outbox: to applicants (SMS, e-mail, Zalo) and to staff (e-mail, webhook),
// through one Notifier interface. In development the notifier is a log
// sink; the outbox itself is what tests assert on.
package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/motcua/motcua/store"
)

// Notifier delivers one notification. An error leaves it in the outbox to
// be tried again.
type Notifier interface {
	Notify(ctx context.Context, n store.OutboxNotification) error
}

// LogNotifier writes every notification to the log: the development sink.
type LogNotifier struct{ Log *slog.Logger }

// Notify logs n.
func (l LogNotifier) Notify(_ context.Context, n store.OutboxNotification) error {
	l.Log.Info("notification", "dossier", n.DossierCode, "to", n.To, "agency", n.Agency,
		"template", n.Template, "message", n.Message)
	return nil
}

// Dispatcher moves notifications from the outbox to a Notifier.
type Dispatcher struct {
	Store    *store.Store
	Notifier Notifier
	Log      *slog.Logger
	// Every is how often the outbox is read; a notification waits at most
	// this long.
	Every time.Duration
}

// Run dispatches until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	every := d.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := d.Store.DispatchNotifications(ctx, 100, d.Notifier.Notify)
			if err != nil && ctx.Err() == nil {
				d.Log.Warn("notification dispatch failed", "error", err)
			}
			if n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
