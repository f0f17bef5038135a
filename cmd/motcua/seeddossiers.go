package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/store"
)

// seedDossiersUsage documents `motcua seed --dossiers N`.
const seedDossiersUsage = `Usage: motcua seed --dossiers N [--years 2] [--seed 1]

Writes N realistic dossiers straight into the read model (COPY, no
workflows: they have no control sheet and no Temporal history), spread over
the last --years years up to today, from the procedures and agencies of the
catalog (run motcua seed first). The same --seed gives the same dossiers on
the same day. Codes are {agency}-{yyMMdd}-{NNNN} counting from 5000 within
each agency's day, and the code counters are advanced past them, so real
submissions never collide. For measuring reports (docs/PERFORMANCE.md);
never on a production database. Needs DATABASE_URL.
`

// wantsSeedDossiers reports whether seed's arguments ask for dossiers.
func wantsSeedDossiers(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		return a == "--dossiers" || a == "-dossiers" || strings.HasPrefix(a, "--dossiers=")
	})
}

// parseSeedDossiers reads --dossiers N [--years Y] [--seed S] (also
// --flag=value).
func parseSeedDossiers(args []string) (store.SeedOptions, error) {
	opts := store.SeedOptions{Years: 2, Seed: 1}
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			return opts, fmt.Errorf("seed: unexpected argument %q\n\n%s", args[i], seedDossiersUsage)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return opts, fmt.Errorf("seed: --%s needs a value\n\n%s", name, seedDossiersUsage)
			}
			i++
			value = args[i]
		}
		if seen[name] {
			return opts, fmt.Errorf("seed: --%s given twice", name)
		}
		seen[name] = true
		n, err := strconv.ParseUint(value, 10, 63)
		switch name {
		case "dossiers":
			if err != nil || n < 1 || n > 100_000_000 {
				return opts, fmt.Errorf("seed: --dossiers must be a number from 1 to 100000000, not %q", value)
			}
			opts.N = int(n)
		case "years":
			if err != nil || n < 1 || n > 20 {
				return opts, fmt.Errorf("seed: --years must be a number from 1 to 20, not %q", value)
			}
			opts.Years = int(n)
		case "seed":
			if err != nil {
				return opts, fmt.Errorf("seed: --seed must be a non-negative number, not %q", value)
			}
			opts.Seed = n
		default:
			return opts, fmt.Errorf("seed: unknown flag --%s with --dossiers\n\n%s", name, seedDossiersUsage)
		}
	}
	if opts.N == 0 {
		return opts, fmt.Errorf("seed: --dossiers is required\n\n%s", seedDossiersUsage)
	}
	return opts, nil
}

func runSeedDossiers(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	opts, err := parseSeedDossiers(args)
	if err != nil {
		return err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	n, err := db.SeedDossiers(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d dossiers over %d years (seed %d) in %s\n", n, opts.Years, opts.Seed,
		time.Since(start).Round(time.Millisecond))
	return nil
}
