// Package dashboard evaluates the Grafana dashboard's panels (and the
// alerts docs/OPERATIONS.md recommends) over one scrape of the API's and
// the worker's /metrics taken at the end of a benchmark run: the figure
// each panel would show over the whole run, computed as Prometheus would
// (histogram_quantile's linear interpolation inside a bucket and its
// special cases). `motcua bench dashboard` prints it; `make bench` runs it
// after each throughput run.
package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Bucket is one cumulative bucket of a classic histogram.
type Bucket struct {
	UpperBound float64
	Count      float64
}

// Quantile is PromQL's histogram_quantile over classic buckets: the
// quantile is interpolated linearly inside the bucket it falls in (from 0
// for the lowest bucket when its bound is positive); in the +Inf bucket it
// is the highest finite bound. NaN without a +Inf bucket, with fewer than
// two buckets, or without observations; -Inf for q < 0, +Inf for q > 1.
// Buckets of equal bounds are added up and counts that fall are raised to
// the previous bucket's, as Prometheus does.
func Quantile(q float64, buckets []Bucket) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(+1)
	case len(buckets) == 0:
		return math.NaN()
	}
	b := append([]Bucket(nil), buckets...)
	sort.SliceStable(b, func(i, j int) bool { return b[i].UpperBound < b[j].UpperBound })
	if !math.IsInf(b[len(b)-1].UpperBound, +1) {
		return math.NaN()
	}
	merged := b[:1]
	for _, x := range b[1:] {
		if last := &merged[len(merged)-1]; x.UpperBound == last.UpperBound {
			last.Count += x.Count
		} else {
			merged = append(merged, x)
		}
	}
	b = merged
	for i := 1; i < len(b); i++ {
		b[i].Count = math.Max(b[i].Count, b[i-1].Count)
	}
	if len(b) < 2 {
		return math.NaN()
	}
	total := b[len(b)-1].Count
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	i := sort.Search(len(b)-1, func(i int) bool { return b[i].Count >= rank })
	if i == len(b)-1 {
		return b[len(b)-2].UpperBound
	}
	if i == 0 && b[0].UpperBound <= 0 {
		return b[0].UpperBound
	}
	start, end, count := 0.0, b[i].UpperBound, b[i].Count
	if i > 0 {
		start = b[i-1].UpperBound
		count -= b[i-1].Count
		rank -= b[i-1].Count
	}
	return start + (end-start)*rank/count
}

// series is one flat sample of an exposition, as Prometheus stores it
// (a histogram becomes its _bucket{le}, _count and _sum series), with the
// labels a scrape adds: job (the source's name) and instance (where it
// was read).
type series struct {
	name    string
	labels  map[string]string
	value   float64
	counter bool // counters and histograms: subtracted from a baseline
}

// Scrape is the flat samples of one or more /metrics expositions.
type Scrape struct{ series []series }

// ReadExposition parses a Prometheus text exposition read from job
// (instance: where it came from).
func ReadExposition(r io.Reader, job, instance string) (Scrape, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return Scrape{}, fmt.Errorf("%s: %w", instance, err)
	}
	var out Scrape
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{"job": job, "instance": instance}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			add := func(name string, labels map[string]string, v float64, counter bool) {
				labels = without(labels)
				labels["__name__"] = name
				out.series = append(out.series, series{name: name, labels: labels, value: v, counter: counter})
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, labels, m.GetCounter().GetValue(), true)
			case dto.MetricType_GAUGE:
				add(name, labels, m.GetGauge().GetValue(), false)
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				count := float64(h.GetSampleCount())
				if h.SampleCountFloat != nil {
					count = h.GetSampleCountFloat()
				}
				hasInf := false
				for _, b := range h.GetBucket() {
					hasInf = hasInf || math.IsInf(b.GetUpperBound(), +1)
					c := float64(b.GetCumulativeCount())
					if b.CumulativeCountFloat != nil {
						c = b.GetCumulativeCountFloat()
					}
					bl := without(labels)
					bl["le"] = formatBound(b.GetUpperBound())
					add(name+"_bucket", bl, c, true)
				}
				// The +Inf bucket is the count, when the exposition
				// leaves it out.
				if !hasInf {
					bl := without(labels)
					bl["le"] = "+Inf"
					add(name+"_bucket", bl, count, true)
				}
				add(name+"_count", labels, count, true)
				add(name+"_sum", labels, h.GetSampleSum(), true)
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				add(name+"_count", labels, float64(s.GetSampleCount()), true)
				add(name+"_sum", labels, s.GetSampleSum(), true)
			default:
				add(name, labels, m.GetUntyped().GetValue(), false)
			}
		}
	}
	return out, nil
}

