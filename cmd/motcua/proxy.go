package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/motcua/motcua/config"
)

// upstreamHeader names, in every answer of `motcua proxy`, the API instance
// that served it: how `make test-prod-local` proves both instances took
// traffic, and how an operator tells them apart in a trace of requests.
const upstreamHeader = "Motcua-Upstream"

// proxyMaxBody bounds the request body the proxy keeps in memory so it can
// send the request again to another instance; the API refuses larger bodies
// itself (413), so nothing legitimate is cut.
const proxyMaxBody = 16 << 20

// runProxy serves a round-robin reverse proxy in front of several API
// instances: `make prod-local` runs two APIs behind one address with it. In
// a real deployment a load balancer (a Kubernetes Service, nginx) does this.
func runProxy(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: motcua proxy [-listen ADDR] UPSTREAM_URL...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	h, err := newProxy(fs.Args(), log)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *listen, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return serve(ctx, srv, cfg.ShutdownTimeout, log, "proxy")
}

// proxy picks the next upstream for each request; an upstream that refuses
// the connection (stopped, restarting) is skipped and the request goes to
// the next one, which is safe because it never reached the first.
type proxy struct {
	upstreams []*url.URL
	next      atomic.Uint64
	transport http.RoundTripper
	log       *slog.Logger
	rp        *httputil.ReverseProxy
}

func newProxy(raw []string, log *slog.Logger) (*proxy, error) {
	if len(raw) == 0 {
		return nil, errors.New("proxy: give at least one upstream URL, e.g. motcua proxy http://127.0.0.1:8081 http://127.0.0.1:8082")
	}
	p := &proxy{log: log, transport: http.DefaultTransport}
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("proxy: upstream %q is not an http(s) URL", r)
		}
		p.upstreams = append(p.upstreams, u)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport: roundTripFunc(p.roundTrip),
		ModifyResponse: func(res *http.Response) error {
			if u, ok := res.Request.Context().Value(upstreamKey{}).(string); ok {
				res.Header.Set(upstreamHeader, u)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.log.Warn("proxy: no upstream answered", "method", r.Method, "path", r.URL.Path, "err", err)
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, `{"type":"about:blank","title":"Bad Gateway","status":502,"detail":%q}`,
				"no API instance answered: "+err.Error())
		},
	}
	return p, nil
}

type upstreamKey struct{}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.rp.ServeHTTP(w, r) }

// roundTrip sends the request to the upstreams in turn, starting with the
// next in the rotation, until one accepts the connection.
func (p *proxy) roundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, proxyMaxBody+1))
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > proxyMaxBody {
			return &http.Response{StatusCode: http.StatusRequestEntityTooLarge, Header: http.Header{},
				Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
		}
		body = b
	}
	start := p.next.Add(1) - 1
	var lastErr error
	for i := range p.upstreams {
		u := p.upstreams[(start+uint64(i))%uint64(len(p.upstreams))]
		out := req.Clone(context.WithValue(req.Context(), upstreamKey{}, u.Host))
		out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
		out.URL.Path = strings.TrimRight(u.Path, "/") + req.URL.Path
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
			out.ContentLength = int64(len(body))
		}
		res, err := p.transport.RoundTrip(out)
		if err == nil {
			return res, nil
		}
		lastErr = err
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			return nil, err // it may have reached the upstream: never resend
		}
		p.log.Warn("proxy: upstream refused the connection; trying the next", "upstream", u.Host, "err", err)
	}
	return nil, lastErr
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
