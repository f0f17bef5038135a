// Package api is motcua's HTTP API (v1): portals submit dossiers, staff send
// their decisions, the payment gateway and the postal service call back.
// Reads come from the PostgreSQL read model; actions go to the dossier's
// workflow as Temporal updates.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/signing"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Server serves the API.
type Server struct {
	// areas are the administrative areas postal service is suspended by.
	areas    *catalog.Areas
	store    *store.Store
	temporal client.Client
	log      *slog.Logger
	metrics  *metrics
	// updateTimeout bounds how long an action waits for its workflow.
	updateTimeout time.Duration
	taskQueue     string
	rules         *rules.Set
	verifier      auth.Verifier
	procs         procedureCache
	health        health
	codec         http.Handler
	// paymentSecret and postalSecret verify the callbacks' signatures.
	paymentSecret, postalSecret string
	// receiptSecret verifies the messaging providers' delivery receipts.
	receiptSecret          string
	submitRate, lookupRate int
	sharedRateLimits       bool
	trustedProxies         []netip.Prefix
	// clock is business time (internal/clock); its offset goes to every
	// workflow the server starts.
	clock clock.Clock
	docs  *document.Service
	// publicURL is where applicants reach /track (the receipt's QR code).
	publicURL string
	// files keeps the forms and results issued for dossiers.
	files FileStore
	// signer signs results with the agencies' certificates; nil: none.
	signer signing.Keys
	// simulationSpeed: business time runs this many times faster and the
	// calendar has no days (development; the worker's setting).
	simulationSpeed float64
	// calendars keeps the agencies' calendars for the intake deadlines
	// computed at submission (nil: read every time).
	calendars *activities.CalendarCache
	// workflowFeatures is the level new dossiers start with (Options).
	workflowFeatures func() int
	// portalLagAfter is when a status item not yet accepted by the
	// national portal counts as lagging.
	portalLagAfter time.Duration
}

// Options configure a Server.
type Options struct {
	Store    *store.Store
	Temporal client.Client
	Log      *slog.Logger
	// TaskQueue is where dossier workflows are started; default
	// workflows.TaskQueue.
	TaskQueue string
	// Rules are the processing rules by effective date; default the ones
	// built into the binary (data/rules.yaml).
	Rules *rules.Set
	// Verifier checks bearer tokens (required): auth.NewHS256 in
	// development, auth.NewOIDC in production.
	Verifier auth.Verifier
	// UpdateTimeout bounds how long an action waits for its workflow
	// (default 15 s); past it the client gets 503 and may retry with the
	// same Idempotency-Key.
	UpdateTimeout time.Duration
	// Codec is the Temporal UI's codec endpoint (codec.Handler), served at
	// /codec; nil: not served.
	Codec http.Handler
	// PaymentWebhookSecret and PostalWebhookSecret verify the X-Signature
	// of the payment gateway's and the postal service's callbacks. Empty:
	// every callback of that integration is refused (401).
	PaymentWebhookSecret string
	PostalWebhookSecret  string
	// NotifyReceiptSecret verifies the SMS and Zalo providers' delivery
	// receipts (POST /v1/notifications/receipts). Empty: refused (401).
	NotifyReceiptSecret string
	// SubmitRatePerMinute bounds submissions per client and per IP;
	// LookupRatePerMinute bounds public lookups per IP. Zero: 1200 and 30.
	SubmitRatePerMinute int
	LookupRatePerMinute int
	// SharedRateLimits counts the limits in Store (a table every API
	// process on the database writes to), so they hold across replicas;
	// `motcua api` sets it. False: this Server counts on its own, as tests
	// that run many servers on one database need.
	SharedRateLimits bool
	// TrustedProxies are the reverse proxies (ingress, load balancer)
	// whose X-Forwarded-For names the client: the rate limits and the
	// logs then see the client, not the proxy. Empty: the peer address.
	TrustedProxies []netip.Prefix
	// Metrics, when set, is the registry /metrics serves, with the Go and
	// process collectors in it already (internal/telemetry's, which also
	// holds the Temporal client's metrics); nil: a registry of the
	// server's own.
	Metrics *prometheus.Registry
	// Clock is business time: the wall clock unless development or a test
	// shifts it (internal/clock).
	Clock clock.Clock
	// Documents stores documents' files; nil: the embedded storage
	// (PostgreSQL) with the public development key and default limits,
	// for tests and tools (cmd/motcua always sets it).
	Documents *document.Service
	// PublicURL is the base URL applicants reach the tracking page at: the
	// receipt's (form 01) QR code opens PublicURL/track?code=…; default
	// http://127.0.0.1:8080.
	PublicURL string
	// Files keeps the forms and results issued for dossiers; default
	// IssuedFiles on Store and Documents.
	Files FileStore
	// Signing holds the agencies' signing keys (signing.Keystore or
	// signing.Remote); nil: results are not signed, and an approval that
	// would return a result electronically is refused (409).
	Signing signing.Keys
	// SimulationSpeed, when above 0, is the worker's MOTCUA_SIMULATION_SPEED:
	// the intake deadline the API computes at submission then uses the
	// same simulated calendar as the workflow (development only).
	SimulationSpeed float64
	// Calendars keeps the agencies' calendars between submissions (nil:
	// read from PostgreSQL for every one).
	Calendars *activities.CalendarCache
	// WorkflowFeatures gives the workflow feature level a new dossier
	// starts with (workflows.DossierInput.Features), asked at each
	// submission; nil: workflows.FeaturesMax. A rolling upgrade from a
	// release whose workers do not know the level keeps it lower until
	// every worker runs this one (MOTCUA_WORKFLOW_FEATURES).
	WorkflowFeatures func() int
	// PortalLagAfter is how long a status item may wait for the national
	// portal before GET /v1/portal-sync?status=lagging lists it (zero:
	// DefaultPortalLagAfter).
	PortalLagAfter time.Duration
}

