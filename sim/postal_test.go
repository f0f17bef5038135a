package sim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/upstream/upstreamtest"
	"github.com/motcua/motcua/sim"
)

type postalEnv struct {
	ps   *sim.PostalService
	srv  *httptest.Server
	hook *hookServer
}

// newPostalEnv serves a postal service alone (not under /postal).
func newPostalEnv(t *testing.T, opts sim.PostalOptions) *postalEnv {
	t.Helper()
	hook := newHookServer(t)
	if opts.Logger == nil {
		opts.Logger = upstreamtest.Logger(t)
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = hookSecret
	}
	ps := sim.NewPostalService(opts)
	t.Cleanup(ps.Close)
	srv := httptest.NewServer(ps)
	t.Cleanup(srv.Close)
	return &postalEnv{ps: ps, srv: srv, hook: hook}
}

func (e *postalEnv) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return upstreamtest.CallJSON(t, e.srv.Client(), method, e.srv.URL+path, body)
}

func (e *postalEnv) shipmentBody(order string) string {
	return fmt.Sprintf(`{"order_number":%q,"recipient":{"name":"Trần Thị B","phone":"0987654321","address":"5 Lê Lợi, Huế"},"contents":"Kết quả","notify_url":%q}`,
		order, e.hook.URL+"/cb")
}

func (e *postalEnv) create(t *testing.T, order string) string {
	t.Helper()
	status, out := e.call(t, http.MethodPost, "/v1/shipments", e.shipmentBody(order))
	require.Equal(t, http.StatusCreated, status, out)
	return out["waybill"].(string)
}

func TestPostalCreateAndDuplicate(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	status, first := e.call(t, http.MethodPost, "/v1/shipments", e.shipmentBody("D-1"))
	require.Equal(t, http.StatusCreated, status)
	waybill := first["waybill"].(string)
	require.Regexp(t, `^EV[0-9]{9}VN$`, waybill)
	require.Equal(t, "requested", first["status"])
	require.Equal(t, "D-1", first["order_number"])
	require.Equal(t, map[string]any{"name": "Trần Thị B", "phone": "0987654321", "address": "5 Lê Lợi, Huế"}, first["recipient"])

	status, dup := e.call(t, http.MethodPost, "/v1/shipments", e.shipmentBody("D-1"))
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "already_exists", dup["error"])
	require.Equal(t, waybill, dup["waybill"])
	require.Equal(t, "requested", dup["status"])

	status, got := e.call(t, http.MethodGet, "/v1/shipments/"+waybill, "")
	require.Equal(t, http.StatusOK, status)
	// The repeat is counted (chaos runs read it), nothing else changes.
	require.EqualValues(t, 1, first["request_calls"])
	require.EqualValues(t, 2, got["request_calls"])
	first["request_calls"] = got["request_calls"]
	require.Equal(t, first, got)

	status, _ = e.call(t, http.MethodGet, "/v1/shipments/EV000000000VN", "")
	require.Equal(t, http.StatusNotFound, status)
}

func TestPostalWaybillsAreUnique(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	seen := map[string]bool{}
	for i := range 200 {
		w := e.create(t, fmt.Sprintf("D-%d", i))
		require.False(t, seen[w], w)
		seen[w] = true
	}
}

func TestPostalConcurrentDuplicatesCreateOneShipment(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	body := e.shipmentBody("D-1")
	statuses, waybills := postConcurrently(e.srv.Client(), e.srv.URL+"/v1/shipments", body, 20, "waybill")
	created := 0
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s)
		if s == http.StatusCreated {
			created++
		}
		require.Equal(t, waybills[0], waybills[i])
	}
	require.Equal(t, 1, created)
}

