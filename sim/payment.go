package sim

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/internal/clock"
)

// Payment statuses and outcomes on the gateway's wire.
const (
	payPending   = "pending"
	paySucceeded = "succeeded"
	payFailed    = "failed"
)

// defaultPaymentTTL is how long a payment request stays payable when the
// merchant gives no expires_at: a day, since citizens often pay the
// evening after filing.
const defaultPaymentTTL = 24 * time.Hour

// PaymentOptions configures a [PaymentGateway].
type PaymentOptions struct {
	// Logger receives one line per request and callback; nil means
	// slog.Default().
	Logger *slog.Logger
	// HTTPClient posts the callbacks; nil means a client with a 10-second
	// timeout.
	HTTPClient *http.Client
	// WebhookSecret signs the callbacks (X-Signature, see package
	// internal/webhook); the receiver must hold the same one.
	WebhookSecret string
	// AutoPayAfter, when positive, makes the gateway pay every new request
	// (outcome succeeded, the requested amount) that long after it was
	// created, as if the citizen paid at once. Zero turns it off.
	AutoPayAfter time.Duration
	// Clock stamps events (paid_at, picked up, delivered) with business
	// time; the zero Clock is the wall clock.
	Clock clock.Clock
}

// PaymentGateway simulates the payment gateway the payment package talks
// to. It is an http.Handler; create it with [NewPaymentGateway] and stop
// its automatic payments with Close.
//
// Routes (relative to where it is mounted):
//
//	POST /v1/payment-requests              create, or return the existing request for merchant_ref
//	GET  /v1/payment-requests              list, optionally ?merchant_ref=
//	GET  /v1/payment-requests/{ref}        one request and its status
//	POST /v1/payment-requests/{ref}/pay    simulate a payment and post the callback
//	POST /v1/payment-requests/{ref}/redeliver  post the last callback again, unchanged
//	GET  /pay/{ref}                        HTML payment page for humans
//	POST /pay/{ref}                        its form handler
//	POST /v1/refunds                       refund a paid request; settles by itself and calls back
//	GET  /v1/refunds/{ref}                 one refund
type PaymentGateway struct {
	simulator
	autoPayAfter time.Duration

	mu         sync.Mutex
	byRef      map[string]*paymentRecord
	byMerchant map[string]*paymentRecord
	all        []*paymentRecord         // creation order, for listing
	refunds    map[string]*refundRecord // by payment_ref: one refund per payment
}

// paymentRecord is one payment request: its wire representation plus the
// last notification, kept for redelivery.
type paymentRecord struct {
	PaymentRef    string    `json:"payment_ref"`
	MerchantRef   string    `json:"merchant_ref"`
	Amount        int64     `json:"amount"`
	Description   string    `json:"description"`
	NotifyURL     string    `json:"notify_url"`
	PayURL        string    `json:"pay_url"`
	Status        string    `json:"status"`
	ExpiresAt     time.Time `json:"expires_at"`
	CreatedAt     time.Time `json:"created_at"`
	TransactionID string    `json:"transaction_id,omitempty"` // of the last attempt
	PaidAmount    int64     `json:"paid_amount,omitempty"`    // of the last attempt
	PaidAt        time.Time `json:"paid_at,omitzero"`         // of the last attempt
	Reason        string    `json:"reason,omitempty"`         // of the last failed attempt
	// CreateCalls counts the create requests for this merchant_ref: 1,
	// plus every idempotent repeat (a retried activity). Chaos runs read
	// it to show repeats were absorbed, not turned into second requests.
	CreateCalls int `json:"create_calls"`

	last *paymentNotification
}

// paymentNotification is the callback body (see payment.Notification).
type paymentNotification struct {
	PaymentRef    string    `json:"payment_ref"`
	MerchantRef   string    `json:"merchant_ref"`
	TransactionID string    `json:"transaction_id"`
	Amount        int64     `json:"amount"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason,omitempty"`
	PaidAt        time.Time `json:"paid_at"`
}

// payResult answers the pay and redeliver endpoints.
type payResult struct {
	TransactionID string `json:"transaction_id"`
	delivery
}

// NewPaymentGateway returns a gateway with no payment requests.
func NewPaymentGateway(opts PaymentOptions) *PaymentGateway {
	g := &PaymentGateway{
		simulator:    newSimulator("payment", opts.Logger, opts.HTTPClient, opts.WebhookSecret, opts.Clock),
		autoPayAfter: opts.AutoPayAfter,
		byRef:        map[string]*paymentRecord{},
		byMerchant:   map[string]*paymentRecord{},
	}
	r := g.mux
	r.Post("/v1/payment-requests", g.create)
	r.Get("/v1/payment-requests", g.list)
	r.Get("/v1/payment-requests/{ref}", g.get)
	r.Post("/v1/payment-requests/{ref}/pay", g.payAPI)
	r.Post("/v1/payment-requests/{ref}/redeliver", g.redeliver)
	r.Get("/pay/{ref}", g.payPage)
	r.Post("/pay/{ref}", g.payForm)
	g.routeRefunds()
	return g
}

