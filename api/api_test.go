package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/api/openapi"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/internal/webhook"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// system is the whole product for one test: the API over real HTTP, a
// worker on a task queue of the test's own, the simulated gateway and
// postal service as real HTTP servers, the shared test PostgreSQL and the
// test Temporal server.
type system struct {
	t        *testing.T
	store    *store.Store
	temporal client.Client
	api      *httptest.Server
	admin    *httptest.Server // the admin listener: /metrics
	sim      *httptest.Server
	queue    string
	acts     *activities.Activities

	mu     sync.Mutex
	worker sdkworker.Worker
}

func newSystem(t *testing.T) *system { return newSystemWith(t, 0) }

// newSystemWith runs the worker with simulated business time at speed
// (0: the official calendar).
func newSystemWith(t *testing.T, speed float64) *system { return newSystemRules(t, speed, nil) }

// newSystemRules also gives the API its own processing rules (nil: the
// shipped ones), e.g. a postal outage fallback of seconds.
func newSystemRules(t *testing.T, speed float64, rs *rules.Set) *system {
	t.Helper()
	return newSystemOptions(t, speed, func(o *api.Options) { o.Rules = rs })
}

// newSystemOptions lets the test change the API's options (rules, rate
// limits) before it starts.
func newSystemOptions(t *testing.T, speed float64, opt func(*api.Options)) *system {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := &system{t: t, store: testenv.SharedStore(t), temporal: testenv.Temporal(t), queue: testenv.TaskQueue(t)}
	o := api.Options{Clock: testenv.Clock(), Store: s.store, Temporal: s.temporal, Log: log, TaskQueue: s.queue, Verifier: testSigner,
		PaymentWebhookSecret: paymentSecret, PostalWebhookSecret: postalSecret, Signing: testenv.SigningKeys(t)}
	if opt != nil {
		opt(&o)
	}
	srv := api.New(o)
	s.api = httptest.NewServer(srv.Handler())
	t.Cleanup(s.api.Close)
	s.admin = httptest.NewServer(srv.AdminHandler())
	t.Cleanup(s.admin.Close)
	pay := sim.NewPaymentGateway(sim.PaymentOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: paymentSecret})
	post := sim.NewPostalService(sim.PostalOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: postalSecret})
	s.sim = httptest.NewServer(sim.NewHandler(pay, post))
	t.Cleanup(func() { pay.Close(); post.Close(); s.sim.Close() })
	hc := &http.Client{Timeout: 10 * time.Second}
	s.acts = &activities.Activities{
		Store: s.store, Payments: payment.New(s.sim.URL+"/payment", hc), Postal: postal.New(s.sim.URL+"/postal", hc),
		PublicURL: s.api.URL, Log: log, SimulationSpeed: speed,
	}
	s.startWorker()
	t.Cleanup(s.stopWorker)
	return s
}

func (s *system) startWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := worker.New(s.temporal, s.queue, s.acts)
	require.NoError(s.t, w.Start())
	s.worker = w
}

func (s *system) stopWorker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.worker != nil {
		s.worker.Stop()
		s.worker = nil
	}
}

// The callback secrets of the test system: the simulators sign with them,
// and tests that play the gateway or the postal service themselves sign
// with them through callback.
const (
	paymentSecret = "test-payment-webhook-secret"
	postalSecret  = "test-postal-webhook-secret"
)

