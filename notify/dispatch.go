package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/motcua/motcua/store"
)

// Backoff is the retry schedule: the n-th failed attempt is followed by a
// wait of First·2^(n-1), at most Max, give or take a fifth (jitter, so a
// provider coming back is not hit by every retry at once). A notification
// still unsent GiveUpAfter its writing is dead-lettered.
type Backoff struct {
	First, Max, GiveUpAfter time.Duration
}

// DefaultBackoff retries 30 s, 1 min, 2 min … then hourly, for a day: a
// provider down for hours delays notices but loses none.
var DefaultBackoff = Backoff{First: 30 * time.Second, Max: time.Hour, GiveUpAfter: 24 * time.Hour}

// Delay is the wait after the attempt-th failed attempt (1-based), before
// jitter.
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.First
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Dispatcher moves notifications from the outbox to a Notifier.
type Dispatcher struct {
	Store    *store.Store
	Notifier Notifier
	Log      *slog.Logger
	// Now is the wall clock (nil: time.Now); delivery runs on real time,
	// not business time.
	Now func() time.Time
	// Backoff is the retry schedule (zero: DefaultBackoff).
	Backoff Backoff
	// Lease is how long a claimed notification is this dispatcher's
	// (zero: 2 min); a send is cut off well before.
	Lease time.Duration
	// Batch is how many notifications are claimed at once (zero: 50).
	Batch int
	// Metrics counts outcomes (nil: none).
	Metrics *Metrics
	// MaxIdle bounds the wait between two looks at the outbox when no
	// wake-up comes (zero: 5 min): a safety net for a lost LISTEN
	// connection, not the retry schedule.
	MaxIdle time.Duration
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) backoff() Backoff {
	if d.Backoff.First <= 0 {
		return DefaultBackoff
	}
	return d.Backoff
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease <= 0 {
		return 2 * time.Minute
	}
	return d.Lease
}

func (d *Dispatcher) batch() int {
	if d.Batch <= 0 {
		return 50
	}
	return d.Batch
}

// DispatchDue claims one batch of due notifications, sends each with no
// transaction open, and records every outcome. It returns how many it
// claimed.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	claimed, err := d.Store.ClaimNotifications(ctx, d.now(), d.batch(), d.lease())
	if err != nil {
		return 0, err
	}
	for _, n := range claimed {
		if err := d.deliver(ctx, n); err != nil {
			return len(claimed), err
		}
	}
	return len(claimed), nil
}

func (d *Dispatcher) deliver(ctx context.Context, n store.OutboxNotification) error {
	// Cut the send off well within the lease, so no other dispatcher takes
	// the row over while this one may still succeed.
	sctx, cancel := context.WithTimeout(ctx, d.lease()/2)
	sent, sendErr := d.Notifier.Notify(sctx, n)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the lease runs out and another worker retries
	}
	at := d.now()
	o := store.NotificationOutcome{DossierCode: n.DossierCode, Seq: n.Seq, Idx: n.Idx, At: at,
		Channel: sent.Channel, ProviderRef: sent.ProviderRef}
	outcome := OutcomeSent
	var rejected *RejectedError
	switch {
	case sendErr == nil:
		o.Status = store.NotificationSent
	case errors.As(sendErr, &rejected):
		o.Status, o.Error, o.Channel, outcome = store.NotificationFailed, sendErr.Error(), rejected.Channel, OutcomeDeadLettered
	default:
		b := d.backoff()
		delay := b.Delay(n.Attempts)
		delay += time.Duration((rand.Float64()*0.4 - 0.2) * float64(delay))
		o.Error = sendErr.Error()
		if retry := at.Add(delay); retry.Sub(n.CreatedAt) > b.GiveUpAfter {
			o.Status, outcome = store.NotificationFailed, OutcomeDeadLettered
			o.Error = fmt.Sprintf("gave up after %s and %d attempts: %s", b.GiveUpAfter, n.Attempts, o.Error)
		} else {
			o.Status, o.RetryAt, outcome = store.NotificationPending, retry, OutcomeFailed
		}
	}
	if err := d.Store.RecordNotificationOutcome(ctx, o); err != nil {
		if errors.Is(err, store.ErrNotLeased) {
			return nil // another dispatcher finished it after our lease ran out
		}
		return err
	}
	d.Metrics.count(o.Channel, outcome)
	switch outcome {
	case OutcomeDeadLettered:
		d.Log.Warn("notification dead-lettered", "dossier", n.DossierCode, "key", n.Key(),
			"template", n.Template, "attempts", n.Attempts, "reason", o.Error)
	case OutcomeFailed:
		d.Log.Info("notification will be retried", "dossier", n.DossierCode, "key", n.Key(),
			"attempts", n.Attempts, "retry_at", o.RetryAt, "error", o.Error)
	}
	return nil
}

// Run dispatches until ctx ends: whenever a notification is written
// (LISTEN), when the earliest retry falls due, and at least every MaxIdle.
func (d *Dispatcher) Run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			if err := d.Store.ListenNotifications(ctx, wake); err != nil && ctx.Err() == nil {
				d.Log.Warn("notification listener lost; listening again", "error", err)
				sleep(ctx, 5*time.Second)
			}
		}
	}()
	maxIdle := d.MaxIdle
	if maxIdle <= 0 {
		maxIdle = 5 * time.Minute
	}
	for ctx.Err() == nil {
		wait := maxIdle
		if err := d.drain(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			d.Log.Warn("notification dispatch failed", "error", err)
			wait = 5 * time.Second
		} else if due, ok, err := d.Store.NextNotificationDue(ctx); err == nil && ok {
			wait = min(max(due.Sub(d.now()), 0), maxIdle)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (d *Dispatcher) drain(ctx context.Context) error {
	for {
		n, err := d.DispatchDue(ctx)
		if err != nil || n < d.batch() {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