func (g *PaymentGateway) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MerchantRef string    `json:"merchant_ref"`
		Amount      int64     `json:"amount"`
		Description string    `json:"description"`
		NotifyURL   string    `json:"notify_url"`
		ExpiresAt   time.Time `json:"expires_at"`
	}
	if !readJSON(w, r, &in, false) {
		return
	}
	t := g.now()
	var problem string
	switch {
	case strings.TrimSpace(in.MerchantRef) == "":
		problem = "merchant_ref is required"
	case in.Amount <= 0:
		problem = fmt.Sprintf("amount must be a positive whole number of VND, got %d", in.Amount)
	case !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(t):
		problem = "expires_at must be in the future"
	default:
		if err := checkNotifyURL(in.NotifyURL); err != nil {
			problem = err.Error()
		}
	}
	if problem != "" {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_request", problem))
		return
	}

	g.mu.Lock()
	if old, ok := g.byMerchant[in.MerchantRef]; ok {
		old.CreateCalls++
		view := *old
		g.mu.Unlock()
		if view.Amount != in.Amount {
			e := newHTTPError(http.StatusConflict, "merchant_ref_conflict", fmt.Sprintf(
				"merchant_ref %s already has payment request %s for %d VND", view.MerchantRef, view.PaymentRef, view.Amount))
			e.body.PaymentRef = view.PaymentRef
			writeError(w, e)
			return
		}
		// Idempotent repeat: same request, 200 instead of 201, nothing new.
		writeJSON(w, http.StatusOK, view)
		return
	}
	ref := "PAY-" + randomHex(6)
	for g.byRef[ref] != nil {
		ref = "PAY-" + randomHex(6)
	}
	expires := in.ExpiresAt
	if expires.IsZero() {
		expires = t.Add(defaultPaymentTTL)
	}
	rec := &paymentRecord{
		PaymentRef:  ref,
		MerchantRef: in.MerchantRef,
		Amount:      in.Amount,
		Description: in.Description,
		NotifyURL:   in.NotifyURL,
		PayURL:      externalBase(r, "/v1/payment-requests") + "/pay/" + ref,
		Status:      payPending,
		ExpiresAt:   expires,
		CreatedAt:   t,
		CreateCalls: 1,
	}
	g.byRef[ref] = rec
	g.byMerchant[in.MerchantRef] = rec
	g.all = append(g.all, rec)
	view := *rec
	g.mu.Unlock()

	g.log.Info("payment request created", "payment_ref", ref, "merchant_ref", in.MerchantRef, "amount", in.Amount)
	if g.autoPayAfter > 0 {
		g.bg.start(func(ctx context.Context) { g.autoPay(ctx, ref) })
	}
	writeJSON(w, http.StatusCreated, view)
}

// externalBase returns the absolute URL of the simulator's root as the
// client reached it, by removing route (the matched route) from the
// request path. It keeps pay_url right whether the gateway is served alone
// or mounted under /payment.
func externalBase(r *http.Request, route string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host + strings.TrimSuffix(r.URL.Path, route)
}

func (g *PaymentGateway) list(w http.ResponseWriter, r *http.Request) {
	merchant := r.URL.Query().Get("merchant_ref")
	g.mu.Lock()
	out := make([]paymentRecord, 0, len(g.all))
	for _, rec := range g.all {
		if merchant == "" || rec.MerchantRef == merchant {
			out = append(out, *rec)
		}
	}
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"payment_requests": out})
}

