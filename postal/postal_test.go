package postal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/upstream/upstreamtest"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/sim"
)

type env struct {
	srv     *httptest.Server
	base    string
	client  *postal.Client
	creates *upstreamtest.StatusRecorder
	cb      *upstreamtest.Receiver[postal.Notification]
}

// newEnv starts a real postal simulator, mounted as `motcua sim` mounts
// it, and a callback server, which answers {"ok":true}.
func newEnv(t *testing.T, opts sim.PostalOptions) *env {
	t.Helper()
	cb := upstreamtest.NewReceiver(t, func(postal.Notification) string { return `{"ok":true}` })
	opts.Logger = upstreamtest.Logger(t)
	ps := sim.NewPostalService(opts)
	t.Cleanup(ps.Close)
	rec := &upstreamtest.StatusRecorder{Method: http.MethodPost, PathSuffix: "/v1/shipments"}
	srv := httptest.NewServer(rec.Wrap(sim.NewHandler(nil, ps)))
	t.Cleanup(srv.Close)
	base := srv.URL + "/postal"
	return &env{srv: srv, base: base, client: postal.New(base, srv.Client()), creates: rec, cb: cb}
}

func (e *env) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return upstreamtest.CallJSON(t, e.srv.Client(), method, e.base+path, body)
}

func (e *env) shipmentRequest(order string) postal.ShipmentRequest {
	return postal.ShipmentRequest{
		OrderNumber: order,
		Recipient:   postal.Recipient{Name: "Nguyễn Văn A", Phone: "0912345678", Address: "12 Trần Phú, Ba Đình, Hà Nội"},
		Contents:    "Giấy phép xây dựng (bản chính)",
		NotifyURL:   e.cb.URL + "/callbacks/postal",
	}
}

func TestRequestShipmentTwiceReturnsTheSameWaybill(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{})
	const dossier = "000.00.17.H39-261127-0001"

	first, err := e.client.RequestShipment(t.Context(), e.shipmentRequest(dossier))
	require.NoError(t, err)
	require.Regexp(t, `^EV[0-9]{9}VN$`, first.Waybill)
	require.Equal(t, postal.StatusRequested, first.Status)

	second, err := e.client.RequestShipment(t.Context(), e.shipmentRequest(dossier))
	require.NoError(t, err)
	require.Equal(t, first, second)
	// The second answer really was the 409 already_exists the adapter must
	// turn into success.
	require.Equal(t, []int{http.StatusCreated, http.StatusConflict}, e.creates.Statuses())

	status, list := e.do(t, http.MethodGet, "/v1/shipments?order_number="+dossier, "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list["shipments"], 1)

	other, err := e.client.RequestShipment(t.Context(), e.shipmentRequest("000.00.17.H39-261127-0002"))
	require.NoError(t, err)
	require.NotEqual(t, first.Waybill, other.Waybill)
}

func TestRequestShipmentAfterEventsReportsCurrentStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{})
	const dossier = "000.00.17.H39-261127-0003"
	first, err := e.client.RequestShipment(t.Context(), e.shipmentRequest(dossier))
	require.NoError(t, err)
	status, res := e.do(t, http.MethodPost, "/v1/shipments/"+first.Waybill+"/events", `{"event":"picked_up"}`)
	require.Equal(t, http.StatusOK, status, res)
	e.cb.Next(t)

	again, err := e.client.RequestShipment(t.Context(), e.shipmentRequest(dossier))
	require.NoError(t, err)
	require.Equal(t, postal.Shipment{Waybill: first.Waybill, Status: postal.EventPickedUp}, again)
}

func TestSuspensionIsRetryable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{})
	status, _ := e.do(t, http.MethodPost, "/v1/admin/suspension", `{"suspended": true}`)
	require.Equal(t, http.StatusOK, status)

	_, err := e.client.RequestShipment(t.Context(), e.shipmentRequest("000.00.17.H39-261127-0004"))
	require.Error(t, err)
	require.False(t, postal.IsPermanent(err))
	require.ErrorIs(t, err, postal.ErrSuspended)
	var perr *postal.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, http.StatusServiceUnavailable, perr.StatusCode)
	require.Equal(t, "service_suspended", perr.Code)

	// When the outage ends, the retried request goes through.
	status, _ = e.do(t, http.MethodPost, "/v1/admin/suspension", `{"suspended": false}`)
	require.Equal(t, http.StatusOK, status)
	got, err := e.client.RequestShipment(t.Context(), e.shipmentRequest("000.00.17.H39-261127-0004"))
	require.NoError(t, err)
	require.NotEmpty(t, got.Waybill)
}

