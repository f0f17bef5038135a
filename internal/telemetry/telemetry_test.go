package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/telemetry"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	return rec.Body.String()
}

// A 40 ms workflow task is a 40 ms observation: it lands in the bucket
// le="0.05", not below 5 ms as with the OpenTelemetry SDK's default
// (millisecond) bounds, so p95 panels and alerts read true seconds.
func TestTemporalLatenciesUseSecondBuckets(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Service: "test"})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	tel.TemporalMetrics.Timer("temporal_workflow_task_execution_latency").Record(40 * time.Millisecond)
	out := scrape(t, tel.Handler())
	bucket := func(le string) string {
		m := regexp.MustCompile(`temporal_workflow_task_execution_latency_seconds_bucket\{le="` + regexp.QuoteMeta(le) + `"\} (\d+)`).FindStringSubmatch(out)
		require.NotNil(t, m, "no bucket le=%q in\n%s", le, out)
		return m[1]
	}
	require.Equal(t, "0", bucket("0.025"), "40 ms is above 25 ms")
	require.Equal(t, "1", bucket("0.05"), "40 ms is below 50 ms")
	require.Equal(t, "1", bucket("+Inf"))
}

// The SDK's metrics come out under the names the Grafana dashboard and
// docs/OPERATIONS.md use: timers as *_seconds histograms, counters as
// *_total.
func TestTemporalSDKMetricsReachPrometheus(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Service: "test"})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	require.False(t, tel.Tracing)
	require.Empty(t, tel.Interceptors)
	h := tel.TemporalMetrics.WithTags(map[string]string{"activity_type": "RequestPayment"})
	h.Timer("temporal_workflow_task_execution_latency").Record(40 * time.Millisecond)
	h.Timer("temporal_workflow_task_schedule_to_start_latency").Record(3 * time.Millisecond)
	h.Timer("temporal_activity_schedule_to_start_latency").Record(3 * time.Millisecond)
	h.Counter("temporal_activity_execution_failed").Inc(2)
	h.Counter("temporal_workflow_task_execution_failed").Inc(1)
	h.Gauge("temporal_worker_task_slots_available").Update(7)
	out := scrape(t, tel.Handler())
	require.Contains(t, out, `temporal_activity_execution_failed_total{activity_type="RequestPayment"} 2`)
	require.Contains(t, out, `temporal_worker_task_slots_available{activity_type="RequestPayment"} 7`)
	require.Contains(t, out, "go_goroutines")

	// Every temporal_* series the dashboard queries is one the handler makes.
	raw, err := os.ReadFile("../../deploy/grafana/motcua-dashboard.json")
	require.NoError(t, err)
	names := regexp.MustCompile(`temporal_[a-z_]+`).FindAllString(string(raw), -1)
	require.NotEmpty(t, names)
	for _, n := range names {
		if strings.HasPrefix(n, "temporal_local_activity") || strings.HasPrefix(n, "temporal_workflow_completed") ||
			strings.HasPrefix(n, "temporal_workflow_failed") {
			continue // recorded only by a running worker (checked by make test-prod-local)
		}
		require.Contains(t, out, n, "the dashboard queries %s, which the metrics handler does not produce", n)
	}
}

func TestTracingOnWithAnEndpoint(t *testing.T) {
	var got bytes.Buffer
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(&got, r.Body)
		w.WriteHeader(200)
	}))
	defer collector.Close()
	tel, err := telemetry.New(context.Background(), telemetry.Options{Service: "motcua-api", OTLPEndpoint: collector.URL})
	require.NoError(t, err)
	require.True(t, tel.Tracing)
	require.Len(t, tel.Interceptors, 1, "the Temporal tracing interceptor")
	// A request through the wrapped handler is a span, exported on shutdown.
	h := tel.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }), "motcua-api")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/procedures", nil))
	require.Equal(t, 204, rec.Code)
	require.NoError(t, tel.Shutdown(context.Background()))
	require.Contains(t, got.String(), "motcua-api", "the span reached the collector with the service name")
}

func TestJSONLogs(t *testing.T) {
	var buf bytes.Buffer
	telemetry.NewLogger(&buf, "json", "info").Info("dossier accepted", "dossier", "000.00.17.H39-261127-0001")
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "dossier accepted", line["msg"])
	require.Equal(t, "000.00.17.H39-261127-0001", line["dossier"])
	buf.Reset()
	telemetry.NewLogger(&buf, "text", "warn").Info("hidden")
	require.Empty(t, buf.String())
}

func TestProcessCPUGrowsWithWork(t *testing.T) {
	before := telemetry.ProcessCPU()
	if before <= 0 {
		t.Fatalf("ProcessCPU() = %v before any work; want > 0 (the test binary has run)", before)
	}
	// Spin until the clock moves (getrusage has tick granularity).
	x := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for i := range 1_000_000 {
			x ^= i
		}
		if telemetry.ProcessCPU()-before >= 20*time.Millisecond {
			return
		}
	}
	t.Fatalf("ProcessCPU() grew by %v in 5 s of spinning (x=%d); want ≥ 20ms", telemetry.ProcessCPU()-before, x)
}

func TestProcessCPUOfReadsProcStat(t *testing.T) {
	// This process, read both ways: /proc and getrusage agree to a few ticks.
	// Spin until it has used 150 ms of CPU (however busy the machine is).
	x := 0
	for deadline := time.Now().Add(20 * time.Second); telemetry.ProcessCPU() < 150*time.Millisecond && time.Now().Before(deadline); {
		for i := range 100_000 {
			x ^= i
		}
	}
	fromProc, err := telemetry.ProcessCPUOf(os.Getpid())
	require.NoError(t, err)
	self := telemetry.ProcessCPU()
	require.Greater(t, fromProc, 100*time.Millisecond, "spun to 150 ms of CPU (x=%d)", x)
	require.InDelta(t, self.Seconds(), fromProc.Seconds(), 0.1)
	_, err = telemetry.ProcessCPUOf(1 << 30)
	require.Error(t, err, "no such process")
}

func TestCPUSince(t *testing.T) {
	require.Zero(t, telemetry.CPUSince(0)(), "no process: not measured")
	require.Zero(t, telemetry.CPUSince(1<<30)(), "a process that cannot be read: not measured")
	proc, self := telemetry.CPUSince(os.Getpid()), telemetry.SelfCPUSince()
	x := 0
	for deadline := time.Now().Add(20 * time.Second); self() < 50*time.Millisecond && time.Now().Before(deadline); {
		for i := range 100_000 {
			x ^= i
		}
	}
	require.GreaterOrEqual(t, self(), 50*time.Millisecond, "x=%d", x)
	require.InDelta(t, self().Seconds(), proc().Seconds(), 0.05)
}
