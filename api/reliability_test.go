package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// TestTemporalDownIs503: while Temporal does not answer, submissions and
// actions are refused at once with 503 and Retry-After, nothing is
// written, and reads from PostgreSQL still work.
func TestTemporalDownIs503(t *testing.T) {
	t.Parallel()
	st := testenv.SharedStore(t)
	// Nothing listens on port 1: a Temporal that is down.
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	srv := api.New(api.Options{Clock: testenv.Clock(), Store: st, Temporal: tc, Log: slog.New(slog.DiscardHandler), Verifier: testSigner})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Watch(ctx, 200*time.Millisecond)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	s := &system{t: t, store: st, api: hs}

	// Let the watcher see it down.
	require.Eventually(t, func() bool {
		return s.call("GET", "/readyz?strict=true", nil).status == 503
	}, 10*time.Second, 100*time.Millisecond)
	// Readiness itself stays 200 (degraded): the API answers 503 with
	// Retry-After on the routes that need Temporal, not the load balancer.
	ready := s.call("GET", "/readyz", nil)
	require.Equal(t, 200, ready.status, string(ready.body))
	require.JSONEq(t, `{"status":"degraded","checks":{"postgres":"ok","temporal":"unavailable"}}`, string(ready.body))
	require.Equal(t, 400, s.call("GET", "/readyz?strict=maybe", nil).status)

	name := "Temporal Down " + testenv.RandomSuffix()
	body := submission("TP-LLTP-01", "online", "postal")
	body["applicant"].(map[string]any)["full_name"] = name
	start := time.Now()
	res := s.call("POST", "/v1/dossiers", body, as(t, testPortal)...)
	require.Equal(t, 503, res.status, string(res.body))
	require.NotEmpty(t, res.header.Get("Retry-After"))
	require.Less(t, time.Since(start), 2*time.Second, "refused at once, not after a timeout")
	// Nothing was written.
	rows, _, err := st.Inbox(context.Background(), store.InboxFilter{Query: name, Limit: 5})
	require.NoError(t, err)
	require.Empty(t, rows)

	res = s.call("POST", "/v1/dossiers/000.00.17.H39-261127-9999/intake", map[string]any{"decision": "accept"},
		as(t, auth.Principal{Subject: "io", Role: auth.RoleIntakeOfficer, Agency: center})...)
	require.Equal(t, 503, res.status, string(res.body))
	// Reads do not need Temporal.
	res = s.call("GET", "/v1/procedures", nil, as(t, testPortal)...)
	require.Equal(t, 200, res.status)
}

// TestDatabaseDownIs503: with PostgreSQL gone, reads and submissions
// answer 503 with Retry-After, quickly.
func TestDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	st, err := store.OpenLazy(context.Background(), testenv.NewDatabase(t))
	require.NoError(t, err)
	st.Close() // every query now fails as if the server were gone
	srv := api.New(api.Options{Clock: testenv.Clock(), Store: st, Temporal: testenv.Temporal(t), Log: slog.New(slog.DiscardHandler), Verifier: testSigner})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	s := &system{t: t, api: hs}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/dossiers/000.00.17.H39-261127-0001", nil},
		{"GET", "/v1/dossiers", nil},
		{"POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal")},
		{"GET", "/readyz?strict=true", nil},
	} {
		start := time.Now()
		res := s.call(c.method, c.path, c.body, as(t, auth.Principal{Subject: "op", Role: auth.RoleOps})...)
		if c.method == "POST" {
			res = s.call(c.method, c.path, c.body, as(t, testPortal)...)
		}
		require.Equal(t, 503, res.status, "%s %s: %s", c.method, c.path, res.body)
		require.NotEmpty(t, res.header.Get("Retry-After"))
		require.Less(t, time.Since(start), 5*time.Second)
	}
	// The probe stays ready: the answers above are the API's own.
	res := s.call("GET", "/readyz", nil)
	require.Equal(t, 200, res.status, string(res.body))
	require.Contains(t, string(res.body), `"postgres":"unavailable"`)
	require.Contains(t, string(res.body), `"status":"degraded"`)
}

// TestRacingDecisions: two officers decide the same intake at the same
// moment, one accepting and one refusing: exactly one wins, the other
// gets 409, and the control sheet has one intake decision.
func TestRacingDecisions(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	for round := range 3 {
		d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"))
		code := d["code"].(string)
		bodies := []map[string]any{{"decision": "accept"}, {"decision": "refuse", "note": "thiếu giấy tờ"}}
		statuses := make([]int, len(bodies))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				who := auth.Principal{Subject: fmt.Sprintf("officer-%d", i), Role: auth.RoleIntakeOfficer, Agency: center}
				statuses[i] = s.call("POST", "/v1/dossiers/"+code+"/intake", b, as(t, who)...).status
			}()
		}
		close(start)
		wg.Wait()
		require.ElementsMatch(t, []int{200, 409}, statuses, "round %d", round)
		intakes := 0
		for _, a := range s.actions(code) {
			if a == "intake.accept" || a == "intake.refuse" {
				intakes++
			}
		}
		require.Equal(t, 1, intakes, "round %d: one intake decision on the control sheet", round)
		s.requireReadModelMatchesWorkflow(code)
	}
}
