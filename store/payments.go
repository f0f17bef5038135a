package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Payment is a payment request made to the gateway for a dossier.
type Payment struct {
	DossierCode string
	PaymentRef  string
	Amount      int64
	PayURL      string
	Status      string // pending | paid
}

// RecordPaymentRequest stores the gateway's answer to a payment request. A
// dossier has one payment request; recording it again changes nothing.
func (s *Store) RecordPaymentRequest(ctx context.Context, p Payment) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO payments (dossier_code, payment_ref, amount, pay_url) VALUES ($1, $2, $3, $4)
		ON CONFLICT (dossier_code) DO NOTHING`, p.DossierCode, p.PaymentRef, p.Amount, nullable(p.PayURL))
	return err
}

// PaymentByRef finds a payment request by the gateway's reference;
// ENotFound if there is none.
func (s *Store) PaymentByRef(ctx context.Context, ref string) (Payment, error) {
	var p Payment
	err := s.pool.QueryRow(ctx, `
		SELECT dossier_code, payment_ref, amount, coalesce(pay_url, ''), status FROM payments WHERE payment_ref = $1`, ref).
		Scan(&p.DossierCode, &p.PaymentRef, &p.Amount, &p.PayURL, &p.Status)
	if err != nil {
		return Payment{}, notFound(err, "no payment request has the payment_ref %s", ref)
	}
	return p, nil
}

// MarkPaymentPaid records the transaction that paid a payment request.
func (s *Store) MarkPaymentPaid(ctx context.Context, ref, transactionID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE payments SET status = 'paid', transaction_id = $2, paid_at = $3
		WHERE payment_ref = $1 AND status <> 'paid'`, ref, transactionID, at)
	return err
}

// PaymentNotification is one callback from the gateway.
type PaymentNotification struct {
	TransactionID string
	PaymentRef    string
	Amount        int64
	Status        string
	Reason        string
	// Outcome is what motcua did with it: received (being handled),
	// applied, ignored (the dossier was not awaiting payment any more) or
	// amount_mismatch (refused and left for staff).
	Outcome string
}

// The outcomes of a payment notification.
const (
	OutcomeReceived       = "received"
	OutcomeApplied        = "applied"
	OutcomeIgnored        = "ignored"
	OutcomeAmountMismatch = "amount_mismatch"
)

// RecordPaymentNotification stores a callback the first time its
// transaction is seen. If the transaction was seen before it returns the
// stored notification and seen = true, and stores nothing.
func (s *Store) RecordPaymentNotification(ctx context.Context, n PaymentNotification) (stored PaymentNotification, seen bool, err error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO payment_notifications (transaction_id, payment_ref, amount, status, reason, outcome)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (transaction_id) DO NOTHING`,
		n.TransactionID, n.PaymentRef, n.Amount, n.Status, nullable(n.Reason), n.Outcome)
	if err != nil {
		return PaymentNotification{}, false, err
	}
	if tag.RowsAffected() == 1 {
		return n, false, nil
	}
	err = s.pool.QueryRow(ctx, `
		SELECT transaction_id, payment_ref, amount, status, coalesce(reason, ''), outcome
		FROM payment_notifications WHERE transaction_id = $1`, n.TransactionID).
		Scan(&stored.TransactionID, &stored.PaymentRef, &stored.Amount, &stored.Status, &stored.Reason, &stored.Outcome)
	return stored, true, err
}

// SetPaymentNotificationOutcome records what was done with a callback.
func (s *Store) SetPaymentNotificationOutcome(ctx context.Context, transactionID, outcome string) error {
	_, err := s.pool.Exec(ctx, `UPDATE payment_notifications SET outcome = $2 WHERE transaction_id = $1`, transactionID, outcome)
	return err
}

// CountPaymentRequests counts the payment requests recorded for a dossier
// (at most one: the tests check that retries never make a second).
func (s *Store) CountPaymentRequests(ctx context.Context, code string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM payments WHERE dossier_code = $1`, code).Scan(&n)
	return n, err
}

