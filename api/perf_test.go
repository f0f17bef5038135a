package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/motcua/motcua/api"
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
	s := newSystemOptions(t, 0, func(o *api.Options) { o.Store = apiStore })
	s.stopWorker()
	s.acts.Store = workerStore
	s.startWorker()

	var apiCost store.Counts
	act := func(f func()) {
		before := apiStore.Counts()
		f()
		apiCost = apiCost.Add(apiStore.Counts().Sub(before))
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
	act(func() {
		res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), "Idempotency-Key", "costs-"+testenv.RandomSuffix())
		require.Equal(t, 201, res.status, string(res.body))
		code = res.json(t)["code"].(string)
	})
	D := "/v1/dossiers/" + code
	act(func() { s.must(200, "POST", D+"/intake", map[string]any{"decision": "accept"}) })
	act(func() { s.must(200, "POST", D+"/review", map[string]any{"decision": "approve"}) })
	act(func() { s.must(200, "POST", D+"/approval", map[string]any{"decision": "approve"}) })
	d := wait(code, "a payment request", func(d store.Dossier) bool { return d.Fee.PaymentRef != "" })
	act(func() {
		out := s.simPost("/payment/v1/payment-requests/"+d.Fee.PaymentRef+"/pay", map[string]any{"outcome": "succeeded"})
		require.Equal(t, float64(200), out["callback_status"], out)
	})
	d = wait(code, "a shipment", func(d store.Dossier) bool { return d.Shipment != nil })
	for _, ev := range []string{"picked_up", "delivered"} {
		act(func() {
			out := s.simPost("/postal/v1/shipments/"+d.Shipment.Waybill+"/events", map[string]any{"event": ev})
			require.Equal(t, float64(200), out["callback_status"], out)
		})
	}
	var result workflows.DossierResult
	require.NoError(t, s.temporal.GetWorkflow(ctx, code, "").Get(ctx, &result))
	require.Equal(t, "returned", string(result.Status))
	workerCost := workerStore.Counts().Sub(workerBefore)

	events := 0
	iter := s.temporal.GetWorkflowHistory(ctx, code, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		_, err := iter.Next()
		require.NoError(t, err)
		events++
	}
	t.Logf("happy path (online, fee, postal return): %d history events; PostgreSQL: API %d transactions / %d statements, worker %d / %d",
		events, apiCost.Transactions, apiCost.Statements, workerCost.Transactions, workerCost.Statements)
	require.Positive(t, apiCost.Transactions)
	require.Positive(t, workerCost.Transactions)
}
