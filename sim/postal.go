package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/internal/clock"
)

// Shipment status and events on the postal service's wire.
const (
	shipRequested = "requested"
	evPickedUp    = "picked_up"
	evDelivered   = "delivered"
	evFailed      = "failed"
)

// PostalOptions configures a [PostalService].
type PostalOptions struct {
	// Logger receives one line per request and callback; nil means
	// slog.Default().
	Logger *slog.Logger
	// HTTPClient posts the callbacks; nil means a client with a 10-second
	// timeout.
	HTTPClient *http.Client
	// WebhookSecret signs the callbacks (X-Signature, see package
	// internal/webhook); the receiver must hold the same one.
	WebhookSecret string
	// AutoDeliverAfter, when positive, makes every new shipment send a
	// picked_up callback that long after it was requested and a delivered
	// callback the same delay later. Zero turns it off.
	AutoDeliverAfter time.Duration
	// Clock stamps events (paid_at, picked up, delivered) with business
	// time; the zero Clock is the wall clock.
	Clock clock.Clock
}

// PostalService simulates the postal service the postal package talks to.
// It is an http.Handler; create it with [NewPostalService] and stop its
// automatic deliveries with Close.
//
// Routes (relative to where it is mounted):
//
//	POST /v1/shipments                    request a shipment (409 already_exists for a known order_number)
//	GET  /v1/shipments                    list, optionally ?order_number=
//	GET  /v1/shipments/{waybill}          one shipment, its status and events
//	POST /v1/shipments/{waybill}/events   simulate an event and post the callback
//	GET  /v1/remittances                  what the postmen collected on delivery (cash on delivery) and the service remitted
//	POST /v1/admin/suspension             {"suspended": bool}: simulate an outage
//	GET  /v1/admin/suspension             current suspension state
//
// The events endpoint does not enforce an order of events, so tests can
// produce the duplicate and out-of-order callbacks real carriers send.
type PostalService struct {
	simulator
	autoDeliverAfter time.Duration

	mu        sync.Mutex
	suspended bool
	byWaybill map[string]*shipmentRecord
	byOrder   map[string]*shipmentRecord
	all       []*shipmentRecord // creation order, for listing
	// remitted is what postmen collected on delivery and the service paid
	// over to the agency, in delivery order.
	remitted []remittance
}

// remittance is a fee collected on delivery and paid over to the agency.
type remittance struct {
	Waybill     string    `json:"waybill"`
	OrderNumber string    `json:"order_number"`
	Amount      int64     `json:"amount"`
	CollectedAt time.Time `json:"collected_at"`
}

// shipmentRecord is one shipment in its wire representation.
type shipmentRecord struct {
	Waybill     string          `json:"waybill"`
	OrderNumber string          `json:"order_number"`
	Recipient   recipient       `json:"recipient"`
	Contents    string          `json:"contents"`
	NotifyURL   string          `json:"notify_url"`
	Status      string          `json:"status"`
	CreatedAt   time.Time       `json:"created_at"`
	Events      []shipmentEvent `json:"events"`
	// RequestCalls counts the shipment requests for this order_number: 1,
	// plus every repeat answered 409 already_exists (a retried activity).
	// Chaos runs read it to show repeats did not become second shipments.
	RequestCalls int `json:"request_calls"`
	// CODAmount is what the postman collects on delivery (0: nothing).
	CODAmount int64 `json:"cod_amount,omitempty"`
}

type recipient struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

