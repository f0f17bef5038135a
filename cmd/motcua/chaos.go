package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/motcua/motcua/chaos"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/loadgen"
)

// runChaosCheck waits for the dossiers of a chaos run to finish, then
// checks that nothing was lost or duplicated (package chaos) and fails
// when something was.
func runChaosCheck(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chaos-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sim := fs.String("sim", "http://127.0.0.1:8090", "the simulators (motcua sim)")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for dossiers still in flight")
	report := fs.String("loadgen-report", "", "the load generator's JSON report (loadgen --json), to compare and print")
	jsonFile := fs.String("json", "", "also write the result as JSON here")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	var rep *loadgen.Report
	if *report != "" {
		rep = new(loadgen.Report)
		if err := readJSON(*report, rep); err != nil {
			return fmt.Errorf("chaos-check: %w", err)
		}
	}
	st, tc, err := connect(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	defer tc.Close()
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("chaos-check: %w", err)
	}
	defer pool.Close()
	res, err := chaos.Check(ctx, chaos.Options{
		DB: pool, Store: st, Temporal: tc, Namespace: cfg.TemporalNamespace,
		Sim: *sim, Wait: *wait, Progress: stdout,
	})
	if err != nil {
		return err
	}
	if rep != nil && rep.Submitted > res.Dossiers {
		res.Lost = append(res.Lost, fmt.Sprintf("the load generator was told %d dossiers were accepted; the read model has %d",
			rep.Submitted, res.Dossiers))
	}
	if rep != nil {
		fmt.Fprintf(stdout, "\nload generator: submitted (answered 201/200) %d, finished %d, failed %d, %.0fs\n",
			rep.Submitted, rep.Finished, rep.Failed, rep.ElapsedSeconds)
		rep.WriteRetries(stdout)
		fmt.Fprintf(stdout, "  client-visible errors %d\n", rep.ErrorCount())
		for _, k := range slices.Sorted(maps.Keys(rep.Errors)) {
			fmt.Fprintf(stdout, "    %6d  %s\n", rep.Errors[k], k)
		}
	}
	res.WriteText(stdout)
	if *jsonFile != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonFile, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("chaos-check: %w", err)
		}
	}
	if res.Failed() {
		return fmt.Errorf("chaos-check: %d lost, %d duplicated, %d missing control-sheet rows, %d reconcile differences, %d read model vs simulator differences",
			len(res.Lost), len(res.Duplicates), len(res.MissingEvents), len(res.Reconcile), len(res.Mismatches))
	}
	return nil
}
