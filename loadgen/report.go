package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Seed           uint64         `json:"seed"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
	Submitted      int            `json:"submitted"`
	Finished       int            `json:"finished"`
	Failed         int            `json:"failed"`
	PerSecond      float64        `json:"finished_per_second"`
	Endpoints      []Endpoint     `json:"endpoints"`
	Errors         map[string]int `json:"errors"`
	ErrorSamples   []string       `json:"error_samples,omitempty"`
	FinalStatus    map[string]int `json:"final_status"`
	Mix            string         `json:"mix"`
	OfferedRate    float64        `json:"offered_rate,omitempty"` // dossiers/s started (0: by concurrency)
	Concurrency    int            `json:"concurrency,omitempty"`
	// History: events per dossier, read from Temporal (nil: not read).
	History *HistoryStats `json:"history_events,omitempty"`
	// Memory: peak resident memory of the processes named (--api-pid, --worker-pid).
	Memory []Memory `json:"memory,omitempty"`
	// ClientCPUSeconds is the CPU the load generator itself used (its
	// HTTP clients, JSON, the simulated people), a share of the machine
	// the system under test did not get.
	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
	// ServerCPUSeconds is the CPU the Temporal server used over the run
	// (Options.ServerPID; 0: not measured).
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`

	RetrySummary // what was sent again (retry.go)
}

// Endpoint is the latency of one route pattern, in milliseconds.
type Endpoint struct {
	Endpoint string  `json:"endpoint"`
	Count    int     `json:"count"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// ErrorCount is the number of errors of every kind.
func (r Report) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// WriteText writes the report for people.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nloadgen report (seed %d, mix %s)\n", r.Seed, r.Mix)
	fmt.Fprintf(w, "  elapsed %.1fs, submitted %d, finished %d, failed %d, %.2f dossiers completed/s\n",
		r.ElapsedSeconds, r.Submitted, r.Finished, r.Failed, r.PerSecond)
	fmt.Fprintln(w, "  final status:")
	for _, k := range slices.Sorted(maps.Keys(r.FinalStatus)) {
		fmt.Fprintf(w, "    %-12s %d\n", k, r.FinalStatus[k])
	}
	fmt.Fprintln(w, "  latency (ms):")
	fmt.Fprintf(w, "    %-55s %7s %8s %8s %8s %8s\n", "endpoint", "count", "p50", "p95", "p99", "max")
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "    %-55s %7d %8.1f %8.1f %8.1f %8.1f\n", e.Endpoint, e.Count, e.P50, e.P95, e.P99, e.Max)
	}
	if h := r.History; h != nil {
		fmt.Fprintf(w, "  history events per dossier (%d dossiers read from Temporal): min %d, median %d, max %d (%s)\n",
			h.Dossiers, h.Min, h.Median, h.Max, h.MaxCode)
	}
	for _, m := range r.Memory {
		if m.Error != "" {
			fmt.Fprintf(w, "  memory of %s (pid %d): %s\n", m.Name, m.PID, m.Error)
			continue
		}
		fmt.Fprintf(w, "  memory of %s (pid %d): peak %.1f MiB (VmHWM), now %.1f MiB (VmRSS)\n", m.Name, m.PID, m.PeakMB, m.RSSMB)
	}
	fmt.Fprintf(w, "  CPU of the load generator itself: %.2f s (%.0f%% of one core)\n",
		r.ClientCPUSeconds, 100*r.ClientCPUSeconds/max(r.ElapsedSeconds, 1e-9))
	if r.ServerCPUSeconds > 0 && r.Finished > 0 {
		fmt.Fprintf(w, "  CPU of the Temporal server: %.2f s, %.1f ms per finished dossier\n",
			r.ServerCPUSeconds, 1000*r.ServerCPUSeconds/float64(r.Finished))
	}
	r.WriteRetries(w)
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "  errors: none")
		return
	}
	fmt.Fprintln(w, "  errors:")
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(w, "    %6d  %s\n", r.Errors[k], k)
	}
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "    e.g. %s\n", s)
	}
}

type stats struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int
	finals  map[string]int
	samples []string
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, errs: map[string]int{}, finals: map[string]int{}}
}

func (s *stats) observe(endpoint string, d time.Duration) {
	s.mu.Lock()
	s.lat[endpoint] = append(s.lat[endpoint], d)
	s.mu.Unlock()
}

func (s *stats) addError(kind string) {
	s.mu.Lock()
	s.errs[kind]++
	s.mu.Unlock()
}

func (s *stats) sample(msg string) {
	s.mu.Lock()
	if len(s.samples) < 5 {
		s.samples = append(s.samples, msg)
	}
	s.mu.Unlock()
}

func (s *stats) addFinal(status string) {
	s.mu.Lock()
	s.finals[status]++
	s.mu.Unlock()
}

func (s *stats) errorCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.errs {
		n += c
	}
	return n
}

// percentile of sorted durations, nearest rank, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

func (s *stats) report(elapsed time.Duration, submitted, finished, failed int) Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Report{
		ElapsedSeconds: elapsed.Seconds(), Submitted: submitted, Finished: finished, Failed: failed,
		Endpoints: []Endpoint{}, Errors: maps.Clone(s.errs), FinalStatus: maps.Clone(s.finals), ErrorSamples: slices.Clone(s.samples),
	}
	if elapsed > 0 {
		r.PerSecond = float64(finished) / elapsed.Seconds()
	}
	for _, ep := range slices.Sorted(maps.Keys(s.lat)) {
		ds := slices.Clone(s.lat[ep])
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		r.Endpoints = append(r.Endpoints, Endpoint{Endpoint: ep, Count: len(ds),
			P50: percentile(ds, 0.50), P95: percentile(ds, 0.95), P99: percentile(ds, 0.99), Max: percentile(ds, 1)})
	}
	return r
}