// callback posts body to a callback endpoint signed as its sender would,
// with the secret of that integration and the current time.
func (s *system) callback(path string, body any) response {
	s.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(s.t, err)
	secret := paymentSecret
	if strings.HasPrefix(path, "/v1/postal/") {
		secret = postalSecret
	}
	return s.call("POST", path, raw, webhook.Header, webhook.Sign(secret, raw, time.Now()))
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func (s *system) do(method, url string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// Requests to the API without an explicit Authorization header go as
	// the person who would make them (actorFor); an explicit empty one
	// sends none.
	if _, explicit := req.Header["Authorization"]; !explicit && strings.HasPrefix(url, s.api.URL) {
		req.Header.Set("Authorization", bearer(s.t, s.actorFor(method, strings.TrimPrefix(req.URL.Path, ""), body)))
	} else if req.Header.Get("Authorization") == "" {
		req.Header.Del("Authorization")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

func (s *system) call(method, path string, body any, headers ...string) response {
	s.t.Helper()
	res := s.do(method, s.api.URL+path, body, headers...)
	requireDocumented(s.t, method, path, res)
	return res
}

// must checks the status and returns the JSON body.
func (s *system) must(status int, method, path string, body any, headers ...string) map[string]any {
	s.t.Helper()
	res := s.call(method, path, body, headers...)
	require.Equal(s.t, status, res.status, "%s %s: %s", method, path, res.body)
	return res.json(s.t)
}

func submission(proc, channel, method string) map[string]any {
	b := map[string]any{
		"procedure_code": proc,
		"channel":        channel,
		"applicant": map[string]any{
			"full_name": "Nguyễn Văn A", "id_number": "079123456789", "phone": "0901234567",
			"email": "a@example.vn", "address": "12 Nguyễn Huệ, Tân An, Long An",
		},
		"documents":     []map[string]any{{"name": "to-khai.pdf", "sha256": strings.Repeat("ab", 32)}},
		"return_method": method,
	}
	if method == "postal" {
		b["return_address"] = "12 Nguyễn Huệ, Tân An, Long An"
	}
	if channel == "postal" {
		b["postal_receipt"] = "RR123456789VN"
	}
	return b
}

// eventually polls the dossier until cond holds.
func (s *system) eventually(code string, what string, cond func(d map[string]any) bool) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := s.must(200, "GET", "/v1/dossiers/"+code, nil)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("dossier %s never reached: %s; last: %v", code, what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *system) actions(code string) []string {
	s.t.Helper()
	ev := s.must(200, "GET", "/v1/dossiers/"+code+"/events", nil)
	var out []string
	for i, e := range ev["items"].([]any) {
		m := e.(map[string]any)
		require.Equal(s.t, float64(i+1), m["seq"], "the control sheet is numbered 1, 2, 3… without gaps")
		out = append(out, m["action"].(string))
	}
	return out
}

func fee(d map[string]any) map[string]any { return d["fee"].(map[string]any) }

// requireReadModelMatchesWorkflow compares what PostgreSQL serves with what
// the workflow itself says.
func (s *system) requireReadModelMatchesWorkflow(code string) {
	s.t.Helper()
	d := s.must(200, "GET", "/v1/dossiers/"+code, nil)
	v, err := s.temporal.QueryWorkflow(context.Background(), code, "", workflows.QueryState)
	require.NoError(s.t, err)
	var st workflows.State
	require.NoError(s.t, v.Get(&st))
	require.Equal(s.t, string(st.Status), d["status"])
	require.Equal(s.t, string(st.Stage), d["stage"])
	require.Equal(s.t, st.Fee.Amount, int64(fee(d)["amount"].(float64)))
	require.Equal(s.t, string(st.Fee.Status), fee(d)["status"])
	if st.AppointmentAt == nil || st.AppointmentAt.IsZero() {
		require.Nil(s.t, d["appointment_at"], "no appointment in the workflow, none in the read model")
	} else {
		require.Equal(s.t, st.AppointmentAt.Format(time.RFC3339), parseTime(s.t, d["appointment_at"]).Format(time.RFC3339))
	}
	events := s.actions(code)
	require.Len(s.t, events, st.Version, "one control-sheet row per workflow transition, plus submission")
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "want a time, got %v", v)
	tm, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return tm
}

// simPost drives a simulator like a developer would: pay, deliver.
func (s *system) simPost(path string, body any) map[string]any {
	s.t.Helper()
	res := s.do("POST", s.sim.URL+path, body)
	require.Equal(s.t, 200, res.status, "%s: %s", path, res.body)
	return res.json(s.t)
}

func TestPostalDossierEndToEnd(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	res := s.call("POST", "/v1/dossiers", submission("KH-HKD-01", "online", "postal"), "Idempotency-Key", "e2e-"+testenv.RandomSuffix())
	require.Equal(t, 201, res.status, string(res.body))
	d := res.json(t)
	code := d["code"].(string)
	require.Equal(t, "/v1/dossiers/"+code, res.header.Get("Location"))
	require.Regexp(t, `^000\.00\.17\.H39-\d{6}-\d{4}$`, code)
	require.Equal(t, "submitted", d["status"])
	require.Equal(t, float64(1), d["status_code"])
	require.Nil(t, d["appointment_at"])
	require.Contains(t, d, "shipment")
	require.Nil(t, d["shipment"])
	// The documents filed (the console's dossier page lists them): named by
	// hash only, so declared (their files never sent).
	require.Equal(t, []any{map[string]any{"name": "to-khai.pdf", "sha256": strings.Repeat("ab", 32), "status": "declared"}}, d["documents"])

	d = s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, "received", d["status"])
	require.Equal(t, "review", d["stage"])
	appointment := parseTime(t, d["appointment_at"])
	require.True(t, appointment.After(parseTime(t, d["received_at"])))
	step := d["current_step"].(map[string]any)
	require.Equal(t, "review", step["name"])
	require.Equal(t, []any{"000.00.19.H39"}, step["departments"])

	d = s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve", "note": "đủ điều kiện"})
	require.Equal(t, "approval", d["stage"])
	d = s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	require.Equal(t, float64(100000), fee(d)["amount"])
	require.NotNil(t, d["finished_at"])

	d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	require.Equal(t, "awaiting_payment", d["status"])
	require.Equal(t, float64(6), d["status_code"])
	ref := fee(d)["payment_ref"].(string)

	paid := s.simPost("/payment/v1/payment-requests/"+ref+"/pay", map[string]any{"outcome": "succeeded"})
	require.Equal(t, float64(200), paid["callback_status"], paid)

	d = s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
	require.Equal(t, "paid", fee(d)["status"])
	require.Equal(t, "result_ready", d["status"])
	waybill := d["shipment"].(map[string]any)["waybill"].(string)

	// The pickup is kept with the shipment and shown at once, without a
	// workflow transition; the control sheet gets it with the delivery.
	out := s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "picked_up"})
	require.Equal(t, float64(200), out["callback_status"], out)
	d = s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, "picked_up", d["shipment"].(map[string]any)["status"])
	require.Equal(t, "result_ready", d["status"])
	require.NotContains(t, s.actions(code), "shipment.picked_up")
	pickedAt := testenv.Now()
	// The postal service saying it again changes nothing.
	again := s.callback("/v1/postal/notifications", map[string]any{"waybill": waybill, "event": "picked_up",
		"at": testenv.Now().Format(time.RFC3339Nano)})
	require.Equal(t, 200, again.status, string(again.body))
	require.Equal(t, "duplicate", again.json(t)["result"])
	out = s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "delivered"})
	require.Equal(t, float64(200), out["callback_status"], out)
	d = s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, "returned", d["status"])
	require.Equal(t, float64(10), d["status_code"])
	require.Equal(t, "done", d["stage"])
	require.NotNil(t, d["returned_at"])
	require.Nil(t, d["current_step"])
	require.Equal(t, "delivered", d["shipment"].(map[string]any)["status"])

	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "payment.requested",
		"payment.succeeded", "shipment.requested", "shipment.picked_up", "shipment.delivered"}, s.actions(code))
	// The pickup is on the sheet at the time the postal service reported it.
	items := s.must(200, "GET", "/v1/dossiers/"+code+"/events", nil)["items"].([]any)
	pickup, delivery := items[7].(map[string]any), items[8].(map[string]any)
	require.Equal(t, "postal-service", pickup["actor"])
	require.False(t, parseTime(t, pickup["at"]).After(pickedAt), "the pickup's own time, not the delivery's")
	require.False(t, parseTime(t, pickup["at"]).After(parseTime(t, delivery["at"])))
	// A pickup reported after the delivery is ignored.
	late := s.callback("/v1/postal/notifications", map[string]any{"waybill": waybill, "event": "picked_up",
		"at": testenv.Now().Format(time.RFC3339Nano)})
	require.Equal(t, 200, late.status, string(late.body))
	require.Equal(t, "ignored", late.json(t)["result"])
	s.requireReadModelMatchesWorkflow(code)

	// The workflow closed with the dossier, and its search attributes say so.
	run := s.temporal.GetWorkflow(context.Background(), code, "")
	var result workflows.DossierResult
	require.NoError(t, run.Get(context.Background(), &result))
	require.Equal(t, "returned", string(result.Status))
	desc, err := describe(context.Background(), s.temporal, code)
	require.NoError(t, err)
	sa := desc.WorkflowExecutionInfo.SearchAttributes.IndexedFields
	for name, want := range map[string]string{
		"DossierStatus": `"returned"`, "DossierStage": `"done"`, "ProcedureCode": `"KH-HKD-01"`,
		"AgencyCode": `"000.00.17.H39"`, "Channel": `"online"`, "Overdue": "false",
	} {
		require.Contains(t, sa, name)
		require.Equal(t, want, string(sa[name].Data), name)
	}
	require.Contains(t, sa, "AppointmentAt")

	n, err := s.store.CountPaymentRequests(context.Background(), code)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	// The applicant was told of every milestone (VersionApplicantNotices).
	var notices []string
	outbox, err := s.store.Notifications(context.Background(), code)
	require.NoError(t, err)
	for _, o := range outbox {
		if o.To == "applicant" {
			notices = append(notices, o.Template)
			require.NotContains(t, o.Message, "Nguyễn Văn A", "a notice names the dossier, not the applicant")
		}
	}
	require.Equal(t, []string{"received", "payment_requested", "result_ready", "shipped", "delivered", "rating_invitation"}, notices)
	require.Contains(t, outbox[1].Message+outbox[2].Message+outbox[3].Message+outbox[4].Message, waybill)
	s.recordHistory(code, "postal-return-with-fee")
}

