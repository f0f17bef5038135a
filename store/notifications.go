package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/motcua/motcua/dossier"
)

// Notification delivery states. A notification is pending until a
// provider accepts it (sent), then delivered when the provider's receipt
// says it reached the applicant; failed is the dead letter: a permanent
// rejection or retries exhausted, with the reason in LastError.
const (
	NotificationPending   = "pending"
	NotificationSent      = "sent"
	NotificationDelivered = "delivered"
	NotificationFailed    = "failed"
)

// NotificationStatusValid reports whether s is one of the delivery states.
func NotificationStatusValid(s string) bool {
	switch s {
	case NotificationPending, NotificationSent, NotificationDelivered, NotificationFailed:
		return true
	}
	return false
}

// OutboxNotification is a notification in the outbox.
type OutboxNotification struct {
	DossierCode string
	Seq, Idx    int
	dossier.Notification
	CreatedAt time.Time
	SentAt    *time.Time
	// Status is one of the Notification* delivery states.
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// Channel and ProviderRef say where the message went (sms, zalo,
	// email, gateway) and the provider's id for it, which its delivery
	// receipt names.
	Channel, ProviderRef string
	DeliveredAt          *time.Time
	FailedAt             *time.Time
}

// Key is the notification's idempotency key — dossier code, control-sheet
// sequence and index — which providers use to drop a repeat.
func (n OutboxNotification) Key() string { return fmt.Sprintf("%s/%d/%d", n.DossierCode, n.Seq, n.Idx) }

const notificationColumns = `dossier_code, seq, idx, recipient, coalesce(agency, ''), template, message,
	created_at, sent_at, status, attempts, next_attempt_at, coalesce(last_error, ''),
	coalesce(channel, ''), coalesce(provider_ref, ''), delivered_at, failed_at,
	coalesce(template_version, 0), facts`

