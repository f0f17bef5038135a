package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/payment"

	"github.com/motcua/motcua/rules"
)

func TestMultiAgencyParallelReview(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TN-BDDD-01", "counter", "counter"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	d = s.must(200, "GET", path, nil)
	step := d["current_step"].(map[string]any)
	require.Equal(t, "assessment", step["name"])
	require.Equal(t, []any{"000.00.21.H39", "000.00.22.H39"}, step["departments"])

	// A reviewer acts for their own department only.
	res := s.call("POST", path+"/review", map[string]any{"decision": "approve", "department": "000.00.21.H39"},
		as(t, auth.Principal{Subject: "rv", Role: auth.RoleReviewer, Agency: "000.00.22.H39"})...)
	require.Equal(t, 403, res.status, string(res.body))
	d = s.must(200, "POST", path+"/assignment", map[string]any{"assignee": "cv.thue.lan", "department": "000.00.22.H39"})
	branches := d["current_step"].(map[string]any)["branches"].([]any)
	require.Len(t, branches, 2)
	require.Equal(t, "cv.thue.lan", branches[1].(map[string]any)["assignee"])
	d = s.must(200, "POST", path+"/review", map[string]any{"decision": "approve", "department": "000.00.21.H39"})
	require.Equal(t, []any{"000.00.22.H39"}, d["current_step"].(map[string]any)["pending_departments"])
	res = s.call("POST", path+"/review", map[string]any{"decision": "approve", "department": "000.00.21.H39"})
	require.Equal(t, 409, res.status, "a department decides its part once")
	d = s.must(200, "POST", path+"/review", map[string]any{"decision": "approve", "department": "000.00.22.H39", "assessed_fee": 3_250_000})
	require.Equal(t, "approval", d["stage"])
	require.Equal(t, float64(3_250_000), fee(d)["amount"], "the tax department's assessment is the fee")

	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	s.eventually(code, "awaiting payment", func(d map[string]any) bool { return fee(d)["status"] == "awaiting_payment" })
	res = s.call("POST", path+"/payment", map[string]any{"receipt_number": "BL-0001", "amount": 3_000_000})
	require.Equal(t, 422, res.status, string(res.body))
	d = s.must(200, "POST", path+"/payment", map[string]any{"receipt_number": "BL-0001", "amount": 3_250_000})
	require.Equal(t, "paid", fee(d)["status"])
	// The gateway's request is still open: a payment there now is late.
	late := s.simPost("/payment/v1/payment-requests/"+fee(d)["payment_ref"].(string)+"/pay", map[string]any{})
	require.Contains(t, late["callback_body"], `"ignored"`)
	s.must(200, "POST", path+"/handover", map[string]any{"received_by": "Phạm Thị D"})
	acts := s.actions(code)
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "step.assigned", "review.approve", "review.approve",
		"approval.approve", "payment.requested", "payment.counter", "handover"}, acts)
	s.recordHistory(code, "multi-agency-assessed-fee-counter-payment")
}

func TestWithdrawalStopAndReworkThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// Withdrawal: then every action is refused, the dossier is finished.
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	w := "/v1/dossiers/" + d["code"].(string)
	s.must(200, "POST", w+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, 400, s.call("POST", w+"/withdrawal", map[string]any{}).status)
	d = s.must(200, "POST", w+"/withdrawal", map[string]any{"reason": "không còn nhu cầu"})
	require.Equal(t, "withdrawn", d["status"])
	require.Equal(t, float64(7), d["status_code"])
	for _, p := range []string{"/review", "/withdrawal", "/stop"} {
		body := map[string]any{"reason": "x"}
		if p == "/review" {
			body = map[string]any{"decision": "approve"}
		}
		res := s.call("POST", w+p, body)
		require.Equal(t, 409, res.status, "%s on a withdrawn dossier: %s", p, res.body)
	}

	// Stop (form 05) by a leader.
	d = s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "electronic"))
	st := "/v1/dossiers/" + d["code"].(string)
	s.must(200, "POST", st+"/intake", map[string]any{"decision": "accept"})
	d = s.must(200, "POST", st+"/stop", map[string]any{"reason": "giấy tờ giả mạo"})
	require.Equal(t, "stopped", d["status"])
	require.Equal(t, float64(8), d["status_code"])

	// Return for rework: approval → review, with a note.
	d = s.must(201, "POST", "/v1/dossiers", submission("GT-GPLX-01", "counter", "counter"))
	rw := "/v1/dossiers/" + d["code"].(string)
	s.must(200, "POST", rw+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, 409, s.call("POST", rw+"/review", map[string]any{"decision": "return", "note": "x"}).status,
		"the first review step has nothing to return to")
	s.must(200, "POST", rw+"/review", map[string]any{"decision": "approve"})
	require.Equal(t, 400, s.call("POST", rw+"/approval", map[string]any{"decision": "return"}).status, "a note is required")
	d = s.must(200, "POST", rw+"/approval", map[string]any{"decision": "return", "note": "kiểm tra lại giấy khám sức khỏe"})
	require.Equal(t, "review", d["stage"])
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.return"}, s.actions(d["code"].(string)))
}

