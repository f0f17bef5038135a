package api_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// TestHappyPathCosts counts what one happy-path dossier (online, fee,
// postal return: the shape `make bench` measures) costs: its history
// events, and the PostgreSQL transactions and statements of the API (its
// answers to the seven actions: submission, three decisions, the gateway's
// and the postal service's callbacks) and of the worker (everything the
// workflow writes and reads). The API and the worker get Stores of their
// own, so the counts are theirs alone (store.Counts); the test reads the
// dossier through the shared one. docs/PERFORMANCE.md reports the figures
// it logs; the bounds are issue 21's (events) and this code's (the
// transactions), so a change that adds work fails here.
func TestHappyPathCosts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	apiStore, err := store.Open(ctx, testenv.SharedStoreURL(t))
	require.NoError(t, err)
	t.Cleanup(apiStore.Close)
	workerStore, err := store.Open(ctx, testenv.SharedStoreURL(t))
	require.NoError(t, err)
	t.Cleanup(workerStore.Close)
	// With the calendar caches production runs with (MOTCUA_CALENDAR_CACHE_TTL).
	s := newSystemOptions(t, 0, func(o *api.Options) { o.Store, o.Calendars = apiStore, &activities.CalendarCache{} })
	s.stopWorker()
	s.acts.Store, s.acts.Calendars = workerStore, &activities.CalendarCache{}
	s.startWorker()
	// The first dossier fills the caches (the agencies' calendars, the
	// procedure versions); the second is what every later one costs.
	for i := range 2 {
		events, apiCost, workerCost := happyPathCosts(t, s, apiStore, workerStore)
		t.Logf("dossier %d, happy path (online, fee, postal return): %d history events; PostgreSQL: API %d transactions / %d statements, worker %d / %d",
			i+1, events, apiCost.Transactions, apiCost.Statements, workerCost.Transactions, workerCost.Statements)
		if i == 0 {
			continue
		}
		// 55 when, as here, the intake comes in a workflow task of its own
		// (as in production, where it comes minutes later); 50 when it
		// lands in the first one, as `make bench`'s usually does
		// (docs/PERFORMANCE.md; 57 and 52 before the workflow feature
		// level in the input took the start's version marker and its
		// upsert away).
		require.LessOrEqual(t, events, 55, "history events of the happy path")
		require.LessOrEqual(t, apiCost.Transactions, int64(31), "the API's PostgreSQL transactions per happy-path dossier")
		require.LessOrEqual(t, workerCost.Transactions, int64(10), "the worker's PostgreSQL transactions per happy-path dossier")
	}
}

// happyPathCosts runs one happy-path dossier and returns its history
// events and the API's and the worker's PostgreSQL work.
func happyPathCosts(t *testing.T, s *system, apiStore, workerStore *store.Store) (int, store.Counts, store.Counts) {
	ctx := context.Background()

	var apiCost store.Counts
	act := func(name string, f func()) {
		before := apiStore.Counts()
		f()
		c := apiStore.Counts().Sub(before)
		t.Logf("API %s: %d transactions, %d statements", name, c.Transactions, c.Statements)
		apiCost = apiCost.Add(c)
	}
	// wait reads the dossier through the shared store: not counted.
	wait := func(code, what string, cond func(d store.Dossier) bool) store.Dossier {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := s.store.Dossier(ctx, code)
			require.NoError(t, err)
			if cond(d) {
				return d
			}
			require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
			time.Sleep(20 * time.Millisecond)
		}
	}

	workerBefore := workerStore.Counts()
	var code string
	act("submission", func() {
		res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"),
			append(as(t, testPortal), "Idempotency-Key", "costs-"+testenv.RandomSuffix())...)
		require.Equal(t, 201, res.status, string(res.body))
		code = res.json(t)["code"].(string)
	})
	D := "/v1/dossiers/" + code
	// Tokens named here: without them the test harness reads the dossier
	// through the API to pick one (actorFor), which would be counted.
	officer := as(t, auth.Principal{Subject: "test-intake", Role: auth.RoleIntakeOfficer, Agency: center})
	reviewer := as(t, auth.Principal{Subject: "test-reviewer", Role: auth.RoleReviewer, Agency: justice})
	leader := as(t, auth.Principal{Subject: "test-leader", Role: auth.RoleLeader, Agency: justice})
	act("intake", func() { s.must(200, "POST", D+"/intake", map[string]any{"decision": "accept"}, officer...) })
	act("review", func() { s.must(200, "POST", D+"/review", map[string]any{"decision": "approve"}, reviewer...) })
	act("approval", func() { s.must(200, "POST", D+"/approval", map[string]any{"decision": "approve"}, leader...) })
	d := wait(code, "a payment request", func(d store.Dossier) bool { return d.Fee.PaymentRef != "" })
	act("payment callback", func() {
		out := s.simPost("/payment/v1/payment-requests/"+d.Fee.PaymentRef+"/pay", map[string]any{"outcome": "succeeded"})
		require.Equal(t, float64(200), out["callback_status"], out)
	})
	d = wait(code, "a shipment", func(d store.Dossier) bool { return d.Shipment != nil })
	for _, ev := range []string{"picked_up", "delivered"} {
		act("postal callback "+ev, func() {
			out := s.simPost("/postal/v1/shipments/"+d.Shipment.Waybill+"/events", map[string]any{"event": ev})
			require.Equal(t, float64(200), out["callback_status"], out)
		})
	}
	var result workflows.DossierResult
	require.NoError(t, s.temporal.GetWorkflow(ctx, code, "").Get(ctx, &result))
	require.Equal(t, "returned", string(result.Status))
	workerCost := workerStore.Counts().Sub(workerBefore)

	history := s.history(code)
	events := len(history)
	for _, ev := range history {
		if os.Getenv("MOTCUA_TEST_SHOW_HISTORY") != "" {
			t.Log(ev.EventId, ev.EventType)
		}
	}
	return events, apiCost, workerCost
}
