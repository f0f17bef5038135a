package config_test

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/config"
)

// TestREADMEDocumentsEveryVariable keeps the README's configuration table
// and the variables the binary reads the same: a documented variable that
// does not exist, or an undocumented one, fails.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	section := regexp.MustCompile("(?s)## Configuration(.*?)\n## ").FindSubmatch(readme)
	require.NotNil(t, section, "README has a Configuration section")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllSubmatch(section[1], -1) {
		documented = append(documented, string(m[1]))
	}
	vars := config.Variables()
	sort.Strings(documented)
	sort.Strings(vars)
	require.Equal(t, vars, documented)
}

func TestSimulationIsRefusedInProduction(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := config.Load(env(map[string]string{"MOTCUA_ENV": "production", "MOTCUA_SIMULATION_SPEED": "2880"}))
	require.ErrorContains(t, err, "development only")
	c, err := config.Load(env(map[string]string{"MOTCUA_ENV": "development", "MOTCUA_SIMULATION_SPEED": "2880"}))
	require.NoError(t, err)
	require.Equal(t, 2880.0, c.SimulationSpeed)
	_, err = config.Load(env(map[string]string{"MOTCUA_ENV": "staging"}))
	require.Error(t, err)
	c, err = config.Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7233", c.TemporalAddress)
}

func TestClockOffsetIsRefusedInProduction(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, err := config.Load(env(map[string]string{"MOTCUA_ENV": "production", "MOTCUA_CLOCK_OFFSET": "-50h"}))
	require.ErrorContains(t, err, "MOTCUA_CLOCK_OFFSET is for development and tests only")
	c, err := config.Load(env(map[string]string{"MOTCUA_ENV": "development", "MOTCUA_CLOCK_OFFSET": "-50h30m"}))
	require.NoError(t, err)
	require.Equal(t, -50*time.Hour-30*time.Minute, c.ClockOffset)
	c, err = config.Load(env(nil))
	require.NoError(t, err)
	require.Zero(t, c.ClockOffset, "business time is the wall clock by default")
}

func TestWebhookSecrets(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(map[string]string{"MOTCUA_ENV": "development"}))
	require.NoError(t, err)
	ws, err := c.WebhookSecrets()
	require.NoError(t, err)
	require.Equal(t, config.DevPaymentWebhookSecret, ws.Payment)
	require.Equal(t, config.DevPostalWebhookSecret, ws.Postal)
	require.Equal(t, []string{"MOTCUA_PAYMENT_WEBHOOK_SECRET", "MOTCUA_POSTAL_WEBHOOK_SECRET"}, ws.Defaulted)

	long := strings.Repeat("s", 32)
	for _, c := range []struct {
		env  map[string]string
		want string // "" = accepted
	}{
		{map[string]string{"MOTCUA_ENV": "production", "MOTCUA_POSTAL_WEBHOOK_SECRET": long}, "MOTCUA_PAYMENT_WEBHOOK_SECRET must be set"},
		{map[string]string{"MOTCUA_ENV": "production", "MOTCUA_PAYMENT_WEBHOOK_SECRET": long}, "MOTCUA_POSTAL_WEBHOOK_SECRET must be set"},
		{map[string]string{"MOTCUA_ENV": "production", "MOTCUA_PAYMENT_WEBHOOK_SECRET": config.DevPaymentWebhookSecret,
			"MOTCUA_POSTAL_WEBHOOK_SECRET": long}, "development default is refused"},
		{map[string]string{"MOTCUA_ENV": "production", "MOTCUA_PAYMENT_WEBHOOK_SECRET": "short",
			"MOTCUA_POSTAL_WEBHOOK_SECRET": long}, "at least 32 characters"},
		{map[string]string{"MOTCUA_ENV": "production", "MOTCUA_PAYMENT_WEBHOOK_SECRET": long, "MOTCUA_POSTAL_WEBHOOK_SECRET": long + "x"}, ""},
		{map[string]string{"MOTCUA_ENV": "development", "MOTCUA_PAYMENT_WEBHOOK_SECRET": "mine"}, ""},
	} {
		cfg, err := config.Load(env(c.env))
		require.NoError(t, err)
		ws, err := cfg.WebhookSecrets()
		if c.want != "" {
			require.ErrorContains(t, err, c.want, c.env)
			continue
		}
		require.NoError(t, err, c.env)
		require.Equal(t, c.env["MOTCUA_PAYMENT_WEBHOOK_SECRET"], ws.Payment)
	}
}

// TestDevScriptUsesTheDevelopmentSecrets: `make dev` exports the same
// defaults the binary falls back to, so a simulator and an API started
// either way agree.
func TestDevScriptUsesTheDevelopmentSecrets(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("../scripts/dev.sh")
	require.NoError(t, err)
	require.Contains(t, string(script), "MOTCUA_PAYMENT_WEBHOOK_SECRET="+config.DevPaymentWebhookSecret+"\n")
	require.Contains(t, string(script), "MOTCUA_POSTAL_WEBHOOK_SECRET="+config.DevPostalWebhookSecret+"\n")
}

func TestTemporalCompression(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(map[string]string{}))
	require.NoError(t, err)
	require.Equal(t, "none", c.TemporalCompression, "encrypted payloads: no gzip by default")
	c, err = config.Load(env(map[string]string{"MOTCUA_TEMPORAL_COMPRESSION": "gzip"}))
	require.NoError(t, err)
	require.Equal(t, "gzip", c.TemporalCompression)
	_, err = config.Load(env(map[string]string{"MOTCUA_TEMPORAL_COMPRESSION": "zstd"}))
	require.ErrorContains(t, err, "MOTCUA_TEMPORAL_COMPRESSION must be none or gzip")
}

