// Package payment is the adapter for the payment gateway through which
// citizens pay the fees a dossier owes.
//
// The gateway is a third party reached over HTTP/JSON. The protocol:
//
//	POST {base}/v1/payment-requests
//	  {"merchant_ref", "amount", "description", "notify_url", "expires_at"?}
//	  201 Created  the new payment request
//	  200 OK       the SAME request, when merchant_ref was seen before with the same amount
//	  409 Conflict merchant_ref already used with a different amount
//	  400          invalid request
//
// Errors are JSON {"error": "<code>", "detail": "<text>"}. Money is whole VND
// (int64, no minor unit); times are RFC 3339.
//
// When the citizen has paid (or the payment failed) the gateway POSTs a
// [Notification] to the request's notify_url. The gateway may deliver the
// same notification more than once, so receivers must be idempotent on
// transaction_id.
//
// The simulator in package sim speaks the same protocol.
package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/upstream"
)

// Payment request statuses, as the gateway reports them.
const (
	StatusPending   = "pending"   // created, not paid yet
	StatusSucceeded = "succeeded" // paid; the money is with the merchant
	StatusFailed    = "failed"    // the last payment attempt failed; the citizen may try again
)

// PaymentRequest asks the gateway to collect a fee. The json tags are the
// wire format of POST /v1/payment-requests.
type PaymentRequest struct {
	// MerchantRef is the dossier code. It is the idempotency key: asking
	// again with the same MerchantRef and Amount returns the existing
	// request instead of creating a second one, so a retried activity is safe.
	MerchantRef string `json:"merchant_ref"`
	// Amount is the fee in whole VND; it must be positive.
	Amount int64 `json:"amount"`
	// Description is shown to the citizen on the payment page.
	Description string `json:"description"`
	// NotifyURL is where the gateway POSTs the [Notification].
	NotifyURL string `json:"notify_url"`
	// ExpiresAt is when the payment page stops accepting payment; zero
	// leaves it to the gateway's default.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// PaymentRequested is the gateway's view of a payment request, as returned
// when it is created or found again.
type PaymentRequested struct {
	// PaymentRef is the gateway's identifier; notifications carry it.
	PaymentRef string `json:"payment_ref"`
	// PayURL is the page where the citizen pays.
	PayURL string `json:"pay_url"`
	// Status is one of StatusPending, StatusSucceeded, StatusFailed.
	Status string `json:"status"`
	// Amount is the requested fee in whole VND.
	Amount int64 `json:"amount"`
	// ExpiresAt is when the payment page stops accepting payment.
	ExpiresAt time.Time `json:"expires_at"`
}

// Notification is the callback body the gateway POSTs to a request's
// notify_url when a payment attempt ends. Amount is what was actually paid,
// which the receiver must compare with what was requested.
type Notification struct {
	// PaymentRef identifies the payment request.
	PaymentRef string `json:"payment_ref"`
	// MerchantRef is the dossier code the request was made for; it lets the
	// receiver find the dossier even if the callback races the caller
	// storing PaymentRef.
	MerchantRef string `json:"merchant_ref,omitempty"`
	// TransactionID identifies the payment attempt; a redelivered
	// notification carries the same TransactionID, so it is the key for
	// de-duplication.
	TransactionID string `json:"transaction_id"`
	// Amount is the amount paid, in whole VND.
	Amount int64 `json:"amount"`
	// Status is StatusSucceeded or StatusFailed.
	Status string `json:"status"`
	// Reason explains a failed payment; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// PaidAt is when the attempt ended.
	PaidAt time.Time `json:"paid_at"`
}

// ErrConflict matches (with errors.Is) the error returned when the
// merchant_ref was already used for a payment request with a different
// amount. It is permanent: retrying cannot succeed.
var ErrConflict = errors.New("payment: merchant_ref already used with a different amount")

// ErrInvalid matches errors for requests the adapter refuses to send because
// they can never succeed (missing merchant_ref, non-positive amount…). It is
// permanent.
var ErrInvalid = errors.New("payment: invalid request")

// Error is an error answer from the gateway: its HTTP status, and its error
// code and detail when the body was the gateway's JSON error.
// errors.Is(err, ErrConflict) is true for a 409 answer, so callers need not
// know status codes; Permanent reports whether retrying cannot help.
type Error = upstream.Error

// IsPermanent reports whether err means the call can never succeed as made
// (a 4xx answer, ErrConflict, ErrInvalid), so a caller such as a Temporal
// activity should stop retrying. Everything else — 5xx answers, network
// errors, timeouts, malformed answers — is retryable. IsPermanent(nil) is
// false.
func IsPermanent(err error) bool {
	return upstream.IsPermanent(err, ErrInvalid)
}

// Client calls the payment gateway. It is safe for concurrent use.
type Client struct {
	api *upstream.Client
}

// New returns a Client for the gateway at baseURL (e.g.
// "http://127.0.0.1:8090/payment"). A nil httpClient means a client with a
// 30-second timeout.
func New(baseURL string, httpClient *http.Client) *Client {
	return &Client{api: upstream.NewClient("payment gateway", baseURL, httpClient, ErrInvalid)}
}

// RequestPayment creates a payment request, or returns the existing one when
// req.MerchantRef was used before with the same amount. A different amount
// for a known MerchantRef yields an error matching ErrConflict.
func (c *Client) RequestPayment(ctx context.Context, req PaymentRequest) (PaymentRequested, error) {
	switch {
	case strings.TrimSpace(req.MerchantRef) == "":
		return PaymentRequested{}, fmt.Errorf("%w: merchant_ref is required", ErrInvalid)
	case req.Amount <= 0:
		return PaymentRequested{}, fmt.Errorf("%w: amount must be positive, got %d", ErrInvalid, req.Amount)
	case strings.TrimSpace(req.NotifyURL) == "":
		return PaymentRequested{}, fmt.Errorf("%w: notify_url is required", ErrInvalid)
	}
	op := "request payment " + req.MerchantRef
	var out PaymentRequested
	if err := c.api.PostJSON(ctx, op, "/v1/payment-requests", req, &out); err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.StatusCode == http.StatusConflict {
			e.Kind = ErrConflict
		}
		return PaymentRequested{}, err
	}
	if out.PaymentRef == "" {
		// Not permanent: a gateway answering 2xx without a ref is broken,
		// and a later attempt may find it fixed; the request is idempotent.
		return PaymentRequested{}, fmt.Errorf("payment gateway: %s: answer has no payment_ref", op)
	}
	return out, nil
}