func TestCounterDossierWithRepeatedCallbacks(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "counter", "counter"))
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	ref := fee(d)["payment_ref"].(string)

	// A wrong amount is refused with 422 and recorded; the dossier waits.
	bad := s.callback("/v1/payments/notifications", map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-WRONG-" + code, "amount": 1000, "status": "succeeded"})
	require.Equal(t, 422, bad.status, string(bad.body))
	require.Equal(t, "application/problem+json", bad.header.Get("Content-Type"))
	require.Contains(t, bad.json(t)["detail"], "does not match")
	again := s.callback("/v1/payments/notifications", map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-WRONG-" + code, "amount": 1000, "status": "succeeded"})
	require.Equal(t, 422, again.status)

	// A failed payment leaves the dossier waiting, with the reason recorded.
	failed := s.simPost("/payment/v1/payment-requests/"+ref+"/pay", map[string]any{"outcome": "failed", "reason": "thẻ bị từ chối"})
	require.Equal(t, float64(200), failed["callback_status"], failed)
	d = s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, "awaiting_payment", d["status"])

	paid := s.simPost("/payment/v1/payment-requests/"+ref+"/pay", map[string]any{"outcome": "succeeded"})
	require.Equal(t, float64(200), paid["callback_status"], paid)
	require.Contains(t, paid["callback_body"], `"applied"`)
	// The gateway repeats the same callback: harmless.
	dup := s.simPost("/payment/v1/payment-requests/"+ref+"/redeliver", nil)
	require.Equal(t, float64(200), dup["callback_status"], dup)
	require.Contains(t, dup["callback_body"], `"duplicate"`)
	// A second, different successful transaction is late: ignored, never a
	// second payment.
	lateRes := s.callback("/v1/payments/notifications", map[string]any{
		"payment_ref": ref, "transaction_id": "TXN-LATE-" + code, "amount": 200000, "status": "succeeded"})
	require.Equal(t, 200, lateRes.status, string(lateRes.body))
	require.Equal(t, "ignored", lateRes.json(t)["result"])

	d = s.must(200, "POST", "/v1/dossiers/"+code+"/handover", map[string]any{"received_by": "Nguyễn Văn A"})
	require.Equal(t, "returned", d["status"])
	// After the end, another handover is a conflict, and a callback changes nothing.
	res := s.call("POST", "/v1/dossiers/"+code+"/handover", map[string]any{"received_by": "B"})
	require.Equal(t, 409, res.status, string(res.body))
	dup2 := s.simPost("/payment/v1/payment-requests/"+ref+"/redeliver", nil)
	require.Contains(t, dup2["callback_body"], `"duplicate"`)

	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "payment.requested",
		"payment.failed", "payment.succeeded", "handover"}, s.actions(code))
	n, err := s.store.CountPaymentRequests(context.Background(), code)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	s.recordHistory(code, "counter-return-failed-then-paid-repeated-callbacks")
}

