// Package testenv gives integration tests the real PostgreSQL and the real
// Temporal server that `make test` starts (scripts/test.sh), through
// MOTCUA_TEST_DATABASE_URL and MOTCUA_TEST_TEMPORAL_ADDRESS. A test that
// needs them and does not find them fails: it never skips silently.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/internal/temporalconn"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: integration tests need the servers that `make test` starts (PostgreSQL, Temporal, S3: scripts/test.sh)", name)
	}
	return v
}

// RandomSuffix returns a short random hex string for unique names.
func RandomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewDatabase creates a fresh database on the test server, applies the
// migrations, and drops it when the test ends. It returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := need(t, "MOTCUA_TEST_DATABASE_URL")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	name := "motcua_test_" + RandomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	_ = conn.Close(ctx)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse MOTCUA_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	dbURL := u.String()
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	if err := store.Migrate(ctx, dbURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dbURL
}

// NewStore opens a fresh, migrated and seeded database (the catalog and
// holiday table shipped in data/).
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := Seed(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Seed loads the shipped catalog and holiday table.
func Seed(ctx context.Context, s *store.Store) error {
	cat, err := catalog.Parse(data.Procedures)
	if err != nil {
		return err
	}
	if _, err := s.ImportCatalog(ctx, cat); err != nil {
		return err
	}
	table, err := calendar.ParseHolidays(data.Holidays)
	if err != nil {
		return err
	}
	return s.ImportHolidays(ctx, table)
}

var (
	sharedOnce  sync.Once
	sharedStore *store.Store
	sharedURL   string
	sharedErr   error
)

// SharedStore is one seeded database for a whole test binary. Dossier codes
// are workflow IDs on the shared Temporal server, so tests that start
// workflows must draw codes from one counter: this database's.
func SharedStore(t testing.TB) *store.Store {
	t.Helper()
	sharedOnce.Do(func() {
		base := need(t, "MOTCUA_TEST_DATABASE_URL")
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			sharedErr = err
			return
		}
		defer conn.Close(ctx)
		name := "motcua_shared_" + RandomSuffix()
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			sharedErr = err
			return
		}
		u, _ := url.Parse(base)
		u.Path = "/" + name
		if err := store.Migrate(ctx, u.String(), slog.New(slog.DiscardHandler)); err != nil {
			sharedErr = err
			return
		}
		sharedURL = u.String()
		if sharedStore, err = store.Open(ctx, u.String()); err != nil {
			sharedErr = err
			return
		}
		sharedErr = Seed(ctx, sharedStore)
	})
	if sharedErr != nil {
		t.Fatalf("shared test database: %v", sharedErr)
	}
	return sharedStore
}

// SharedStoreURL is the shared database's URL, for a test that needs a
// Store of its own on it (its own pool and Counts).
func SharedStoreURL(t testing.TB) string {
	SharedStore(t)
	return sharedURL
}