func TestValidationErrorsArePermanent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{})

	// Refused by the service: the adapter cannot know a URL is unusable.
	req := e.shipmentRequest("000.00.17.H39-261127-0005")
	req.NotifyURL = "ftp://127.0.0.1/cb"
	_, err := e.client.RequestShipment(t.Context(), req)
	require.Error(t, err)
	require.True(t, postal.IsPermanent(err))
	require.False(t, errors.Is(err, postal.ErrSuspended))
	var perr *postal.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, http.StatusBadRequest, perr.StatusCode)
	require.Equal(t, "invalid_request", perr.Code)
	require.Equal(t, []int{http.StatusBadRequest}, e.creates.Statuses())

	// Refused by the adapter before sending anything.
	for _, mutate := range []func(*postal.ShipmentRequest){
		func(r *postal.ShipmentRequest) { r.OrderNumber = " " },
		func(r *postal.ShipmentRequest) { r.Recipient.Name = "" },
		func(r *postal.ShipmentRequest) { r.Recipient.Address = "" },
		func(r *postal.ShipmentRequest) { r.NotifyURL = "" },
	} {
		req := e.shipmentRequest("000.00.17.H39-261127-0006")
		mutate(&req)
		_, err := e.client.RequestShipment(t.Context(), req)
		require.ErrorIs(t, err, postal.ErrInvalid)
		require.True(t, postal.IsPermanent(err))
	}
	require.Len(t, e.creates.Statuses(), 1, "invalid requests must not reach the service")
}

func TestEventsReachTheCallbackServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{})
	const dossier = "000.00.17.H39-261127-0007"
	ship, err := e.client.RequestShipment(t.Context(), e.shipmentRequest(dossier))
	require.NoError(t, err)

	for _, ev := range []struct{ body, event, reason string }{
		{`{"event":"picked_up"}`, postal.EventPickedUp, ""},
		{`{"event":"failed","reason":"không liên lạc được người nhận"}`, postal.EventFailed, "không liên lạc được người nhận"},
		{`{"event":"delivered"}`, postal.EventDelivered, ""},
	} {
		status, res := e.do(t, http.MethodPost, "/v1/shipments/"+ship.Waybill+"/events", ev.body)
		require.Equal(t, http.StatusOK, status, res)
		require.EqualValues(t, http.StatusOK, res["callback_status"])
		require.Equal(t, `{"ok":true}`, res["callback_body"])

		cb := e.cb.Next(t)
		require.Equal(t, ship.Waybill, cb.N.Waybill)
		require.Equal(t, dossier, cb.N.OrderNumber)
		require.Equal(t, ev.event, cb.N.Event)
		require.Equal(t, ev.reason, cb.N.Reason)
		require.WithinDuration(t, time.Now(), cb.N.At, time.Minute)
		_, err := time.Parse(time.RFC3339, cb.Raw["at"].(string))
		require.NoError(t, err)
		want := []string{"waybill", "order_number", "event", "at"}
		if ev.reason != "" {
			want = append(want, "reason")
		}
		keys := make([]string, 0, len(cb.Raw))
		for k := range cb.Raw {
			keys = append(keys, k)
		}
		require.ElementsMatch(t, want, keys)
	}

	status, view := e.do(t, http.MethodGet, "/v1/shipments/"+ship.Waybill, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, postal.EventDelivered, view["status"])
	require.Len(t, view["events"], 3)
}

func TestAutoDeliverSendsPickedUpThenDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sim.PostalOptions{AutoDeliverAfter: 20 * time.Millisecond})
	ship, err := e.client.RequestShipment(t.Context(), e.shipmentRequest("000.00.17.H39-261127-0008"))
	require.NoError(t, err)

	first := e.cb.Next(t)
	require.Equal(t, ship.Waybill, first.N.Waybill)
	require.Equal(t, postal.EventPickedUp, first.N.Event)
	second := e.cb.Next(t)
	require.Equal(t, ship.Waybill, second.N.Waybill)
	require.Equal(t, postal.EventDelivered, second.N.Event)
	e.cb.None(t, 100*time.Millisecond)
}

func TestRequestShipmentWireFormat(t *testing.T) {
	t.Parallel()
	srv, bodies := upstreamtest.Capturing(t, "/vnpost/v1/shipments", `{"waybill":"EV473124829VN","status":"requested"}`)

	got, err := postal.New(srv.URL+"/vnpost/", srv.Client()).RequestShipment(t.Context(), postal.ShipmentRequest{
		OrderNumber: "D1",
		Recipient:   postal.Recipient{Name: "A", Phone: "09", Address: "HN"},
		Contents:    "result",
		NotifyURL:   "http://127.0.0.1/cb",
	})
	require.NoError(t, err)
	require.Equal(t, postal.Shipment{Waybill: "EV473124829VN", Status: "requested"}, got)
	require.Equal(t, map[string]any{
		"order_number": "D1",
		"recipient":    map[string]any{"name": "A", "phone": "09", "address": "HN"},
		"contents":     "result",
		"notify_url":   "http://127.0.0.1/cb",
	}, <-bodies)
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	req := postal.ShipmentRequest{
		OrderNumber: "D", Recipient: postal.Recipient{Name: "A", Address: "HN"}, NotifyURL: "http://127.0.0.1/cb",
	}
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		suspended bool
		code      string
	}{
		{"bad request", 400, `{"error":"invalid_request","detail":"recipient.name"}`, true, false, "invalid_request"},
		{"unauthorized", 401, `{"error":"unauthorized"}`, true, false, "unauthorized"},
		{"conflict of another kind", 409, `{"error":"address_blacklisted"}`, true, false, "address_blacklisted"},
		{"already_exists without waybill", 409, `{"error":"already_exists"}`, true, false, "already_exists"},
		{"request timeout", 408, ``, false, false, ""},
		{"rate limited", 429, `{"error":"slow_down"}`, false, false, "slow_down"},
		{"internal", 500, `{"error":"internal"}`, false, false, "internal"},
		{"proxy html", 502, `<html>bad gateway</html>`, false, false, ""},
		{"suspended", 503, `{"error":"service_suspended"}`, false, true, "service_suspended"},
		{"other 503", 503, `{"error":"maintenance"}`, false, false, "maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := upstreamtest.Answering(t, tt.status, tt.body)
			_, err := postal.New(srv.URL, srv.Client()).RequestShipment(t.Context(), req)
			require.Error(t, err)
			require.Equal(t, tt.permanent, postal.IsPermanent(err), err.Error())
			require.Equal(t, tt.suspended, errors.Is(err, postal.ErrSuspended))
			var perr *postal.Error
			require.ErrorAs(t, err, &perr)
			require.Equal(t, tt.status, perr.StatusCode)
			require.Equal(t, tt.code, perr.Code)
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		_, err := postal.New(upstreamtest.ClosedURL(), nil).RequestShipment(t.Context(), req)
		require.Error(t, err)
		require.False(t, postal.IsPermanent(err))
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := upstreamtest.Hanging(t)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := postal.New(srv.URL, srv.Client()).RequestShipment(ctx, req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, postal.IsPermanent(err))
	})

	t.Run("2xx without waybill", func(t *testing.T) {
		t.Parallel()
		srv := upstreamtest.Answering(t, http.StatusCreated, `{"status":"requested"}`)
		_, err := postal.New(srv.URL, srv.Client()).RequestShipment(t.Context(), req)
		require.Error(t, err)
		require.False(t, postal.IsPermanent(err))
	})

	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		require.False(t, postal.IsPermanent(nil))
		require.False(t, postal.IsPermanent(errors.New("anything else")))
	})
}