// formatBound writes a bucket bound as Prometheus' le label does.
func formatBound(v float64) string {
	if math.IsInf(v, +1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Load reads the exposition at src, an http(s) URL or a file, as job; its
// instance label is the URL's host:port or the file's name.
func Load(ctx context.Context, job, src string) (Scrape, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return Scrape{}, err
		}
		// The classic text format: its histograms are what the panels
		// query.
		req.Header.Set("Accept", "text/plain;version=0.0.4")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return Scrape{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return Scrape{}, fmt.Errorf("%s: %s", src, resp.Status)
		}
		return ReadExposition(resp.Body, job, req.URL.Host)
	}
	f, err := os.Open(src)
	if err != nil {
		return Scrape{}, err
	}
	defer f.Close()
	return ReadExposition(f, job, filepath.Base(src))
}

// Add appends other's samples (another job's scrape).
func (s Scrape) Add(other Scrape) Scrape {
	return Scrape{series: append(append([]series(nil), s.series...), other.series...)}
}

// Since is s less a baseline taken at the start of the run: counters and
// histogram buckets become their increase (a series that went down was
// reset: its whole value counts, as increase() does); gauges keep their
// value at the end. The baseline's instance label is ignored.
func (s Scrape) Since(before Scrape) Scrape {
	at := map[string]float64{}
	for _, b := range before.series {
		if b.counter {
			at[identity(b.labels)] = b.value
		}
	}
	out := Scrape{series: make([]series, len(s.series))}
	copy(out.series, s.series)
	for i, x := range out.series {
		if !x.counter {
			continue
		}
		if v, ok := at[identity(x.labels)]; ok && x.value >= v {
			out.series[i].value = x.value - v
		}
	}
	return out
}

func identity(labels map[string]string) string {
	k, _ := groupKey(without(labels, "instance"), sortedKeys(without(labels, "instance")))
	return k
}

