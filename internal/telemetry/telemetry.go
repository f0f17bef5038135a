// Package telemetry wires what ops watch: Prometheus metrics of the Temporal
// SDK (through its OpenTelemetry metrics handler and the OpenTelemetry
// Prometheus exporter), OpenTelemetry tracing across HTTP → Temporal client
// → workflow → activities when an OTLP endpoint is configured, and the
// process's structured logger.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Options says what to set up.
type Options struct {
	// Service names the process in traces (service.name), e.g.
	// "motcua-api"; OTEL_SERVICE_NAME overrides it.
	Service string
	// OTLPEndpoint turns tracing on: spans are exported there over OTLP
	// (HTTP/protobuf). The exporter reads the other standard
	// OTEL_EXPORTER_OTLP_* variables (headers, TLS, timeout) itself.
	OTLPEndpoint string
	Log          *slog.Logger
}

// Telemetry holds the pieces a process plugs into its Temporal client and
// HTTP server.
type Telemetry struct {
	// Registry has the Go and process collectors and the Temporal SDK's
	// metrics (temporal_* names); serve it with Handler.
	Registry *prometheus.Registry
	// TemporalMetrics goes into client.Options.MetricsHandler.
	TemporalMetrics client.MetricsHandler
	// Interceptors go into client.Options.Interceptors: the tracing
	// interceptor when tracing is on, else none.
	Interceptors []interceptor.ClientInterceptor
	Tracing      bool
	shutdown     []func(context.Context) error
}

// LatencyBuckets are the histogram bucket bounds, in seconds, of every
// latency we export: from a millisecond (a sticky workflow task) to a minute
// (an update waiting out a Temporal restart). The HTTP histogram in package
// api uses them too.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// secondsView gives every histogram measured in seconds (all the Temporal
// SDK's timers) the LatencyBuckets. Without it the OpenTelemetry SDK uses
// its default bounds, meant for milliseconds (0, 5, 10, 25 … 10000): a
// 40 ms workflow task lands in le="5" and every p95 reads seconds.
var secondsView = sdkmetric.NewView(
	sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: LatencyBuckets}},
)

// New sets up metrics always and tracing when o.OTLPEndpoint is set.
func New(ctx context.Context, o Options) (*Telemetry, error) {
	t := &Telemetry{Registry: prometheus.NewRegistry()}
	t.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(t.Registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(secondsView))
	t.shutdown = append(t.shutdown, mp.Shutdown)
	t.TemporalMetrics = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: mp.Meter("temporal-sdk-go"),
		// Counters as Prometheus counters (…_total), so rate() works.
		UseMonotonicCounters: true,
		// A metric that cannot be recorded must never take a worker down.
		OnError: func(err error) {
			if o.Log != nil {
				o.Log.Warn("temporal sdk metric not recorded", "error", err)
			}
		},
	})
	if o.OTLPEndpoint == "" {
		return t, nil
	}
	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(o.OTLPEndpoint))
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter for %s: %w", o.OTLPEndpoint, err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(o.Service)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	// resource.Default() already holds OTEL_SERVICE_NAME when it is set;
	// keep it over our default name.
	if res2, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, res2); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.shutdown = append(t.shutdown, tp.Shutdown)
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: tp.Tracer("motcua")})
	if err != nil {
		return nil, fmt.Errorf("telemetry: temporal tracing interceptor: %w", err)
	}
	t.Interceptors = []interceptor.ClientInterceptor{ti}
	t.Tracing = true
	return t, nil
}

// Handler serves the registry in the Prometheus text format.
func (t *Telemetry) Handler() http.Handler {
	return promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{})
}

// HTTP wraps an HTTP handler so each request is a span (continuing a
// caller's traceparent) when tracing is on; otherwise it returns h as is.
func (t *Telemetry) HTTP(h http.Handler, name string) http.Handler {
	if !t.Tracing {
		return h
	}
	return otelhttp.NewHandler(h, name)
}

// Shutdown flushes spans still buffered and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(t.shutdown) - 1; i >= 0; i-- {
		errs = append(errs, t.shutdown[i](ctx))
	}
	return errors.Join(errs...)
}

// NewLogger is the process logger: JSON lines (one object per line, for a
// log pipeline) or logfmt-like text for a terminal, at a level.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