// New returns a Server.
func New(o Options) *Server {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	queue := o.TaskQueue
	if queue == "" {
		queue = workflows.TaskQueue
	}
	rs := o.Rules
	if rs == nil {
		var err error
		if rs, err = rules.Parse(data.Rules); err != nil {
			panic("the rules built into the binary do not parse: " + err.Error())
		}
	}
	if o.Verifier == nil {
		panic("api.New: Options.Verifier is required")
	}
	timeout := o.UpdateTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	submitRate, lookupRate := o.SubmitRatePerMinute, o.LookupRatePerMinute
	if submitRate <= 0 {
		submitRate = defaultSubmissionsPerMinute
	}
	if lookupRate <= 0 {
		lookupRate = defaultLookupsPerMinute
	}
	if o.PaymentWebhookSecret == "" || o.PostalWebhookSecret == "" {
		log.Warn("a webhook secret is not configured: callbacks of that integration are refused",
			"payment", o.PaymentWebhookSecret != "", "postal", o.PostalWebhookSecret != "")
	}
	docs := o.Documents
	if docs == nil && o.Store != nil {
		docs = document.New(document.Options{Store: o.Store, Objects: document.Embedded(o.Store), Keys: codec.Development(), Log: log})
	}
	areas, err := catalog.ParseAreas(data.Areas)
	if err != nil {
		panic("the areas built into the binary do not parse: " + err.Error())
	}
	publicURL := strings.TrimRight(o.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://127.0.0.1:8080"
	}
	files := o.Files
	if files == nil {
		files = IssuedFiles{Store: o.Store, Docs: docs}
	}
	lagAfter := o.PortalLagAfter
	if lagAfter <= 0 {
		lagAfter = DefaultPortalLagAfter
	}
	features := o.WorkflowFeatures
	if features == nil {
		features = func() int { return workflows.FeaturesMax }
	}
	return &Server{portalLagAfter: lagAfter, areas: areas, docs: docs, publicURL: publicURL, files: files, signer: o.Signing, store: o.Store, temporal: o.Temporal, log: log, metrics: newMetrics(o.Metrics),
		updateTimeout: timeout, taskQueue: queue, rules: rs, verifier: o.Verifier, codec: o.Codec,
		paymentSecret: o.PaymentWebhookSecret, postalSecret: o.PostalWebhookSecret, receiptSecret: o.NotifyReceiptSecret,
		submitRate: submitRate, lookupRate: lookupRate, sharedRateLimits: o.SharedRateLimits && o.Store != nil, clock: o.Clock, trustedProxies: o.TrustedProxies,
		simulationSpeed: o.SimulationSpeed, calendars: o.Calendars, workflowFeatures: features}
}

// readiness checks the dependencies an action needs.
func (s *Server) readiness(ctx context.Context) map[string]string {
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(pctx); err != nil {
		checks["postgres"] = "unavailable"
	}
	// The same check as the watcher's (Watch), whose state it refreshes.
	s.checkTemporal(ctx, 2*time.Second)
	if s.health.temporalDown.Load() {
		checks["temporal"] = "unavailable"
	}
	return checks
}
