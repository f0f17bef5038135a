// Package postal is the adapter for the postal service that carries a
// dossier's result to the citizen.
//
// The postal service is a third party reached over HTTP/JSON. The protocol:
//
//	POST {base}/v1/shipments
//	  {"order_number", "recipient": {"name", "phone", "address"}, "contents", "notify_url", "cod_amount"?}
//	  201 Created {"waybill", "status": "requested", ...}
//	  409 Conflict {"error": "already_exists", "waybill", "status"?}  order_number seen before
//	  400         {"error": "invalid_request", "detail"}               validation failed
//	  503         {"error": "service_suspended"}                        no service in the area for now
//
// The adapter treats 409 already_exists as success and returns that waybill:
// a request retried after a crash is normal. Times are RFC 3339.
//
// As the parcel moves the service POSTs a [Notification] to notify_url.
// Notifications may be repeated or arrive out of order; receivers must be
// idempotent.
//
// The simulator in package sim speaks the same protocol.
package postal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/upstream"
)

// Shipment statuses and notification events. A shipment starts as
// StatusRequested; its status then follows the last event.
const (
	StatusRequested = "requested" // accepted, not collected yet
	EventPickedUp   = "picked_up" // the postman collected the parcel
	EventDelivered  = "delivered" // the recipient received it
	EventFailed     = "failed"    // delivery failed; Reason says why
)

// Recipient is who receives the parcel.
type Recipient struct {
	// Name is required.
	Name string `json:"name"`
	// Phone lets the postman call ahead; optional.
	Phone string `json:"phone"`
	// Address is the full delivery address; required.
	Address string `json:"address"`
}

// ShipmentRequest asks the postal service to carry a result. The json tags
// are the wire format of POST /v1/shipments.
type ShipmentRequest struct {
	// OrderNumber is the dossier code. It is the idempotency key: the
	// service refuses a second shipment for it (409 already_exists) and the
	// adapter turns that into success with the existing waybill.
	OrderNumber string `json:"order_number"`
	// Recipient is where the parcel goes.
	Recipient Recipient `json:"recipient"`
	// Contents describes the parcel for the postman.
	Contents string `json:"contents"`
	// NotifyURL is where the service POSTs each [Notification].
	NotifyURL string `json:"notify_url"`
	// CODAmount is what the postman collects from the recipient on
	// delivery, on the agency's behalf (cash on delivery, thu hộ), in VND;
	// 0: nothing. The service remits what it collected.
	CODAmount int64 `json:"cod_amount,omitempty"`
}

// Shipment is the postal service's acceptance of a shipment.
type Shipment struct {
	// Waybill is the tracking number (e.g. "EV123456785VN"); notifications
	// carry it.
	Waybill string `json:"waybill"`
	// Status is StatusRequested for a new shipment. For an existing one
	// (409 already_exists) it is the current status if the service reported
	// it, "" otherwise.
	Status string `json:"status"`
}

// Notification is the callback body the postal service POSTs to a
// shipment's notify_url on each event.
type Notification struct {
	// Waybill identifies the shipment.
	Waybill string `json:"waybill"`
	// OrderNumber is the dossier code the shipment was requested for; it
	// lets the receiver find the dossier even if the callback races the
	// caller storing Waybill.
	OrderNumber string `json:"order_number,omitempty"`
	// Event is EventPickedUp, EventDelivered or EventFailed.
	Event string `json:"event"`
	// At is when the event happened.
	At time.Time `json:"at"`
	// Reason explains a failed delivery; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// CODCollected, on a delivery of a cash-on-delivery shipment, is what
	// the postman collected, in VND; absent otherwise (a failed delivery
	// collects nothing).
	CODCollected int64 `json:"cod_collected,omitempty"`
}

// ErrInvalid matches errors for requests the adapter refuses to send because
// they can never succeed (missing order number, recipient name…). It is
// permanent.
var ErrInvalid = errors.New("postal: invalid request")

// ErrSuspended matches (with errors.Is) the 503 service_suspended answer:
// the service does not operate in the area for now. It is retryable, but
// such outages can last weeks, so callers may want long retry intervals.
var ErrSuspended = errors.New("postal: service suspended")

// codeSuspended is the error code of a suspension answer.
const codeSuspended = "service_suspended"

// codeAlreadyExists is the error code of a 409 for a known order number.
const codeAlreadyExists = "already_exists"

// Error is an error answer from the postal service: its HTTP status, and
// its error code and detail when the body was the service's JSON error.
// errors.Is(err, ErrSuspended) is true for a service_suspended answer;
// Permanent reports whether retrying cannot help.
type Error = upstream.Error

// IsPermanent reports whether err means the call can never succeed as made
// (a 4xx answer, ErrInvalid), so a caller such as a Temporal activity should
// stop retrying. Everything else — 5xx answers including ErrSuspended,
// network errors, timeouts, malformed answers — is retryable.
// IsPermanent(nil) is false.
func IsPermanent(err error) bool {
	return upstream.IsPermanent(err, ErrInvalid)
}

// Client calls the postal service. It is safe for concurrent use.
type Client struct {
	api *upstream.Client
}

// New returns a Client for the postal service at baseURL (e.g.
// "http://127.0.0.1:8090/postal"). A nil httpClient means a client with a
// 30-second timeout.
func New(baseURL string, httpClient *http.Client) *Client {
	return &Client{api: upstream.NewClient("postal service", baseURL, httpClient, ErrInvalid)}
}

// RequestShipment asks for a shipment. If req.OrderNumber already has one,
// it returns that shipment's waybill as success, so retrying is safe.
func (c *Client) RequestShipment(ctx context.Context, req ShipmentRequest) (Shipment, error) {
	switch {
	case strings.TrimSpace(req.OrderNumber) == "":
		return Shipment{}, fmt.Errorf("%w: order_number is required", ErrInvalid)
	case strings.TrimSpace(req.Recipient.Name) == "":
		return Shipment{}, fmt.Errorf("%w: recipient name is required", ErrInvalid)
	case strings.TrimSpace(req.Recipient.Address) == "":
		return Shipment{}, fmt.Errorf("%w: recipient address is required", ErrInvalid)
	case strings.TrimSpace(req.NotifyURL) == "":
		return Shipment{}, fmt.Errorf("%w: notify_url is required", ErrInvalid)
	}
	op := "request shipment " + req.OrderNumber
	var out Shipment
	err := c.api.PostJSON(ctx, op, "/v1/shipments", req, &out)
	if e, ok := errors.AsType[*Error](err); ok {
		switch {
		case e.StatusCode == http.StatusConflict && e.Code == codeAlreadyExists:
			// The order already has a shipment: a retried request, which
			// succeeds with the existing waybill. The answer carries it as
			// {"error": "already_exists", "waybill", "status"?}.
			var existing Shipment
			if e.DecodeBody(&existing) == nil && existing.Waybill != "" {
				return existing, nil
			}
		case e.Code == codeSuspended:
			e.Kind = ErrSuspended
		}
	}
	if err != nil {
		return Shipment{}, err
	}
	if out.Waybill == "" {
		// Not permanent: the request is idempotent and a later attempt
		// gets the waybill through 409 already_exists.
		return Shipment{}, fmt.Errorf("postal service: %s: answer has no waybill", op)
	}
	return out, nil
}
