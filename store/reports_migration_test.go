package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// Migration 00012 fills, from the control sheet, what the old workflows
// never wrote: withdrawn and stopped dossiers report as resolved, refusals
// after receipt too, each with its ending; it goes down cleanly.
func TestMigration00012BackfillsEndings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 11)
	require.NoError(t, err)

	// Rows as the old workflows left them: a withdrawal and a stop without
	// finished_at, a refusal at review, a result, one still open; all due
	// Thursday 12 March 2026 17:00.
	_, err = db.ExecContext(ctx, `
		INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
			applicant, documents, return_method, submitted_at, received_at, appointment_at, original_appointment_at,
			finished_at, verdict, version, current_step)
		VALUES
		('W', 'KH-HKD-01', 1, '000.00.17.H39', 'online', 'withdrawn', 'done', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', '2026-03-12 17:00+07', NULL, NULL, 3, NULL),
		('S', 'KH-HKD-01', 1, '000.00.17.H39', 'online', 'stopped', 'done', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', '2026-03-12 17:00+07', NULL, NULL, 3, NULL),
		('R', 'KH-HKD-01', 1, '000.00.17.H39', 'counter', 'refused', 'done', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', '2026-03-12 17:00+07', '2026-03-11 10:00+07', NULL, 3, NULL),
		('D', 'KH-HKD-01', 1, '000.00.17.H39', 'counter', 'returned', 'done', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', '2026-03-12 17:00+07', '2026-03-12 10:00+07', 'on_time', 4, NULL),
		('O', 'KH-HKD-01', 1, '000.00.17.H39', 'postal', 'processing', 'review', '{}', '[]', 'counter',
			'2026-03-02 08:00+07', '2026-03-02 09:00+07', '2026-03-12 17:00+07', '2026-03-12 17:00+07', NULL, NULL, 2,
			'{"name": "review", "departments": ["000.00.19.H39"], "pending_departments": ["000.00.19.H39"], "due_at": "2026-03-10T17:00:00+07:00",
			  "branches": [{"department": "000.00.19.H39", "due_at": "2026-03-10T17:00:00+07:00"}]}')`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `
		INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status)
		SELECT code, 1, submitted_at, 'submitted', 'portal', 'intake', 'intake', 'submitted', 'submitted' FROM dossiers;
		INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status)
		SELECT code, 2, received_at, 'intake.accept', 'officer', 'intake', 'review', 'submitted', 'received' FROM dossiers;
		INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status) VALUES
		('W', 3, '2026-03-05 10:00+07', 'withdrawn', 'portal', 'review', 'done', 'received', 'withdrawn'),
		('S', 3, '2026-03-13 10:00+07', 'stopped', 'leader', 'review', 'done', 'received', 'stopped'),
		('R', 3, '2026-03-11 10:00+07', 'review.refuse', 'dept', 'review', 'done', 'received', 'refused'),
		('D', 3, '2026-03-12 10:00+07', 'approval.approve', 'leader', 'approval', 'return', 'processing', 'result_ready'),
		('D', 4, '2026-03-13 10:00+07', 'handover', 'officer', 'return', 'done', 'result_ready', 'returned')`)
	require.NoError(t, err)
	_, err = p.Up(ctx)
	require.NoError(t, err)

	var finished time.Time
	require.NoError(t, db.QueryRowContext(ctx, `SELECT finished_at FROM dossiers WHERE code = 'W'`).Scan(&finished))
	require.True(t, finished.Equal(ict(2026, 3, 5, 10, 0)), "the withdrawal's finishing time, from the control sheet")

	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer s.Close()
	rows, err := s.Report(ctx, []store.ReportPeriod{month(2026, 3)}, store.ReportFilter{}, farFuture)
	require.NoError(t, err)
	f := rows[0].ReportFigures
	requireBalanced(t, f)
	require.Equal(t, store.Received{New: 5, Online: 2, Counter: 2, Postal: 1}, f.Received)
	// Refused the day before the appointment: early; the stop the day after: late.
	require.Equal(t, store.Resolved{Total: 4, Early: 1, OnTime: 2, Late: 1, Result: 1, Refused: 1, Withdrawn: 1, Stopped: 1}, f.Resolved)
	require.Equal(t, store.Pending{Total: 1, Overdue: 1}, f.Pending)
	// The open step is the department's.
	dept, err := s.Report(ctx, []store.ReportPeriod{month(2026, 3)}, store.ReportFilter{Department: "000.00.19.H39"}, farFuture)
	require.NoError(t, err)
	require.Equal(t, store.Pending{Total: 1, Overdue: 1}, dept[0].Pending)

	_, err = p.DownTo(ctx, 11)
	require.NoError(t, err)
	_, err = p.Up(ctx)
	require.NoError(t, err)
}
