package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/motcua/motcua/loadgen"
)

// runLoadgen drives simulated dossiers through a running motcua over HTTP
// (the API and the simulators) and prints a report.
func runLoadgen(ctx context.Context, jwtSecret string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := loadgen.Options{JWTSecret: jwtSecret}
	fs.StringVar(&o.API, "api", "http://127.0.0.1:8080", "the motcua API")
	fs.StringVar(&o.Sim, "sim", "http://127.0.0.1:8090", "the simulated payment gateway and postal service")
	fs.IntVar(&o.Dossiers, "dossiers", 0, "how many dossiers (default 100 unless --duration)")
	fs.DurationVar(&o.Duration, "duration", 0, "start new dossiers for this long instead of a fixed number")
	fs.Float64Var(&o.Rate, "rate", 0, "new dossiers per second (default 5 unless --concurrency)")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "dossiers in flight at a time, back to back, instead of a rate")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the choices (same seed, same sequence of dossiers)")
	fs.DurationVar(&o.Think, "think", 0, "actors' think time before each action")
	fs.StringVar(&o.JSONFile, "json", "", "also write the report as JSON to this file")
	fs.DurationVar(&o.DossierTimeout, "dossier-timeout", 2*time.Minute, "bound on one dossier")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "between progress lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadgen: unexpected argument %q", fs.Arg(0))
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