// Shipment is a result sent by post.
type Shipment struct {
	DossierCode string
	Waybill     string
	Status      string
	// PickedUpAt is when the postal service reported the pickup (nil: not
	// yet).
	PickedUpAt *time.Time
}

// RecordShipment stores the postal service's waybill for a dossier; a
// dossier has one shipment, and recording it again changes nothing.
func (s *Store) RecordShipment(ctx context.Context, sh Shipment) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO shipments (dossier_code, waybill, status) VALUES ($1, $2, $3)
		ON CONFLICT (dossier_code) DO NOTHING`, sh.DossierCode, sh.Waybill, sh.Status)
	return err
}

// ShipmentByWaybill finds a shipment; ENotFound if unknown.
func (s *Store) ShipmentByWaybill(ctx context.Context, waybill string) (Shipment, error) {
	var sh Shipment
	err := s.pool.QueryRow(ctx, `SELECT dossier_code, waybill, status, picked_up_at FROM shipments WHERE waybill = $1`, waybill).
		Scan(&sh.DossierCode, &sh.Waybill, &sh.Status, &sh.PickedUpAt)
	if err != nil {
		return Shipment{}, notFound(err, "no shipment has the waybill %s", waybill)
	}
	return sh, nil
}

// SetShipmentStatus records the postal service's latest word on a shipment.
func (s *Store) SetShipmentStatus(ctx context.Context, waybill, status string) error {
	_, err := s.pool.Exec(ctx, `UPDATE shipments SET status = $2, updated_at = now() WHERE waybill = $1`, waybill, status)
	return err
}

// Outcomes of RecordPickup.
const (
	PickupApplied   = "applied"   // recorded now
	PickupDuplicate = "duplicate" // recorded before
	PickupIgnored   = "ignored"   // the shipment is past it (delivered, failed)
)

// RecordPickup keeps the postal service's pickup report with the shipment
// (dossier reads show it: dossierColumns), without a workflow transition:
// the pickup changes neither the dossier's status nor its stage, so the
// workflow records it on the control sheet with the delivery or failure
// that follows (PostalNotice.PickedUpAt). Only a shipment still
// "requested" is picked up. It returns the shipment as it was found, and
// the outcome; ENotFound for an unknown waybill.
func (s *Store) RecordPickup(ctx context.Context, waybill string, at time.Time) (Shipment, string, error) {
	var sh Shipment
	outcome := PickupIgnored
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT dossier_code, waybill, status, picked_up_at FROM shipments
			WHERE waybill = $1 FOR UPDATE`, waybill).Scan(&sh.DossierCode, &sh.Waybill, &sh.Status, &sh.PickedUpAt)
		if err != nil {
			return notFound(err, "no shipment has the waybill %s", waybill)
		}
		switch sh.Status {
		case "picked_up":
			outcome = PickupDuplicate
			return nil
		case "requested":
		default:
			return nil
		}
		outcome = PickupApplied
		_, err = tx.Exec(ctx, `UPDATE shipments SET status = 'picked_up', picked_up_at = $2, updated_at = now()
			WHERE waybill = $1`, waybill, at)
		return err
	})
	if err != nil {
		return Shipment{}, "", fmt.Errorf("store: record pickup: %w", err)
	}
	return sh, outcome, nil
}

// Recipient is where a result goes by post.
type Recipient struct {
	Name, Phone, Address string
}

// ShipmentRecipient reads the applicant's name and phone and the return
// address of a dossier, for the postal service. It reads them from the
// database so they never enter a workflow history.
func (s *Store) ShipmentRecipient(ctx context.Context, code string) (Recipient, error) {
	var r Recipient
	err := s.pool.QueryRow(ctx, `
		SELECT applicant->>'full_name', coalesce(applicant->>'phone', ''), coalesce(return_address, '')
		FROM dossiers WHERE code = $1`, code).Scan(&r.Name, &r.Phone, &r.Address)
	if err == pgx.ErrNoRows {
		return r, notFound(err, "no dossier has the code %s", code)
	}
	return r, err
}
