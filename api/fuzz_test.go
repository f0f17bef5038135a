package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/api/openapi"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/internal/webhook"
)

// bodyEndpoint is an endpoint that takes a JSON body: method, the
// document's path template and a concrete path.
type bodyEndpoint struct{ method, template, path string }

// bodyEndpoints are every endpoint with a request body. A test below keeps
// the list equal to the OpenAPI document's.
var bodyEndpoints = []bodyEndpoint{
	{"POST", "/v1/dossiers", "/v1/dossiers"},
	{"POST", "/v1/dossiers/{code}/intake", ""},
	{"POST", "/v1/dossiers/{code}/review", ""},
	{"POST", "/v1/dossiers/{code}/approval", ""},
	{"POST", "/v1/dossiers/{code}/handover", ""},
	{"POST", "/v1/dossiers/{code}/supplement", ""},
	{"POST", "/v1/dossiers/{code}/apology", ""},
	{"POST", "/v1/dossiers/{code}/extension", ""},
	{"POST", "/v1/dossiers/{code}/withdrawal", ""},
	{"POST", "/v1/dossiers/{code}/stop", ""},
	{"POST", "/v1/dossiers/{code}/payment", ""},
	{"POST", "/v1/dossiers/{code}/assignment", ""},
	{"POST", "/v1/payments/notifications", "/v1/payments/notifications"},
	{"POST", "/v1/postal/notifications", "/v1/postal/notifications"},
	{"POST", "/v1/notifications/receipts", "/v1/notifications/receipts"},
	{"POST", "/v1/procedures", "/v1/procedures"},
	{"PUT", "/v1/procedures/{code}", "/v1/procedures/TP-LLTP-01"},
	{"PUT", "/v1/calendar/{year}", "/v1/calendar/2027"},
	{"POST", "/v1/dossiers/{code}/return-method", ""},
	{"POST", "/v1/dossiers/{code}/fee-exemption", ""},
	{"POST", "/v1/postal/suspensions", "/v1/postal/suspensions"},
	{"POST", "/v1/payments/refund-notifications", "/v1/payments/refund-notifications"},
	{"POST", "/v1/public/dossiers/{code}/rating", "/v1/public/dossiers/000.00.17.H39-261127-0001/rating"},
}

func (e bodyEndpoint) target() string {
	if e.path != "" {
		return e.path
	}
	return strings.Replace(e.template, "{code}", "000.00.17.H39-261127-0001", 1)
}

// unavailableDetail is what every handler answers once validation passed
// and it reached the store, which in the fuzz test is closed.
const unavailableDetail = "a service motcua depends on did not answer; retry shortly"

// FuzzRequestBodies throws arbitrary bodies at every endpoint that takes
// one: through the real router and handlers, whose store is closed (a body
// that passes decoding and validation reaches it and gets the dependency's
// 503, which marks "accepted by validation"), or, for the dossier actions,
// which authorize against the dossier before reading the body, through
// the very decode-and-check step the action runs next. Everything refused
// must be a documented 4xx problem: never a panic, never a 500, and
// nothing accepted that holds a string validation should have refused.
func FuzzRequestBodies(f *testing.F) {
	for i, e := range bodyEndpoints {
		for _, ex := range openAPIExamples(f, e) {
			f.Add(uint8(i), ex)
		}
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), []byte(`{"decision":"accept","reason":"`+norm.NFD.String("Nguyễn")+`"}`))
	}
	cat, err := catalog.Parse(data.Procedures)
	require.NoError(f, err)
	proc, err := json.Marshal(cat.Procedures[0])
	require.NoError(f, err)
	f.Add(uint8(14), proc)
	f.Add(uint8(15), bytes.Replace(proc, []byte(cat.Procedures[0].Code), []byte("TP-LLTP-01"), 1))

	// A store that refuses everything: opened on a fresh database, then
	// closed.
	st := testenv.NewStore(f)
	st.Close()
	const paySecret, postSecret, receiptSecret = "fuzz-payment-secret", "fuzz-postal-secret", "fuzz-receipt-secret"
	h := api.New(api.Options{Clock: testenv.Clock(), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner,
		PaymentWebhookSecret: paySecret, PostalWebhookSecret: postSecret, NotifyReceiptSecret: receiptSecret,
		SubmitRatePerMinute: 1 << 30, LookupRatePerMinute: 1 << 30}).Handler()
	admin := auth.Principal{Subject: "fuzz-admin", Role: auth.RoleAdmin}
	staff := auth.Principal{Subject: "fuzz-staff", Role: auth.RoleReviewer, Agency: justice}

	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e := bodyEndpoints[int(which)%len(bodyEndpoints)]
		req := httptest.NewRequest(e.method, e.target(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		if segment, ok := strings.CutPrefix(e.template, "/v1/dossiers/{code}/"); ok {
			// A dossier action reads the dossier and authorizes the caller
			// before its body: drive what it then does with the body.
			req = req.WithContext(auth.WithPrincipal(req.Context(), staff))
			arg, err := api.ActionBodies[segment](w, req)
			if err == nil {
				require.NotNil(t, arg, "accepted without an update argument")
				requireBoundedStrings(t, body)
				return
			}
			api.WriteError(w, req, err)
		} else {
			switch e.template {
			case "/v1/payments/notifications", "/v1/payments/refund-notifications":
				req.Header.Set(webhook.Header, webhook.Sign(paySecret, body, time.Now()))
			case "/v1/postal/notifications":
				req.Header.Set(webhook.Header, webhook.Sign(postSecret, body, time.Now()))
			case "/v1/notifications/receipts":
				req.Header.Set(webhook.Header, webhook.Sign(receiptSecret, body, time.Now()))
			case "/v1/dossiers":
				req.Header.Set("Authorization", bearer(t, testPortal))
			default:
				req.Header.Set("Authorization", bearer(t, admin))
			}
			h.ServeHTTP(w, req)
		}

		res := response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), "%s %s: %d %s", e.method, e.template, res.status, res.body)
		var p struct{ Detail string }
		require.NoError(t, json.Unmarshal(res.body, &p))
		require.NotEmpty(t, p.Detail)
		switch {
		case res.status == 503:
			require.Equal(t, unavailableDetail, p.Detail)
			requireBoundedStrings(t, body)
		case res.status == 413:
			require.Greater(t, len(body), 1<<20)
		default:
			require.Contains(t, []int{400, 401, 403, 404, 409, 422}, res.status, "%s %s: %s", e.method, e.template, res.body)
		}
		requireDocumented(t, e.method, e.target(), res)
	})
}