func TestElectronicReturnWithoutFee(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))
	code := d["code"].(string)
	require.Regexp(t, `^000\.00\.25\.H39-`, code)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
	require.Equal(t, 404, s.call("GET", "/v1/dossiers/"+code+"/result", nil).status, "no result yet")
	res := s.call("POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve",
		"result_document": map[string]any{"name": "trich-luc.pdf", "sha256": "xyz"}})
	require.Equal(t, 400, res.status, string(res.body))
	s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve",
		"result_document": map[string]any{"name": "giay-khai-sinh.pdf", "sha256": strings.Repeat("ef", 32)}})
	d = s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	result := s.must(200, "GET", "/v1/dossiers/"+code+"/result", nil)
	require.Equal(t, "giay-khai-sinh.pdf", result["name"])
	require.Equal(t, d["result_document"].(map[string]any)["sha256"], result["sha256"])
	require.Equal(t, "none", fee(d)["status"])
	require.NotContains(t, d, "shipment")
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve",
		"result.issued_electronically"}, s.actions(code))
	s.recordHistory(code, "electronic-return-no-fee")
}

func TestIdempotentSubmission(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	key := "idem-" + testenv.RandomSuffix()
	body := submission("TP-LLTP-01", "postal", "postal")
	first := s.must(201, "POST", "/v1/dossiers", body, "Idempotency-Key", key)
	second := s.must(200, "POST", "/v1/dossiers", body, "Idempotency-Key", key)
	require.Equal(t, first["code"], second["code"])
	require.Equal(t, "RR123456789VN", first["postal_receipt"], "a dossier filed by post carries its receipt")

	body["return_address"] = "somewhere else"
	res := s.call("POST", "/v1/dossiers", body, "Idempotency-Key", key)
	require.Equal(t, 409, res.status, string(res.body))
	require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))

	// Many concurrent retries of one new submission make one dossier.
	key2 := "idem-race-" + testenv.RandomSuffix()
	body2 := submission("KH-DN-01", "online", "electronic")
	codes := make(chan string, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, _ := json.Marshal(body2)
			req, _ := http.NewRequest("POST", s.api.URL+"/v1/dossiers", bytes.NewReader(raw))
			req.Header.Set("Idempotency-Key", key2)
			req.Header.Set("Authorization", bearer(t, testPortal))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- "error: " + err.Error()
				return
			}
			defer res.Body.Close()
			var d map[string]any
			_ = json.NewDecoder(res.Body).Decode(&d)
			codes <- fmt.Sprintf("%d %v", res.StatusCode/100, d["code"])
		}()
	}
	wg.Wait()
	close(codes)
	seen := map[string]int{}
	for c := range codes {
		seen[c]++
	}
	require.Len(t, seen, 1, "every retry gets the same dossier: %v", seen)
	for k := range seen {
		require.True(t, strings.HasPrefix(k, "2 "), k)
	}
	// The same decision retried with one Idempotency-Key is applied once.
	code := first["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"}, "Idempotency-Key", "k1")
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"}, "Idempotency-Key", "k1")
	require.Equal(t, []string{"submitted", "intake.accept"}, s.actions(code))
}