func TestPostalRejectsBadRequests(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	notify := e.hook.URL
	tests := []struct{ name, body, code string }{
		{"not json", `{`, "invalid_json"},
		{"unknown field", `{"orderNumber":"D"}`, "invalid_json"},
		{"no order_number", `{"recipient":{"name":"A","address":"HN"},"notify_url":"` + notify + `"}`, "invalid_request"},
		{"no name", `{"order_number":"D","recipient":{"address":"HN"},"notify_url":"` + notify + `"}`, "invalid_request"},
		{"no address", `{"order_number":"D","recipient":{"name":"A"},"notify_url":"` + notify + `"}`, "invalid_request"},
		{"no notify_url", `{"order_number":"D","recipient":{"name":"A","address":"HN"}}`, "invalid_request"},
		{"bad notify_url", `{"order_number":"D","recipient":{"name":"A","address":"HN"},"notify_url":"mailto:x@y"}`, "invalid_request"},
	}
	for _, tt := range tests {
		status, out := e.call(t, http.MethodPost, "/v1/shipments", tt.body)
		require.Equal(t, http.StatusBadRequest, status, tt.name)
		require.Equal(t, tt.code, out["error"], tt.name)
		require.NotEmpty(t, out["detail"], tt.name)
	}

	waybill := e.create(t, "D-ok")
	for _, body := range []string{``, `{"event":"lost"}`, `{"event":"delivered","at":"now"}`} {
		status, out := e.call(t, http.MethodPost, "/v1/shipments/"+waybill+"/events", body)
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, []any{"invalid_json", "invalid_request"}, out["error"], body)
	}
	status, out := e.call(t, http.MethodPost, "/v1/shipments/EV000000000VN/events", `{"event":"delivered"}`)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "not_found", out["error"])
	for _, body := range []string{`{}`, `{"suspended":"yes"}`} {
		status, _ = e.call(t, http.MethodPost, "/v1/admin/suspension", body)
		require.Equal(t, http.StatusBadRequest, status, body)
	}
	e.hook.None(t, 50*time.Millisecond)
}

func TestPostalSuspension(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	existing := e.create(t, "D-1")

	status, out := e.call(t, http.MethodPost, "/v1/admin/suspension", `{"suspended":true}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, out["suspended"])
	_, out = e.call(t, http.MethodGet, "/v1/admin/suspension", "")
	require.Equal(t, true, out["suspended"])

	for _, order := range []string{"D-2", "D-1"} {
		status, out = e.call(t, http.MethodPost, "/v1/shipments", e.shipmentBody(order))
		require.Equal(t, http.StatusServiceUnavailable, status, order)
		require.Equal(t, "service_suspended", out["error"], order)
	}
	// Shipments already accepted keep moving.
	status, _ = e.call(t, http.MethodPost, "/v1/shipments/"+existing+"/events", `{"event":"picked_up"}`)
	require.Equal(t, http.StatusOK, status)
	e.hook.Next(t)

	status, _ = e.call(t, http.MethodPost, "/v1/admin/suspension", `{"suspended":false}`)
	require.Equal(t, http.StatusOK, status)
	e.create(t, "D-2")
}

func TestPostalEventsAndUndeliverableCallback(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	waybill := e.create(t, "D-1")

	status, out := e.call(t, http.MethodPost, "/v1/shipments/"+waybill+"/events", `{"event":"failed","reason":"sai địa chỉ"}`)
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, waybill, out["waybill"])
	require.Equal(t, "failed", out["event"])
	require.EqualValues(t, http.StatusOK, out["callback_status"])
	require.Equal(t, "hook says OK", out["callback_body"])
	got := e.hook.Next(t)
	require.Equal(t, waybill, got.Body["waybill"])
	require.Equal(t, "D-1", got.Body["order_number"])
	require.Equal(t, "failed", got.Body["event"])
	require.Equal(t, "sai địa chỉ", got.Body["reason"])
	at, err := time.Parse(time.RFC3339, got.Body["at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), at, time.Minute)

	// A failed event without a reason gets a default one.
	status, _ = e.call(t, http.MethodPost, "/v1/shipments/"+waybill+"/events", `{"event":"failed"}`)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, e.hook.Next(t).Body["reason"])

	deadURL := upstreamtest.ClosedURL()
	status, created := e.call(t, http.MethodPost, "/v1/shipments", fmt.Sprintf(
		`{"order_number":"D-2","recipient":{"name":"A","address":"HN"},"notify_url":%q}`, deadURL))
	require.Equal(t, http.StatusCreated, status)
	status, out = e.call(t, http.MethodPost, "/v1/shipments/"+created["waybill"].(string)+"/events", `{"event":"picked_up"}`)
	require.Equal(t, http.StatusBadGateway, status)
	require.Equal(t, "callback_failed", out["error"])
	require.Equal(t, created["waybill"], out["waybill"])
}

func TestPostalAutoDeliver(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{AutoDeliverAfter: 10 * time.Millisecond})
	waybill := e.create(t, "D-1")
	require.Equal(t, "picked_up", e.hook.Next(t).Body["event"])
	require.Equal(t, "delivered", e.hook.Next(t).Body["event"])
	e.hook.None(t, 50*time.Millisecond)

	_, view := e.call(t, http.MethodGet, "/v1/shipments/"+waybill, "")
	require.Equal(t, "delivered", view["status"])
	require.Len(t, view["events"], 2)
}

func TestPostalAutoDeliverYieldsToManualEvents(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{AutoDeliverAfter: 200 * time.Millisecond})
	waybill := e.create(t, "D-1")
	status, _ := e.call(t, http.MethodPost, "/v1/shipments/"+waybill+"/events", `{"event":"failed"}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "failed", e.hook.Next(t).Body["event"])
	e.hook.None(t, 500*time.Millisecond)
}