// requireBoundedStrings: a body that got past validation holds no string
// longer than 2000 characters once normalised.
func requireBoundedStrings(t *testing.T, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		t.Fatalf("invalid JSON got past validation: %q", body)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			require.LessOrEqual(t, utf8.RuneCountInString(norm.NFC.String(x)), 2000, "a long string got past validation")
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

// openAPIExamples are the document's request examples for e: valid bodies
// to start mutating from.
func openAPIExamples(tb testing.TB, e bodyEndpoint) [][]byte {
	doc, err := openapi.Load()
	require.NoError(tb, err)
	op := doc.Paths.Value(e.template).GetOperation(e.method)
	require.NotNil(tb, op, "%s %s", e.method, e.template)
	require.NotNil(tb, op.RequestBody, "%s %s has a body", e.method, e.template)
	mt := op.RequestBody.Value.Content.Get("application/json")
	var out [][]byte
	if mt.Example != nil {
		b, err := json.Marshal(mt.Example)
		require.NoError(tb, err)
		out = append(out, b)
	}
	for _, ex := range mt.Examples {
		b, err := json.Marshal(ex.Value.Value)
		require.NoError(tb, err)
		out = append(out, b)
	}
	return out
}

// TestFuzzCoversEveryBody keeps bodyEndpoints equal to the operations of
// the OpenAPI document that take a JSON body (POST /v1/public/verify takes
// a PDF: signing's FuzzVerify throws arbitrary files at its verification).
func TestFuzzCoversEveryBody(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	require.NoError(t, err)
	var documented, fuzzed []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			// Files (raw bodies, not JSON) are fuzzed where they are
			// judged: document.FuzzSniff.
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil {
				documented = append(documented, method+" "+path)
			}
		}
	}
	for _, e := range bodyEndpoints {
		fuzzed = append(fuzzed, e.method+" "+e.template)
	}
	require.ElementsMatch(t, documented, fuzzed)
}

// FuzzCallbackSignatures: whatever X-Signature header and body arrive at a
// callback, an attacker without the secret gets a 401 problem, and never
// reaches the body's handling (the store behind is closed: reaching it
// would answer 503).
func FuzzCallbackSignatures(f *testing.F) {
	body := []byte(`{"payment_ref":"PAY-1","transaction_id":"T-1","amount":200000,"status":"succeeded"}`)
	now := time.Now()
	f.Add(false, webhook.Sign("not-the-secret", body, now), body)
	f.Add(true, webhook.Sign("fuzz-payment-secret", body, now.Add(-time.Hour)), body)
	f.Add(false, "t=1,v1="+strings.Repeat("0", 64)+",v1=zz", []byte(`{}`))
	f.Add(true, "", []byte(nil))
	f.Add(false, ",,,t=,v1=,=", []byte(`[`))
	st := testenv.NewStore(f)
	st.Close()
	h := api.New(api.Options{Clock: testenv.Clock(), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner,
		PaymentWebhookSecret: "fuzz-payment-secret", PostalWebhookSecret: "fuzz-postal-secret"}).Handler()
	f.Fuzz(func(t *testing.T, postal bool, header string, body []byte) {
		path := "/v1/payments/notifications"
		if postal {
			path = "/v1/postal/notifications"
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set(webhook.Header, header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == 413 {
			require.Greater(t, len(body), 1<<20)
			return
		}
		require.Equal(t, 401, w.Code, "header %q: %s", header, w.Body.String())
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
		requireDocumented(t, "POST", path, response{status: w.Code, header: w.Header(), body: w.Body.Bytes()})
	})
}