func TestWorkerRestartLosesNothing(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("GT-GPLX-01", "counter", "counter"))
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})

	// The worker goes away; a reviewer decides meanwhile. The decision
	// waits for a worker and is applied once when one comes back.
	s.stopWorker()
	done := make(chan response, 1)
	go func() { done <- s.call("POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"}) }()
	time.Sleep(2 * time.Second)
	s.startWorker()
	res := <-done
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "approval", res.json(t)["stage"])

	s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	// And again, between the payment request and the payment.
	s.stopWorker()
	s.startWorker()
	// The callback waits for the new worker (the workflow's next task may
	// first wait out the stopped worker's sticky queue); a gateway that got
	// no answer in time delivers it again, as real gateways do.
	ref := fee(d)["payment_ref"].(string)
	res = s.do("POST", s.sim.URL+"/payment/v1/payment-requests/"+ref+"/pay", map[string]any{})
	for try := 0; res.status == http.StatusBadGateway && try < 5; try++ {
		res = s.do("POST", s.sim.URL+"/payment/v1/payment-requests/"+ref+"/redeliver", nil)
	}
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, float64(200), res.json(t)["callback_status"], string(res.body))
	s.must(200, "POST", "/v1/dossiers/"+code+"/handover", map[string]any{"received_by": "Trần Thị B"})

	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "payment.requested",
		"payment.succeeded", "handover"}, s.actions(code))
	s.requireReadModelMatchesWorkflow(code)
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	problem := func(res response, status int, contains ...string) map[string]any {
		t.Helper()
		require.Equal(t, status, res.status, string(res.body))
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
		p := res.json(t)
		require.Equal(t, float64(status), p["status"])
		for _, c := range contains {
			require.Contains(t, string(res.body), c)
		}
		require.NotContains(t, string(res.body), "internal error")
		return p
	}
	problem(s.call("POST", "/v1/dossiers", "{not json"), 400, "not valid JSON")
	problem(s.call("POST", "/v1/dossiers", ""), 400, "empty")
	problem(s.call("POST", "/v1/dossiers", `[1,2]`), 400)
	withExtra := submission("TP-LLTP-01", "online", "counter")
	withExtra["colour"] = "blue"
	problem(s.call("POST", "/v1/dossiers", withExtra), 400, `colour`)
	p := problem(s.call("POST", "/v1/dossiers", map[string]any{"channel": "fax"}), 400)
	fields := map[string]bool{}
	for _, e := range p["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, f := range []string{"procedure_code", "channel", "applicant", "documents", "return_method"} {
		require.True(t, fields[f], "field %s should be reported: %v", f, fields)
	}
	badID := submission("TP-LLTP-01", "online", "counter")
	badID["applicant"].(map[string]any)["id_number"] = "12AB"
	problem(s.call("POST", "/v1/dossiers", badID), 400, "applicant.id_number")
	problem(s.call("POST", "/v1/dossiers", submission("NO-SUCH-01", "online", "counter")), 400, "procedure_code")
	problem(s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "electronic")), 400, "return_method")
	noAddress := submission("TP-LLTP-01", "online", "postal")
	delete(noAddress, "return_address")
	problem(s.call("POST", "/v1/dossiers", noAddress), 400, "return_address")
	noReceipt := submission("TP-LLTP-01", "postal", "counter")
	delete(noReceipt, "postal_receipt")
	problem(s.call("POST", "/v1/dossiers", noReceipt), 400, "postal_receipt")
	wrongType := submission("TP-LLTP-01", "online", "counter")
	wrongType["fee_units"] = "two"
	problem(s.call("POST", "/v1/dossiers", wrongType), 400, "fee_units")
	problem(s.call("POST", "/v1/dossiers", `{"procedure_code":"`+strings.Repeat("x", 2<<20)+`"}`), 413)

	problem(s.call("GET", "/v1/dossiers/000.00.17.H39-000000-0000", nil), 404)
	problem(s.call("POST", "/v1/dossiers/000.00.17.H39-000000-0000/intake", map[string]any{"decision": "accept"}), 404)
	problem(s.call("GET", "/v1/procedures/NOPE", nil), 404)
	problem(s.call("GET", "/v1/nothing-here", nil), 404)
	problem(s.callback("/v1/payments/notifications", map[string]any{
		"payment_ref": "PAY-NOPE", "transaction_id": "T", "amount": 1, "status": "succeeded"}), 404)
	problem(s.callback("/v1/payments/notifications", map[string]any{"payment_ref": "x"}), 400, "transaction_id", "amount", "status")
	problem(s.callback("/v1/postal/notifications", map[string]any{
		"waybill": "EV000VN", "event": "delivered", "at": "2026-11-27T10:00:00+07:00"}), 404)
	problem(s.callback("/v1/postal/notifications", map[string]any{"waybill": "EV000VN", "event": "lost"}), 400, "event", "at")
	problem(s.call("GET", "/v1/procedures?cursor=abc", nil), 400, "cursor")

	// Out-of-stage actions: 409, and nothing written.
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	code := d["code"].(string)
	// (A reviewer has no step to act on before intake: 403, see the
	// authorization table; the approving leader is refused by the stage.)
	problem(s.call("POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"}), 403)
	problem(s.call("POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"}), 409)
	problem(s.call("POST", "/v1/dossiers/"+code+"/handover", map[string]any{"received_by": "A"}), 409)
	problem(s.call("POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse"}), 400, "note")
	problem(s.call("POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "maybe"}), 400, "decision")
	d = s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse", "note": "thiếu giấy tờ"})
	require.Equal(t, "refused", d["status"])
	require.Equal(t, float64(3), d["status_code"])
	problem(s.call("POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"}), 409)
	require.Equal(t, []string{"submitted", "intake.refuse"}, s.actions(code))
	s.recordHistory(code, "refused-at-intake")
}

