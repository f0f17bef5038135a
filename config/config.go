// Package config reads motcua's configuration from the environment. Every
// variable is listed here, with its default; the README's table and the
// deploy manifests name the same variables.
package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/internal/temporalconn"
)

// Config is the whole configuration of every subcommand.
type Config struct {
	// DatabaseURL is the application's PostgreSQL (not Temporal's).
	DatabaseURL string `env:"DATABASE_URL"`
	// MigrateDatabaseURL is the same database as the schema's owner, for
	// `motcua migrate` only (empty: DATABASE_URL). The API and the worker
	// connect as the application role (motcua_app, store migration 00026),
	// which is not the owner and so cannot alter the append-only tables.
	MigrateDatabaseURL string `env:"MOTCUA_MIGRATE_DATABASE_URL"`
	// TemporalAddress is the Temporal frontend, host:port.
	TemporalAddress string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	// TemporalNamespace is the namespace dossiers run in.
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	// TemporalCompression is the gRPC compression of requests to Temporal:
	// none (default) or gzip. Payloads are AES-GCM encrypted (codec/), so
	// gzip finds little to shrink and costs CPU on both sides: on this
	// project's benchmark it took 7-13% of the Temporal server's CPU per
	// workflow and ~5% of the worker's (docs/PERFORMANCE.md). Set gzip for
	// a slow link to a remote Temporal.
	TemporalCompression string `env:"MOTCUA_TEMPORAL_COMPRESSION" envDefault:"none"`
	// HTTPAddr is where the API listens.
	HTTPAddr string `env:"MOTCUA_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// AdminAddr is where `motcua api` serves /metrics (with /healthz and
	// /readyz again): internals that stay off the public port. Empty: no
	// admin listener and no metrics.
	AdminAddr string `env:"MOTCUA_ADMIN_ADDR"`
	// PublicURL is where third parties reach the API's callbacks.
	PublicURL string `env:"MOTCUA_PUBLIC_URL" envDefault:"http://127.0.0.1:8080"`
	// PaymentURL is the payment gateway's base URL.
	PaymentURL string `env:"MOTCUA_PAYMENT_URL" envDefault:"http://127.0.0.1:8090/payment"`
	// PostalURL is the postal service's base URL.
	PostalURL string `env:"MOTCUA_POSTAL_URL" envDefault:"http://127.0.0.1:8090/postal"`
	// SimAddr is where `motcua sim` (the development stand-ins for the
	// gateway and the postal service) listens.
	SimAddr string `env:"MOTCUA_SIM_ADDR" envDefault:"127.0.0.1:8090"`
	// NotifyURL is the messaging gateway notifications are posted to
	// (empty: they go to the worker's log only).
	NotifyURL string `env:"MOTCUA_NOTIFY_URL"`
	// The applicant channels (issue 19): each is used when its address is
	// set; a notice to an applicant goes to the first of their channels
	// (default zalo, sms, email) that is configured and reaches them.
	SMSURL          string `env:"MOTCUA_SMS_URL"`
	SMSAPIKey       string `env:"MOTCUA_SMS_API_KEY"`
	SMSBrandname    string `env:"MOTCUA_SMS_BRANDNAME" envDefault:"MOTCUA"`
	ZaloURL         string `env:"MOTCUA_ZALO_URL"`
	ZaloAccessToken string `env:"MOTCUA_ZALO_ACCESS_TOKEN"`
	// ZaloTemplates are the ZNS template ids Zalo approved for our notices:
	// "received:412233,result_ready:412234" (a name@version key, e.g.
	// received@2, wins for that version); a notice missing is sent under
	// its own name.
	ZaloTemplates map[string]string `env:"MOTCUA_ZALO_TEMPLATES"`
	SMTPAddr      string            `env:"MOTCUA_SMTP_ADDR"`
	SMTPFrom      string            `env:"MOTCUA_SMTP_FROM" envDefault:"motcua@localhost"`
	// NotifyReceiptSecret verifies the SMS and Zalo providers' delivery
	// receipts (HMAC-SHA256, X-Signature). Development falls back to a
	// public default; production without it refuses receipts.
	NotifyReceiptSecret string `env:"MOTCUA_NOTIFY_RECEIPT_SECRET"`
	// PortalURL is the national public-service portal's dossier status
	// sync interface (issue 19 §3; empty: nothing is pushed, the items wait
	// in the outbox); PortalToken the bearer token it issued the province;
	// PortalLagAfter how long an item may wait before ops see it as
	// lagging (GET /v1/portal-sync?status=lagging).
	PortalURL      string        `env:"MOTCUA_PORTAL_URL"`
	PortalToken    string        `env:"MOTCUA_PORTAL_TOKEN"`
	PortalLagAfter time.Duration `env:"MOTCUA_PORTAL_LAG_AFTER" envDefault:"15m"`
	// SimSMTPAddr is where `motcua sim` listens for SMTP (empty: it does
	// not; `make dev` sets 127.0.0.1:2525).
	SimSMTPAddr string `env:"MOTCUA_SIM_SMTP_ADDR"`
	// SimAutoPayAfter and SimAutoDeliverAfter make the simulators pay and
	// deliver by themselves after a delay (0: only when told to).
	SimAutoPayAfter     time.Duration `env:"MOTCUA_SIM_AUTO_PAY_AFTER" envDefault:"0s"`
	SimAutoDeliverAfter time.Duration `env:"MOTCUA_SIM_AUTO_DELIVER_AFTER" envDefault:"0s"`
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `env:"MOTCUA_SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// Environment is development or production. Production refuses the
	// development conveniences (simulated business time, development
	// tokens and keys). It is the default, so a deployment that forgets
	// the variable fails closed; every script and manifest sets it.
	Environment string `env:"MOTCUA_ENV" envDefault:"production"`
	// SimulationSpeed makes business time run this many times faster
	// (development only; 0 = the official calendar). 2880: a working day
	// in 10 seconds.
	SimulationSpeed float64 `env:"MOTCUA_SIMULATION_SPEED" envDefault:"0"`
	// CalendarCacheTTL is how long the API and the worker keep an agency's
	// working-time calendar (holiday table and office hours) before
	// reading it again (0: read for every schedule). A change to the
	// holiday table reaches new schedules within it (docs/PERFORMANCE.md).
	CalendarCacheTTL time.Duration `env:"MOTCUA_CALENDAR_CACHE_TTL" envDefault:"1m"`
	// WorkerCacheSize is how many workflows `motcua worker` keeps in memory
	// between their tasks (the SDK's sticky cache); a dossier evicted from
	// it is replayed from its history at its next task (some 50 events, a
	// few ms). 1000 keeps the worker's memory flat however many dossiers
	// are open: the SDK's default, 10,000 (0 here), held every open dossier
	// of a center, 793 MiB with 10,000 waiting for review
	// (docs/PERFORMANCE.md, issue 21). The worker runs at most half as many
	// workflow tasks at once, so the cache never fills with workflows in
	// the middle of a task (the SDK would fail the next one).
	WorkerCacheSize int `env:"MOTCUA_WORKER_CACHE_SIZE" envDefault:"1000"`
	// WorkflowFeatures is the workflow feature level the API starts new
	// dossiers with (workflows.DossierInput.Features); -1, the default:
	// the highest this build knows. During a rolling upgrade from a
	// release whose workers do not know a level, the API keeps the level
	// of that release (0 before this setting existed) until every worker
	// is upgraded; a worker given a level it does not know fails the
	// workflow task until one that knows it takes it.
	WorkflowFeatures int `env:"MOTCUA_WORKFLOW_FEATURES" envDefault:"-1"`
	// ClockOffset shifts business time from the wall clock (development
	// and tests only; internal/clock): -50h makes "now" 50 hours ago.
	// `make dev MOTCUA_CLOCK_START=2027-02-05T16:00:00+07:00` computes it.
	// The API hands it to every workflow it starts; the simulators stamp
	// their events with it.
	ClockOffset time.Duration `env:"MOTCUA_CLOCK_OFFSET" envDefault:"0s"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"MOTCUA_LOG_LEVEL" envDefault:"info"`
	// LogFormat is json (one JSON object per line, for a log pipeline) or
	// text; empty means json in production and text in development.
	LogFormat string `env:"MOTCUA_LOG_FORMAT"`
	// WorkerMetricsAddr is where `motcua worker` serves /metrics (the
	// Temporal SDK's metrics: workflow task latency, activity failures,
	// schedule-to-start) and /healthz; empty: no listener.
	WorkerMetricsAddr string `env:"MOTCUA_WORKER_METRICS_ADDR"`
	// OTLPEndpoint turns tracing on: spans of the API, the Temporal client,
	// workflows and activities go there over OTLP/HTTP, e.g.
	// http://otel-collector:4318. The standard OTEL_* variables (service
	// name, headers) are read by the OpenTelemetry SDK itself.
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// PprofAddr, when set, makes the api and worker serve Go's profiler
	// (net/http/pprof) on this address, for measuring under load. Keep it
	// on loopback: profiles show internals.
	PprofAddr string `env:"MOTCUA_PPROF_ADDR"`

	// JWTSecret signs and verifies development tokens (HS256, at least 32
	// characters). Refused in production, which uses OpenID Connect.
	JWTSecret string `env:"MOTCUA_JWT_SECRET"`
	// OIDCIssuer and OIDCAudience: tokens from this OpenID Connect
	// provider, for this audience (required in production).
	OIDCIssuer   string `env:"MOTCUA_OIDC_ISSUER"`
	OIDCAudience string `env:"MOTCUA_OIDC_AUDIENCE"`
	// OIDCClientID and OIDCClientSecret are the staff console's client at
	// that provider (authorization-code flow; the redirect URL is
	// MOTCUA_PUBLIC_URL/console/oidc/callback). The client ID must be an
	// audience the API accepts: normally the same as MOTCUA_OIDC_AUDIENCE.
	OIDCClientID     string `env:"MOTCUA_OIDC_CLIENT_ID"`
	OIDCClientSecret string `env:"MOTCUA_OIDC_CLIENT_SECRET"`
	// TemporalUIURL is the Temporal Web UI ops open a dossier's workflow
	// in, from the staff console.
	TemporalUIURL string `env:"MOTCUA_TEMPORAL_UI_URL" envDefault:"http://127.0.0.1:8233"`
	// PaymentWebhookSecret and PostalWebhookSecret are shared with the
	// payment gateway and the postal service, which sign their callbacks
	// with them (HMAC-SHA256); the simulators sign with the same ones.
	PaymentWebhookSecret string `env:"MOTCUA_PAYMENT_WEBHOOK_SECRET"`
	PostalWebhookSecret  string `env:"MOTCUA_POSTAL_WEBHOOK_SECRET"`
	// PayloadKeys are the AES-256 keys that encrypt Temporal payloads:
	// "id=base64key,id2=base64key". PayloadKeyID names the one new
	// payloads are encrypted with (default: the first); the others still
	// decrypt, so keys can rotate.
	PayloadKeys  string `env:"MOTCUA_PAYLOAD_KEYS"`
	PayloadKeyID string `env:"MOTCUA_PAYLOAD_KEY_ID"`
	// CodecCORSOrigins are the Temporal UI origins allowed to call the
	// codec endpoint, comma-separated.
	CodecCORSOrigins string `env:"MOTCUA_CODEC_CORS_ORIGINS" envDefault:"http://127.0.0.1:8233,http://localhost:8233"`
	// SubmitRatePerMinute limits submissions per client (token subject)
	// and per IP; LookupRatePerMinute limits public lookups per IP.
	SubmitRatePerMinute int `env:"MOTCUA_SUBMIT_RATE_PER_MINUTE" envDefault:"1200"`
	LookupRatePerMinute int `env:"MOTCUA_LOOKUP_RATE_PER_MINUTE" envDefault:"30"`
	// TrustedProxies are the reverse proxies in front of the API, as
	// comma-separated addresses or CIDR ranges (10.0.0.0/8,192.0.2.7):
	// from them, X-Forwarded-For names the client the rate limits count.
	// Empty: the connecting address, whatever the header says.
	TrustedProxies string `env:"MOTCUA_TRUSTED_PROXIES"`

	// DocumentStorage is where documents' files are kept (package
	// document): postgres, the application's database (default: nothing
	// more to run), or s3, an S3-compatible bucket (MOTCUA_S3_*). Either
	// way the contents are encrypted with the payload key ring.
	DocumentStorage string `env:"MOTCUA_DOCUMENT_STORAGE" envDefault:"postgres"`
	// S3Endpoint is host:port of the S3-compatible service (no scheme);
	// S3Insecure talks plain HTTP to it. S3Region, S3Bucket and the
	// access key pair name the bucket; S3Prefix starts every object key.
	S3Endpoint  string `env:"MOTCUA_S3_ENDPOINT"`
	S3Insecure  bool   `env:"MOTCUA_S3_INSECURE" envDefault:"false"`
	S3Region    string `env:"MOTCUA_S3_REGION"`
	S3Bucket    string `env:"MOTCUA_S3_BUCKET"`
	S3AccessKey string `env:"MOTCUA_S3_ACCESS_KEY"`
	S3SecretKey string `env:"MOTCUA_S3_SECRET_KEY"`
	S3Prefix    string `env:"MOTCUA_S3_PREFIX"`
	// DocumentMaxFileBytes and DocumentMaxDossierBytes bound one file and
	// all files of one dossier (20 MiB and 100 MiB).
	DocumentMaxFileBytes    int64 `env:"MOTCUA_DOCUMENT_MAX_FILE_BYTES" envDefault:"20971520"`
	DocumentMaxDossierBytes int64 `env:"MOTCUA_DOCUMENT_MAX_DOSSIER_BYTES" envDefault:"104857600"`
	// UploadRetention is how long an upload waits to be attached to a
	// dossier before the API's cleanup removes it.
	UploadRetention time.Duration `env:"MOTCUA_UPLOAD_RETENTION" envDefault:"24h"`
	// SigningDir holds each agency's signing key and certificate as a
	// PKCS#12 file named <agency code>.p12, encrypted with
	// SigningPassword: results are signed with the approving agency's.
	// In development, with neither SigningDir nor SigningURL set, it is
	// .data/signing and `motcua api` makes a development CA and the
	// agencies' certificates there (SigningDevCertificates).
	SigningDir      string `env:"MOTCUA_SIGNING_DIR"`
	SigningPassword string `env:"MOTCUA_SIGNING_PASSWORD"`
	// SigningURL is a remote-signing service's base URL (the keys stay
	// with the service; `motcua sim` serves a stand-in at /signing),
	// instead of SigningDir.
	SigningURL string `env:"MOTCUA_SIGNING_URL"`
	// SigningDevCertificates: make development certificates in SigningDir
	// (set by Load in development only).
	SigningDevCertificates bool

	// Temporal are the Temporal client's connection options, resolved by
	// Load through the SDK's environment configuration (package
	// internal/temporalconn): the profile TEMPORAL_PROFILE of the file
	// TEMPORAL_CONFIG_FILE, then the TEMPORAL_* variables (TLS, mutual
	// TLS, API key, address, namespace), then TemporalAddress and
	// TemporalNamespace's defaults. Load sets TemporalAddress and
	// TemporalNamespace to the values in effect.
	Temporal client.Options
	// TemporalConnection says what Temporal holds: TLS, a client
	// certificate, an API key (no secrets).
	TemporalConnection temporalconn.Connection
}

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests).
func Load(getenv func(string) string) (Config, error) {
	var c Config
	err := env.ParseWithOptions(&c, env.Options{
		Environment: environ(getenv),
	})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.TemporalUIURL = strings.TrimRight(c.TemporalUIURL, "/")
	switch c.Environment {
	case "development", "production":
	default:
		return Config{}, fmt.Errorf("config: MOTCUA_ENV must be development or production, not %q", c.Environment)
	}
	switch c.LogFormat {
	case "json", "text":
	case "":
		c.LogFormat = "text"
		if c.Environment == "production" {
			c.LogFormat = "json"
		}
	default:
		return Config{}, fmt.Errorf("config: MOTCUA_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	c.Temporal, c.TemporalConnection, err = temporalconn.Load(temporalconn.Getenv(getenv),
		temporalconn.Defaults{Address: c.TemporalAddress, Namespace: c.TemporalNamespace})
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.TemporalAddress, c.TemporalNamespace = c.TemporalConnection.Address, c.TemporalConnection.Namespace
	if c.TemporalCompression != "none" && c.TemporalCompression != "gzip" {
		return Config{}, fmt.Errorf("config: MOTCUA_TEMPORAL_COMPRESSION must be none or gzip, not %q", c.TemporalCompression)
	}
	if c.WorkflowFeatures < -1 {
		return Config{}, fmt.Errorf("config: MOTCUA_WORKFLOW_FEATURES must be -1 (the highest this build knows) or a level, not %d", c.WorkflowFeatures)
	}
	if c.SimulationSpeed < 0 {
		return Config{}, fmt.Errorf("config: MOTCUA_SIMULATION_SPEED must not be negative")
	}
	if c.SimulationSpeed > 0 && c.Environment == "production" {
		return Config{}, fmt.Errorf("config: MOTCUA_SIMULATION_SPEED is for development only and is refused with MOTCUA_ENV=production")
	}
	if c.ClockOffset != 0 && c.Environment == "production" {
		return Config{}, fmt.Errorf("config: MOTCUA_CLOCK_OFFSET is for development and tests only and is refused with MOTCUA_ENV=production")
	}
	if c.Environment == "production" {
		if c.JWTSecret != "" {
			return Config{}, fmt.Errorf("config: MOTCUA_JWT_SECRET (development tokens) is refused with MOTCUA_ENV=production; use MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_AUDIENCE")
		}
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		return Config{}, err
	}
	if err := c.checkExposed(); err != nil {
		return Config{}, err
	}
	if c.SigningDir != "" && c.SigningURL != "" {
		return Config{}, fmt.Errorf("config: set MOTCUA_SIGNING_DIR (PKCS#12 files) or MOTCUA_SIGNING_URL (a remote-signing service), not both")
	}
	if c.SigningDir == "" && c.SigningURL == "" && c.Environment == "development" {
		c.SigningDir, c.SigningDevCertificates = ".data/signing", true
		if c.SigningPassword == "" {
			c.SigningPassword = "motcua-development"
		}
	}
	if c.PortalLagAfter <= 0 {
		return Config{}, fmt.Errorf("config: MOTCUA_PORTAL_LAG_AFTER must be positive")
	}
	if c.Environment == "production" && c.PortalURL != "" && c.PortalToken == "" {
		return Config{}, fmt.Errorf("config: MOTCUA_PORTAL_URL is set but MOTCUA_PORTAL_TOKEN is not: the national portal refuses unauthenticated status items")
	}
	c.PortalURL = strings.TrimRight(c.PortalURL, "/")
	if c.SubmitRatePerMinute <= 0 || c.LookupRatePerMinute <= 0 {
		return Config{}, fmt.Errorf("config: MOTCUA_SUBMIT_RATE_PER_MINUTE and MOTCUA_LOOKUP_RATE_PER_MINUTE must be positive")
	}
	if err := c.checkDocuments(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// TrustedProxyPrefixes parses TrustedProxies: each entry an address (one
// host) or a CIDR range.
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("config: MOTCUA_TRUSTED_PROXIES: %q is neither an address nor a CIDR range (10.0.0.0/8)", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Exposed names the listeners (as VAR=address) that are not on loopback:
// reachable from other machines, so the development defaults must not
// stand behind them. An address without a host ("":8080") listens on every
// interface; a host name other than localhost is taken as exposed.
func (c Config) Exposed() []string {
	var out []string
	for _, l := range []struct{ name, addr string }{
		{"MOTCUA_HTTP_ADDR", c.HTTPAddr},
		{"MOTCUA_ADMIN_ADDR", c.AdminAddr},
		{"MOTCUA_SIM_ADDR", c.SimAddr},
		{"MOTCUA_WORKER_METRICS_ADDR", c.WorkerMetricsAddr},
		{"MOTCUA_PPROF_ADDR", c.PprofAddr},
	} {
		if l.addr != "" && !isLoopback(l.addr) {
			out = append(out, l.name+"="+l.addr)
		}
	}
	return out
}

// isLoopback tells whether addr (host:port) listens on loopback only.
func isLoopback(addr string) bool { return temporalconn.IsLoopback(addr) }

// checkExposed refuses, in development, the published development
// defaults whenever a listener is reachable from other machines: the
// webhook secrets (anyone could forge a "payment succeeded"), development
// tokens and their sign-in page (anyone could sign in as any role) and the
// public payload key (codec.FromConfig refuses it when given explicitly).
// Production refuses them everywhere, listener or not.
func (c Config) checkExposed() error {
	exposed := c.Exposed()
	if c.Environment != "development" || len(exposed) == 0 {
		return nil
	}
	var refused []string
	if c.JWTSecret != "" {
		refused = append(refused, "MOTCUA_JWT_SECRET (development tokens and the development sign-in page; use MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_AUDIENCE)")
	}
	if strings.TrimSpace(c.PayloadKeys) == "" {
		refused = append(refused, "an empty MOTCUA_PAYLOAD_KEYS (the public development payload key; set secret keys)")
	}
	for _, s := range []struct{ name, value, dev string }{
		{"MOTCUA_PAYMENT_WEBHOOK_SECRET", c.PaymentWebhookSecret, DevPaymentWebhookSecret},
		{"MOTCUA_POSTAL_WEBHOOK_SECRET", c.PostalWebhookSecret, DevPostalWebhookSecret},
	} {
		if s.value == "" || s.value == s.dev || len(s.value) < 32 {
			refused = append(refused, s.name+" unset, short or the development default (set a secret of at least 32 characters)")
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("config: %s not on loopback, so the development defaults are refused: %s; "+
		"listen on 127.0.0.1 for local development", strings.Join(exposed, ", "), strings.Join(refused, "; "))
}

// checkDocuments validates the document storage settings.
func (c Config) checkDocuments() error {
	switch c.DocumentStorage {
	case "postgres":
	case "s3":
		if c.S3Endpoint == "" || c.S3Bucket == "" {
			return fmt.Errorf("config: MOTCUA_DOCUMENT_STORAGE=s3 needs MOTCUA_S3_ENDPOINT and MOTCUA_S3_BUCKET")
		}
		if strings.Contains(c.S3Endpoint, "://") {
			return fmt.Errorf("config: MOTCUA_S3_ENDPOINT is host:port without a scheme, not %q (MOTCUA_S3_INSECURE=true for plain HTTP)", c.S3Endpoint)
		}
	default:
		return fmt.Errorf("config: MOTCUA_DOCUMENT_STORAGE must be postgres or s3, not %q", c.DocumentStorage)
	}
	if c.DocumentMaxFileBytes <= 0 || c.DocumentMaxDossierBytes < c.DocumentMaxFileBytes {
		return fmt.Errorf("config: MOTCUA_DOCUMENT_MAX_FILE_BYTES must be positive and at most MOTCUA_DOCUMENT_MAX_DOSSIER_BYTES")
	}
	if c.UploadRetention <= 0 {
		return fmt.Errorf("config: MOTCUA_UPLOAD_RETENTION must be positive")
	}
	return nil
}

// Variables lists the names of every environment variable Config reads.
func Variables() []string { return fields() }

func fields() []string {
	opts := env.Options{}
	var c Config
	fs, _ := env.GetFieldParamsWithOptions(&c, opts)
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Key)
	}
	return out
}

func environ(getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, name := range fields() {
		if v := getenv(name); v != "" {
			out[name] = v
		}
	}
	return out
}

// RequireDatabase fails clearly when DATABASE_URL is missing.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: point it at the application's PostgreSQL, e.g. postgres://user@127.0.0.1:5432/motcua")
	}
	return nil
}

// The development defaults of the webhook secrets: public by design (they
// are in this file and the README), so refused in production.
const (
	DevPaymentWebhookSecret = "motcua-development-payment-webhook-secret"
	DevPostalWebhookSecret  = "motcua-development-postal-webhook-secret"
	// DevNotifyReceiptSecret signs the simulated SMS and Zalo receipts.
	DevNotifyReceiptSecret = "motcua-development-notify-receipt-secret"
)

// ReceiptSecret is the secret delivery receipts are verified with: the
// configured one, or in development the public default `motcua sim` signs
// with.
func (c Config) ReceiptSecret() string {
	if c.NotifyReceiptSecret == "" && c.Environment != "production" {
		return DevNotifyReceiptSecret
	}
	return c.NotifyReceiptSecret
}

// WebhookSecrets are the secrets the payment gateway's and the postal
// service's callbacks are signed with.
type WebhookSecrets struct {
	Payment, Postal string
	// Defaulted names the variables that were not set and got their
	// development default, so the caller can say so.
	Defaulted []string
}

// WebhookSecrets returns the callback secrets for the api and sim
// commands (the others do not need them). Production requires both, set
// to something other than the development defaults; development falls
// back to those defaults, which `motcua api` and `motcua sim` share, so a
// local stack works without configuration.
func (c Config) WebhookSecrets() (WebhookSecrets, error) {
	out := WebhookSecrets{Payment: c.PaymentWebhookSecret, Postal: c.PostalWebhookSecret}
	for _, v := range []struct {
		name, dev string
		value     *string
	}{
		{"MOTCUA_PAYMENT_WEBHOOK_SECRET", DevPaymentWebhookSecret, &out.Payment},
		{"MOTCUA_POSTAL_WEBHOOK_SECRET", DevPostalWebhookSecret, &out.Postal},
	} {
		switch {
		case c.Environment == "production" && (*v.value == "" || *v.value == v.dev):
			return WebhookSecrets{}, fmt.Errorf("config: %s must be set with MOTCUA_ENV=production "+
				"(the secret shared with that integration; the development default is refused)", v.name)
		case c.Environment == "production" && len(*v.value) < 32:
			return WebhookSecrets{}, fmt.Errorf("config: %s must be at least 32 characters with MOTCUA_ENV=production", v.name)
		case *v.value == "":
			*v.value = v.dev
			out.Defaulted = append(out.Defaulted, v.name)
		}
	}
	return out, nil
}
