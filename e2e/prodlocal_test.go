//go:build prodlocal

package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/loadgen"
)

func need(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run `make test-prod-local`, which starts the stack and sets it", name)
	}
	return v
}

// countingTransport counts answers by the API instance the proxy says
// served them (the Motcua-Upstream header).
type countingTransport struct {
	mu   sync.Mutex
	by   map[string]int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err == nil {
		if u := res.Header.Get("Motcua-Upstream"); u != "" {
			c.mu.Lock()
			c.by[u]++
			c.mu.Unlock()
		}
	}
	return res, err
}

// metricSum adds up every sample of a metric (all label sets) in a
// Prometheus text exposition.
func metricSum(t *testing.T, url, name string) float64 {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	var sum float64
	found := false
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		require.NoError(t, err, line)
		sum += v
		found = true
	}
	require.NoError(t, sc.Err())
	require.True(t, found, "%s has no %s", url, name)
	return sum
}

// Dossiers of every kind go end to end through one address in front of two
// API instances, worked by two worker processes, on temporal-server with
// PostgreSQL persistence: nothing fails, both APIs answer, both workers
// execute workflow and activity tasks and report them as metrics.
func TestDossiersThroughTheProductionShape(t *testing.T) {
	apiURL := need(t, "MOTCUA_TEST_API_URL")
	simURL := need(t, "MOTCUA_TEST_SIM_URL")
	workerMetrics := strings.Split(need(t, "MOTCUA_TEST_WORKER_METRICS"), ",")
	// The stack's development token secret: loadgen signs a token for
	// each simulated person with it, as the API requires.
	secret := need(t, "MOTCUA_JWT_SECRET")
	require.Len(t, workerMetrics, 2, "the production shape runs two workers")

	ct := &countingTransport{by: map[string]int{}, next: http.DefaultTransport}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const n = 24
	rep, err := loadgen.Run(ctx, loadgen.Options{
		API: apiURL, Sim: simURL, JWTSecret: secret, Dossiers: n, Concurrency: 8, Seed: 9,
		DossierTimeout: 4 * time.Minute, Progress: 10 * time.Second,
		Client: &http.Client{Timeout: 30 * time.Second, Transport: ct},
	}, testWriter{t})
	require.NoError(t, err)
	require.Zero(t, rep.Failed, "failed dossiers: %v", rep.ErrorSamples)
	require.Zero(t, rep.ErrorCount(), "errors: %v %v", rep.Errors, rep.ErrorSamples)
	require.Equal(t, n, rep.Submitted)
	require.Equal(t, n, rep.Finished)

	ct.mu.Lock()
	by := ct.by
	ct.mu.Unlock()
	require.Len(t, by, 2, "both API instances must answer through the proxy: %v", by)
	for u, c := range by {
		require.Greater(t, c, 10, "instance %s answered only %d requests", u, c)
	}

	for _, m := range workerMetrics {
		require.Greater(t, metricSum(t, m, "temporal_workflow_task_execution_latency_seconds_count"), 0.0,
			"worker %s executed no workflow task", m)
		require.Greater(t, metricSum(t, m, "temporal_workflow_task_schedule_to_start_latency_seconds_count"), 0.0, m)
		require.Greater(t, metricSum(t, m, "temporal_request_total"), 0.0, m)
	}
	// Every status reached the national portal's stand-in (it times out
	// and answers 503 now and then: retries catch up), none refused.
	// The statuses were queued with the dossiers' writes; the dispatchers
	// push them a little later (retrying the stand-in's timeouts).
	pushed := func() float64 {
		sum := 0.0
		for _, m := range workerMetrics {
			sum += metricSum(t, m, "motcua_portal_sync_total")
		}
		return sum
	}
	require.Eventually(t, func() bool {
		return metricSum(t, workerMetrics[0], "motcua_portal_sync_pending") == 0 && pushed() > float64(n)
	}, 3*time.Minute, 2*time.Second, "statuses still waiting for the portal")
	require.Zero(t, metricSum(t, workerMetrics[0], "motcua_portal_sync_dead_letters"), "the portal refused statuses")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = testWriter{}
