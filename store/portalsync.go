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

// Portal sync states (issue 19 §3). An item is pending until the national
// portal accepts it; failed is the dead letter: the portal refused it for
// good, with its reason in LastError.
const (
	PortalPending  = "pending"
	PortalAccepted = "accepted"
	PortalFailed   = "failed"
)

// PortalItem is one status change of a dossier as the national portal is
// told it, with its delivery state.
type PortalItem struct {
	DossierCode string
	// Version is the control-sheet sequence of the transition: with the
	// code, the portal's idempotency key.
	Version    int
	Status     dossier.Status
	StatusCode int
	ChangedAt  time.Time
	// The dossier's instants after the change (nil: not yet).
	ReceivedAt, AppointmentAt, FinishedAt, ReturnedAt *time.Time
	// ProcedureCode is our catalog's code; NationalCode the procedure's
	// code in the national procedure database ("" when the catalog has
	// none); AgencyCode the receiving agency; SubmittedAt when filed.
	ProcedureCode, NationalCode, AgencyCode string
	SubmittedAt                             time.Time

	CreatedAt     time.Time
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	AcceptedAt    *time.Time
	FailedAt      *time.Time
}

// Key is the item's idempotency key at the portal: code/version.
func (p PortalItem) Key() string { return fmt.Sprintf("%s/%d", p.DossierCode, p.Version) }

// enqueuePortalSync is the hook of the status writes: called inside the
// transaction that appends the control-sheet event e (only when the event
// is new), it writes the portal sync item of version e.Seq when the status
// changed, the dossier was just filed, or the appointment moved since the
// last item. One row in the same transaction: nothing is lost, nothing is
// sent twice, and the dispatcher needs no HTTP call inside a transaction.
func enqueuePortalSync(ctx context.Context, tx pgx.Tx, code string, e dossier.Event, p dossier.Progress) error {
	changed := e.Seq == 1 || e.FromStatus != e.ToStatus
	_, err := tx.Exec(ctx, `
		INSERT INTO portal_sync (dossier_code, version, status, status_code, changed_at,
			received_at, appointment_at, finished_at, returned_at)
		SELECT $1::text, $2::int, $3::text, $4::int, $5::timestamptz, $6::timestamptz, $7::timestamptz,
			$8::timestamptz, $9::timestamptz
		WHERE $10::bool OR $7::timestamptz IS DISTINCT FROM (SELECT appointment_at FROM portal_sync
			WHERE dossier_code = $1 AND version < $2 ORDER BY version DESC LIMIT 1)
		ON CONFLICT DO NOTHING`,
		code, e.Seq, p.Status, p.Status.Code(), e.At, p.ReceivedAt, p.AppointmentAt, p.FinishedAt, p.ReturnedAt, changed)
	return err
}

// portalColumns are an item's columns, in scanPortalItems' order. The
// national code is the dossier's procedure version's, or, for a version
// published before the catalog had national codes, the latest version's
// that has one: a procedure keeps its national code across versions, so a
// catalog import that adds them fixes the dossiers already running.
const portalColumns = `c.dossier_code, c.version, c.status, c.status_code, c.changed_at,
	c.received_at, c.appointment_at, c.finished_at, c.returned_at,
	d.procedure_code, coalesce(pv.document->>'national_code', (SELECT n.document->>'national_code'
		FROM procedure_versions n WHERE n.code = d.procedure_code AND n.document ? 'national_code'
		ORDER BY n.version DESC LIMIT 1), ''), d.agency_code, d.submitted_at,
	c.created_at, c.state, c.attempts, c.next_attempt_at, coalesce(c.last_error, ''), c.accepted_at, c.failed_at`

const portalJoin = ` c JOIN dossiers d ON d.code = c.dossier_code
	LEFT JOIN procedure_versions pv ON pv.code = d.procedure_code AND pv.version = d.procedure_version`

