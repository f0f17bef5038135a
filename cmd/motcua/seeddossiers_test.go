package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

func TestParseSeedDossiers(t *testing.T) {
	t.Parallel()
	opts, err := parseSeedDossiers([]string{"--dossiers", "1000"})
	require.NoError(t, err)
	require.Equal(t, store.SeedOptions{N: 1000, Years: 2, Seed: 1}, opts)
	opts, err = parseSeedDossiers([]string{"--dossiers=50", "--years", "3", "--seed=9"})
	require.NoError(t, err)
	require.Equal(t, store.SeedOptions{N: 50, Years: 3, Seed: 9}, opts)

	for _, args := range [][]string{
		{"--dossiers"}, {"--dossiers", "0"}, {"--dossiers", "x"}, {"--dossiers", "-5"},
		{"--dossiers", "5", "--years", "0"}, {"--dossiers", "5", "--catalog", "f"}, {"--dossiers", "5", "extra"},
		{"--dossiers", "5", "--dossiers", "6"}, {"--years", "2"},
	} {
		_, err := parseSeedDossiers(args)
		require.Error(t, err, "%v", args)
	}
	require.True(t, wantsSeedDossiers([]string{"--dossiers", "5"}))
	require.True(t, wantsSeedDossiers([]string{"--seed", "2", "--dossiers=5"}))
	require.False(t, wantsSeedDossiers([]string{"--catalog", "f"}))
}

func TestSeedDossiersCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	s, err := store.Open(ctx, url)
	require.NoError(t, err)
	require.NoError(t, testenv.Seed(ctx, s))
	s.Close()

	env := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"seed", "--dossiers", "300", "--seed", "3"}, env, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "seeded 300 dossiers over 2 years (seed 3)")

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM dossiers`).Scan(&n))
	require.Equal(t, 300, n)

	// Without DATABASE_URL it says so.
	err = run(ctx, []string{"seed", "--dossiers", "5"}, func(string) string { return "" }, &out, &errOut)
	require.ErrorContains(t, err, "DATABASE_URL")
}