// Temporal connects to the test Temporal server, in a namespace of this
// test binary's own (see Namespace).
func Temporal(t testing.TB) client.Client {
	t.Helper()
	need(t, "MOTCUA_TEST_TEMPORAL_ADDRESS")
	c, err := DialTemporal()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

var (
	nsOnce sync.Once
	nsName string
	nsErr  error
)

// Namespace is a Temporal namespace of this test binary's own, with the
// dossier search attributes. Each test package has its own database and so
// its own dossier codes — the workflow IDs — and two packages sharing a
// namespace would attach each other's dossiers to the wrong workflows.
func Namespace() (string, error) {
	nsOnce.Do(func() { nsName, nsErr = createNamespace("motcua-test-" + RandomSuffix()) })
	return nsName, nsErr
}

func createNamespace(name string) (string, error) {
	addr := os.Getenv("MOTCUA_TEST_TEMPORAL_ADDRESS")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts, err := temporalOptions("", nil)
	if err != nil {
		return "", err
	}
	nc, err := client.NewNamespaceClient(opts)
	if err != nil {
		return "", fmt.Errorf("connect to test Temporal at %s: %w", addr, err)
	}
	defer nc.Close()
	if err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}); err != nil {
		return "", fmt.Errorf("register namespace %s: %w", name, err)
	}
	opts.Namespace = name
	c, err := client.Dial(opts)
	if err != nil {
		return "", err
	}
	defer c.Close()
	attrs := map[string]enums.IndexedValueType{}
	for n, typ := range workflows.SearchAttributeTypes() {
		attrs[n] = map[string]enums.IndexedValueType{"Keyword": enums.INDEXED_VALUE_TYPE_KEYWORD,
			"Datetime": enums.INDEXED_VALUE_TYPE_DATETIME, "Bool": enums.INDEXED_VALUE_TYPE_BOOL}[typ]
	}
	// A new namespace takes a moment to be known everywhere: retry.
	for {
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: name, SearchAttributes: attrs})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("search attributes for namespace %s: %w", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for {
		_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: name, Query: "DossierStatus = 'x'"})
		if err == nil {
			return name, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("namespace %s not ready: %w", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// Codec is the payload codec tests use: the development key, as `make dev`
// without MOTCUA_PAYLOAD_KEYS, so a history recorded from a test
// (MOTCUA_RECORD_HISTORIES) decrypts in the workflow replay tests.
func Codec() *codec.Codec { return codec.Development() }

// DialTemporal connects to the test Temporal server, in this binary's
// namespace, outside a test (e.g. in TestMain). Payloads are encrypted with
// Codec, as in production.
func DialTemporal() (client.Client, error) {
	return dialTemporal(Codec().DataConverter())
}

// TemporalWithoutCodec connects without the payload codec: it sees
// payloads as the Temporal server stores them (ciphertext).
func TemporalWithoutCodec(t testing.TB) client.Client {
	t.Helper()
	need(t, "MOTCUA_TEST_TEMPORAL_ADDRESS")
	c, err := dialTemporal(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func dialTemporal(dc converter.DataConverter) (client.Client, error) {
	ns, err := Namespace()
	if err != nil {
		return nil, err
	}
	opts, err := temporalOptions(ns, dc)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to test Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// TemporalOptions are the client options of the test Temporal server in
// namespace ns with data converter dc (nil: the SDK's): its address is
// MOTCUA_TEST_TEMPORAL_ADDRESS, its TLS, mutual TLS or API key come from the
// SDK's environment configuration as for every motcua process
// (internal/temporalconn; `make test-prod-local` sets TEMPORAL_TLS_* for its
// mutual-TLS frontend).
func TemporalOptions(ns string, dc converter.DataConverter) (client.Options, error) {
	return temporalOptions(ns, dc)
}

func temporalOptions(ns string, dc converter.DataConverter) (client.Options, error) {
	addr := os.Getenv("MOTCUA_TEST_TEMPORAL_ADDRESS")
	opts, _, err := temporalconn.Load(nil, temporalconn.Defaults{Address: addr, Namespace: ns})
	if err != nil {
		return client.Options{}, err
	}
	// The test server, whatever TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE the
	// shell running the tests may hold.
	opts.HostPort, opts.Namespace = addr, ns
	opts.Logger, opts.DataConverter = quietLogger(), dc
	if dc != nil {
		// With the codec, failures' messages are encrypted too, as in
		// production (codec.FailureConverter).
		opts.FailureConverter = Codec().FailureConverter()
	}
	return opts, nil
}

// SharedStoreIfOpen returns the shared store if a test opened it, else nil.
func SharedStoreIfOpen() *store.Store {
	if sharedErr != nil {
		return nil
	}
	return sharedStore
}

// TaskQueue returns a task queue name of the test's own, so its worker
// serves only its workflows.
func TaskQueue(t testing.TB) string {
	return fmt.Sprintf("test-%s-%s", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), RandomSuffix())
}

// S3 is the S3-compatible server `make test` starts (versitygw, see
// scripts/test.sh): its endpoint, credentials and bucket, with a prefix of
// the test's own so that tests sharing the bucket never see each other's
// objects. Missing: the test fails.
func S3(t testing.TB) document.S3Config {
	t.Helper()
	return document.S3Config{
		Insecure:  true,
		Endpoint:  need(t, "MOTCUA_TEST_S3_ENDPOINT"),
		AccessKey: need(t, "MOTCUA_TEST_S3_ACCESS_KEY"),
		SecretKey: need(t, "MOTCUA_TEST_S3_SECRET_KEY"),
		Bucket:    need(t, "MOTCUA_TEST_S3_BUCKET"),
		Prefix:    "test-" + RandomSuffix() + "/",
	}
}
