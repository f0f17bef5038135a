package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/config"
)

// runHealthcheck is the container health check (the runtime image has no
// curl): GET URL, or without one /healthz of the API (MOTCUA_HTTP_ADDR) and
// of the worker's metrics listener (MOTCUA_WORKER_METRICS_ADDR), whichever
// this container runs. Exit 0 when one answers 200.
func runHealthcheck(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	var urls []string
	switch len(args) {
	case 0:
		for _, addr := range []string{cfg.HTTPAddr, cfg.WorkerMetricsAddr} {
			if addr != "" {
				urls = append(urls, "http://"+loopback(addr)+"/healthz")
			}
		}
	case 1:
		urls = args
	default:
		return errors.New("healthcheck: at most one URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	var errs []error
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = res.Body.Close()
		if res.StatusCode == http.StatusOK {
			fmt.Fprintln(stdout, "ok", u)
			return nil
		}
		errs = append(errs, fmt.Errorf("%s answered %d", u, res.StatusCode))
	}
	return fmt.Errorf("healthcheck: %w", errors.Join(errs...))
}

// loopback turns a listen address (":8080", "0.0.0.0:8080") into one to
// dial from the same host.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" || strings.HasPrefix(host, "[") {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
