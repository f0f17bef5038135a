// Command motcua is the single binary of motcua: the HTTP API, the Temporal
// worker, database migrations, data import, and the development simulators.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/internal/telemetry"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/pickupwatch"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "motcua:", err)
		os.Exit(1)
	}
}

const usage = `motcua — one-stop administrative dossiers on Temporal

Usage: motcua COMMAND [ARGS]

Commands:
  api        serve the HTTP API (MOTCUA_HTTP_ADDR)
  worker     run the Temporal worker for dossier workflows and activities
  migrate    apply the database migrations
  seed       load the procedure catalog and the holiday table
             (default: the copies built into the binary; or
             seed --catalog FILE --holidays FILE);
             seed --dossiers N [--years 2] [--seed 1] writes N realistic
             dossiers straight into the read model, for measuring queries
  sim        serve the simulated payment gateway and postal service
             (development only; MOTCUA_SIM_ADDR)
  calendar   working time and the holiday table:
             calendar add FROM DURATION (2026-02-13T10:00:00+07:00 3wd),
             calendar check YEAR, calendar propose YEAR,
             calendar import FILE (stores a holidays YAML; DATABASE_URL)
  catalog    catalog import FILE: agencies and procedures (a new version
             only for a procedure whose content changed; DATABASE_URL)
  reconcile  compare the read model with the workflows, and (with
             MOTCUA_PORTAL_URL) our status sequences with what the national
             portal holds; fails on any difference (DATABASE_URL, TEMPORAL_ADDRESS)
  loadgen    drive simulated dossiers over HTTP and report (loadgen -h)
  chaos-check  after a chaos run (make chaos): wait for the dossiers,
             then fail if any was lost or duplicated (chaos-check -h)
  token      token --role ROLE [--agency CODE] [--sub NAME] [--ttl 8h]:
             print a development token (MOTCUA_JWT_SECRET)
  healthcheck
             exit 0 when /healthz of the API or the worker answers 200
             (the container health check; or healthcheck URL)
  proxy      round-robin reverse proxy in front of several API instances
             (development: make prod-local; proxy -listen ADDR URL...)
  bench      the engine ceiling: no-op workflows shaped like a dossier
             (bench -h; TEMPORAL_ADDRESS); make bench compares it with loadgen
  documents  documents keys: stored files by the payload key they are
             sealed with; documents rekey: re-encrypt them with the active
             key (after a rotation; DATABASE_URL, MOTCUA_PAYLOAD_KEYS)
  reports    reports snapshot [-rebuild-from DATE | -rebuild-all]: build the
             report snapshots of every closed day now (the API does it
             every 15 minutes; DATABASE_URL)
  version    the module version, commit and build time of this binary
  help       show this help

Configuration is read from the environment: ` + "DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,\nMOTCUA_* (see the README).\n"