func (g *PaymentGateway) get(w http.ResponseWriter, r *http.Request) {
	rec, e := g.lookup(chi.URLParam(r, "ref"))
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// lookup returns a copy of the request with ref, or a 404.
func (g *PaymentGateway) lookup(ref string) (paymentRecord, *httpError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, ok := g.byRef[ref]
	if !ok {
		return paymentRecord{}, newHTTPError(http.StatusNotFound, "not_found", "payment request "+ref+" not found")
	}
	return *rec, nil
}

// payInput is a simulated payment attempt.
type payInput struct {
	Outcome string `json:"outcome"` // "" means succeeded
	Amount  *int64 `json:"amount"`  // nil means the requested amount
	Reason  string `json:"reason"`
}

// settle records a payment attempt on ref and returns the notification to
// deliver. Record and check happen under one lock, so two concurrent
// payments cannot both succeed. A succeeded request is final; a failed one
// may be paid again, as a citizen whose card was declined tries another.
// With onlyPending (automatic payments) a request that is no longer pending
// is left alone and settle returns nil, nil.
func (g *PaymentGateway) settle(ref string, in payInput, onlyPending bool) (*paymentNotification, string, *httpError) {
	switch in.Outcome {
	case "":
		in.Outcome = paySucceeded
	case paySucceeded, payFailed:
	default:
		return nil, "", newHTTPError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("outcome must be %q or %q, got %q", paySucceeded, payFailed, in.Outcome))
	}
	if in.Amount != nil && *in.Amount <= 0 {
		return nil, "", newHTTPError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("amount must be positive, got %d", *in.Amount))
	}
	if in.Outcome == paySucceeded {
		in.Reason = ""
	} else if in.Reason == "" {
		in.Reason = "declined by the issuing bank (simulated)"
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	rec, ok := g.byRef[ref]
	if !ok {
		return nil, "", newHTTPError(http.StatusNotFound, "not_found", "payment request "+ref+" not found")
	}
	if onlyPending && rec.Status != payPending {
		return nil, "", nil
	}
	if rec.Status == paySucceeded {
		e := newHTTPError(http.StatusConflict, "already_paid",
			"payment request "+ref+" is already paid; use redeliver to repeat its callback")
		e.body.TransactionID = rec.TransactionID
		return nil, "", e
	}
	amount := rec.Amount
	if in.Amount != nil {
		amount = *in.Amount
	}
	n := &paymentNotification{
		PaymentRef:    rec.PaymentRef,
		MerchantRef:   rec.MerchantRef,
		TransactionID: "TXN-" + randomHex(8),
		Amount:        amount,
		Status:        in.Outcome,
		Reason:        in.Reason,
		PaidAt:        g.now(),
	}
	rec.Status = n.Status
	rec.TransactionID = n.TransactionID
	rec.PaidAmount = n.Amount
	rec.PaidAt = n.PaidAt
	rec.Reason = n.Reason
	rec.last = n
	g.log.Info("payment attempt", "payment_ref", ref, "transaction_id", n.TransactionID, "status", n.Status, "amount", n.Amount)
	return n, rec.NotifyURL, nil
}

// pay settles a payment attempt and delivers its callback. The attempt
// stands even if the callback cannot be delivered — money moved — so the
// 502 carries the transaction id and redeliver can retry.
func (g *PaymentGateway) pay(ctx context.Context, ref string, in payInput) (payResult, *httpError) {
	n, notifyURL, e := g.settle(ref, in, false)
	if e != nil {
		return payResult{}, e
	}
	return g.deliverPayment(ctx, notifyURL, n)
}

// deliverPayment posts n to notifyURL once and reports the receiver's
// answer.
func (g *PaymentGateway) deliverPayment(ctx context.Context, notifyURL string, n *paymentNotification) (payResult, *httpError) {
	d, e := g.deliver(ctx, notifyURL, n, "payment_ref", n.PaymentRef, "transaction_id", n.TransactionID)
	if e != nil {
		e.body.TransactionID = n.TransactionID
		return payResult{}, e
	}
	return payResult{TransactionID: n.TransactionID, delivery: d}, nil
}

