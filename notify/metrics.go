package notify

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/motcua/motcua/store"
)

// Delivery attempt outcomes, the outcome label of
// motcua_notifications_total.
const (
	OutcomeSent         = "sent"          // a provider accepted the message
	OutcomeFailed       = "failed"        // the attempt failed; a retry is scheduled
	OutcomeDeadLettered = "dead_lettered" // rejected for good, or retries exhausted
)

// Metrics are the notification delivery metrics: attempts by outcome and
// channel, and, read from the outbox at each scrape, how many are pending
// or dead-lettered and how old the oldest pending one is.
type Metrics struct {
	attempts *prometheus.CounterVec
}

// NewMetrics registers the delivery metrics in reg; the backlog gauges read
// s at each scrape (with now as the clock; nil: time.Now).
func NewMetrics(reg prometheus.Registerer, s *store.Store, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "motcua_notifications_total",
		Help: "Notification delivery attempts by channel and outcome (sent, failed = will be retried, dead_lettered).",
	}, []string{"channel", "outcome"})}
	reg.MustRegister(m.attempts, &backlogCollector{store: s, now: now})
	return m
}

func (m *Metrics) count(channel, outcome string) {
	if m == nil {
		return
	}
	if channel == "" {
		channel = "unknown"
	}
	m.attempts.WithLabelValues(channel, outcome).Inc()
}

var (
	pendingDesc = prometheus.NewDesc("motcua_notifications_pending",
		"Notifications in the outbox not yet accepted by a provider.", nil, nil)
	deadDesc = prometheus.NewDesc("motcua_notifications_dead_letters",
		"Notifications dead-lettered (status failed), waiting for ops.", nil, nil)
	oldestDesc = prometheus.NewDesc("motcua_notifications_oldest_pending_age_seconds",
		"Age of the oldest pending notification (0 when none is pending).", nil, nil)
)

// backlogCollector reads the outbox at scrape time, so every worker
// reports the same shared backlog.
type backlogCollector struct {
	store *store.Store
	now   func() time.Time
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- deadDesc
	ch <- oldestDesc
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := c.store.NotificationBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingDesc, err)
		return
	}
	age := 0.0
	if !b.OldestPending.IsZero() {
		age = max(c.now().Sub(b.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(b.Failed))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// Attempts is the counter of attempts on channel with outcome, for tests
// and diagnostics.
func (m *Metrics) Attempts(channel, outcome string) prometheus.Counter {
	return m.attempts.WithLabelValues(channel, outcome)
}
