package portal

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/store"
)

// DefaultBackoff retries after 10 s, 20 s, 40 s … then every 15 minutes,
// for as long as it takes: the portal must end up holding every status, so
// a transient failure never gives up (a long outage shows as lag, in the
// metrics and GET /v1/portal-sync?status=lagging). GiveUpAfter is unused.
var DefaultBackoff = notify.Backoff{First: 10 * time.Second, Max: 15 * time.Minute}

// Dispatcher moves items from the portal_sync outbox to the portal.
type Dispatcher struct {
	Store  *store.Store
	Portal interface {
		Push(ctx context.Context, s Status) error
	}
	Log *slog.Logger
	// Now is the wall clock (nil: time.Now): delivery runs on real time.
	Now func() time.Time
	// Backoff is the retry schedule (zero: DefaultBackoff).
	Backoff notify.Backoff
	// Lease is how long a claimed item is this dispatcher's (zero: 1 min);
	// a push is cut off at half of it.
	Lease time.Duration
	// Batch is how many items are claimed, and pushed concurrently, at
	// once (zero: 32); at most one per dossier, so pushing them together
	// keeps every dossier's order, and one slow answer does not hold the
	// others up.
	Batch int
	// Metrics counts outcomes (nil: none).
	Metrics *Metrics
	// MaxIdle bounds the wait between two looks at the outbox when no
	// wake-up comes (zero: 5 min).
	MaxIdle time.Duration
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease <= 0 {
		return time.Minute
	}
	return d.Lease
}

func (d *Dispatcher) batch() int {
	if d.Batch <= 0 {
		return 32
	}
	return d.Batch
}

// DispatchDue claims one batch of due items (the oldest pending version of
// each dossier), pushes them concurrently with no transaction open, and
// records every outcome. It returns how many it claimed.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	claimed, err := d.Store.ClaimPortalItems(ctx, d.now(), d.batch(), d.lease())
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(claimed))
	var wg sync.WaitGroup
	for i, it := range claimed {
		wg.Go(func() { errs[i] = d.deliver(ctx, it) })
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

func (d *Dispatcher) deliver(ctx context.Context, it store.PortalItem) error {
	pctx, cancel := context.WithTimeout(ctx, d.lease()/2)
	pushErr := d.Portal.Push(pctx, StatusOf(it))
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the lease runs out and another worker resends
	}
	o := store.PortalOutcome{DossierCode: it.DossierCode, Version: it.Version, At: d.now()}
	outcome := OutcomeAccepted
	var rejected *RejectedError
	switch {
	case pushErr == nil:
		o.State = store.PortalAccepted
	case errors.As(pushErr, &rejected):
		o.State, o.Error, outcome = store.PortalFailed, rejected.Reason, OutcomeDeadLettered
	default:
		b := d.Backoff
		if b.First <= 0 {
			b = DefaultBackoff
		}
		delay := b.Delay(it.Attempts)
		delay += time.Duration((rand.Float64()*0.4 - 0.2) * float64(delay))
		o.State, o.RetryAt, o.Error, outcome = store.PortalPending, o.At.Add(delay), pushErr.Error(), OutcomeFailed
	}
	if err := d.Store.RecordPortalOutcome(ctx, o); err != nil {
		if errors.Is(err, store.ErrPortalNotLeased) {
			return nil // another dispatcher finished it after our lease ran out
		}
		return err
	}
	d.Metrics.count(outcome)
	switch outcome {
	case OutcomeDeadLettered:
		d.Log.Warn("portal refused a status item; dead-lettered", "dossier", it.DossierCode, "version", it.Version,
			"status_code", it.StatusCode, "reason", o.Error)
	case OutcomeFailed:
		d.Log.Info("portal status item will be retried", "dossier", it.DossierCode, "version", it.Version,
			"attempts", it.Attempts, "retry_at", o.RetryAt, "error", o.Error)
	}
	return nil
}

// Run dispatches until ctx ends: whenever an item is written (LISTEN),
// when the earliest retry falls due, and at least every MaxIdle.
func (d *Dispatcher) Run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			if err := d.Store.ListenPortalSync(ctx, wake); err != nil && ctx.Err() == nil {
				d.Log.Warn("portal sync listener lost; listening again", "error", err)
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
			d.Log.Warn("portal sync dispatch failed", "error", err)
			wait = 5 * time.Second
		} else if due, ok, err := d.Store.NextPortalDue(ctx); err == nil && ok {
			// At least a second: an item due now that drain did not claim
			// waits for an earlier transition still being committed (a gap
			// in the control sheet, milliseconds long), not worth a spin.
			wait = min(max(due.Sub(d.now()), time.Second), maxIdle)
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

// drain dispatches until nothing is due: an accepted item makes the next
// version of its dossier due at once, so it loops while anything was
// claimed.
func (d *Dispatcher) drain(ctx context.Context) error {
	for {
		n, err := d.DispatchDue(ctx)
		if err != nil || n == 0 {
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

// Push outcomes, the outcome label of motcua_portal_sync_total.
const (
	OutcomeAccepted     = "accepted"      // the portal holds the item
	OutcomeFailed       = "failed"        // the attempt failed; a retry is scheduled
	OutcomeDeadLettered = "dead_lettered" // the portal refused the item for good
)

// Metrics are the portal sync metrics: push attempts by outcome and, read
// from the outbox at each scrape, how many items are pending or
// dead-lettered and how far behind the portal is.
type Metrics struct {
	attempts *prometheus.CounterVec
}

// NewMetrics registers the portal sync metrics in reg; the backlog gauges
// read s at each scrape (with now as the clock; nil: time.Now).
func NewMetrics(reg prometheus.Registerer, s *store.Store, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "motcua_portal_sync_total",
		Help: "Status pushes to the national portal by outcome (accepted, failed = will be retried, dead_lettered).",
	}, []string{"outcome"})}
	reg.MustRegister(m.attempts, &backlogCollector{store: s, now: now})
	return m
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.attempts.WithLabelValues(outcome).Inc()
	}
}

// Attempts is the counter of pushes with outcome, for tests.
func (m *Metrics) Attempts(outcome string) prometheus.Counter {
	return m.attempts.WithLabelValues(outcome)
}

var (
	pendingDesc = prometheus.NewDesc("motcua_portal_sync_pending",
		"Status items not yet accepted by the national portal.", nil, nil)
	deadDesc = prometheus.NewDesc("motcua_portal_sync_dead_letters",
		"Status items the national portal refused for good (status failed), waiting for ops.", nil, nil)
	lagDesc = prometheus.NewDesc("motcua_portal_sync_lag_seconds",
		"Age of the oldest status item the portal has not accepted yet (0 when none is pending).", nil, nil)
)

type backlogCollector struct {
	store *store.Store
	now   func() time.Time
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- deadDesc
	ch <- lagDesc
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := c.store.PortalBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingDesc, err)
		return
	}
	lag := 0.0
	if !b.OldestPending.IsZero() {
		lag = max(c.now().Sub(b.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(b.Failed))
	ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag)
}
