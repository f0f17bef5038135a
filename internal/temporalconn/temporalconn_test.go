package temporalconn_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/temporalconn"
)

var defaults = temporalconn.Defaults{Address: "127.0.0.1:7233", Namespace: "default"}

// noFile points TEMPORAL_CONFIG_FILE at a file that does not exist, so the
// machine's own ~/.config/temporalio/temporal.toml stays out of the test.
func noFile(t *testing.T, env temporalconn.MapEnv) temporalconn.MapEnv {
	env["TEMPORAL_CONFIG_FILE"] = filepath.Join(t.TempDir(), "absent.toml")
	return env
}

func TestDefaultsWhenNothingIsSet(t *testing.T) {
	t.Parallel()
	opts, conn, err := temporalconn.Load(noFile(t, temporalconn.MapEnv{}), defaults)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7233", opts.HostPort)
	require.Equal(t, "default", opts.Namespace)
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.False(t, conn.TLS)
	require.False(t, conn.Secured())
	require.True(t, conn.Loopback())
}

// TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, which motcua has always read,
// keep their meaning.
func TestTheOldVariablesStillWork(t *testing.T) {
	t.Parallel()
	opts, conn, err := temporalconn.Load(noFile(t, temporalconn.MapEnv{
		"TEMPORAL_ADDRESS": "temporal-frontend.temporal:7233", "TEMPORAL_NAMESPACE": "motcua"}), defaults)
	require.NoError(t, err)
	require.Equal(t, "temporal-frontend.temporal:7233", opts.HostPort)
	require.Equal(t, "motcua", opts.Namespace)
	require.False(t, conn.Loopback())
}

func TestProfileFromTheFileAndVariablesOverIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.default]
address = "default-host:7233"

[profile.prod]
address = "prod-host:7233"
namespace = "dossiers"
api_key = "secret-key"
`), 0o600))
	opts, conn, err := temporalconn.Load(temporalconn.MapEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"}, defaults)
	require.NoError(t, err)
	require.Equal(t, "prod-host:7233", opts.HostPort)
	require.Equal(t, "dossiers", opts.Namespace)
	require.NotNil(t, opts.Credentials)
	require.True(t, conn.APIKey)
	require.True(t, conn.TLS, "an API key turns TLS on")
	require.True(t, conn.Secured())
	require.Equal(t, "prod", conn.Profile)

	opts, _, err = temporalconn.Load(temporalconn.MapEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod",
		"TEMPORAL_ADDRESS": "override:7233"}, defaults)
	require.NoError(t, err)
	require.Equal(t, "override:7233", opts.HostPort, "a variable wins over the file")
	require.Equal(t, "dossiers", opts.Namespace)

	_, _, err = temporalconn.Load(temporalconn.MapEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "staging"}, defaults)
	require.ErrorContains(t, err, "staging", "a profile that is not in the file is an error, not the defaults")

	require.NoError(t, os.WriteFile(file, []byte("[profile.default]\nadress = \"typo:7233\"\n"), 0o600))
	_, _, err = temporalconn.Load(temporalconn.MapEnv{"TEMPORAL_CONFIG_FILE": file}, defaults)
	require.Error(t, err, "a misspelt key is refused rather than ignored")
}

func TestMutualTLSFromVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := writeCertificate(t, dir)
	env := noFile(t, temporalconn.MapEnv{
		"TEMPORAL_ADDRESS":                 "127.0.0.1:7233",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    cert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     key,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": cert,
		"TEMPORAL_TLS_SERVER_NAME":         "temporal.test",
	})
	opts, conn, err := temporalconn.Load(env, defaults)
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	require.Len(t, opts.ConnectionOptions.TLS.Certificates, 1)
	require.NotNil(t, opts.ConnectionOptions.TLS.RootCAs)
	require.Equal(t, "temporal.test", opts.ConnectionOptions.TLS.ServerName)
	require.True(t, conn.TLS)
	require.True(t, conn.ClientCertificate)
	require.True(t, conn.Secured())

	env["TEMPORAL_TLS_CLIENT_KEY_PATH"] = filepath.Join(dir, "missing.key")
	_, _, err = temporalconn.Load(env, defaults)
	require.Error(t, err, "a client key that cannot be read stops the process instead of connecting without it")

	_, conn, err = temporalconn.Load(noFile(t, temporalconn.MapEnv{"TEMPORAL_TLS": "true"}), defaults)
	require.NoError(t, err)
	require.True(t, conn.TLS)
	require.False(t, conn.Secured(), "TLS alone authenticates the server, not the client")
}

// Getenv treats a variable set to "" as unset, as config.Load does.
func TestGetenvTreatsEmptyAsUnset(t *testing.T) {
	t.Parallel()
	m := map[string]string{"TEMPORAL_ADDRESS": "", "TEMPORAL_NAMESPACE": "ns",
		"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "absent.toml")}
	opts, _, err := temporalconn.Load(temporalconn.Getenv(func(k string) string { return m[k] }), defaults)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7233", opts.HostPort)
	require.Equal(t, "ns", opts.Namespace)
}

// writeCertificate writes a self-signed certificate and its key.
func writeCertificate(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "motcua test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}