// Dashboard is what this package reads of a Grafana dashboard.
type Dashboard struct {
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Panel is a dashboard panel: a row holds its collapsed panels.
type Panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []Target `json:"targets"`
	Panels  []Panel  `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

// ParseDashboard decodes a dashboard's JSON.
func ParseDashboard(raw []byte) (Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// QueryPanels is every panel with queries, rows' collapsed panels included,
// in the dashboard's order.
func (d Dashboard) QueryPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			if len(p.Targets) > 0 {
				out = append(out, p)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Options are the choices of Write.
type Options struct {
	// Top is how many series a panel shows at most (the busiest first).
	Top int
}

// Result is one target's evaluation.
type Result struct {
	Target Target
	// Kind is quantile (seconds; Observations counted), count (a
	// counter's increase over the run) or value (a gauge at the end).
	Kind   string
	Series []Series
	Err    error
}

// Series is one line of a panel's legend.
type Series struct {
	Legend       string
	Value        float64
	Observations float64
}

// Evaluate evaluates one query over the run.
func Evaluate(t Target, s Scrape) Result {
	r := Result{Target: t}
	n, err := parseExpr(t.Expr)
	if err != nil {
		r.Err = err
		return r
	}
	r.Kind = kind(n)
	v, err := eval(n, s.series)
	if err != nil {
		r.Err = err
		return r
	}
	for _, x := range v {
		if r.Kind == "quantile" && x.observations == 0 {
			continue // no observation over the run: no point on the graph
		}
		r.Series = append(r.Series, Series{Legend: legend(t.LegendFormat, x.labels), Value: x.value, Observations: x.observations})
	}
	// The busiest first: requests for quantiles, the largest counts.
	sort.SliceStable(r.Series, func(i, j int) bool {
		a, b := r.Series[i], r.Series[j]
		if r.Kind == "quantile" && a.Observations != b.Observations {
			return a.Observations > b.Observations
		}
		if r.Kind != "quantile" && a.Value != b.Value {
			return a.Value > b.Value
		}
		return a.Legend < b.Legend
	})
	return r
}

func kind(n node) string {
	switch n := n.(type) {
	case callNode:
		if n.fn == "histogram_quantile" {
			return "quantile"
		}
		return "count"
	case aggNode:
		return kind(n.arg)
	case divNode:
		return "ratio"
	}
	return "value"
}

// legend fills a legendFormat's {{label}} from labels.
func legend(format string, labels map[string]string) string {
	if format == "" {
		var parts []string
		for _, k := range sortedKeys(labels) {
			if k != "__name__" {
				parts = append(parts, k+"="+labels[k])
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	out := format
	for {
		i := strings.Index(out, "{{")
		j := strings.Index(out, "}}")
		if i < 0 || j < i {
			return out
		}
		out = out[:i] + labels[strings.TrimSpace(out[i+2:j])] + out[j+2:]
	}
}

// Format writes a figure for a reader: seconds in ms or s, counts whole,
// bytes in MiB, ratios in percent; "no data" for NaN (no observations).
func Format(kind, unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "no data"
	case kind == "quantile" || unit == "s":
		if math.Abs(v) < 1 {
			return fmt.Sprintf("%.1f ms", v*1000)
		}
		return fmt.Sprintf("%.2f s", v)
	case kind == "count":
		return strconv.FormatFloat(v, 'f', -1, 64)
	case kind == "ratio" || unit == "percentunit":
		return fmt.Sprintf("%.2f%%", v*100)
	case unit == "bytes":
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// Write prints every query panel of d evaluated over s, then the alerts.
func Write(w io.Writer, d Dashboard, s Scrape, opts Options) {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	fmt.Fprintf(w, "dashboard %q over the whole run (quantiles of all the run's observations; counts: increase over the run; gauges: at the end)\n", d.Title)
	for _, p := range d.QueryPanels() {
		fmt.Fprintf(w, "  %s\n", p.Title)
		for _, t := range p.Targets {
			r := Evaluate(t, s)
			switch {
			case r.Err != nil:
				fmt.Fprintf(w, "    %s: not evaluated: %v\n", t.RefID, r.Err)
				continue
			case len(r.Series) == 0:
				what := "no series"
				if r.Kind == "count" {
					what = "no series (none counted over the run)"
				}
				name := legend(t.LegendFormat, nil)
				if strings.TrimSpace(name) == "" {
					name = t.RefID
				}
				fmt.Fprintf(w, "    %-44s %s\n", name, what)
				continue
			}
			for i, x := range r.Series {
				if i == opts.Top {
					fmt.Fprintf(w, "    … and %d more\n", len(r.Series)-opts.Top)
					break
				}
				line := fmt.Sprintf("    %-44s %12s", x.Legend, Format(r.Kind, p.FieldConfig.Defaults.Unit, x.Value))
				if r.Kind == "quantile" {
					line += fmt.Sprintf("  (%.0f observations)", x.Observations)
				}
				fmt.Fprintln(w, line)
			}
		}
	}
	fmt.Fprintln(w, "alerts (docs/OPERATIONS.md \"Dashboards and alerts\"), judged on the whole run's figure:")
	for _, a := range Alerts {
		v, fires, err := a.Evaluate(s)
		switch {
		case err != nil:
			fmt.Fprintf(w, "  %-70s not evaluated: %v\n", a.Doc, err)
		case fires:
			fmt.Fprintf(w, "  %-70s %10s  WOULD FIRE\n", a.Doc, Format(a.Kind, a.Unit, v))
		default:
			fmt.Fprintf(w, "  %-70s %10s  would not fire\n", a.Doc, Format(a.Kind, a.Unit, v))
		}
	}
}

// Alert is a rule of docs/OPERATIONS.md "Alerts worth having" over the
// dashboard's metrics, as PromQL over the run: it fires when the value is
// above Above (absent series: no data, not firing, as in Prometheus).
type Alert struct {
	// Doc is the rule's words in docs/OPERATIONS.md (a test keeps them
	// there).
	Doc   string
	Expr  string
	Above float64
	// Kind and Unit format the value (see Format).
	Kind, Unit string
	// Absent is the value when the expression yields nothing (counters
	// the SDK has not created yet: none counted).
	Absent float64
}

// Alerts are the documented rules this package evaluates. The window of
// each rule is the whole run here.
var Alerts = []Alert{
	{Doc: "workflow task schedule-to-start p95 above 2 s for 10 minutes",
		Expr:  `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_schedule_to_start_latency_seconds_bucket{job=~"$worker_job"}[10m])))`,
		Above: 2, Kind: "quantile", Absent: math.NaN()},
	{Doc: "API 5xx rate above 1% for 5 minutes",
		Expr:  `sum(rate(motcua_http_request_duration_seconds_count{job=~"$api_job", status=~"5.."}[5m])) / sum(rate(motcua_http_request_duration_seconds_count{job=~"$api_job"}[5m]))`,
		Above: 0.01, Kind: "ratio", Absent: 0},
	{Doc: "any temporal_workflow_task_execution_failed_total increase",
		Expr:  `sum(increase(temporal_workflow_task_execution_failed_total{job=~"$worker_job"}[10m]))`,
		Above: 0, Kind: "count", Absent: 0},
	{Doc: "activity failures of RequestPayment/RequestShipment for 15 minutes",
		Expr:  `sum(increase(temporal_activity_execution_failed_total{job=~"$worker_job", activity_type=~"RequestPayment|RequestShipment"}[15m]))`,
		Above: 0, Kind: "count", Absent: 0},
}

// Evaluate is the alert's value over the run and whether it is above the
// threshold.
func (a Alert) Evaluate(s Scrape) (float64, bool, error) {
	n, err := parseExpr(a.Expr)
	if err != nil {
		return 0, false, err
	}
	v, err := eval(n, s.series)
	if err != nil {
		return 0, false, err
	}
	value := a.Absent
	if len(v) > 0 {
		value = v[0].value
	}
	return value, value > a.Above, nil
}