// run is the whole program, with its dependencies passed in so tests can
// call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	if args[0] == "version" || args[0] == "--version" {
		return runVersion(stdout) // needs no configuration
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "api":
		return runAPI(ctx, cfg, log)
	case "worker":
		return runWorker(ctx, cfg, log)
	case "migrate":
		// As the schema's owner: the API and the worker connect as the
		// application role, which may not alter tables.
		if cfg.MigrateDatabaseURL != "" {
			return store.Migrate(ctx, cfg.MigrateDatabaseURL, log)
		}
		if err := cfg.RequireDatabase(); err != nil {
			return err
		}
		return store.Migrate(ctx, cfg.DatabaseURL, log)
	case "seed":
		if wantsSeedDossiers(args[1:]) {
			return runSeedDossiers(ctx, cfg, args[1:], stdout)
		}
		return runSeed(ctx, cfg, log, args[1:], stdout)
	case "sim":
		return runSim(ctx, cfg, log)
	case "reconcile":
		return runReconcile(ctx, cfg, log, stdout)
	case "catalog":
		return runCatalog(ctx, cfg, args[1:], stdout)
	case "calendar":
		return runCalendar(ctx, cfg, log, args[1:], stdout)
	case "loadgen":
		return runLoadgen(ctx, cfg, log, args[1:], stdout, stderr)
	case "token":
		return runToken(cfg, args[1:], stdout, stderr)
	case "proxy":
		return runProxy(ctx, cfg, log, args[1:], stderr)
	case "healthcheck":
		return runHealthcheck(ctx, cfg, args[1:], stdout)
	case "bench":
		return runBench(ctx, cfg, log, args[1:], stdout, stderr)
	case "chaos-check":
		return runChaosCheck(ctx, cfg, log, args[1:], stdout, stderr)
	case "documents":
		return runDocuments(ctx, cfg, log, args[1:], stdout)
	case "reports":
		return runReports(ctx, cfg, args[1:], stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// temporalOptions are the client options every command uses: with the
// payload codec, so that no command ever writes personal data to Temporal
// in plain text; tel (nil: none) adds the SDK's metrics and the tracing
// interceptor. The codec is returned too, for the API's codec endpoint.
func temporalOptions(cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (client.Options, *codec.Codec, error) {
	pc, err := codec.FromConfig(cfg, log)
	if err != nil {
		return client.Options{}, nil, err
	}
	// Address, namespace, TLS, mutual TLS and API key: the SDK's
	// environment configuration (profiles and TEMPORAL_* variables, as the
	// Temporal CLI reads them), over config's address and namespace.
	opts, conn := cfg.Temporal, cfg.TemporalConnection
	if cfg.Environment == "production" && !conn.Secured() && !conn.Loopback() {
		log.Warn("the Temporal connection presents no client certificate and no API key: whoever reaches the frontend can "+
			"signal dossiers' workflows; set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH or TEMPORAL_API_KEY (docs/OPERATIONS.md)",
			"address", conn.Address, "tls", conn.TLS)
	}
	opts.Logger = tlog.NewStructuredLogger(log.With("component", "temporal"))
	opts.DataConverter = pc.DataConverter()
	// Failure messages and stack traces encrypted too (codec.FailureConverter).
	opts.FailureConverter = pc.FailureConverter()
	// The SDK compresses with gzip by default (config.TemporalCompression).
	if cfg.TemporalCompression == "none" {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if tel != nil {
		opts.MetricsHandler = tel.TemporalMetrics
		opts.Interceptors = tel.Interceptors
	}
	return opts, pc, nil
}

func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (client.Client, error) {
	opts, _, err := temporalOptions(cfg, log, tel)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// connect opens the application's database and dials Temporal: what the
// api, worker and reconcile commands all need.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, tel *telemetry.Telemetry) (*store.Store, client.Client, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	tc, err := dialTemporal(ctx, cfg, log, tel)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, tc, nil
}

// startTelemetry sets up metrics and (with OTEL_EXPORTER_OTLP_ENDPOINT)
// tracing; the returned stop flushes spans on the way out.
func startTelemetry(ctx context.Context, cfg config.Config, log *slog.Logger, service string) (*telemetry.Telemetry, func(), error) {
	tel, err := telemetry.New(ctx, telemetry.Options{Service: service, OTLPEndpoint: cfg.OTLPEndpoint, Log: log})
	if err != nil {
		return nil, nil, err
	}
	if tel.Tracing {
		log.Info("tracing on", "otlp_endpoint", cfg.OTLPEndpoint, "service", service)
	}
	return tel, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}, nil
}

// webhookSecrets are the callback secrets, saying loudly when development
// defaults stand in for them.
func webhookSecrets(cfg config.Config, log *slog.Logger) (config.WebhookSecrets, error) {
	ws, err := cfg.WebhookSecrets()
	if err != nil {
		return ws, err
	}
	for _, name := range ws.Defaulted {
		log.Warn("callbacks are signed with the development default secret (set it for anything but local development)", "variable", name)
	}
	return ws, nil
}

func runAPI(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	ws, err := webhookSecrets(cfg, log)
	if err != nil {
		return err
	}
	startPprof(ctx, cfg, log, "api")
	v, err := verifier(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	tel, stopTel, err := startTelemetry(ctx, cfg, log, "motcua-api")
	if err != nil {
		return err
	}
	defer stopTel()
	// The API starts and stays up while PostgreSQL or Temporal is down:
	// it answers 503 with Retry-After until they are back (readyz says
	// which), so a restart of either needs no restart of the API.
	db, err := store.OpenLazy(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	topts, pc, err := temporalOptions(cfg, log, tel)
	if err != nil {
		return err
	}
	tc, err := client.NewLazyClient(topts)
	if err != nil {
		return fmt.Errorf("temporal client for %s: %w", topts.HostPort, err)
	}
	defer tc.Close()
	codecHandler := newCodecHandler(pc, cfg, v, log)
	docs, err := newDocuments(ctx, cfg, db, pc, time.Now, log)
	if err != nil {
		return err
	}
	// Uploads never attached to a dossier are removed by the API (every
	// replica may: each upload is removed once).
	go docs.RunCleanup(ctx, cleanupInterval(cfg.UploadRetention))
	keys, err := signingKeys(ctx, cfg, db, log)
	if err != nil {
		return fmt.Errorf("signing certificates: %w", err)
	}
	proxies, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return err
	}
	features, err := workflowFeatures(cfg)
	if err != nil {
		return err
	}
	server := api.New(api.Options{TrustedProxies: proxies, Store: db, Temporal: tc, Log: log, Verifier: v, Codec: codecHandler, Documents: docs, PublicURL: cfg.PublicURL,
		Signing:              keys,
		PaymentWebhookSecret: ws.Payment, PostalWebhookSecret: ws.Postal, NotifyReceiptSecret: cfg.ReceiptSecret(),
		SubmitRatePerMinute: cfg.SubmitRatePerMinute, LookupRatePerMinute: cfg.LookupRatePerMinute, SharedRateLimits: true,
		// One /metrics: the HTTP histograms beside the Temporal client's.
		Metrics: tel.Registry, Clock: clock.Clock{Offset: cfg.ClockOffset}, PortalLagAfter: cfg.PortalLagAfter,
		SimulationSpeed: cfg.SimulationSpeed, Calendars: calendarCache(cfg), WorkflowFeatures: features})
	if cfg.ClockOffset != 0 {
		log.Warn("business time is shifted from the wall clock (development only)",
			"offset", cfg.ClockOffset, "now", clock.Clock{Offset: cfg.ClockOffset}.Now().Format(time.RFC3339))
	}
	go server.Watch(ctx, 2*time.Second)
	// The snapshots of closed days reports read (every replica may run
	// the job: one builds, the others skip).
	go db.RunReportSnapshots(ctx, clock.Clock{Offset: cfg.ClockOffset}.Now, store.ReportSnapshotInterval, log)
	handler, err := withConsole(ctx, cfg, log, server.Handler(), v, db, pc)
	if err != nil {
		return err
	}
	if cfg.AdminAddr != "" {
		stopAdmin, err := serveAside(cfg, "MOTCUA_ADMIN_ADDR", cfg.AdminAddr, server.AdminHandler(), log)
		if err != nil {
			return err
		}
		defer stopAdmin()
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           tel.HTTP(handler, "motcua-api"),
		ReadHeaderTimeout: 10 * time.Second,
		// Long enough for a document of the size limit (20 MiB) over a
		// slow link, both ways.
		ReadTimeout:  2 * time.Minute,
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
	}
	return serve(ctx, srv, cfg.ShutdownTimeout, log, "api")
}

// serveAside starts a side listener (the API's admin one, the worker's
// metrics one) on addr, named by its variable in errors. It is bound before
// the main work starts, so a taken port fails the start rather than
// leaving a process nobody can scrape; the returned stop ends it last, so
// the last scrape sees the drain.
func serveAside(cfg config.Config, variable, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", variable, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics listening", "variable", variable, "addr", ln.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// serve runs srv until ctx ends, then stops accepting and lets in-flight
// requests finish within the timeout.
func serve(ctx context.Context, srv *http.Server, timeout time.Duration, log *slog.Logger, name string) error {
	errc := make(chan error, 1)
	go func() {
		log.Info(name+" listening", "addr", srv.Addr)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info(name + " shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	startPprof(ctx, cfg, log, "worker")
	tel, stopTel, err := startTelemetry(ctx, cfg, log, "motcua-worker")
	if err != nil {
		return err
	}
	defer stopTel()
	db, tc, err := connect(ctx, cfg, log, tel)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()
	fatal := newFatalWatch()
	if cfg.WorkerMetricsAddr != "" {
		// /metrics for Prometheus, /healthz for a liveness probe: the
		// worker has no other listener.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", tel.Handler())
		mux.HandleFunc("GET /healthz", fatal.healthz)
		stopMetrics, err := serveAside(cfg, "MOTCUA_WORKER_METRICS_ADDR", cfg.WorkerMetricsAddr, mux, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	httpClient := &http.Client{Timeout: 20 * time.Second}
	// On SIGTERM the worker stops polling and gives running activities
	// (a payment request, a shipment) up to MOTCUA_SHUTDOWN_TIMEOUT to end.
	w := worker.NewWith(tc, workflows.TaskQueue, &activities.Activities{
		Store:           db,
		Payments:        payment.New(cfg.PaymentURL, httpClient),
		Postal:          postal.New(cfg.PostalURL, httpClient),
		PublicURL:       cfg.PublicURL,
		Log:             log,
		SimulationSpeed: cfg.SimulationSpeed,
		Calendars:       calendarCache(cfg),
	}, workerOptions(cfg, fatal))
	if cfg.SimulationSpeed > 0 {
		log.Warn("business time is simulated: deadlines run fast", "speed", cfg.SimulationSpeed)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	// The notification outbox is drained by every worker (rows are claimed
	// with a lease, so each message goes out once; retries back off for a
	// day, then dead-letter). Development sends to the log.
	dispatched := make(chan struct{})
	notifyMetrics := notify.NewMetrics(tel.Registry, db, nil)
	// Ended on the way out, SIGTERM or a fatal error of the worker.
	dctx, stopDispatch := context.WithCancel(ctx)
	go func() {
		defer close(dispatched)
		var notifier notify.Notifier = notify.LogNotifier{Log: log, WithText: cfg.Environment == "development"}
		if cfg.NotifyURL != "" {
			notifier = notify.HTTPNotifier{URL: cfg.NotifyURL, Client: httpClient}
		}
		if chans := applicantChannels(cfg, httpClient); len(chans) > 0 {
			// Applicants through their channels; staff as before.
			notifier = notify.Applicants{Store: db, Channels: chans, Staff: notifier}
		}
		(&notify.Dispatcher{Store: db, Notifier: notifier, Log: log, Metrics: notifyMetrics}).Run(dctx)
	}()
	defer func() { stopDispatch(); <-dispatched }()
	stopPortal := startPortalSync(dctx, cfg, db, tel.Registry, log)
	defer func() { stopDispatch(); stopPortal() }()
	// The pickup watch warns the intake desk about shipments the postal
	// service accepted and has not picked up in time (rules, data/rules.yaml).
	ruleSet, err := rules.Parse(data.Rules)
	if err != nil {
		return fmt.Errorf("the rules built into the binary: %w", err)
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watch := &pickupwatch.Watch{Store: db, Temporal: tc, Rules: ruleSet, Log: log,
			Now: clock.Clock{Offset: cfg.ClockOffset}.Now}
		if cfg.SimulationSpeed > 0 {
			watch.Calendar = func(context.Context, string) (activities.WorkingTime, error) {
				return activities.Simulated{Speed: cfg.SimulationSpeed}, nil
			}
		}
		watch.Run(dctx)
	}()
	defer func() { stopDispatch(); <-watched }()
	log.Info("worker started", "task_queue", workflows.TaskQueue, "namespace", cfg.TemporalNamespace)
	return waitWorker(ctx, w, fatal, log)
}

// workflowFeatures: the level MOTCUA_WORKFLOW_FEATURES names, -1 the
// highest this build knows (nil).
func workflowFeatures(cfg config.Config) (func() int, error) {
	n := cfg.WorkflowFeatures
	switch {
	case n < 0:
		return nil, nil
	case n > workflows.FeaturesMax:
		return nil, fmt.Errorf("config: MOTCUA_WORKFLOW_FEATURES=%d: this build knows workflow features up to %d", n, workflows.FeaturesMax)
	}
	return func() int { return n }, nil
}

// workerOptions are the SDK worker's options: a fatal error is reported
// to fatal, which ends the process (waitWorker).
func workerOptions(cfg config.Config, fatal *fatalWatch) sdkworker.Options {
	// The SDK's default: 1000 workflow tasks at once.
	maxTasks := 0
	if cfg.WorkerCacheSize > 0 {
		// Process-wide in the SDK, and read when the first worker starts.
		sdkworker.SetStickyWorkflowCacheSize(cfg.WorkerCacheSize)
		// A workflow is pinned in the cache while its task runs (local
		// activities included); a cache full of pinned workflows fails
		// the next task (ErrCacheFull), which a deadline storm could
		// reach with the SDK's 1000 tasks at once and a cache of 1000.
		maxTasks = max(cfg.WorkerCacheSize/2, 2)
	}
	return sdkworker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: maxTasks,
		WorkerStopTimeout:                      cfg.ShutdownTimeout,
		// Pollers scale with the server's backlog hints instead of the
		// SDK's fixed 2: a burst of new dossiers' first workflow tasks
		// waited seconds in the normal task queue with 2 pollers
		// (docs/PERFORMANCE.md, run 5: intake p50 4.3–5.4 s → 1.1 s,
		// throughput +20%, same machine, back to back).
		WorkflowTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{}),
		OnFatalError:               fatal.report,
	}
}

// waitWorker runs until SIGTERM (ctx) or a fatal error of the worker; the
// latter is returned, so the process exits non-zero and its supervisor
// (Kubernetes, systemd, make dev) restarts or reports it.
func waitWorker(ctx context.Context, w interface{ Stop() }, fatal *fatalWatch, log *slog.Logger) error {
	select {
	case <-ctx.Done():
	case <-fatal.done:
		log.Error("worker stopped on a fatal error; exiting", "error", fatal.Err())
	}
	log.Info("worker stopping")
	w.Stop()
	if err := fatal.Err(); err != nil {
		return fmt.Errorf("worker: fatal error: %w", err)
	}
	return nil
}

// applicantChannels are the channel adapters configured (none: applicant
// notices go where staff notices go).
func applicantChannels(cfg config.Config, hc *http.Client) []notify.Channel {
	var out []notify.Channel
	if cfg.ZaloURL != "" {
		out = append(out, notify.Zalo{URL: cfg.ZaloURL, AccessToken: cfg.ZaloAccessToken,
			Templates: cfg.ZaloTemplates, Client: hc})
	}
	if cfg.SMSURL != "" {
		out = append(out, notify.SMS{URL: cfg.SMSURL, APIKey: cfg.SMSAPIKey, Brandname: cfg.SMSBrandname, Client: hc})
	}
	if cfg.SMTPAddr != "" {
		out = append(out, notify.Email{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom})
	}
	return out
}

func runSeed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	catalogData, holidayData := data.Procedures, data.Holidays
	for i := 0; i < len(args); i++ {
		flag := args[i]
		if i+1 >= len(args) {
			return fmt.Errorf("seed: %s needs a file", flag)
		}
		b, err := os.ReadFile(args[i+1])
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		switch strings.TrimLeft(flag, "-") {
		case "catalog":
			catalogData = b
		case "holidays":
			holidayData = b
		default:
			return fmt.Errorf("seed: unknown flag %s (use --catalog FILE, --holidays FILE)", flag)
		}
		i++
	}
	cat, err := catalog.Parse(catalogData)
	if err != nil {
		return err
	}
	table, err := calendar.ParseHolidays(holidayData)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	added, err := db.ImportCatalog(ctx, cat)
	if err != nil {
		return err
	}
	if err := db.ImportHolidays(ctx, table); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d agencies, %d procedures (%d new versions), holidays for %d years\n",
		len(cat.Agencies), len(cat.Procedures), added, len(table.Years()))
	return nil
}

func runSim(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	ws, err := webhookSecrets(cfg, log)
	if err != nil {
		return err
	}
	httpClient := &http.Client{Timeout: 10 * time.Second}
	pay := sim.NewPaymentGateway(sim.PaymentOptions{Logger: log, HTTPClient: httpClient, AutoPayAfter: cfg.SimAutoPayAfter,
		WebhookSecret: ws.Payment, Clock: clock.Clock{Offset: cfg.ClockOffset}})
	post := sim.NewPostalService(sim.PostalOptions{Logger: log, HTTPClient: httpClient, AutoDeliverAfter: cfg.SimAutoDeliverAfter,
		WebhookSecret: ws.Postal, Clock: clock.Clock{Offset: cfg.ClockOffset}})
	defer pay.Close()
	defer post.Close()
	// The remote-signing stand-in holds a key for every agency of the
	// catalog built into the binary.
	cat, err := catalog.Parse(data.Procedures)
	if err != nil {
		return err
	}
	agencies := map[string]string{}
	for _, a := range cat.Agencies {
		agencies[a.Code] = a.Name
	}
	signer, err := sim.NewSigningService(agencies)
	if err != nil {
		return err
	}
	// The applicant channels: SMS and Zalo over HTTP, receipts to the
	// API's callback a few seconds later; one request in 20 times out, as
	// real providers do; e-mail on a real SMTP listener.
	co := sim.ChannelOptions{ReceiptURL: cfg.PublicURL + "/v1/notifications/receipts", ReceiptSecret: cfg.ReceiptSecret(),
		ReceiptDelay: 3 * time.Second, TimeoutRate: 0.05, Log: log}
	sms, zalo, mail := sim.NewSMSProvider(cfg.SMSAPIKey, co), sim.NewZaloOA(cfg.ZaloAccessToken, co), sim.NewMailServerWith(co)
	defer sms.Close()
	defer zalo.Close()
	if cfg.SimSMTPAddr != "" {
		smtpLn, err := net.Listen("tcp", cfg.SimSMTPAddr)
		if err != nil {
			return fmt.Errorf("simulated SMTP listener (MOTCUA_SIM_SMTP_ADDR): %w", err)
		}
		go func() { _ = mail.Serve(smtpLn) }()
		defer mail.Close()
		log.Info("simulated SMTP listening", "addr", smtpLn.Addr().String())
	}
	handler := sim.NewHandler(pay, post, sim.Mount{Path: "/messages", Handler: sim.NewMessages()},
		sim.Mount{Path: "/signing", Handler: signer}, sim.Mount{Path: "/sms", Handler: sms},
		sim.Mount{Path: "/zalo", Handler: zalo}, sim.Mount{Path: "/mail", Handler: mail},
		sim.Mount{Path: "/portal", Handler: simPortal(cfg, log)})
	srv := &http.Server{Addr: cfg.SimAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	return serve(ctx, srv, cfg.ShutdownTimeout, log, "simulators")
}

// parseFlags parses a subcommand's flags (fs is named after it): help is
// true after -h (the usage was printed; nothing more to do), err says
// what is wrong with a bad flag or a stray argument.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return false, nil
}

// calendarCache is the calendar cache of MOTCUA_CALENDAR_CACHE_TTL (nil
// when 0: every schedule reads the calendar).
func calendarCache(cfg config.Config) *activities.CalendarCache {
	if cfg.CalendarCacheTTL <= 0 {
		return nil
	}
	return &activities.CalendarCache{TTL: cfg.CalendarCacheTTL}
}
