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
	"github.com/motcua/motcua/bench/dashboard"
	"github.com/motcua/motcua/bench/storm"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/deploy/grafana"
	"github.com/motcua/motcua/loadgen"
	"github.com/motcua/motcua/rules"
)

// runBench measures the engine ceiling: no-op workflows shaped like a
// happy-path dossier, driven like the load generator drives dossiers, on a
// task queue of their own, against TEMPORAL_ADDRESS.
func runBench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compare" {
		return runBenchCompare(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "storm" {
		return runBenchStorm(ctx, cfg, log, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "growth" {
		return runBenchGrowth(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "dashboard" {
		return runBenchDashboard(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	variants := fs.String("variants", "naive,local", "which shapes, comma-separated: naive (8 activities, 5 signals), local (8 local activities, 5 updates)")
	n := fs.Int("workflows", 200, "workflows per variant")
	conc := fs.Int("concurrency", 50, "workflows in flight at a time")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on one workflow")
	jsonFile := fs.String("json", "", "also write the results as JSON to this file")
	serverPID := fs.Int("server-pid", 0, "PID of the Temporal server, when on this machine, for its CPU time per workflow")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	var results []ceiling.Result
	for _, v := range strings.Split(*variants, ",") {
		r, err := ceiling.Run(ctx, tc, ceiling.Options{Variant: strings.TrimSpace(v), Workflows: *n,
			Concurrency: *conc, Timeout: *timeout, ServerPID: *serverPID}, stdout)
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

// runBenchCompare prints the ceiling and our dossiers side by side:
// bench compare [--server TEXT] CEILING.json LOADGEN.json [LOADGEN-RATE.json].
func runBenchCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "the server measured, for the heading")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 || fs.NArg() > 3 {
		return errors.New("bench compare: want CEILING.json LOADGEN.json [LOADGEN-RATE.json]")
	}
	var ceil []ceiling.Result
	if err := readJSON(fs.Arg(0), &ceil); err != nil {
		return fmt.Errorf("bench compare: %w", err)
	}
	var ours loadgen.Report
	if err := readJSON(fs.Arg(1), &ours); err != nil {
		return fmt.Errorf("bench compare: %w", err)
	}
	var rate *loadgen.Report
	if fs.NArg() == 3 {
		rate = &loadgen.Report{}
		if err := readJSON(fs.Arg(2), rate); err != nil {
			return fmt.Errorf("bench compare: %w", err)
		}
	}
	writeComparison(stdout, *server, ceil, ours, rate)
	return nil
}

// readJSON decodes the JSON report at path into v.
func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err // names the path
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeComparison is the summary of `make bench`.
func writeComparison(w io.Writer, server string, ceil []ceiling.Result, ours loadgen.Report, rate *loadgen.Report) {
	fmt.Fprintf(w, "make bench summary")
	if server != "" {
		fmt.Fprintf(w, " (%s)", server)
	}
	fmt.Fprintln(w)
	for _, c := range ceil {
		fmt.Fprintf(w, "  ceiling %-5s  %7.2f workflows/s  (%d workflows, %d at a time)\n", c.Variant, c.PerSecond, c.Completed, c.Concurrency)
	}
	fmt.Fprintf(w, "  our dossiers   %7.2f dossiers/s   (%d finished, %d failed, mix %s)\n", ours.PerSecond, ours.Finished, ours.Failed, ours.Mix)
	for _, c := range ceil {
		if c.PerSecond > 0 {
			fmt.Fprintf(w, "  ours / %-5s   %7.2f\n", c.Variant, ours.PerSecond/c.PerSecond)
		}
	}
	// The engine's CPU per workflow: the price of each shape on the server,
	// steadier than throughput on a shared machine.
	if ours.ServerCPUSeconds > 0 && ours.Finished > 0 {
		fmt.Fprintln(w, "  Temporal server CPU per workflow:")
		for _, c := range ceil {
			if c.ServerCPUSeconds > 0 && c.Completed > 0 {
				fmt.Fprintf(w, "    ceiling %-5s  %6.1f ms\n", c.Variant, 1000*c.ServerCPUSeconds/float64(c.Completed))
			}
		}
		fmt.Fprintf(w, "    our dossier    %6.1f ms\n", 1000*ours.ServerCPUSeconds/float64(ours.Finished))
	}
	if h := ours.History; h != nil {
		fmt.Fprintf(w, "  history events per dossier: min %d, median %d, max %d\n", h.Min, h.Median, h.Max)
	}
	for _, m := range ours.Memory {
		fmt.Fprintf(w, "  peak memory of %s: %.1f MiB\n", m.Name, m.PeakMB)
	}
	if rate != nil {
		fmt.Fprintf(w, "  latency at %.1f dossiers/s offered (%d finished, %d failed):\n", rate.OfferedRate, rate.Finished, rate.Failed)
		for _, e := range rate.Endpoints {
			fmt.Fprintf(w, "    %-55s p50 %7.1f  p99 %7.1f  max %7.1f ms\n", e.Endpoint, e.P50, e.P99, e.Max)
		}
	}
}

// runBenchStorm seeds the deadline storm (package bench/storm) into the
// system at DATABASE_URL and TEMPORAL_ADDRESS and waits for it to drain.
func runBenchStorm(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench storm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("dossiers", 1000, "open dossiers whose intake is warned and due together")
	conc := fs.Int("concurrency", 16, "dossiers seeded at a time")
	lead := fs.Duration("lead", 0, "from the start to the warnings (0: 30s + 25ms per dossier)")
	timeout := fs.Duration("timeout", 15*time.Minute, "bound on the wait for the drain")
	jsonFile := fs.String("json", "", "also write the result as JSON to this file")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	db, tc, err := connect(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()
	rs, err := rules.Parse(data.Rules)
	if err != nil {
		return err
	}
	res, err := storm.Run(ctx, storm.Options{Store: db, Temporal: tc, Dossiers: *n, Concurrency: *conc,
		Rules: rs.At(time.Now()), Lead: *lead, Timeout: *timeout}, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, stormSummary(res))
	if *jsonFile != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonFile, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench storm: %w", err)
		}
	}
	if res.OverdueDrainSeconds < 0 {
		return errors.New("bench storm: the storm did not drain within the timeout")
	}
	return nil
}

// runBenchGrowth prints the growth table of `make bench`: one happy-path
// run per number of dossiers left open, side by side.
// bench growth OPEN=LOADGEN.json ...
func runBenchGrowth(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: motcua bench growth OPEN=LOADGEN.json ...")
		return errors.New("bench growth: no runs named")
	}
	fmt.Fprintln(stdout, "growth: happy-path dossiers with N others open, waiting for review")
	fmt.Fprintf(stdout, "%10s %10s %8s %12s %14s %12s %12s %18s\n", "open", "dossiers", "failed", "dossiers/s",
		"submit p99 ms", "decide p99 ms", "worker MiB", "engine CPU/dossier")
	for _, a := range args {
		open, file, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("bench growth: %q is not OPEN=FILE", a)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("bench growth: %w", err)
		}
		var r loadgen.Report
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("bench growth: %s: %w", file, err)
		}
		var submit, decide float64
		for _, e := range r.Endpoints {
			switch e.Endpoint {
			case "POST /v1/dossiers":
				submit = e.P99
			case "POST /v1/dossiers/{code}/intake", "POST /v1/dossiers/{code}/review", "POST /v1/dossiers/{code}/approval":
				decide = max(decide, e.P99)
			}
		}
		worker := "-"
		for _, m := range r.Memory {
			if m.Name == "worker" && m.Error == "" {
				worker = fmt.Sprintf("%.1f", m.RSSMB)
			}
		}
		cpu := "-"
		if r.ServerCPUSeconds > 0 && r.Finished > 0 {
			cpu = fmt.Sprintf("%.1f ms", r.ServerCPUSeconds*1000/float64(r.Finished))
		}
		fmt.Fprintf(stdout, "%10s %10d %8d %12.2f %14.1f %12.1f %12s %18s\n", open, r.Finished, r.Failed, r.PerSecond,
			submit, decide, worker, cpu)
	}
	return nil
}

// runBenchDashboard prints what each panel of the Grafana dashboard (and
// each alert of docs/OPERATIONS.md) would show over a whole run, from the
// /metrics of the API (admin listener) and of the worker:
// bench dashboard [--before JOB=URL-OR-FILE ...] JOB=URL-OR-FILE ...
// JOB is the dashboard's job variable without _job (api, worker).
func runBenchDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("dashboard", "", "the dashboard JSON (default: deploy/grafana/motcua-dashboard.json, built in)")
	top := fs.Int("top", 10, "series shown per query at most, the busiest first")
	var before []string
	fs.Func("before", "JOB=URL-OR-FILE scraped when the run began: counters and histograms count from it (repeatable)", func(v string) error {
		before = append(before, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: motcua bench dashboard [--before api=FILE] api=URL-OR-FILE worker=URL-OR-FILE")
		return errors.New("bench dashboard: no /metrics named")
	}
	raw := grafana.Dashboard
	if *file != "" {
		var err error
		if raw, err = os.ReadFile(*file); err != nil {
			return fmt.Errorf("bench dashboard: %w", err)
		}
	}
	d, err := dashboard.ParseDashboard(raw)
	if err != nil {
		return fmt.Errorf("bench dashboard: %w", err)
	}
	load := func(specs []string) (dashboard.Scrape, error) {
		var all dashboard.Scrape
		for _, a := range specs {
			job, src, ok := strings.Cut(a, "=")
			if !ok || job == "" || src == "" {
				return all, fmt.Errorf("bench dashboard: %q is not JOB=URL-OR-FILE", a)
			}
			s, err := dashboard.Load(ctx, job, src)
			if err != nil {
				return all, fmt.Errorf("bench dashboard: %w", err)
			}
			all = all.Add(s)
		}
		return all, nil
	}
	end, err := load(fs.Args())
	if err != nil {
		return err
	}
	if len(before) > 0 {
		start, err := load(before)
		if err != nil {
			return err
		}
		end = end.Since(start)
	}
	dashboard.Write(stdout, d, end, dashboard.Options{Top: *top})
	return nil
}

// stormSummary is the storm's one-line verdict (scripts/bench.sh keeps the
// last line): how long after the due time every escalation was on the
// control sheet, and how many warnings were. A warning reached after the
// due time is not sent (the dossier is escalated instead), so fewer
// warnings than dossiers is the drain rate showing, not a loss; all of
// them, with the time they took, when the drain kept ahead of the due time.
func stormSummary(res storm.Result) string {
	esc := fmt.Sprintf("every escalation on the control sheet %.1f s after the due time", res.OverdueDrainSeconds)
	if res.OverdueDrainSeconds < 0 {
		esc = fmt.Sprintf("NOT DRAINED: %d of %d escalations on the control sheet when the wait ended", res.Escalations, res.Dossiers)
	}
	warn := fmt.Sprintf("all %d warnings recorded %.1f s after they fell due", res.Warnings, res.WarningsDrainSeconds)
	if res.WarningsDrainSeconds < 0 {
		warn = fmt.Sprintf("%d warnings recorded (the other %d dossiers were reached after the due time and escalated instead)",
			res.Warnings, res.Dossiers-res.Warnings)
	}
	return fmt.Sprintf("storm: %d dossiers; %s; %s; %d notices queued", res.Dossiers, esc, warn, res.Notices)
}