// TestProductionIsTheDefault: a deployment that forgets MOTCUA_ENV (a
// systemd unit, a bare container) runs as production and so refuses the
// development conveniences instead of silently using them.
func TestProductionIsTheDefault(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(nil))
	require.NoError(t, err)
	require.Equal(t, "production", c.Environment)
	_, err = c.WebhookSecrets()
	require.ErrorContains(t, err, "must be set with MOTCUA_ENV=production")
	_, err = config.Load(env(map[string]string{"MOTCUA_JWT_SECRET": strings.Repeat("j", 32)}))
	require.ErrorContains(t, err, "MOTCUA_JWT_SECRET (development tokens) is refused")
	c, err = config.Load(env(map[string]string{"MOTCUA_ENV": "development"}))
	require.NoError(t, err)
	require.Equal(t, "development", c.Environment)
}

// TestScriptsAndManifestsSetTheEnvironment: every way the project starts
// motcua says which environment it is, rather than relying on the default.
func TestScriptsAndManifestsSetTheEnvironment(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"../scripts/dev.sh":                        "export MOTCUA_ENV=development\n",
		"../scripts/test.sh":                       "export MOTCUA_ENV=development\n",
		"../scripts/prod-local.sh":                 "export MOTCUA_ENV=development\n",
		"../scripts/chaos.sh":                      "export MOTCUA_ENV=development\n",
		"../scripts/bench.sh":                      "export MOTCUA_ENV=development\n",
		"../deploy/Dockerfile":                     "MOTCUA_ENV=production",
		"../deploy/compose.yaml":                   "MOTCUA_ENV: production\n",
		"../deploy/kubernetes/base/configmap.yaml": "MOTCUA_ENV: production\n",
	} {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		require.Contains(t, string(b), want, file)
	}
}

// TestDevelopmentDefaultsRefusedOffLoopback: in development, a listener
// reachable from other machines refuses every published default (webhook
// secrets, development tokens and their sign-in page, the development
// payload key); on loopback they are fine.
func TestDevelopmentDefaultsRefusedOffLoopback(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	long := strings.Repeat("s", 32)
	safe := map[string]string{
		"MOTCUA_ENV": "development", "MOTCUA_PAYLOAD_KEYS": "k1=whatever-codec-checks-it",
		"MOTCUA_PAYMENT_WEBHOOK_SECRET": long, "MOTCUA_POSTAL_WEBHOOK_SECRET": long + "p",
	}
	with := func(extra map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range safe {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	for name, c := range map[string]struct {
		env  map[string]string
		want string // "" = accepted
	}{
		"all defaults on loopback":    {map[string]string{"MOTCUA_ENV": "development", "MOTCUA_JWT_SECRET": long, "MOTCUA_WORKER_METRICS_ADDR": "localhost:9090", "MOTCUA_HTTP_ADDR": "[::1]:8080"}, ""},
		"secrets set, all interfaces": {with(map[string]string{"MOTCUA_HTTP_ADDR": "0.0.0.0:8080"}), ""},
		"jwt on all interfaces":       {with(map[string]string{"MOTCUA_HTTP_ADDR": ":8080", "MOTCUA_JWT_SECRET": long}), "MOTCUA_JWT_SECRET (development tokens and the development sign-in page"},
		"dev payload key, LAN api":    {with(map[string]string{"MOTCUA_HTTP_ADDR": "192.168.1.10:8080"}, "MOTCUA_PAYLOAD_KEYS"), "MOTCUA_HTTP_ADDR=192.168.1.10:8080 not on loopback"},
		"dev webhook secret, sim":     {with(map[string]string{"MOTCUA_SIM_ADDR": "0.0.0.0:8090", "MOTCUA_PAYMENT_WEBHOOK_SECRET": config.DevPaymentWebhookSecret}), "MOTCUA_PAYMENT_WEBHOOK_SECRET unset, short or the development default"},
		"unset webhook, worker":       {with(map[string]string{"MOTCUA_WORKER_METRICS_ADDR": ":9090"}, "MOTCUA_POSTAL_WEBHOOK_SECRET"), "MOTCUA_WORKER_METRICS_ADDR=:9090"},
		"host name is exposed":        {with(map[string]string{"MOTCUA_PPROF_ADDR": "myhost:6060", "MOTCUA_JWT_SECRET": long}), "MOTCUA_PPROF_ADDR=myhost:6060"},
	} {
		_, err := config.Load(env(c.env))
		if c.want == "" {
			require.NoError(t, err, name)
			continue
		}
		require.ErrorContains(t, err, c.want, name)
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(map[string]string{"MOTCUA_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32"}))
	require.NoError(t, err)
	ps, err := c.TrustedProxyPrefixes()
	require.NoError(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	require.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, got)
	_, err = config.Load(env(map[string]string{"MOTCUA_TRUSTED_PROXIES": "ingress.local"}))
	require.ErrorContains(t, err, `MOTCUA_TRUSTED_PROXIES: "ingress.local" is neither an address nor a CIDR range`)
}

// The worker's sticky cache is bounded unless the setting gives it back to
// the SDK (0).
func TestWorkerCacheSize(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(map[string]string{"MOTCUA_ENV": "development"}))
	require.NoError(t, err)
	require.Equal(t, 1000, c.WorkerCacheSize, "bounded by default")
	c, err = config.Load(env(map[string]string{"MOTCUA_ENV": "development", "MOTCUA_WORKER_CACHE_SIZE": "500"}))
	require.NoError(t, err)
	require.Equal(t, 500, c.WorkerCacheSize)
	c, err = config.Load(env(map[string]string{"MOTCUA_ENV": "development", "MOTCUA_WORKER_CACHE_SIZE": "0"}))
	require.NoError(t, err)
	require.Equal(t, 0, c.WorkerCacheSize, "0: the SDK's default")
}
