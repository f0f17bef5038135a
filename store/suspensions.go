package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// PostalSuspension is postal service suspended for an administrative area
// from one date to another, both included (dates at midnight, local time).
type PostalSuspension struct {
	ID        int64
	AreaCode  string
	From, To  time.Time
	Reason    string
	CreatedBy string
	CreatedAt time.Time
	// EndedAt and EndedBy: ops ended it before its last day (nil: not
	// ended).
	EndedAt *time.Time
	EndedBy string
}

// CreatePostalSuspension records a suspension and returns it with its id.
func (s *Store) CreatePostalSuspension(ctx context.Context, p PostalSuspension) (PostalSuspension, error) {
	err := s.pool.QueryRow(ctx, `
		INSERT INTO postal_suspensions (area_code, from_date, to_date, reason, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`,
		p.AreaCode, p.From, p.To, p.Reason, p.CreatedBy).Scan(&p.ID, &p.CreatedAt)
	return p, err
}

// PostalSuspensions returns the suspensions of the given areas (all areas
// when none are given) that have not ended before day, earliest first.
func (s *Store) PostalSuspensions(ctx context.Context, areas []string, day time.Time) ([]PostalSuspension, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, area_code, from_date, to_date, reason, created_by, created_at FROM postal_suspensions
		WHERE to_date >= $1::date AND ended_at IS NULL AND (coalesce(cardinality($2::text[]), 0) = 0 OR area_code = ANY($2))
		ORDER BY from_date, id`, day.Format(time.DateOnly), areas)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PostalSuspension, error) {
		var p PostalSuspension
		err := row.Scan(&p.ID, &p.AreaCode, &p.From, &p.To, &p.Reason, &p.CreatedBy, &p.CreatedAt)
		return p, err
	})
}

// ErrSuspensionNotFound: no postal suspension has that id.
var ErrSuspensionNotFound = dossier.Errorf(dossier.ENotFound, "no postal suspension has that id")

// ErrSuspensionEnded: the suspension was already ended.
var ErrSuspensionEnded = dossier.Errorf(dossier.EConflict, "the postal suspension was already ended")

// EndPostalSuspension ends a suspension at `at` (ops: the post office is
// back). The row stays, with who ended it: an unknown id is
// ErrSuspensionNotFound, one already ended ErrSuspensionEnded.
func (s *Store) EndPostalSuspension(ctx context.Context, id int64, at time.Time, by string) (PostalSuspension, error) {
	var p PostalSuspension
	err := s.pool.QueryRow(ctx, `
		UPDATE postal_suspensions SET ended_at = $2, ended_by = $3 WHERE id = $1 AND ended_at IS NULL
		RETURNING id, area_code, from_date, to_date, reason, created_by, created_at, ended_at, ended_by`, id, at, by).
		Scan(&p.ID, &p.AreaCode, &p.From, &p.To, &p.Reason, &p.CreatedBy, &p.CreatedAt, &p.EndedAt, &p.EndedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM postal_suspensions WHERE id = $1)`, id).Scan(&exists); err != nil {
			return PostalSuspension{}, err
		}
		if exists {
			return PostalSuspension{}, ErrSuspensionEnded
		}
		return PostalSuspension{}, ErrSuspensionNotFound
	}
	return p, err
}

// SetReturnArea records the administrative area a dossier's result goes to.
func (s *Store) SetReturnArea(ctx context.Context, code, area string) error {
	_, err := s.pool.Exec(ctx, `UPDATE dossiers SET return_area = $2 WHERE code = $1`, code, area)
	return err
}

// OpenPostalReturnsIn returns the codes of open dossiers returning by post
// to one of the areas whose result has not been handed to the postal
// service yet (no shipment, or one requested and not picked up).
func (s *Store) OpenPostalReturnsIn(ctx context.Context, areas []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT d.code FROM dossiers d
		WHERE d.return_area = ANY($1) AND d.return_method = 'postal'
		  AND d.status NOT IN ('returned', 'refused', 'declined', 'withdrawn', 'stopped')
		  AND (d.shipment_status IS NULL OR (d.shipment_status = 'requested' AND NOT EXISTS (
		       SELECT 1 FROM shipments s WHERE s.dossier_code = d.code AND s.picked_up_at IS NOT NULL)))
		ORDER BY d.code`, areas)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// AwaitingPickup is a shipment the postal service accepted and has not
// picked up, and has not been warned about.
type AwaitingPickup struct {
	DossierCode string
	Waybill     string
	RequestedAt time.Time
	AgencyCode  string
	SubmittedAt time.Time
}

// ShipmentsAwaitingPickup lists the requested shipments of open dossiers
// not picked up and not yet warned about, oldest first; of the given
// dossiers only, when any are given.
func (s *Store) ShipmentsAwaitingPickup(ctx context.Context, limit int, codes []string) ([]AwaitingPickup, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.dossier_code, s.waybill,
		       -- In business time, as the workflow recorded the request.
		       coalesce((SELECT max(e.at) FROM dossier_events e
		                 WHERE e.dossier_code = s.dossier_code AND e.action = 'shipment.requested'), s.requested_at),
		       d.agency_code, d.submitted_at
		FROM shipments s JOIN dossiers d ON d.code = s.dossier_code
		WHERE s.status = 'requested' AND s.picked_up_at IS NULL AND s.pickup_warned_at IS NULL
		  AND d.stage = 'return' AND (coalesce(cardinality($2::text[]), 0) = 0 OR s.dossier_code = ANY($2))
		ORDER BY s.requested_at LIMIT $1`, limit, codes)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AwaitingPickup, error) {
		var a AwaitingPickup
		err := row.Scan(&a.DossierCode, &a.Waybill, &a.RequestedAt, &a.AgencyCode, &a.SubmittedAt)
		return a, err
	})
}

// MarkPickupWarned records that the intake desk was warned about waybill.
func (s *Store) MarkPickupWarned(ctx context.Context, waybill string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE shipments SET pickup_warned_at = $2 WHERE waybill = $1`, waybill, at)
	return err
}