func (g *PaymentGateway) payAPI(w http.ResponseWriter, r *http.Request) {
	var in payInput
	if !readJSON(w, r, &in, true) {
		return
	}
	res, e := g.pay(r.Context(), chi.URLParam(r, "ref"), in)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (g *PaymentGateway) redeliver(w http.ResponseWriter, r *http.Request) {
	ref := chi.URLParam(r, "ref")
	g.mu.Lock()
	rec, ok := g.byRef[ref]
	var (
		last      *paymentNotification
		notifyURL string
	)
	if ok {
		last, notifyURL = rec.last, rec.NotifyURL
	}
	g.mu.Unlock()
	switch {
	case !ok:
		writeError(w, newHTTPError(http.StatusNotFound, "not_found", "payment request "+ref+" not found"))
		return
	case last == nil:
		writeError(w, newHTTPError(http.StatusConflict, "no_notification", "payment request "+ref+" has no payment attempt to redeliver"))
		return
	}
	// The same notification, byte for byte: receivers must recognise the
	// duplicate by its transaction_id.
	res, e := g.deliverPayment(r.Context(), notifyURL, last)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// autoPay pays ref after the configured delay, unless someone settled it
// first or the gateway is closed.
func (g *PaymentGateway) autoPay(ctx context.Context, ref string) {
	autoCallback(ctx, &g.simulator, "auto pay", g.autoPayAfter, func() (*paymentNotification, string, *httpError) {
		return g.settle(ref, payInput{}, true)
	}, "payment_ref", ref)
}

// payPageTmpl is the human payment page: no JavaScript, plain forms that
// post back to the page's own URL, so it works wherever the gateway is
// mounted.
var payPageTmpl = template.Must(template.New("pay").Funcs(template.FuncMap{"vnd": formatVND}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng thanh toán (mô phỏng) – {{.PaymentRef}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}form{margin:1em 0;padding:1em;border:1px solid #ccc}</style>
</head><body>
<h1>Cổng thanh toán (mô phỏng)</h1>
<p><em>Payment gateway simulator — no real money moves.</em></p>
<table>
<tr><th align="left">Payment ref</th><td>{{.PaymentRef}}</td></tr>
<tr><th align="left">Dossier</th><td>{{.MerchantRef}}</td></tr>
<tr><th align="left">Description</th><td>{{.Description}}</td></tr>
<tr><th align="left">Amount</th><td>{{vnd .Amount}}</td></tr>
<tr><th align="left">Status</th><td>{{.Status}}</td></tr>
<tr><th align="left">Expires</th><td>{{.ExpiresAt.Format "2006-01-02 15:04:05 MST"}}</td></tr>
</table>
{{if eq .Status "succeeded"}}<p>Already paid (transaction {{.TransactionID}}).</p>{{else}}
<form method="post">
<input type="hidden" name="outcome" value="succeeded">
<label>Amount (VND) <input type="number" name="amount" min="1" value="{{.Amount}}"></label>
<button type="submit">Pay</button>
</form>
<form method="post">
<input type="hidden" name="outcome" value="failed">
<label>Reason <input type="text" name="reason" value="insufficient funds"></label>
<button type="submit">Fail payment</button>
</form>{{end}}
</body></html>
`))

var payResultTmpl = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Kết quả thanh toán – {{.Ref}}</title></head><body>
<h1>{{if .Error}}Callback failed{{else}}Payment {{.Outcome}}{{end}}</h1>
{{if .TransactionID}}<p>Transaction: {{.TransactionID}}</p>{{end}}
{{if .Error}}<p>The payment was recorded but its callback could not be delivered: {{.Error}}</p>
{{else}}<p>Callback answered HTTP {{.CallbackStatus}}:</p><pre>{{.CallbackBody}}</pre>{{end}}
<p><a href="{{.Ref}}">Back to the payment page</a></p>
</body></html>
`))

func (g *PaymentGateway) payPage(w http.ResponseWriter, r *http.Request) {
	rec, e := g.lookup(chi.URLParam(r, "ref"))
	if e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := payPageTmpl.Execute(w, rec); err != nil {
		g.log.Error("render pay page", "err", err)
	}
}

func (g *PaymentGateway) payForm(w http.ResponseWriter, r *http.Request) {
	ref := chi.URLParam(r, "ref")
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_form", err.Error()))
		return
	}
	in := payInput{Outcome: r.PostForm.Get("outcome"), Reason: r.PostForm.Get("reason")}
	if s := strings.TrimSpace(r.PostForm.Get("amount")); s != "" && in.Outcome != payFailed {
		amount, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			writeError(w, newHTTPError(http.StatusBadRequest, "invalid_form", "amount must be a whole number of VND"))
			return
		}
		in.Amount = &amount
	}
	res, e := g.pay(r.Context(), ref, in)
	status := http.StatusOK
	view := struct {
		Ref, Outcome, TransactionID, CallbackBody, Error string
		CallbackStatus                                   int
	}{Ref: ref, Outcome: in.Outcome, TransactionID: res.TransactionID, CallbackStatus: res.CallbackStatus, CallbackBody: res.CallbackBody}
	if view.Outcome == "" {
		view.Outcome = paySucceeded
	}
	if e != nil {
		if e.status != http.StatusBadGateway {
			writeError(w, e)
			return
		}
		// The payment happened; only the callback failed. Show that to
		// the human rather than a bare JSON error.
		status, view.Error, view.TransactionID = e.status, e.body.Detail, e.body.TransactionID
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := payResultTmpl.Execute(w, view); err != nil {
		g.log.Error("render pay result", "err", err)
	}
}

// formatVND renders an amount the Vietnamese way: dot thousands separators
// and the đồng sign, e.g. 1.200.000 ₫.
func formatVND(amount int64) string {
	s := strconv.FormatInt(amount, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String() + " ₫"
	}
	return b.String() + " ₫"
}
