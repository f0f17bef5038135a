package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
)

// insert writes a dossier in status with the control-sheet actions given
// (seq 1, 2, ...; 0 skips a number) and version as its version.
func insert(t *testing.T, db *pgxpool.Pool, code, status, idNumber string, version int, actions ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := db.Exec(ctx, `
		INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
		                      applicant, documents, return_method, submitted_at, version, submitted_by)
		VALUES ($1, 'HT-KS-01', 1, 'A', 'online', $2, 'done', jsonb_build_object('full_name', 'X', 'id_number', $3::text),
		        '[]', 'counter', now(), $4, 'portal')`, code, status, idNumber, version)
	require.NoError(t, err)
	last := "submitted"
	for i, a := range actions {
		if a == "" {
			continue
		}
		to := "processing"
		if i == len(actions)-1 {
			to = status
		}
		step, dept := "", ""
		if strings.HasPrefix(a, "review.") {
			step, dept = "tham-dinh", "D1"
		}
		_, err := db.Exec(ctx, `
			INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status, step, department)
			VALUES ($1, $2, now(), $3, 'test', 'x', 'y', $4, $5, nullif($6, ''), nullif($7, ''))`,
			code, i+1, a, last, to, step, dept)
		require.NoError(t, err)
		last = to
	}
}

// The checks find each kind of damage, and nothing on a clean dossier.
func TestChecksFindDamage(t *testing.T) {
	ctx := context.Background()
	db, err := pgxpool.New(ctx, testenv.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)

	insert(t, db, "OK-1", "returned", "1", 3, "submitted", "intake.accept", "handover")
	// Reviewed twice, but sent back in between: allowed.
	insert(t, db, "OK-2", "returned", "2", 6, "submitted", "intake.accept", "review.approve", "review.return",
		"review.approve", "handover")
	insert(t, db, "DUP-1", "returned", "3", 4, "submitted", "intake.accept", "intake.accept", "handover")
	insert(t, db, "GAP-1", "returned", "4", 3, "submitted", "", "handover")
	insert(t, db, "NOEND-1", "withdrawn", "5", 2, "submitted", "intake.accept")
	insert(t, db, "OPEN-1", "processing", "6", 2, "submitted", "intake.accept")
	insert(t, db, "TWICE-1", "returned", "7", 3, "submitted", "intake.accept", "handover")
	insert(t, db, "TWICE-2", "returned", "7", 3, "submitted", "intake.accept", "handover")

	o := Options{DB: db}
	var r Result
	require.NoError(t, lost(ctx, o, &r))
	require.NoError(t, events(ctx, o, &r))
	require.NoError(t, submissions(ctx, o, &r))

	require.Equal(t, []string{"OPEN-1: processing (stage done)"}, r.Lost)
	require.Equal(t, []string{
		"DUP-1: control sheet has 2 × intake.accept",
		"dossiers TWICE-1, TWICE-2: the same submission (applicant 7, procedure HT-KS-01) accepted 2 times",
	}, r.Duplicates)
	require.Len(t, r.MissingEvents, 2, "%q", r.MissingEvents)
	require.Contains(t, r.MissingEvents[0], "GAP-1: control sheet has 2 rows, seq up to 3, dossier version 3")
	require.Equal(t, "NOEND-1: withdrawn without any of withdrawn", r.MissingEvents[1])
	require.True(t, r.Failed())
	require.Equal(t, 25, r.Events)
}

// The simulators' records against the read model: a second request for a
// dossier is a duplicate; one side only, or another ref, is a mismatch.
func TestCompareWithSimulator(t *testing.T) {
	var r Result
	compare(&r, "shipment", map[string][]string{
		"A": {"W1"}, "B": {"W2", "W3"}, "C": {"W4"}, "D": {"W5"},
	}, map[string]string{"A": "W1", "B": "W2", "C": "W9", "E": "W6"})
	require.Equal(t, []string{"B: 2 shipments (W2, W3)"}, r.Duplicates)
	require.Equal(t, []string{
		"C: read model has shipment W9, the simulator W4",
		"D: shipment W5 at the simulator, none in the read model",
		"E: read model has shipment W6, unknown to the simulator",
	}, r.Mismatches)

	var clean Result
	compare(&clean, "payment request", map[string][]string{"A": {"P1"}}, map[string]string{"A": "P1"})
	require.False(t, clean.Failed(), fmt.Sprint(clean))
}