// outageRules answers the postal outage in seconds instead of days.
func outageRules(t *testing.T, notice, fallback string) *rules.Set {
	t.Helper()
	rs, err := rules.Parse([]byte(`versions:
  - {version: test, effective_from: 2018-01-01, warning_fraction: 0.75, supplement_deadline: 10wd,
     pause_clock_for_payment: true, max_appointment_resets: 1, apology_lead_time: 8wh,
     verdict_against: original, postal_outage_notice: ` + notice + `, postal_outage_fallback: ` + fallback + `,
     payment_expiry: 72h, payment_reminder_before: 24h}`))
	require.NoError(t, err)
	return rs
}

func (s *system) suspendPostal(suspended bool) {
	s.t.Helper()
	res := s.do("POST", s.sim.URL+"/postal/v1/admin/suspension", map[string]any{"suspended": suspended})
	require.Equal(s.t, 200, res.status, string(res.body))
}

func TestPostalOutageThatRecovers(t *testing.T) {
	t.Parallel()
	s := newSystemRules(t, 0, outageRules(t, "2s", "1h"))
	s.suspendPostal(true)
	d := s.must(201, "POST", "/v1/dossiers", submission("HT-TLHT-01", "online", "postal"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	ref := s.eventually(code, "payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	s.simPost("/payment/v1/payment-requests/"+fee(ref)["payment_ref"].(string)+"/pay", map[string]any{})
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(s.actions(code), "shipment.delayed") {
		require.True(t, time.Now().Before(deadline), "staff were never told: %v", s.actions(code))
		time.Sleep(200 * time.Millisecond)
	}
	s.suspendPostal(false) // the service comes back; the retrying request goes through
	d = s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
	require.Equal(t, "postal", d["return_method"])
	s.simPost("/postal/v1/shipments/"+d["shipment"].(map[string]any)["waybill"].(string)+"/events", map[string]any{"event": "delivered"})
	d = s.must(200, "GET", path, nil)
	require.Equal(t, "returned", d["status"])
	acts := s.actions(code)
	require.NotContains(t, acts, "return.counter_pickup")
	require.Less(t, slices.Index(acts, "shipment.delayed"), slices.Index(acts, "shipment.requested"))
}

func TestPostalOutageEndsInCounterPickup(t *testing.T) {
	t.Parallel()
	s := newSystemRules(t, 0, outageRules(t, "1s", "3s"))
	s.suspendPostal(true)
	// KH-DN-01: a postal return and, filed online, no fee: a short path.
	d := s.must(201, "POST", "/v1/dossiers", submission("KH-DN-01", "online", "postal"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	require.Equal(t, 409, s.call("POST", path+"/handover", map[string]any{"received_by": "A"}).status, "still going by post")
	d = s.eventually(code, "counter pickup", func(d map[string]any) bool { return d["return_method"] == "counter" })
	require.Nil(t, d["shipment"])
	d = s.must(200, "POST", path+"/handover", map[string]any{"received_by": "Nguyễn Văn A"})
	require.Equal(t, "returned", d["status"])
	acts := s.actions(code)
	require.Equal(t, []string{"shipment.delayed", "return.counter_pickup", "handover"}, acts[len(acts)-3:])
	s.recordHistory(code, "postal-outage-counter-pickup")
}

// TestStopWhileTheGatewayIsDown: a dossier stopped while its payment
// request keeps retrying against an unreachable gateway still closes (the
// request is cancelled), instead of waiting for the gateway to come back.
func TestStopWhileTheGatewayIsDown(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	s.stopWorker()
	s.acts.Payments = payment.New("http://127.0.0.1:1/payment", &http.Client{Timeout: time.Second})
	s.startWorker()
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "counter", "counter"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	time.Sleep(1500 * time.Millisecond) // the payment request is retrying
	d = s.must(200, "POST", path+"/stop", map[string]any{"reason": "cổng thanh toán ngừng hoạt động"})
	require.Equal(t, "stopped", d["status"])
	require.Eventually(t, func() bool {
		desc, err := describe(context.Background(), s.temporal, code)
		return err == nil && desc.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 15*time.Second, 200*time.Millisecond, "the run closes once stopped")
}