// Refund statuses, as the gateway reports them: a refund is pending until
// the gateway settles it and calls back.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// RefundRequest asks the gateway to pay back a paid fee. The json tags are
// the wire format of POST /v1/refunds; payment_ref is the idempotency key
// (one refund per payment).
type RefundRequest struct {
	PaymentRef string `json:"payment_ref"`
	// Amount is what is paid back, in whole VND: at most what was paid.
	Amount int64  `json:"amount"`
	Reason string `json:"reason"`
	// NotifyURL is where the gateway POSTs the [RefundNotification].
	NotifyURL string `json:"notify_url"`
}

// RefundRequested is the gateway's view of a refund.
type RefundRequested struct {
	RefundRef string `json:"refund_ref"`
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
}

// RefundNotification is the signed callback the gateway POSTs when a refund
// settles. MerchantRef is the dossier code of the payment.
type RefundNotification struct {
	RefundRef   string `json:"refund_ref"`
	PaymentRef  string `json:"payment_ref"`
	MerchantRef string `json:"merchant_ref"`
	Amount      int64  `json:"amount"`
	Status      string `json:"status"` // RefundSucceeded or RefundFailed
	Reason      string `json:"reason,omitempty"`
}

// RequestRefund asks the gateway to refund a paid request, or returns the
// refund already asked for it.
func (c *Client) RequestRefund(ctx context.Context, req RefundRequest) (RefundRequested, error) {
	switch {
	case strings.TrimSpace(req.PaymentRef) == "":
		return RefundRequested{}, fmt.Errorf("%w: payment_ref is required", ErrInvalid)
	case req.Amount <= 0:
		return RefundRequested{}, fmt.Errorf("%w: amount must be positive, got %d", ErrInvalid, req.Amount)
	case strings.TrimSpace(req.NotifyURL) == "":
		return RefundRequested{}, fmt.Errorf("%w: notify_url is required", ErrInvalid)
	}
	op := "refund " + req.PaymentRef
	var out RefundRequested
	if err := c.api.PostJSON(ctx, op, "/v1/refunds", req, &out); err != nil {
		return RefundRequested{}, err
	}
	if out.RefundRef == "" {
		return RefundRequested{}, fmt.Errorf("payment gateway: %s: answer has no refund_ref", op)
	}
	return out, nil
}