func TestServiceEndpoints(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	res := s.call("GET", "/healthz", nil)
	require.Equal(t, 200, res.status)
	ready := s.must(200, "GET", "/readyz", nil)
	require.Equal(t, "ready", ready["status"])
	res = s.call("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.status)
	require.Contains(t, string(res.body), `"openapi"`)
	res = s.call("GET", "/docs", nil)
	require.Equal(t, 200, res.status)
	require.Contains(t, string(res.body), "/v1/dossiers")
	s.call("GET", "/v1/procedures", nil)
	// Metrics are on the admin listener only, not the public port.
	require.Equal(t, 404, s.call("GET", "/metrics", nil).status)
	mres, err := http.Get(s.admin.URL + "/metrics")
	require.NoError(t, err)
	metrics, err := io.ReadAll(mres.Body)
	require.NoError(t, err)
	mres.Body.Close()
	require.Equal(t, 200, mres.StatusCode)
	require.Contains(t, string(metrics), `motcua_http_request_duration_seconds_count{method="GET",route="/v1/procedures",status="200"}`)

	procs := s.must(200, "GET", "/v1/procedures", nil)
	items := procs["items"].([]any)
	codes := map[string]bool{}
	for _, it := range items {
		codes[it.(map[string]any)["code"].(string)] = true
	}
	// The shipped catalog's ten (other tests may publish more meanwhile).
	for _, c := range []string{"TP-LLTP-01", "KH-HKD-01", "KH-DN-01", "GT-GPLX-01", "XD-GPXD-01",
		"TN-BDDD-01", "YT-ATTP-01", "HT-KS-01", "CT-BS-01", "HT-TLHT-01"} {
		require.True(t, codes[c], c)
	}
	p := s.must(200, "GET", "/v1/procedures/TN-BDDD-01", nil)
	require.Equal(t, "assessed", p["fee"].(map[string]any)["kind"])
	steps := p["steps"].([]any)
	require.Len(t, steps[2].(map[string]any)["parallel"], 2)
}

func TestRoutesMatchTheOpenAPIDocument(t *testing.T) {
	t.Parallel()
	srv := api.New(api.Options{Clock: testenv.Clock(), Verifier: testSigner})
	var routes []string
	require.NoError(t, chi.Walk(srv.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	}))
	var documented []string
	for _, r := range openapi.Routes() {
		documented = append(documented, r.String())
	}
	require.ElementsMatch(t, documented, routes)
}
