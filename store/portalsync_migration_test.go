package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
)

// Migration 00038 tells the portal the current state of the dossiers open
// when the sync is installed — once, at their current version, with the
// national status code — and nothing of the finished ones; it goes down
// cleanly.
func TestMigration00038QueuesOpenDossiers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 37)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `
		INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
			applicant, documents, return_method, submitted_at, received_at, appointment_at, version)
		VALUES
		('O', 'KH-HKD-01', 1, '000.00.17.H39', 'online', 'supplement_requested', 'review', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', 4),
		('N', 'KH-HKD-01', 1, '000.00.17.H39', 'online', 'submitted', 'intake', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', NULL, NULL, 1),
		('D', 'KH-HKD-01', 1, '000.00.17.H39', 'counter', 'returned', 'done', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', 6)`)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 38)
	require.NoError(t, err)
	rows, err := db.QueryContext(ctx, `SELECT dossier_code, version, status, status_code, state FROM portal_sync ORDER BY dossier_code`)
	require.NoError(t, err)
	type row struct {
		code    string
		version int
		status  string
		code2   int
		state   string
	}
	var got []row
	for rows.Next() {
		var r row
		require.NoError(t, rows.Scan(&r.code, &r.version, &r.status, &r.code2, &r.state))
		got = append(got, r)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []row{
		{"N", 1, "submitted", dossier.StatusSubmitted.Code(), "pending"},
		{"O", 4, "supplement_requested", dossier.StatusSupplementRequested.Code(), "pending"},
	}, got)
	_, err = p.DownTo(ctx, 37)
	require.NoError(t, err)
	var exists bool
	require.NoError(t, db.QueryRowContext(ctx, `SELECT to_regclass('portal_sync') IS NOT NULL`).Scan(&exists))
	require.False(t, exists)
}
