package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/store"
)

// runReports is `motcua reports snapshot [-rebuild-from DATE]`: build the
// report snapshots of every closed day now (the API's job does it every
// ReportSnapshotInterval; this is the backfill after an upgrade, or a
// rebuild), optionally dropping the days from DATE on first
// (docs/OPERATIONS.md, "Report snapshots").
func runReports(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	const usage = "usage: motcua reports snapshot [-rebuild-from YYYY-MM-DD | -rebuild-all]"
	if len(args) == 0 || args[0] != "snapshot" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("reports snapshot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("rebuild-from", "", "drop the snapshots of this local day (YYYY-MM-DD) and every later day first")
	all := fs.Bool("rebuild-all", false, "drop every snapshot first")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New(usage)
	}
	var drop time.Time
	if *from != "" {
		d, err := time.Parse(time.DateOnly, *from)
		if err != nil {
			return fmt.Errorf("-rebuild-from %q: want a date like 2026-03-01", *from)
		}
		drop = store.LocalDay(d.Year(), d.Month(), d.Day())
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if *all || !drop.IsZero() {
		if err := db.DropReportSnapshots(ctx, drop); err != nil {
			return err
		}
	}
	now := clock.Clock{Offset: cfg.ClockOffset}.Now()
	start := time.Now()
	days, err := db.BuildReportSnapshots(ctx, now.Add(-store.ReportSnapshotGrace))
	if err != nil {
		return err
	}
	st, err := db.ReportSnapshots(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reports snapshot: %d day(s) built in %s", days, time.Since(start).Round(time.Millisecond))
	if st.Through.IsZero() {
		fmt.Fprintln(stdout, "; no snapshot (no dossier received before the last closed day, or another process is building)")
		return nil
	}
	fmt.Fprintf(stdout, "; snapshots hold %s to %s\n", st.Since.Format(time.DateOnly), st.Through.AddDate(0, 0, -1).Format(time.DateOnly))
	return nil
}
