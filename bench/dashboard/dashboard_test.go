package dashboard_test

import (
	"bytes"
	"context"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/bench/dashboard"
	"github.com/motcua/motcua/deploy/grafana"
	"github.com/motcua/motcua/internal/telemetry"
)

// The rules of PromQL's histogram_quantile, each computed by hand.
func TestQuantileFollowsPrometheus(t *testing.T) {
	b := func(pairs ...float64) []dashboard.Bucket {
		var out []dashboard.Bucket
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, dashboard.Bucket{UpperBound: pairs[i], Count: pairs[i+1]})
		}
		return out
	}
	inf := math.Inf(+1)
	h := b(0.01, 7, 0.1, 17, 1, 19, inf, 20)
	// rank 10 in (0.01, 0.1], 3 of its 10: 0.01 + 0.09 × 3/10.
	require.InDelta(t, 0.037, dashboard.Quantile(0.5, h), 1e-12)
	// rank 19 in (0.1, 1], 2 of its 2: its upper bound.
	require.InDelta(t, 1.0, dashboard.Quantile(0.95, h), 1e-12)
	// rank 19.8 in the +Inf bucket: the highest finite bound.
	require.Equal(t, 1.0, dashboard.Quantile(0.99, h))
	// The lowest bucket interpolates from 0: rank 3.5 of its 7.
	require.InDelta(t, 0.005, dashboard.Quantile(0.175, h), 1e-12)
	// Order of the buckets does not matter.
	require.InDelta(t, 0.037, dashboard.Quantile(0.5, b(inf, 20, 1, 19, 0.01, 7, 0.1, 17)), 1e-12)
	// Equal bounds are added up: (0.1, 10) twice is (0.1, 20); rank 10 of its 20.
	require.InDelta(t, 0.05, dashboard.Quantile(0.25, b(0.1, 10, 0.1, 10, inf, 40)), 1e-12)
	// A count that falls is raised to the previous one (monotonic envelope):
	// 0.5 falls to 4, read as 6; rank 7 of 8 is in (0.5, 1], 1 of its 2.
	require.InDelta(t, 0.75, dashboard.Quantile(0.875, b(0.1, 6, 0.5, 4, 1, 8, inf, 8)), 1e-12)
	// A lowest bucket bound at or below 0 is returned as is.
	require.Equal(t, -1.0, dashboard.Quantile(0.1, b(-1, 5, 1, 10, inf, 10)))
	require.True(t, math.IsNaN(dashboard.Quantile(0.5, b(0.1, 1, 1, 2))), "no +Inf bucket")
	require.True(t, math.IsNaN(dashboard.Quantile(0.5, b(inf, 3))), "fewer than two buckets")
	require.True(t, math.IsNaN(dashboard.Quantile(0.5, b(0.1, 0, inf, 0))), "no observations")
	require.True(t, math.IsNaN(dashboard.Quantile(math.NaN(), h)))
	require.True(t, math.IsInf(dashboard.Quantile(-0.1, h), -1))
	require.True(t, math.IsInf(dashboard.Quantile(1.1, h), +1))
}

func load(t *testing.T, job, file string) dashboard.Scrape {
	t.Helper()
	s, err := dashboard.Load(context.Background(), job, file)
	require.NoError(t, err)
	return s
}

func fixture(t *testing.T) dashboard.Scrape {
	return load(t, "api", "testdata/api.txt").Add(load(t, "worker", "testdata/worker.txt"))
}

func evaluate(t *testing.T, expr string, s dashboard.Scrape) map[string]dashboard.Series {
	t.Helper()
	r := dashboard.Evaluate(dashboard.Target{Expr: expr, LegendFormat: "{{route}}"}, s)
	require.NoError(t, r.Err)
	out := map[string]dashboard.Series{}
	for _, x := range r.Series {
		out[x.Legend] = x
	}
	return out
}

// The dashboard's quantile panels over the fixture: the buckets of the
// three API series summed by le (0.01: 8, 0.1: 18, 1: 20, +Inf: 21), and by
// route, computed by hand.
func TestPanelsOverFixture(t *testing.T) {
	s := fixture(t)
	all := func(q string) float64 {
		r := evaluate(t, `histogram_quantile(`+q+`, sum by (le) (rate(motcua_http_request_duration_seconds_bucket{job=~"$api_job"}[$__rate_interval])))`, s)
		require.Len(t, r, 1)
		require.Equal(t, 21.0, r[""].Observations)
		return r[""].Value
	}
	require.InDelta(t, 0.0325, all("0.5"), 1e-12)  // rank 10.5: 0.01 + 0.09 × 2.5/10
	require.InDelta(t, 0.9775, all("0.95"), 1e-12) // rank 19.95: 0.1 + 0.9 × 1.95/2
	require.Equal(t, 1.0, all("0.99"))             // rank 20.79: in +Inf

	byRoute := evaluate(t, `histogram_quantile(0.95, sum by (le, route) (rate(motcua_http_request_duration_seconds_bucket{job=~"$api_job"}[$__rate_interval])))`, s)
	require.Len(t, byRoute, 2)
	// POST: 3, 9, 11, 11; rank 10.45: 0.1 + 0.9 × 1.45/2.
	require.InDelta(t, 0.7525, byRoute["/v1/dossiers"].Value, 1e-12)
	require.Equal(t, 11.0, byRoute["/v1/dossiers"].Observations)
	// GET: 5, 9, 9, 10; rank 9.5 is in +Inf: the highest finite bound.
	require.Equal(t, 1.0, byRoute["/v1/dossiers/{code}"].Value)

	// The worker's job is not the API's: no API series there.
	require.Empty(t, evaluate(t, `histogram_quantile(0.95, sum by (le) (rate(motcua_http_request_duration_seconds_bucket{job=~"$worker_job"}[5m])))`, s))

	byStatus := evaluate(t, `sum by (status) (rate(motcua_http_request_duration_seconds_count{job=~"$api_job", status=~"4..|5.."}[5m]))`, s)
	require.Len(t, byStatus, 1)
	require.Equal(t, 1.0, byStatus[""].Value) // the legend is {{route}}, absent here
}