type shipmentEvent struct {
	Event  string    `json:"event"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// postalNotification is the callback body (see postal.Notification).
type postalNotification struct {
	Waybill     string    `json:"waybill"`
	OrderNumber string    `json:"order_number"`
	Event       string    `json:"event"`
	At          time.Time `json:"at"`
	Reason      string    `json:"reason,omitempty"`
	// CODCollected: what the postman collected on this delivery.
	CODCollected int64 `json:"cod_collected,omitempty"`
}

// eventResult answers the events endpoint.
type eventResult struct {
	Waybill string `json:"waybill"`
	Event   string `json:"event"`
	delivery
}

// NewPostalService returns a postal service with no shipments, not
// suspended.
func NewPostalService(opts PostalOptions) *PostalService {
	s := &PostalService{
		simulator:        newSimulator("postal", opts.Logger, opts.HTTPClient, opts.WebhookSecret, opts.Clock),
		autoDeliverAfter: opts.AutoDeliverAfter,
		byWaybill:        map[string]*shipmentRecord{},
		byOrder:          map[string]*shipmentRecord{},
	}
	r := s.mux
	r.Post("/v1/shipments", s.create)
	r.Get("/v1/shipments", s.list)
	r.Get("/v1/shipments/{waybill}", s.get)
	r.Post("/v1/shipments/{waybill}/events", s.eventAPI)
	r.Get("/v1/remittances", s.remittances)
	r.Post("/v1/admin/suspension", s.setSuspension)
	r.Get("/v1/admin/suspension", s.getSuspension)
	return s
}

// copyShipment returns a copy that shares nothing mutable with rec, safe to
// encode after the lock is released.
func copyShipment(rec *shipmentRecord) shipmentRecord {
	c := *rec
	c.Events = append([]shipmentEvent{}, rec.Events...)
	return c
}

func (s *PostalService) create(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	suspended := s.suspended
	s.mu.Unlock()
	if suspended {
		// Checked first: a suspended service answers nothing else, like a
		// carrier whose whole area is closed.
		writeError(w, newHTTPError(http.StatusServiceUnavailable, "service_suspended",
			"postal service is suspended in this area"))
		return
	}
	var in struct {
		OrderNumber string    `json:"order_number"`
		Recipient   recipient `json:"recipient"`
		Contents    string    `json:"contents"`
		NotifyURL   string    `json:"notify_url"`
		CODAmount   int64     `json:"cod_amount"`
	}
	if !readJSON(w, r, &in, false) {
		return
	}
	var problem string
	switch {
	case strings.TrimSpace(in.OrderNumber) == "":
		problem = "order_number is required"
	case strings.TrimSpace(in.Recipient.Name) == "":
		problem = "recipient.name is required"
	case strings.TrimSpace(in.Recipient.Address) == "":
		problem = "recipient.address is required"
	case in.CODAmount < 0:
		problem = "cod_amount must not be negative"
	default:
		if err := checkNotifyURL(in.NotifyURL); err != nil {
			problem = err.Error()
		}
	}
	if problem != "" {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_request", problem))
		return
	}

	s.mu.Lock()
	if old, ok := s.byOrder[in.OrderNumber]; ok {
		old.RequestCalls++
		waybill, status := old.Waybill, old.Status
		s.mu.Unlock()
		e := newHTTPError(http.StatusConflict, "already_exists",
			"order_number "+in.OrderNumber+" already has shipment "+waybill)
		e.body.Waybill, e.body.Status = waybill, status
		writeError(w, e)
		return
	}
	waybill := newWaybill()
	for s.byWaybill[waybill] != nil {
		waybill = newWaybill()
	}
	rec := &shipmentRecord{
		Waybill:      waybill,
		OrderNumber:  in.OrderNumber,
		Recipient:    in.Recipient,
		Contents:     in.Contents,
		NotifyURL:    in.NotifyURL,
		Status:       shipRequested,
		CreatedAt:    s.now(),
		Events:       []shipmentEvent{},
		RequestCalls: 1,
		CODAmount:    in.CODAmount,
	}
	s.byWaybill[waybill] = rec
	s.byOrder[in.OrderNumber] = rec
	s.all = append(s.all, rec)
	view := copyShipment(rec)
	s.mu.Unlock()

	s.log.Info("shipment requested", "waybill", waybill, "order_number", in.OrderNumber)
	if s.autoDeliverAfter > 0 {
		s.bg.start(func(ctx context.Context) { s.autoDeliver(ctx, waybill) })
	}
	writeJSON(w, http.StatusCreated, view)
}

// newWaybill returns a UPU S10 item identifier like the Vietnam Post EMS
// numbers: "EV", 8 serial digits, their check digit, "VN". A valid check
// digit lets adapters validate waybills the way they would real ones.
func newWaybill() string {
	serial := fmt.Sprintf("%08d", rand.IntN(100_000_000))
	return "EV" + serial + string(rune('0'+s10CheckDigit(serial))) + "VN"
}

// s10CheckDigit is the UPU S10 check digit of an 8-digit serial.
func s10CheckDigit(serial string) int {
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i, w := range weights {
		sum += int(serial[i]-'0') * w
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 0
	case 11:
		return 5
	default:
		return c
	}
}

func (s *PostalService) list(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("order_number")
	s.mu.Lock()
	out := make([]shipmentRecord, 0, len(s.all))
	for _, rec := range s.all {
		if order == "" || rec.OrderNumber == order {
			out = append(out, copyShipment(rec))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"shipments": out})
}

func (s *PostalService) get(w http.ResponseWriter, r *http.Request) {
	waybill := chi.URLParam(r, "waybill")
	s.mu.Lock()
	rec, ok := s.byWaybill[waybill]
	var view shipmentRecord
	if ok {
		view = copyShipment(rec)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, newHTTPError(http.StatusNotFound, "not_found", "shipment "+waybill+" not found"))
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// record applies event to the shipment and returns the notification to
// deliver. With onlyFrom non-empty (automatic deliveries) the event is
// applied only if the shipment is still in that status, so a manual event
// in between wins, and record returns nil, nil otherwise.
func (s *PostalService) record(waybill, event, reason, onlyFrom string) (*postalNotification, string, *httpError) {
	switch event {
	case evPickedUp, evDelivered:
		reason = ""
	case evFailed:
		if reason == "" {
			reason = "recipient not at the address (simulated)"
		}
	default:
		return nil, "", newHTTPError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("event must be %q, %q or %q, got %q", evPickedUp, evDelivered, evFailed, event))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.byWaybill[waybill]
	if !ok {
		return nil, "", newHTTPError(http.StatusNotFound, "not_found", "shipment "+waybill+" not found")
	}
	if onlyFrom != "" && rec.Status != onlyFrom {
		return nil, "", nil
	}
	n := &postalNotification{Waybill: waybill, OrderNumber: rec.OrderNumber, Event: event, At: s.now(), Reason: reason}
	if event == evDelivered && rec.CODAmount > 0 && rec.Status != evDelivered {
		// The postman hands the parcel over against the amount and the
		// service remits it; a failed delivery collects nothing.
		n.CODCollected = rec.CODAmount
		s.remitted = append(s.remitted, remittance{Waybill: waybill, OrderNumber: rec.OrderNumber,
			Amount: rec.CODAmount, CollectedAt: n.At})
	} else if event == evDelivered && rec.CODAmount > 0 {
		n.CODCollected = rec.CODAmount // a repeated callback says the same
	}
	rec.Status = event
	rec.Events = append(rec.Events, shipmentEvent{Event: event, At: n.At, Reason: reason})
	return n, rec.NotifyURL, nil
}

func (s *PostalService) eventAPI(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Event  string `json:"event"`
		Reason string `json:"reason"`
	}
	if !readJSON(w, r, &in, false) {
		return
	}
	n, notifyURL, e := s.record(chi.URLParam(r, "waybill"), in.Event, in.Reason, "")
	if e != nil {
		writeError(w, e)
		return
	}
	d, e := s.deliver(r.Context(), notifyURL, n, "waybill", n.Waybill, "event", n.Event)
	if e != nil {
		// The event stands (the parcel moved); only the callback failed.
		e.body.Waybill = n.Waybill
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, eventResult{Waybill: n.Waybill, Event: n.Event, delivery: d})
}

// autoDeliver moves a new shipment to picked_up after the configured delay
// and to delivered after the same delay again, posting both callbacks.
func (s *PostalService) autoDeliver(ctx context.Context, waybill string) {
	steps := []struct{ from, event string }{{shipRequested, evPickedUp}, {evPickedUp, evDelivered}}
	for _, step := range steps {
		delivered := autoCallback(ctx, &s.simulator, "auto deliver", s.autoDeliverAfter, func() (*postalNotification, string, *httpError) {
			return s.record(waybill, step.event, "", step.from)
		}, "waybill", waybill, "event", step.event)
		if !delivered {
			return
		}
	}
}

type suspension struct {
	Suspended *bool `json:"suspended"`
}

func (s *PostalService) setSuspension(w http.ResponseWriter, r *http.Request) {
	var in suspension
	if !readJSON(w, r, &in, false) {
		return
	}
	if in.Suspended == nil {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_request", "suspended (true or false) is required"))
		return
	}
	s.mu.Lock()
	s.suspended = *in.Suspended
	s.mu.Unlock()
	s.log.Info("suspension changed", "suspended", *in.Suspended)
	writeJSON(w, http.StatusOK, in)
}

func (s *PostalService) getSuspension(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	suspended := s.suspended
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, suspension{Suspended: &suspended})
}

// remittances lists what postmen collected on delivery, optionally of one
// ?order_number=.
func (s *PostalService) remittances(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("order_number")
	s.mu.Lock()
	out := []remittance{}
	for _, x := range s.remitted {
		if order == "" || x.OrderNumber == order {
			out = append(out, x)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"remittances": out})
}
