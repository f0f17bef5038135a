package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/portal"
	"github.com/motcua/motcua/sim"
)

// A dossier driven end to end leaves its full status sequence at the
// national portal — once each, in order, through a 503 and a lost answer —
// and ops read the sync's state: a dossier the portal refuses is a dead
// letter with its reason.
func TestPortalHoldsTheStatusSequence(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx, cancel := context.WithCancel(context.Background())
	ops := as(t, auth.Principal{Subject: "op", Role: auth.RoleOps})
	p := sim.NewNationalPortal("tok", sim.PortalOptions{})
	srv := httptest.NewServer(p)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	p.FailNext(1)
	p.LoseAnswerNext(1)
	go func() {
		defer close(done)
		// Retries after a second, so the test does not wait for the
		// production schedule.
		(&portal.Dispatcher{Store: s.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxIdle: time.Second,
			Backoff: notify.Backoff{First: time.Second, Max: time.Second}, Lease: 4 * time.Second,
			Portal: portal.Client{URL: srv.URL, Token: "tok", HTTP: &http.Client{Timeout: 5 * time.Second}}}).Run(ctx)
	}()

	d := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve",
		"result_document": map[string]any{"name": "giay-khai-sinh.pdf", "sha256": strings.Repeat("ef", 32)}})
	s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })

	// Our status changes, from the control sheet: the first event and
	// every one that changed the status.
	events, err := s.store.Events(context.Background(), code)
	require.NoError(t, err)
	var want, wantCodes []int
	for _, e := range events {
		if e.Seq == 1 || e.FromStatus != e.ToStatus {
			want, wantCodes = append(want, e.Seq), append(wantCodes, e.ToStatus.Code())
		}
	}
	require.Equal(t, 10, wantCodes[len(wantCodes)-1])
	var held []sim.PortalStatus
	require.Eventually(t, func() bool {
		held = p.Held(code)
		return len(held) >= len(want)
	}, 60*time.Second, 100*time.Millisecond, "the portal holds %v of %v", held, want)
	national := s.must(200, "GET", "/v1/procedures/HT-KS-01", nil)["national_code"]
	require.Equal(t, "1.001193", national, "the API shows the procedure's national code")
	var got, gotCodes []int
	for _, h := range held {
		got, gotCodes = append(got, h.Version), append(gotCodes, h.StatusCode)
		require.Equal(t, national, h.ProcedureCode, "the portal knows the procedure by its national code")
		require.Equal(t, "000.00.25.H39", h.AgencyCode)
	}
	require.Equal(t, want, got, "every status change once, in order")
	require.Equal(t, wantCodes, gotCodes)
	require.NotNil(t, held[len(held)-1].ReturnedAt)

	res := s.must(200, "GET", "/v1/portal-sync?status=accepted&limit=500", nil, ops...)
	found := 0
	for _, it := range res["items"].([]any) {
		if m := it.(map[string]any); m["dossier"] == code {
			found++
			require.Equal(t, "accepted", m["state"])
			require.Equal(t, national, m["national_code"])
			require.Equal(t, "HT-KS-01", m["procedure_code"])
		}
	}
	require.Equal(t, len(want), found)

	// The portal refuses another dossier for good: a dead letter, with
	// its reason, that ops see.
	// (By procedure: the item goes out as soon as the dossier is filed.)
	p.RefuseProcedure(s.must(200, "GET", "/v1/procedures/HT-TLHT-01", nil)["national_code"].(string),
		"the procedure is not published for this province")
	d = s.must(201, "POST", "/v1/dossiers", submission("HT-TLHT-01", "online", "counter"))
	refused := d["code"].(string)
	var dead map[string]any
	require.Eventually(t, func() bool {
		for _, it := range s.must(200, "GET", "/v1/portal-sync?limit=500", nil, ops...)["items"].([]any) {
			if m := it.(map[string]any); m["dossier"] == refused {
				dead = m
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, "failed", dead["state"])
	require.Equal(t, float64(1), dead["version"])
	require.Contains(t, dead["last_error"], "not published for this province")

	lag := s.must(200, "GET", "/v1/portal-sync?status=lagging", nil, ops...)
	require.Equal(t, float64(900), lag["lag_after_seconds"])
	for _, q := range []string{"status=lost", "limit=0", "limit=x", "dossier=" + code} {
		r := s.call("GET", "/v1/portal-sync?"+q, nil, ops...)
		require.Equal(t, 400, r.status, q)
		param, _, _ := strings.Cut(q, "=")
		require.Contains(t, string(r.body), `"field":"`+param+`"`, "the problem names the parameter: %s", r.body)
	}
	require.Equal(t, 403, s.call("GET", "/v1/portal-sync", nil, as(t, testPortal)...).status)
}
