package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/loadgen"
)

// runLoadgen drives simulated dossiers through a running motcua over HTTP
// (the API and the simulators) and prints a report.
func runLoadgen(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	var history bool
	var apiPID, workerPID int
	fs.StringVar(&o.API, "api", "http://127.0.0.1:8080", "the motcua API")
	fs.StringVar(&o.Sim, "sim", "http://127.0.0.1:8090", "the simulated payment gateway and postal service")
	fs.IntVar(&o.Dossiers, "dossiers", 0, "how many dossiers (default 100 unless --duration)")
	fs.DurationVar(&o.Duration, "duration", 0, "start new dossiers for this long instead of a fixed number")
	fs.Float64Var(&o.Rate, "rate", 0, "new dossiers per second (default 5 unless --concurrency)")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "dossiers in flight at a time, back to back, instead of a rate")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the choices (same seed, same sequence of dossiers)")
	fs.StringVar(&o.Mix, "mix", loadgen.MixProvince, "province (the mix of a province) or happy (every dossier the happy path with a fee and postal return)")
	fs.StringVar(&o.StopAt, "stop-at", "", "leave each dossier once it has this status (e.g. received: waiting for review)")
	fs.DurationVar(&o.Think, "think", 0, "actors' think time before each action")
	fs.StringVar(&o.JSONFile, "json", "", "also write the report as JSON to this file")
	fs.DurationVar(&o.DossierTimeout, "dossier-timeout", 2*time.Minute, "bound on one dossier")
	fs.DurationVar(&o.HTTPTimeout, "http-timeout", 15*time.Second, "bound on one request (above the API's own 15s bound on a decision, so none is cut short)")
	fs.DurationVar(&o.RetryFor, "retry-for", 0, "send a request that got no answer or 502/503/504/429 again (same Idempotency-Key, honouring Retry-After) for up to this long; 0: never")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "between progress lines")
	fs.BoolVar(&history, "history", true, "count the dossiers' history events in Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE)")
	fs.IntVar(&o.HistorySample, "history-sample", 200, "read the histories of at most this many dossiers")
	fs.IntVar(&apiPID, "api-pid", 0, "PID of the API process, for its peak memory (VmHWM)")
	fs.IntVar(&workerPID, "worker-pid", 0, "PID of the worker process, for its peak memory (VmHWM)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "PID of the Temporal server, when on this machine, for its CPU time per dossier")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	// Development tokens for every simulated actor (no header without a secret).
	o.JWTSecret = cfg.JWTSecret
	o.Processes = map[string]int{}
	if apiPID > 0 {
		o.Processes["api"] = apiPID
	}
	if workerPID > 0 {
		o.Processes["worker"] = workerPID
	}
	if history {
		tc, err := dialTemporal(ctx, cfg, log, nil)
		if err != nil {
			return fmt.Errorf("loadgen: %w (or --history=false)", err)
		}
		defer tc.Close()
		o.Temporal = tc
	}
	rep, err := loadgen.Run(ctx, o, stdout)
	if err != nil {
		return err
	}
	if rep.Failed > 0 || rep.ErrorCount() > 0 {
		return fmt.Errorf("loadgen: %d dossiers failed, %d errors", rep.Failed, rep.ErrorCount())
	}
	return nil
}
