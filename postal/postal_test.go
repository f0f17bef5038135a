package postal_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/sim"
)

// callback is one request received by a callbackServer.
type callback struct {
	raw map[string]any
	n   postal.Notification
}

// callbackServer stands in for the API's postal callback endpoint.
type callbackServer struct {
	*httptest.Server
	got chan callback
}

func newCallbackServer(t *testing.T) *callbackServer {
	t.Helper()
	cs := &callbackServer{got: make(chan callback, 16)}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		var c callback
		if json.Unmarshal(body, &c.raw) != nil || json.Unmarshal(body, &c.n) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		cs.got <- c
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *callbackServer) next(t *testing.T) callback {
	t.Helper()
	select {
	case c := <-cs.got:
		return c
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no callback received")
		return callback{}
	}
}

func (cs *callbackServer) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case c := <-cs.got:
		require.FailNow(t, "unexpected callback", "%+v", c.n)
	case <-time.After(wait):
	}
}

// statusRecorder records the status of every POST /v1/shipments answer, so
// tests can check what the adapter really got on the wire.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v1/shipments") {
			s.mu.Lock()
			s.statuses = append(s.statuses, rec.status)
			s.mu.Unlock()
		}
	})
}

func (s *statusRecorder) get() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.statuses...)
}

type recordingWriter struct {
	http.ResponseWriter
	status int
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

type env struct {
	srv     *httptest.Server
	base    string
	client  *postal.Client
	creates *statusRecorder
	cb      *callbackServer
}

// newEnv starts a real postal simulator, mounted as `motcua sim` mounts
// it, and a callback server.
func newEnv(t *testing.T, opts sim.PostalOptions) *env {
	t.Helper()
	cb := newCallbackServer(t)
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	ps := sim.NewPostalService(opts)
	t.Cleanup(ps.Close)
	rec := &statusRecorder{}
	srv := httptest.NewServer(rec.wrap(sim.NewHandler(nil, ps)))
	t.Cleanup(srv.Close)
	base := srv.URL + "/postal"
	return &env{srv: srv, base: base, client: postal.New(base, srv.Client()), creates: rec, cb: cb}
}

func (e *env) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
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
	require.Equal(t, []int{http.StatusCreated, http.StatusConflict}, e.creates.get())

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
	e.cb.next(t)

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
	require.Equal(t, []int{http.StatusBadRequest}, e.creates.get())

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
	require.Len(t, e.creates.get(), 1, "invalid requests must not reach the service")
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

		cb := e.cb.next(t)
		require.Equal(t, ship.Waybill, cb.n.Waybill)
		require.Equal(t, dossier, cb.n.OrderNumber)
		require.Equal(t, ev.event, cb.n.Event)
		require.Equal(t, ev.reason, cb.n.Reason)
		require.WithinDuration(t, time.Now(), cb.n.At, time.Minute)
		_, err := time.Parse(time.RFC3339, cb.raw["at"].(string))
		require.NoError(t, err)
		want := []string{"waybill", "order_number", "event", "at"}
		if ev.reason != "" {
			want = append(want, "reason")
		}
		keys := make([]string, 0, len(cb.raw))
		for k := range cb.raw {
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

	first := e.cb.next(t)
	require.Equal(t, ship.Waybill, first.n.Waybill)
	require.Equal(t, postal.EventPickedUp, first.n.Event)
	second := e.cb.next(t)
	require.Equal(t, ship.Waybill, second.n.Waybill)
	require.Equal(t, postal.EventDelivered, second.n.Event)
	e.cb.none(t, 100*time.Millisecond)
}

func TestRequestShipmentWireFormat(t *testing.T) {
	t.Parallel()
	bodies := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/vnpost/v1/shipments" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		bodies <- body
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"waybill":"EV473124829VN","status":"requested"}`)
	}))
	t.Cleanup(srv.Close)

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
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
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
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := postal.New(url, nil).RequestShipment(t.Context(), req)
		require.Error(t, err)
		require.False(t, postal.IsPermanent(err))
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := postal.New(srv.URL, srv.Client()).RequestShipment(ctx, req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, postal.IsPermanent(err))
	})

	t.Run("2xx without waybill", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"status":"requested"}`)
		}))
		t.Cleanup(srv.Close)
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