// The documented alerts over the fixture: schedule-to-start p95 is 4.5 s
// (rank 3.8 of 0.5: 1, 2.5: 3, 5: 4: 2.5 + 2.5 × 0.8), above 2 s; one 5xx
// in 21 requests is 4.76%; no workflow task failure counter: 0; three
// failures of RequestPayment.
func TestAlertsOverFixture(t *testing.T) {
	s := fixture(t)
	want := map[string]struct {
		v     float64
		fires bool
	}{
		"workflow task schedule-to-start p95 above 2 s for 10 minutes":       {4.5, true},
		"API 5xx rate above 1% for 5 minutes":                                {1.0 / 21, true},
		"any temporal_workflow_task_execution_failed_total increase":         {0, false},
		"activity failures of RequestPayment/RequestShipment for 15 minutes": {3, true},
	}
	require.Len(t, dashboard.Alerts, len(want))
	for _, a := range dashboard.Alerts {
		v, fires, err := a.Evaluate(s)
		require.NoError(t, err, a.Doc)
		require.InDelta(t, want[a.Doc].v, v, 1e-12, a.Doc)
		require.Equal(t, want[a.Doc].fires, fires, a.Doc)
	}
}

// A baseline taken before the run: counters and buckets become their
// increase, gauges stay at the end's value.
func TestSinceBaseline(t *testing.T) {
	s := load(t, "worker", "testdata/worker.txt").Since(load(t, "worker", "testdata/worker-before.txt"))
	// Only the 5 s bucket gained one: rank 0.95 of it: 2.5 + 2.5 × 0.95.
	p95 := evaluate(t, `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_schedule_to_start_latency_seconds_bucket{job=~"$worker_job"}[1m])))`, s)
	require.InDelta(t, 4.875, p95[""].Value, 1e-12)
	require.Equal(t, 1.0, p95[""].Observations)
	r := dashboard.Evaluate(dashboard.Target{Expr: `sum by (activity_type) (rate(temporal_activity_execution_failed_total{job=~"$worker_job"}[1m]))`, LegendFormat: "{{activity_type}}"}, s)
	require.NoError(t, r.Err)
	require.Equal(t, []dashboard.Series{{Legend: "RequestPayment", Value: 2}, {Legend: "SendNotice", Value: 2}}, r.Series)
	slots := evaluate(t, `sum by (worker_type) (temporal_worker_task_slots_available{job=~"$worker_job"})`, s)
	require.Equal(t, 198.0, slots[""].Value, "a gauge is not subtracted")
}

// Every query of the dashboard operators import is understood, and the
// report names every query panel: a new panel is not forgotten.
func TestEveryPanelEvaluates(t *testing.T) {
	d, err := dashboard.ParseDashboard(grafana.Dashboard)
	require.NoError(t, err)
	s := fixture(t)
	panels := d.QueryPanels()
	require.GreaterOrEqual(t, len(panels), 10)
	var out bytes.Buffer
	dashboard.Write(&out, d, s, dashboard.Options{})
	for _, p := range panels {
		require.Contains(t, out.String(), p.Title)
		for _, tg := range p.Targets {
			require.NoError(t, dashboard.Evaluate(tg, s).Err, "panel %q %s", p.Title, tg.RefID)
		}
	}
	require.NotContains(t, out.String(), "not evaluated")
	require.Regexp(t, `p95\s+977\.5 ms\s+\(21 observations\)`, out.String())
	require.Regexp(t, `workflow tasks\s+4\.50 s`, out.String())
	require.Regexp(t, `schedule-to-start p95 above 2 s for 10 minutes\s+4\.50 s\s+WOULD FIRE`, out.String())
	require.Regexp(t, `any temporal_workflow_task_execution_failed_total increase\s+0\s+would not fire`, out.String())
	require.Regexp(t, `RequestPayment\s+3\n`, out.String())
}

// Each alert evaluated is one docs/OPERATIONS.md recommends, in its words.
func TestAlertsAreTheDocumentedOnes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/OPERATIONS.md")
	require.NoError(t, err)
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "")), " ")
	}
	doc := norm(string(raw))
	for _, a := range dashboard.Alerts {
		require.Contains(t, doc, norm(a.Doc))
	}
}

// The worker's real exposition (the OpenTelemetry Prometheus exporter of
// internal/telemetry) parses, and one 40 ms workflow task reads as the
// middle of its bucket (0.025, 0.05]: 37.5 ms at p50.
func TestRealWorkerExposition(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Service: "test"})
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	tel.TemporalMetrics.Timer("temporal_workflow_task_execution_latency").Record(40 * time.Millisecond)
	srv := httptest.NewServer(tel.Handler())
	defer srv.Close()
	s, err := dashboard.Load(context.Background(), "worker", srv.URL+"/metrics")
	require.NoError(t, err)
	r := evaluate(t, `histogram_quantile(0.5, sum by (le) (rate(temporal_workflow_task_execution_latency_seconds_bucket{job=~"$worker_job"}[1m])))`, s)
	require.InDelta(t, 0.0375, r[""].Value, 1e-12)
}