func scanPortalItems(rows pgx.Rows) ([]PortalItem, error) {
	defer rows.Close()
	var out []PortalItem
	for rows.Next() {
		var p PortalItem
		if err := rows.Scan(&p.DossierCode, &p.Version, &p.Status, &p.StatusCode, &p.ChangedAt,
			&p.ReceivedAt, &p.AppointmentAt, &p.FinishedAt, &p.ReturnedAt,
			&p.ProcedureCode, &p.NationalCode, &p.AgencyCode, &p.SubmittedAt,
			&p.CreatedAt, &p.State, &p.Attempts, &p.NextAttemptAt, &p.LastError, &p.AcceptedAt, &p.FailedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PortalItems lists a dossier's portal sync items, by version.
func (s *Store) PortalItems(ctx context.Context, code string) ([]PortalItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+portalColumns+` FROM portal_sync`+portalJoin+`
		WHERE c.dossier_code = $1 ORDER BY c.version`, code)
	if err != nil {
		return nil, err
	}
	return scanPortalItems(rows)
}

// PortalItemsByState lists up to limit items for ops: the dead letters
// (PortalFailed, newest first), or the pending items written before
// lagSince (the lagging ones, oldest first; zero lagSince: every pending
// item), or the accepted ones (newest first).
func (s *Store) PortalItemsByState(ctx context.Context, state string, lagSince time.Time, limit int) ([]PortalItem, error) {
	var q string
	args := []any{state, limit}
	switch state {
	case PortalPending:
		q = `WHERE c.state = $1 AND ($3::timestamptz IS NULL OR c.created_at < $3) ORDER BY c.created_at, c.dossier_code, c.version`
		var since *time.Time
		if !lagSince.IsZero() {
			since = &lagSince
		}
		args = append(args, since)
	case PortalFailed:
		q = `WHERE c.state = $1 ORDER BY c.failed_at DESC, c.dossier_code, c.version`
	case PortalAccepted:
		q = `WHERE c.state = $1 ORDER BY c.accepted_at DESC, c.dossier_code, c.version`
	default:
		return nil, fmt.Errorf("store: portal sync state %q: not pending, accepted or failed", state)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+portalColumns+` FROM portal_sync`+portalJoin+` `+q+` LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	return scanPortalItems(rows)
}

// ClaimPortalItems leases up to limit items due at now to one dispatcher
// for lease and counts the attempt. Only the oldest pending version of a
// dossier is ever claimable, and only once the control sheet holds every
// version before it (the transitions of one workflow task may commit out
// of order): so version n+1 is never sent before n is accepted or
// dead-lettered, and a dossier has at most one item in flight. It is one
// short statement; locked rows are skipped, and a dispatcher that dies
// mid-send leaves a lease that runs out.
func (s *Store) ClaimPortalItems(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]PortalItem, error) {
	rows, err := s.pool.Query(ctx, `
		WITH claimed AS (
			UPDATE portal_sync SET leased_until = $1::timestamptz + $3::interval, attempts = attempts + 1
			WHERE (dossier_code, version) IN (
				SELECT p.dossier_code, p.version FROM portal_sync p
				WHERE p.state = 'pending' AND p.next_attempt_at <= $1 AND (p.leased_until IS NULL OR p.leased_until <= $1)
					AND NOT EXISTS (SELECT 1 FROM portal_sync q
						WHERE q.dossier_code = p.dossier_code AND q.version < p.version AND q.state = 'pending')
					AND (SELECT count(*) FROM dossier_events e
						WHERE e.dossier_code = p.dossier_code AND e.seq < p.version) = p.version - 1
				ORDER BY p.next_attempt_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED)
			RETURNING *)
		SELECT `+portalColumns+` FROM claimed`+portalJoin+`
		ORDER BY c.next_attempt_at, c.dossier_code, c.version`, now, limit, lease)
	if err != nil {
		return nil, err
	}
	return scanPortalItems(rows)
}

// PortalOutcome is what one attempt to send an item came to.
type PortalOutcome struct {
	DossierCode string
	Version     int
	At          time.Time
	// State is PortalAccepted, PortalFailed (dead letter) or PortalPending
	// (try again at RetryAt).
	State   string
	RetryAt time.Time
	Error   string
}

// ErrPortalNotLeased is returned when an outcome is recorded for an item
// that is no longer pending (another dispatcher finished it first).
var ErrPortalNotLeased = errors.New("portal sync item is no longer pending")

// RecordPortalOutcome records an attempt's outcome and releases the lease.
func (s *Store) RecordPortalOutcome(ctx context.Context, o PortalOutcome) error {
	var tag pgconn.CommandTag
	var err error
	switch o.State {
	case PortalAccepted:
		tag, err = s.pool.Exec(ctx, `
			UPDATE portal_sync SET state = 'accepted', accepted_at = $3, leased_until = NULL, last_error = NULL
			WHERE dossier_code = $1 AND version = $2 AND state = 'pending'`, o.DossierCode, o.Version, o.At)
	case PortalFailed:
		tag, err = s.pool.Exec(ctx, `
			UPDATE portal_sync SET state = 'failed', failed_at = $3, leased_until = NULL, last_error = $4
			WHERE dossier_code = $1 AND version = $2 AND state = 'pending'`, o.DossierCode, o.Version, o.At, o.Error)
	case PortalPending:
		tag, err = s.pool.Exec(ctx, `
			UPDATE portal_sync SET next_attempt_at = $3, leased_until = NULL, last_error = $4
			WHERE dossier_code = $1 AND version = $2 AND state = 'pending'`, o.DossierCode, o.Version, o.RetryAt, o.Error)
	default:
		return fmt.Errorf("portal outcome %q: not a state an attempt ends in", o.State)
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrPortalNotLeased
	}
	return nil
}

// NextPortalDue is when the earliest item that is next in its dossier's
// order falls due (or its lease runs out); ok is false when none is
// pending. (An item waiting for an earlier version is due when that one
// is done, which wakes the dispatcher that did it.)
func (s *Store) NextPortalDue(ctx context.Context) (due time.Time, ok bool, err error) {
	var t *time.Time
	err = s.pool.QueryRow(ctx, `
		SELECT min(greatest(p.next_attempt_at, coalesce(p.leased_until, p.next_attempt_at)))
		FROM portal_sync p WHERE p.state = 'pending' AND NOT EXISTS (SELECT 1 FROM portal_sync q
			WHERE q.dossier_code = p.dossier_code AND q.version < p.version AND q.state = 'pending')`).Scan(&t)
	if err != nil || t == nil {
		return time.Time{}, false, err
	}
	return *t, true, nil
}

// PortalBacklog is the sync's state for the metrics.
type PortalBacklog struct {
	Pending, Failed int
	// OldestPending is when the oldest pending item was written (zero when
	// none is pending): the portal lags our status by at least that.
	OldestPending time.Time
}

// PortalBacklog counts pending and dead-lettered items.
func (s *Store) PortalBacklog(ctx context.Context) (PortalBacklog, error) {
	var b PortalBacklog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed'),
			min(created_at) FILTER (WHERE state = 'pending')
		FROM portal_sync WHERE state IN ('pending', 'failed')`).Scan(&b.Pending, &b.Failed, &oldest)
	if oldest != nil {
		b.OldestPending = *oldest
	}
	return b, err
}

// PortalSyncedDossiers lists the codes of the dossiers that have portal
// sync items, for reconcile.
func (s *Store) PortalSyncedDossiers(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT dossier_code FROM portal_sync ORDER BY dossier_code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ListenPortalSync sends on wake (without blocking) whenever a portal sync
// item is written, until ctx ends; like ListenNotifications it holds one
// connection of the pool and returns the error when it drops.
func (s *Store) ListenPortalSync(ctx context.Context, wake chan<- struct{}) error {
	return s.listen(ctx, "motcua_portal_sync", wake)
}

func (s *Store) listen(ctx context.Context, channel string, wake chan<- struct{}) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection was in LISTEN: not fit for the pool's other users.
	defer func() { _ = conn.Hijack().Close(context.Background()) }()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
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
