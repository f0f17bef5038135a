package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
)

// codSubmission is a GT-GPLX-01 dossier returning by post whose applicant
// pays the postman on delivery.
func codSubmission() map[string]any {
	sub := submission("GT-GPLX-01", "online", "postal")
	sub["pay_on_delivery"] = true
	return sub
}

// simGet reads a simulator's JSON answer.
func (s *system) simGet(path string, out any) {
	s.t.Helper()
	res := s.do("GET", s.sim.URL+path, nil)
	require.Equal(s.t, 200, res.status, "%s: %s", path, res.body)
	require.NoError(s.t, json.Unmarshal(res.body, out))
}

// Collection on delivery (Decision 45/2016/QĐ-TTg) against the real dev
// server and the postal simulator: the result goes out by post once
// approved, without a payment request; the simulated postal service is
// asked to collect the fee, reports the delivery with the amount in its
// signed callback and remits it; the dossier shows the fee paid "cod" at
// the collection time and the control sheet records it.
func TestCashOnDeliveryThroughThePostalService(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	created := s.must(201, "POST", "/v1/dossiers", codSubmission())
	code := created["code"].(string)
	fee := created["fee"].(map[string]any)
	require.Equal(t, true, fee["on_delivery"], "the choice shows at once")
	require.Equal(t, float64(135000), fee["amount"])
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	d := s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
	require.Equal(t, "return", d["stage"], "no payment stage")
	require.Equal(t, "on_delivery", d["fee"].(map[string]any)["status"])
	waybill := d["shipment"].(map[string]any)["waybill"].(string)

	var sh struct {
		CODAmount int64 `json:"cod_amount"`
	}
	s.simGet("/postal/v1/shipments/"+waybill, &sh)
	require.Equal(t, int64(135000), sh.CODAmount, "the shipment request carries the amount to collect")

	s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "picked_up"})
	s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "delivered"})
	d = s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	fee = d["fee"].(map[string]any)
	require.Equal(t, "paid", fee["status"])
	require.Equal(t, "cod", fee["method"])
	paidAt := parseTime(t, fee["paid_at"])
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "shipment.requested",
		"shipment.picked_up", "payment.on_delivery", "shipment.delivered"}, s.actions(code))
	items := s.must(200, "GET", path+"/events", nil)["items"].([]any)
	cod := items[6].(map[string]any)
	require.Equal(t, "postal-service", cod["actor"])
	require.Equal(t, "135000 VND collected on delivery, waybill "+waybill, cod["note"])
	require.True(t, parseTime(t, cod["at"]).Equal(paidAt), "the control sheet and the dossier agree on when")
	n, err := s.store.CountPaymentRequests(t.Context(), code)
	require.NoError(t, err)
	require.Zero(t, n, "the gateway was never asked")

	var rem struct {
		Remittances []struct {
			Waybill string `json:"waybill"`
			Amount  int64  `json:"amount"`
		} `json:"remittances"`
	}
	s.simGet("/postal/v1/remittances?order_number="+code, &rem)
	require.Len(t, rem.Remittances, 1)
	require.Equal(t, int64(135000), rem.Remittances[0].Amount)
	s.requireReadModelMatchesWorkflow(code)
	s.recordHistory(code, "cod-delivered-fee-collected")
}

// A failed delivery collects nothing (the simulator's callback carries no
// amount): the result comes back to the counter and the fee is asked for
// as usual; a delivery reported with the wrong amount is refused (422) and
// nothing is recorded.
func TestCashOnDeliveryFailedDeliveryThroughThePostalService(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", codSubmission())["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	d := s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
	waybill := d["shipment"].(map[string]any)["waybill"].(string)

	wrong := s.callback("/v1/postal/notifications", map[string]any{"waybill": waybill, "event": "delivered",
		"at": testenv.Now().Format(time.RFC3339Nano), "cod_collected": 100000})
	require.Equal(t, 422, wrong.status, string(wrong.body))
	require.Contains(t, wrong.json(t)["detail"], "the postman collected 100000 VND on delivery; the fee is 135000 VND")
	bad := s.callback("/v1/postal/notifications", map[string]any{"waybill": waybill, "event": "failed",
		"at": testenv.Now().Format(time.RFC3339Nano), "cod_collected": 135000})
	require.Equal(t, 400, bad.status, "an amount only comes with a delivery: %s", bad.body)
	require.NotContains(t, s.actions(code), "payment.on_delivery")

	s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "failed", "reason": "vắng nhà"})
	d = s.eventually(code, "the fee asked for", func(d map[string]any) bool {
		return d["fee"].(map[string]any)["status"] == "awaiting_payment"
	})
	require.Equal(t, "counter", d["return_method"])
	require.Equal(t, false, d["fee"].(map[string]any)["on_delivery"])
	var rem struct {
		Remittances []any `json:"remittances"`
	}
	s.simGet("/postal/v1/remittances?order_number="+code, &rem)
	require.Empty(t, rem.Remittances, "nothing collected, nothing remitted")
	s.must(200, "POST", path+"/payment", map[string]any{"receipt_number": "BL-0042", "amount": 135000})
	s.eventually(code, "result ready at the counter", func(d map[string]any) bool { return d["status"] == "result_ready" })
	s.must(200, "POST", path+"/handover", map[string]any{"received_by": "Nguyễn Văn A"})
	d = s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	require.Equal(t, "counter", d["fee"].(map[string]any)["method"])
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "shipment.requested",
		"shipment.failed", "payment.requested", "payment.counter", "handover"}, s.actions(code))
	s.recordHistory(code, "cod-failed-delivery-paid-at-counter")
}

// Paying on delivery needs postal return and a procedure that allows it:
// 400 and 422 saying so, and nothing recorded; the choice can also be made
// with the return method before the result is ready.
func TestCashOnDeliveryChoiceIsChecked(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	counter := submission("GT-GPLX-01", "online", "counter")
	counter["pay_on_delivery"] = true
	res := s.call("POST", "/v1/dossiers", counter)
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "pay_on_delivery goes with return_method postal")
	other := submission("KH-HKD-01", "online", "postal")
	other["pay_on_delivery"] = true
	res = s.call("POST", "/v1/dossiers", other)
	require.Equal(t, 422, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "does not let the postal service collect its fee on delivery (cash_on_delivery, Decision 45/2016/QĐ-TTg)")
	require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))

	proc := s.must(200, "GET", "/v1/procedures/GT-GPLX-01", nil)
	require.Equal(t, true, proc["cash_on_delivery"])

	code := s.must(201, "POST", "/v1/dossiers", submission("GT-GPLX-01", "online", "postal"))["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	res = s.call("POST", path+"/return-method", map[string]any{"method": "counter", "pay_on_delivery": true})
	require.Equal(t, 400, res.status, string(res.body))
	d := s.must(200, "POST", path+"/return-method", map[string]any{"method": "postal", "pay_on_delivery": true,
		"reason": "trả cho bưu tá"})
	require.Equal(t, true, d["fee"].(map[string]any)["on_delivery"])
	require.Equal(t, "return.method_changed", s.actions(code)[2])
	s.must(200, "POST", path+"/stop", map[string]any{"reason": "kết thúc"})
}
