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
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllSubmatch(section[1], -1) {
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
	c, err := config.Load(env(map[string]string{"MOTCUA_SIMULATION_SPEED": "2880"}))
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
	c, err := config.Load(env(map[string]string{"MOTCUA_CLOCK_OFFSET": "-50h30m"}))
	require.NoError(t, err)
	require.Equal(t, -50*time.Hour-30*time.Minute, c.ClockOffset)
	c, err = config.Load(env(nil))
	require.NoError(t, err)
	require.Zero(t, c.ClockOffset, "business time is the wall clock by default")
}

func TestWebhookSecrets(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.Load(env(nil))
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
		{map[string]string{"MOTCUA_PAYMENT_WEBHOOK_SECRET": "mine"}, ""},
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
