package store_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// TestApplicationRoleCannotRewriteTheControlSheet: on the real PostgreSQL,
// a login role granted motcua_app (what the API and the worker connect
// as) runs the application — seeding, a submission, a transition — but
// cannot disable the append-only trigger, update, delete or truncate an
// event, rewrite an issued file, or touch the migrations' bookkeeping.
// The owner (here the superuser that migrated) is the only one who could.
func TestApplicationRoleCannotRewriteTheControlSheet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ownerURL := testenv.NewDatabase(t)
	owner, err := pgx.Connect(ctx, ownerURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = owner.Close(ctx) })

	login := "motcua_app_" + testenv.RandomSuffix()
	_, err = owner.Exec(ctx, "CREATE ROLE "+login+" LOGIN IN ROLE motcua_app")
	require.NoError(t, err)
	// Cleanups run last-registered first: the role is dropped after the
	// connections below have closed, before the database is.
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), ownerURL)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+login)
			_ = c.Close(context.Background())
		}
	})
	u, err := url.Parse(ownerURL)
	require.NoError(t, err)
	u.User = url.User(login)
	appURL := u.String()

	s, err := store.Open(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, testenv.Seed(ctx, s))
	sub, err := s.CreateDossier(ctx, newDossier(time.Date(2026, 11, 27, 9, 0, 0, 0, dossier.Location)), "", []byte{1})
	require.NoError(t, err)
	accept := dossier.Transition{Code: sub.Code,
		Event: dossier.Event{Seq: 2, At: testenv.Now(), Action: "intake.accept", Actor: "officer",
			ToStatus: dossier.StatusReceived, ToStage: dossier.StageReview},
		Progress: dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview,
			Fee: dossier.Fee{Status: dossier.FeeNone}}}
	require.NoError(t, s.ApplyTransition(ctx, accept))
	before, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Len(t, before, 2)

	app, err := pgx.Connect(ctx, appURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close(ctx) })
	for stmt, want := range map[string]string{
		`ALTER TABLE dossier_events DISABLE TRIGGER dossier_events_no_update_delete`: "must be owner of table dossier_events",
		`ALTER TABLE dossier_events DISABLE TRIGGER ALL`:                             "must be owner of table dossier_events",
		`DROP TRIGGER dossier_events_no_update_delete ON dossier_events`:             "must be owner of relation dossier_events",
		`UPDATE dossier_events SET actor = 'someone else'`:                           "permission denied for table dossier_events",
		`DELETE FROM dossier_events`:                                                 "permission denied for table dossier_events",
		`TRUNCATE dossier_events`:                                                    "permission denied for table dossier_events",
		`UPDATE issued_files SET sha256 = sha256`:                                    "permission denied for table issued_files",
		`DELETE FROM goose_db_version`:                                               "permission denied for table goose_db_version",
		`ALTER ROLE ` + login + ` SUPERUSER`:                                         "must be superuser",
	} {
		_, err := app.Exec(ctx, stmt)
		require.ErrorContains(t, err, want, stmt)
	}
	after, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing changed")
}
