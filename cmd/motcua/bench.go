package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/motcua/motcua/bench/ceiling"
	"github.com/motcua/motcua/config"
)

// runBench measures the engine ceiling: no-op workflows shaped like a
// happy-path dossier, driven like the load generator drives dossiers, on a
// task queue of their own, against TEMPORAL_ADDRESS.
func runBench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	variants := fs.String("variants", "naive,local", "which shapes, comma-separated: naive (8 activities, 5 signals), local (8 local activities, 5 updates)")
	n := fs.Int("workflows", 200, "workflows per variant")
	conc := fs.Int("concurrency", 50, "workflows in flight at a time")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on one workflow")
	jsonFile := fs.String("json", "", "also write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	tc, err := dialTemporal(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	var results []ceiling.Result
	for _, v := range strings.Split(*variants, ",") {
		r, err := ceiling.Run(ctx, tc, ceiling.Options{Variant: strings.TrimSpace(v), Workflows: *n,
			Concurrency: *conc, Timeout: *timeout}, stdout)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if *jsonFile != "" {
		raw, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonFile, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}