func TestPostalCloseStopsPendingAutoDeliver(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{AutoDeliverAfter: time.Hour})
	waybill := e.create(t, "D-1")

	closed := make(chan struct{})
	go func() {
		e.ps.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		require.FailNow(t, "Close must cancel the pending timer, not wait for it")
	}
	e.ps.Close() // idempotent

	e.create(t, "D-2")
	e.hook.None(t, 100*time.Millisecond)
	_, view := e.call(t, http.MethodGet, "/v1/shipments/"+waybill, "")
	require.Equal(t, "requested", view["status"])
}

func TestPostalCloseWaitsForCallbackInFlight(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	e := newPostalEnv(t, sim.PostalOptions{AutoDeliverAfter: time.Millisecond, Logger: slogTo(logs)})
	e.hook.setBlock()
	e.create(t, "D-1")
	select {
	case <-e.hook.entered:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "auto deliver never called back")
	}
	e.ps.Close()
	require.Contains(t, logs.String(), "auto deliver: callback not delivered")
}

// Cash on delivery: a shipment with cod_amount is delivered against the
// amount, which the callback reports (cod_collected) and the service
// remits; a failed delivery collects nothing and a repeated delivery
// callback remits nothing twice.
func TestPostalCashOnDelivery(t *testing.T) {
	t.Parallel()
	e := newPostalEnv(t, sim.PostalOptions{})
	body := func(order string, amount int) string {
		return fmt.Sprintf(`{"order_number":%q,"recipient":{"name":"A","address":"HN"},"notify_url":%q,"cod_amount":%d}`,
			order, e.hook.URL+"/cb", amount)
	}
	status, out := e.call(t, http.MethodPost, "/v1/shipments", body("D-1", -5))
	require.Equal(t, http.StatusBadRequest, status, out)
	require.Contains(t, out["detail"], "cod_amount")

	status, created := e.call(t, http.MethodPost, "/v1/shipments", body("D-1", 135000))
	require.Equal(t, http.StatusCreated, status, created)
	require.EqualValues(t, 135000, created["cod_amount"])
	delivered := created["waybill"].(string)
	status, created = e.call(t, http.MethodPost, "/v1/shipments", body("D-2", 135000))
	require.Equal(t, http.StatusCreated, status, created)
	failed := created["waybill"].(string)

	e.call(t, http.MethodPost, "/v1/shipments/"+failed+"/events", `{"event":"failed"}`)
	require.NotContains(t, e.hook.Next(t).Body, "cod_collected", "a failed delivery collects nothing")
	for range 2 {
		status, _ = e.call(t, http.MethodPost, "/v1/shipments/"+delivered+"/events", `{"event":"delivered"}`)
		require.Equal(t, http.StatusOK, status)
		require.EqualValues(t, 135000, e.hook.Next(t).Body["cod_collected"])
	}
	status, rem := e.call(t, http.MethodGet, "/v1/remittances", "")
	require.Equal(t, http.StatusOK, status)
	list := rem["remittances"].([]any)
	require.Len(t, list, 1, "remitted once")
	require.Equal(t, delivered, list[0].(map[string]any)["waybill"])
	require.EqualValues(t, 135000, list[0].(map[string]any)["amount"])
}