func scanNotifications(rows pgx.Rows) ([]OutboxNotification, error) {
	defer rows.Close()
	var out []OutboxNotification
	for rows.Next() {
		var n OutboxNotification
		if err := rows.Scan(&n.DossierCode, &n.Seq, &n.Idx, &n.To, &n.Agency, &n.Template, &n.Message,
			&n.CreatedAt, &n.SentAt, &n.Status, &n.Attempts, &n.NextAttemptAt, &n.LastError,
			&n.Channel, &n.ProviderRef, &n.DeliveredAt, &n.FailedAt, &n.TemplateVersion, &n.Facts); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Notifications lists a dossier's notifications, oldest first.
func (s *Store) Notifications(ctx context.Context, code string) ([]OutboxNotification, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+notificationColumns+`
		FROM notifications WHERE dossier_code = $1 ORDER BY seq, idx`, code)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}

// NotificationsByStatus lists up to limit notifications in status, the
// most recent first (by when they failed, for dead letters), for ops.
func (s *Store) NotificationsByStatus(ctx context.Context, status string, limit int) ([]OutboxNotification, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+notificationColumns+`
		FROM notifications WHERE status = $1
		ORDER BY coalesce(failed_at, delivered_at, sent_at, created_at) DESC, dossier_code, seq, idx
		LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}

// ClaimNotifications leases up to limit pending notifications due at now,
// oldest due first, to one dispatcher for lease, and counts the attempt.
// It is one short statement: the dispatcher sends with no transaction
// open, then records the outcome. Locked rows are skipped, so dispatchers
// never claim the same row at once; a dispatcher that dies mid-send leaves
// a lease that runs out, and another takes the row over.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxNotification, error) {
	rows, err := s.pool.Query(ctx, `
		WITH claimed AS (
			UPDATE notifications SET leased_until = $1::timestamptz + $3::interval, attempts = attempts + 1
			WHERE (dossier_code, seq, idx) IN (
				SELECT dossier_code, seq, idx FROM notifications
				WHERE status = 'pending' AND next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1)
				ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING *)
		SELECT `+notificationColumns+` FROM claimed ORDER BY next_attempt_at, dossier_code, seq, idx`, now, limit, lease)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}

// NotificationOutcome is what one delivery attempt came to.
type NotificationOutcome struct {
	DossierCode string
	Seq, Idx    int
	At          time.Time
	// Status is NotificationSent, NotificationFailed (dead letter) or
	// NotificationPending (try again at RetryAt).
	Status               string
	RetryAt              time.Time
	Error                string
	Channel, ProviderRef string
}

// ErrNotLeased is returned when an outcome is recorded for a notification
// that is no longer pending (another dispatcher finished it first).
var ErrNotLeased = errors.New("notification is no longer pending")

// RecordNotificationOutcome records an attempt's outcome and releases the
// lease.
func (s *Store) RecordNotificationOutcome(ctx context.Context, o NotificationOutcome) error {
	var tag pgconn.CommandTag
	var err error
	switch o.Status {
	case NotificationSent:
		tag, err = s.pool.Exec(ctx, `
			UPDATE notifications SET status = 'sent', sent_at = $4, leased_until = NULL, last_error = NULL,
				channel = nullif($5, ''), provider_ref = nullif($6, '')
			WHERE dossier_code = $1 AND seq = $2 AND idx = $3 AND status = 'pending'`,
			o.DossierCode, o.Seq, o.Idx, o.At, o.Channel, o.ProviderRef)
	case NotificationFailed:
		tag, err = s.pool.Exec(ctx, `
			UPDATE notifications SET status = 'failed', failed_at = $4, leased_until = NULL, last_error = $5,
				channel = coalesce(nullif($6, ''), channel)
			WHERE dossier_code = $1 AND seq = $2 AND idx = $3 AND status = 'pending'`,
			o.DossierCode, o.Seq, o.Idx, o.At, o.Error, o.Channel)
	case NotificationPending:
		tag, err = s.pool.Exec(ctx, `
			UPDATE notifications SET next_attempt_at = $4, leased_until = NULL, last_error = $5,
				channel = coalesce(nullif($6, ''), channel)
			WHERE dossier_code = $1 AND seq = $2 AND idx = $3 AND status = 'pending'`,
			o.DossierCode, o.Seq, o.Idx, o.RetryAt, o.Error, o.Channel)
	default:
		return fmt.Errorf("notification outcome %q: not a state an attempt ends in", o.Status)
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotLeased
	}
	return nil
}

// RecordDeliveryReceipt applies a provider's delivery receipt to the
// notification it sent as providerRef on channel: delivered, or failed
// (dead-lettered with the provider's reason). It reports whether a
// notification matched; a repeated receipt changes nothing.
func (s *Store) RecordDeliveryReceipt(ctx context.Context, channel, providerRef string, delivered bool, reason string, at time.Time) (bool, error) {
	var tag pgconn.CommandTag
	var err error
	if delivered {
		tag, err = s.pool.Exec(ctx, `
			UPDATE notifications SET status = 'delivered', delivered_at = $3
			WHERE channel = $1 AND provider_ref = $2 AND status IN ('sent', 'delivered')`, channel, providerRef, at)
	} else {
		tag, err = s.pool.Exec(ctx, `
			UPDATE notifications SET status = 'failed', failed_at = coalesce(failed_at, $3), last_error = $4
			WHERE channel = $1 AND provider_ref = $2 AND status IN ('sent', 'failed')`, channel, providerRef, at, reason)
	}
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// NextNotificationDue is when the earliest pending notification falls due
// (or its lease runs out); ok is false when none is pending.
func (s *Store) NextNotificationDue(ctx context.Context) (due time.Time, ok bool, err error) {
	var t *time.Time
	err = s.pool.QueryRow(ctx, `
		SELECT min(greatest(next_attempt_at, coalesce(leased_until, next_attempt_at)))
		FROM notifications WHERE status = 'pending'`).Scan(&t)
	if err != nil || t == nil {
		return time.Time{}, false, err
	}
	return *t, true, nil
}

// NotificationBacklog is the outbox's state for the metrics.
type NotificationBacklog struct {
	Pending, Failed int
	// OldestPending is when the oldest pending notification was written
	// (zero when none is pending).
	OldestPending time.Time
}

// NotificationBacklog counts pending and dead-lettered notifications.
func (s *Store) NotificationBacklog(ctx context.Context) (NotificationBacklog, error) {
	var b NotificationBacklog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed'),
			min(created_at) FILTER (WHERE status = 'pending')
		FROM notifications WHERE status IN ('pending', 'failed')`).Scan(&b.Pending, &b.Failed, &oldest)
	if oldest != nil {
		b.OldestPending = *oldest
	}
	return b, err
}

// ListenNotifications sends on wake (without blocking) whenever a
// notification is written, until ctx ends. It holds one connection of the
// pool for LISTEN; when the connection drops it returns the error and the
// caller listens again.
func (s *Store) ListenNotifications(ctx context.Context, wake chan<- struct{}) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection was in LISTEN: not fit for the pool's other users.
	defer func() { _ = conn.Hijack().Close(context.Background()) }()
	if _, err := conn.Exec(ctx, `LISTEN motcua_notifications`); err != nil {
		return err
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// NotificationContact is how a dossier's applicant is reached: the phone
// and e-mail given at submission and the channels they chose, in order
// (none: the center's default order).
type NotificationContact struct {
	Phone, Email string
	Channels     []string
	// Declined is true when the applicant refused notices at submission
	// (consent false): nothing is sent to them.
	Declined bool
}

// NotificationContact reads the applicant's contact of dossier code at
// send time, so the outbox keeps no copy of it.
func (s *Store) NotificationContact(ctx context.Context, code string) (NotificationContact, error) {
	var c NotificationContact
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(applicant->>'phone', ''), coalesce(applicant->>'email', ''),
			CASE WHEN jsonb_typeof(applicant->'notify'->'channels') = 'array'
				THEN ARRAY(SELECT jsonb_array_elements_text(applicant->'notify'->'channels')) ELSE '{}' END,
			coalesce((applicant->'notify'->>'consent')::boolean = false, false)
		FROM dossiers WHERE code = $1`, code).Scan(&c.Phone, &c.Email, &c.Channels, &c.Declined)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("dossier %s: no such dossier", code)
	}
	return c, err
}
