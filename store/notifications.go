package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// OutboxNotification is a notification in the outbox.
type OutboxNotification struct {
	DossierCode string
	Seq, Idx    int
	dossier.Notification
	CreatedAt time.Time
	SentAt    *time.Time
}

// Notifications lists a dossier's notifications, oldest first.
func (s *Store) Notifications(ctx context.Context, code string) ([]OutboxNotification, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT dossier_code, seq, idx, recipient, coalesce(agency, ''), template, message, created_at, sent_at
		FROM notifications WHERE dossier_code = $1 ORDER BY seq, idx`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxNotification
	for rows.Next() {
		var n OutboxNotification
		if err := rows.Scan(&n.DossierCode, &n.Seq, &n.Idx, &n.To, &n.Agency, &n.Template, &n.Message, &n.CreatedAt, &n.SentAt); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DispatchNotifications hands up to limit unsent notifications, oldest
// first, to send, and marks each sent or records its error. Rows are locked
// (SKIP LOCKED) so several workers can dispatch at once without sending a
// message twice. It returns how many were sent.
func (s *Store) DispatchNotifications(ctx context.Context, limit int, send func(context.Context, OutboxNotification) error) (int, error) {
	sent := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT dossier_code, seq, idx, recipient, coalesce(agency, ''), template, message, created_at
			FROM notifications WHERE sent_at IS NULL AND attempts < 20
			ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		var batch []OutboxNotification
		for rows.Next() {
			var n OutboxNotification
			if err := rows.Scan(&n.DossierCode, &n.Seq, &n.Idx, &n.To, &n.Agency, &n.Template, &n.Message, &n.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range batch {
			sendErr := send(ctx, n)
			var errText *string
			if sendErr != nil {
				e := sendErr.Error()
				errText = &e
			} else {
				sent++
			}
			if _, err := tx.Exec(ctx, `
				UPDATE notifications SET attempts = attempts + 1, last_error = $4,
					sent_at = CASE WHEN $4::text IS NULL THEN now() END
				WHERE dossier_code = $1 AND seq = $2 AND idx = $3`, n.DossierCode, n.Seq, n.Idx, errText); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}
