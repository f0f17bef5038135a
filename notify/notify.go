// Package notify sends the notifications dossier workflows write to the
// outbox: to applicants (SMS, e-mail, Zalo) and to staff (e-mail, webhook),
// through one Notifier interface. In development the notifier is a log
// sink; the outbox itself is what tests assert on.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

// HTTPNotifier posts each notification as JSON to a messaging gateway
// (SMS, e-mail, Zalo for applicants; e-mail or webhooks for staff). The
// key — dossier code, control-sheet sequence and index — lets the gateway
// drop a repeat, so a notification re-sent after a crash is delivered once.
type HTTPNotifier struct {
	URL    string
	Client *http.Client
}

type message struct {
	Key      string `json:"key"`
	To       string `json:"to"`
	Agency   string `json:"agency,omitempty"`
	Dossier  string `json:"dossier"`
	Template string `json:"template"`
	Text     string `json:"text"`
}

// Notify posts n; any answer but 2xx is an error, and the notification
// stays in the outbox to be tried again.
func (h HTTPNotifier) Notify(ctx context.Context, n store.OutboxNotification) error {
	body, err := json.Marshal(message{
		Key: fmt.Sprintf("%s/%d/%d", n.DossierCode, n.Seq, n.Idx), To: n.To, Agency: n.Agency,
		Dossier: n.DossierCode, Template: n.Template, Text: n.Message,
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("messaging gateway: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("messaging gateway answered %s", res.Status)
	}
	return nil
}
