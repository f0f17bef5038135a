// Package temporalconn is how every motcua process (api, worker, reconcile,
// loadgen, healthcheck, the test harness) finds and authenticates to the
// Temporal frontend: the SDK's environment configuration
// (go.temporal.io/sdk/contrib/envconfig), the same profiles, TOML file and
// TEMPORAL_* variables the Temporal CLI reads, so one file or one set of
// variables configures both. It covers the address and namespace
// (TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, which motcua always read),
// TLS (TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH, _SERVER_NAME),
// mutual TLS (TEMPORAL_TLS_CLIENT_CERT_PATH and _KEY_PATH, or their _DATA
// forms), an API key (TEMPORAL_API_KEY, which turns TLS on) and gRPC
// metadata (TEMPORAL_GRPC_META_*), from the profile TEMPORAL_PROFILE (default
// "default") of the file TEMPORAL_CONFIG_FILE (default
// $XDG_CONFIG_HOME/temporalio/temporal.toml; a missing file is no error).
// Variables override the file.
package temporalconn

import (
	"fmt"
	"net"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Defaults stand in for what neither the profile nor the variables set.
type Defaults struct {
	// Address is host:port of the frontend (config's 127.0.0.1:7233).
	Address string
	// Namespace is the namespace dossiers run in (config's "default").
	Namespace string
}

// Connection is what Load found, for logs and checks: never the secrets.
type Connection struct {
	// Address and Namespace are the ones the client will use.
	Address, Namespace string
	// TLS: the connection is encrypted; ClientCertificate: the client
	// presents a certificate (mutual TLS); APIKey: it sends an API key.
	TLS, ClientCertificate, APIKey bool
	// Profile is the profile read from the configuration file.
	Profile string
}

// Secured tells whether the frontend must authenticate this client by
// something it holds (a client certificate or an API key), which is what
// stops whoever reaches the port from signalling dossiers' workflows.
func (c Connection) Secured() bool { return c.ClientCertificate || c.APIKey }

// Loopback tells whether the frontend is on this machine's loopback.
func (c Connection) Loopback() bool { return IsLoopback(c.Address) }

// IsLoopback tells whether addr (host:port) is on loopback only:
// localhost or a loopback IP; a host name or no host is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Load reads the client's connection options: the profile from the file,
// then the TEMPORAL_* variables of env over it, then d for what is still
// unset. The result carries no data converter, logger or interceptors:
// the caller adds its own. env nil: the process environment.
func Load(env envconfig.EnvLookup, d Defaults) (client.Options, Connection, error) {
	if env == nil {
		env = envconfig.EnvLookupOS
	}
	profile, _ := env.LookupEnv("TEMPORAL_PROFILE")
	if profile == "" {
		profile = envconfig.DefaultConfigFileProfile
	}
	// Strict: a misspelt key in the file is an error, not a silently
	// plain-text connection.
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{
		ConfigFileStrict: true,
		EnvLookup:        env,
	})
	if err != nil {
		return client.Options{}, Connection{}, fmt.Errorf("temporal client configuration (profile %q, TEMPORAL_CONFIG_FILE, TEMPORAL_* variables): %w", profile, err)
	}
	if opts.HostPort == "" {
		opts.HostPort = d.Address
	}
	if opts.Namespace == "" {
		opts.Namespace = d.Namespace
	}
	tlsConf := opts.ConnectionOptions.TLS
	conn := Connection{
		Address:   opts.HostPort,
		Namespace: opts.Namespace,
		TLS:       tlsConf != nil && !opts.ConnectionOptions.TLSDisabled,
		APIKey:    opts.Credentials != nil,
		Profile:   profile,
	}
	conn.ClientCertificate = conn.TLS && (len(tlsConf.Certificates) > 0 || tlsConf.GetClientCertificate != nil)
	return opts, conn, nil
}

// MapEnv is an envconfig.EnvLookup over a map, for tests and for callers
// that read their configuration from somewhere other than the process
// environment.
type MapEnv map[string]string

// LookupEnv implements envconfig.EnvLookup.
func (m MapEnv) LookupEnv(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// Environ implements envconfig.EnvLookup.
func (m MapEnv) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// Getenv is an envconfig.EnvLookup over a getenv function (config.Load's):
// a variable set to the empty string counts as unset, as everywhere in
// motcua's configuration. The gRPC metadata variables
// (TEMPORAL_GRPC_META_*), which envconfig finds by listing the environment,
// are the process environment's names read through getenv.
func Getenv(getenv func(string) string) envconfig.EnvLookup { return getenvLookup(getenv) }

type getenvLookup func(string) string

func (g getenvLookup) LookupEnv(key string) (string, bool) {
	v := g(key)
	return v, v != ""
}

func (g getenvLookup) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TEMPORAL_GRPC_META_") {
			if v := g(k); v != "" {
				out = append(out, k+"="+v)
			}
		}
	}
	return out
}
