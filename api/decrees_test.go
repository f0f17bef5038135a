package api_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/pickupwatch"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/store"
)

// requireRuleRefusal checks a refusal is a problem+json 409 that quotes
// the rule and its source, and that nothing was recorded.
func (s *system) requireRuleRefusal(res response, contains ...string) {
	s.t.Helper()
	require.Equal(s.t, 409, res.status, string(res.body))
	require.Equal(s.t, "application/problem+json", res.header.Get("Content-Type"))
	detail, _ := res.json(s.t)["detail"].(string)
	for _, c := range contains {
		require.Contains(s.t, detail, c)
	}
}

// One written supplement request per agency, then complete or refuse; a
// refusal after receipt is declined (11), and the applicant is told why.
func TestSupplementOnceThenDeclinedThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "electronic"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "request_supplement", "missing": []string{"tờ khai có chữ ký"}})
	s.must(200, "POST", path+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "to-khai-ky.pdf", "sha256": strings.Repeat("cd", 32)}}})
	before := s.actions(code)
	res := s.call("POST", path+"/intake", map[string]any{"decision": "request_supplement", "missing": []string{"ảnh 4x6"}})
	s.requireRuleRefusal(res, "already sent a written supplement request", "allow 1 per dossier per agency",
		"ND118-2025: Decree 118/2025/ND-CP", "complete the dossier or refuse it")
	require.Equal(t, before, s.actions(code), "nothing recorded")

	d = s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, "received", d["status"])
	// The reviewing department has a request of its own, within 3 working
	// days of receipt (just received: always within).
	d = s.must(200, "POST", path+"/review", map[string]any{"decision": "request_supplement", "missing": []string{"bản sao CCCD"}})
	require.Equal(t, "supplement_requested", d["status"])
	s.must(200, "POST", path+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "cccd.pdf", "sha256": strings.Repeat("ef", 32)}}})
	res = s.call("POST", path+"/review", map[string]any{"decision": "request_supplement", "missing": []string{"x"}})
	s.requireRuleRefusal(res, "000.00.19.H39 already sent")

	d = s.must(200, "POST", path+"/review", map[string]any{"decision": "refuse", "note": "ngành nghề không được đăng ký"})
	require.Equal(t, "declined", d["status"])
	require.Equal(t, float64(11), d["status_code"], "not 3: the dossier was received")
	require.Equal(t, "done", d["stage"])
	require.Equal(t, []string{"submitted", "intake.request_supplement", "supplement.received", "intake.accept",
		"review.request_supplement", "supplement.received", "review.refuse"}, s.actions(code))
	ns, err := s.store.Notifications(context.Background(), code)
	require.NoError(t, err)
	var declined []string
	for _, n := range ns {
		if n.Template == "declined" {
			declined = append(declined, n.Message)
		}
	}
	require.Len(t, declined, 1)
	require.Contains(t, declined[0], "Lý do: ngành nghề không được đăng ký")
	require.Equal(t, 409, s.call("POST", path+"/withdrawal", map[string]any{"reason": "x"}).status, "declined is final")
	s.requireReadModelMatchesWorkflow(code)
	s.recordHistory(code, "decrees-supplement-once-then-declined")
}

// Business time runs 3,600 times faster (a working day in 8 s): KH-HKD-01
// is due 24 s after receipt, its apology letter 16 s after. A letter after
// the apology deadline is accepted and recorded late; after the
// appointment a letter, and a supplement request after its 3 working days,
// are refused and record nothing.
func TestApologyLateAndTooLateThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystemWith(t, 3600)
	late := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "counter", "counter"))["code"].(string)
	tooLate := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "counter", "counter"))["code"].(string)
	for _, code := range []string{late, tooLate} {
		s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	}
	waitFor := func(code, action string) {
		deadline := time.Now().Add(60 * time.Second)
		for !slices.Contains(s.actions(code), action) {
			require.True(t, time.Now().Before(deadline), "no %s within 60 s: %v", action, s.actions(code))
			time.Sleep(200 * time.Millisecond)
		}
	}
	// A new appointment an hour after the current one.
	letter := func(code string) map[string]any {
		appt := parseTime(t, s.must(200, "GET", "/v1/dossiers/"+code, nil)["appointment_at"])
		return map[string]any{"new_appointment_at": appt.Add(time.Hour).Format(time.RFC3339), "reason": "chờ xác minh"}
	}

	waitFor(late, "deadline.apology_required")
	d := s.must(200, "POST", "/v1/dossiers/"+late+"/apology", letter(late))
	require.Equal(t, float64(1), d["appointment_resets"])
	ev := s.must(200, "GET", "/v1/dossiers/"+late+"/events", nil)["items"].([]any)
	last := ev[len(ev)-1].(map[string]any)
	require.Equal(t, "apology.issued", last["action"])
	require.Equal(t, "late", last["on_time"], "recorded late on the control sheet")
	require.Contains(t, last["note"], "issued late")

	waitFor(tooLate, "deadline.appointment_overdue")
	before := s.actions(tooLate)
	s.requireRuleRefusal(s.call("POST", "/v1/dossiers/"+tooLate+"/apology", letter(tooLate)),
		"has passed: an apology letter must be issued before it", "ND118-2025")
	s.requireRuleRefusal(s.call("POST", "/v1/dossiers/"+tooLate+"/review",
		map[string]any{"decision": "request_supplement", "missing": []string{"x"}}), "only within 3wd of receipt", "ND118-2025")
	require.Equal(t, before, s.actions(tooLate), "nothing recorded")

	for _, code := range []string{late, tooLate} {
		s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "refuse", "note": "kết thúc"})
	}
	s.recordHistory(late, "decrees-apology-late-declined")
}

// A fee paid online for a dossier stopped before its result goes back
// through the gateway: the refund request, the simulator's signed callback,
// and the dossier's refund{amount, status}.
func TestStoppedAfterPaymentIsRefundedThroughTheGateway(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "counter"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	s.simPost("/payment/v1/payment-requests/"+fee(d)["payment_ref"].(string)+"/pay", map[string]any{"outcome": "succeeded"})
	s.eventually(code, "the fee paid", func(d map[string]any) bool { return fee(d)["status"] == "paid" })

	d = s.must(200, "POST", path+"/stop", map[string]any{"reason": "phát hiện giả mạo giấy tờ"})
	require.Equal(t, "stopped", d["status"])
	// Due, or already refunded when the gateway's callback (the simulator
	// answers at once) landed before the answer was read back.
	require.Contains(t, []string{"refund_due", "refunded"}, fee(d)["status"])
	d = s.eventually(code, "the refund settled", func(d map[string]any) bool {
		rf, _ := d["refund"].(map[string]any)
		return rf != nil && rf["status"] == "succeeded"
	})
	rf := d["refund"].(map[string]any)
	require.Equal(t, float64(100000), rf["amount"])
	require.NotEmpty(t, rf["refund_ref"])
	require.Equal(t, "refunded", fee(d)["status"])
	acts := s.actions(code)
	require.Equal(t, []string{"stopped", "refund.requested", "refund.succeeded"}, acts[len(acts)-3:])

	// The gateway repeating its callback changes nothing; a forged one is 401.
	body := map[string]any{"refund_ref": rf["refund_ref"], "merchant_ref": code, "payment_ref": fee(d)["payment_ref"],
		"amount": 100000, "status": "succeeded"}
	res := s.callback("/v1/payments/refund-notifications", body)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "duplicate", res.json(t)["result"])
	res = s.call("POST", "/v1/payments/refund-notifications", body)
	require.Equal(t, 401, res.status)
	require.Equal(t, acts, s.actions(code))
	s.requireReadModelMatchesWorkflow(code)
	s.recordHistory(code, "decrees-stopped-after-payment-refunded")
}

// The return method changes before the result is ready, among those the
// procedure allows; anything else is refused and records nothing.
func TestReturnMethodChangeThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	before := s.actions(code)
	res := s.call("POST", path+"/return-method", map[string]any{"method": "electronic"})
	require.Equal(t, 422, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "returns its result by counter, postal only")
	res = s.call("POST", path+"/return-method", map[string]any{"method": "postal"})
	require.Equal(t, 400, res.status, "no address on file: %s", res.body)
	require.Contains(t, string(res.body), "return_address")
	require.Equal(t, before, s.actions(code), "nothing recorded")

	d = s.must(200, "POST", path+"/return-method", map[string]any{"method": "postal", "reason": "gửi về nhà",
		"return_address": "12 Nguyễn Huệ, Tân An, Long An"})
	require.Equal(t, "postal", d["return_method"])
	got, err := s.store.Dossier(context.Background(), code)
	require.NoError(t, err)
	require.Equal(t, "12 Nguyễn Huệ, Tân An, Long An", got.ReturnAddress)
	require.Equal(t, "return.method_changed", s.actions(code)[len(before)])

	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	res = s.call("POST", path+"/return-method", map[string]any{"method": "counter"})
	require.Equal(t, 409, res.status, "the result is ready: %s", res.body)
	s.must(200, "POST", path+"/stop", map[string]any{"reason": "kết thúc"})
}

// Ops suspend the postal service for a district: open dossiers returning by
// post to it (its communes included) are offered the other methods at once,
// new submissions there are told, and bad suspensions record nothing.
func TestPostalSuspensionByAreaThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	sub := submission("TP-LLTP-01", "online", "postal")
	sub["return_area"] = "27991" // Thị trấn Bến Lức, in district 803
	code := s.must(201, "POST", "/v1/dossiers", sub)["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	unknown := submission("TP-LLTP-01", "online", "postal")
	unknown["return_area"] = "99999"
	require.Equal(t, 400, s.call("POST", "/v1/dossiers", unknown).status, "an unknown area at submission")

	today := testenv.Now().In(time.FixedZone("ICT", 7*3600))
	from, to := today.Format(time.DateOnly), today.AddDate(0, 0, 30).Format(time.DateOnly)
	list := func() int { return len(s.must(200, "GET", "/v1/postal/suspensions", nil)["items"].([]any)) }
	before := list()
	for name, body := range map[string]map[string]any{
		"unknown area":       {"area_code": "999", "from": from, "to": to, "reason": "x"},
		"end before start":   {"area_code": "803", "from": to, "to": from, "reason": "x"},
		"without a reason":   {"area_code": "803", "from": from, "to": to},
		"not a date":         {"area_code": "803", "from": "28/07/2026", "to": to, "reason": "x"},
		"an unknown field":   {"area_code": "803", "from": from, "to": to, "reason": "x", "colour": "red"},
		"a district by name": {"area_code": "Bến Lức", "from": from, "to": to, "reason": "x"},
	} {
		res := s.call("POST", "/v1/postal/suspensions", body)
		require.Contains(t, []int{400, 422}, res.status, "%s: %s", name, res.body)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), name)
	}
	require.Equal(t, before, list(), "nothing recorded")
	res := s.call("POST", "/v1/postal/suspensions", map[string]any{"area_code": "803", "from": from, "to": to, "reason": "x"},
		as(t, testPortal)...)
	require.Equal(t, 403, res.status, "only ops and admins suspend")

	created := s.must(201, "POST", "/v1/postal/suspensions", map[string]any{
		"area_code": "803", "from": from, "to": to, "reason": "bưu cục Bến Lức ngập lụt"})
	require.Equal(t, "Huyện Bến Lức", created["area_name"])
	require.Equal(t, []any{code}, created["notified"])
	acts := s.actions(code)
	require.Equal(t, "return.postal_suspended", acts[len(acts)-1])
	ns, err := s.store.Notifications(context.Background(), code)
	require.NoError(t, err)
	var offered string
	for _, n := range ns {
		if n.Template == "postal_suspended" && n.To == "applicant" {
			offered = n.Message
		}
	}
	require.Contains(t, offered, "tại bộ phận một cửa")

	// A new submission there is told at once.
	again := submission("TP-LLTP-01", "online", "postal")
	again["return_area"] = "27994"
	d := s.must(201, "POST", "/v1/dossiers", again)
	ps := d["postal_suspension"].(map[string]any)
	require.Equal(t, "803", ps["area_code"])
	require.Equal(t, to, ps["to"])
	// The applicant takes the offer.
	d = s.must(200, "POST", "/v1/dossiers/"+code+"/return-method", map[string]any{"method": "counter", "reason": "bưu chính tạm ngừng"})
	require.Equal(t, "counter", d["return_method"])
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "refuse", "note": "kết thúc"})
	s.recordHistory(code, "decrees-postal-suspension-offer-counter")
}

// Ops end a suspension when the post office is back: it leaves the list
// and new submissions there are no longer told; the row stays with who
// ended it. Ending it twice, an unknown id or a portal: nothing changes.
func TestPostalSuspensionEndsThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	today := testenv.Now().In(time.FixedZone("ICT", 7*3600))
	from, to := today.Format(time.DateOnly), today.AddDate(0, 0, 10).Format(time.DateOnly)
	created := s.must(201, "POST", "/v1/postal/suspensions", map[string]any{
		"area_code": "806", "from": from, "to": to, "reason": "bưu cục Cần Đước sửa chữa"})
	id := strconv.FormatInt(int64(created["id"].(float64)), 10)
	unfiltered := s.must(200, "GET", "/v1/postal/suspensions", nil)["items"].([]any)
	require.True(t, slices.ContainsFunc(unfiltered, func(it any) bool {
		return strconv.FormatInt(int64(it.(map[string]any)["id"].(float64)), 10) == id
	}), "the list without ?area= holds every suspension")
	listed := func() bool {
		for _, it := range s.must(200, "GET", "/v1/postal/suspensions?area=806", nil)["items"].([]any) {
			if strconv.FormatInt(int64(it.(map[string]any)["id"].(float64)), 10) == id {
				return true
			}
		}
		return false
	}
	require.True(t, listed())
	require.Equal(t, 403, s.call("POST", "/v1/postal/suspensions/"+id+"/end", nil, as(t, testPortal)...).status,
		"only ops and admins end a suspension")
	require.True(t, listed(), "a refused end changes nothing")

	ended := s.must(200, "POST", "/v1/postal/suspensions/"+id+"/end", nil)
	require.NotEmpty(t, ended["ended_at"])
	require.Contains(t, ended["ended_by"], "(ops")
	require.Equal(t, to, ended["to"], "the dates stay as they were set")
	require.False(t, listed(), "an ended suspension is not listed")

	sub := submission("TP-LLTP-01", "online", "postal")
	sub["return_area"] = "806"
	d := s.must(201, "POST", "/v1/dossiers", sub)
	require.Nil(t, d["postal_suspension"], "new submissions there are no longer told")

	for path, want := range map[string]int{
		"/v1/postal/suspensions/" + id + "/end": 409,
		"/v1/postal/suspensions/999999999/end":  404,
		"/v1/postal/suspensions/abc/end":        400,
	} {
		res := s.call("POST", path, nil)
		require.Equal(t, want, res.status, "%s: %s", path, res.body)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), path)
	}
}

// The intake officer exempts a dossier from its fee with the reason and
// legal basis; without them it is 422 and nothing is recorded.
func TestFeeExemptionThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "electronic"))["code"].(string)
	path := "/v1/dossiers/" + code
	before := s.actions(code)
	res := s.call("POST", path+"/fee-exemption", map[string]any{"amount": 0})
	require.Equal(t, 422, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "97/2015/QH13")
	require.Equal(t, before, s.actions(code), "nothing recorded")
	d := s.must(200, "POST", path+"/fee-exemption", map[string]any{"amount": 0, "reason": "hộ nghèo", "legal_basis": "Quyết định 12/2026/QĐ-UBND"})
	require.Equal(t, float64(0), fee(d)["amount"])
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	d = s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	require.Equal(t, "none", fee(d)["status"], "nothing was asked")
	require.Equal(t, []string{"submitted", "fee.exempted", "intake.accept", "review.approve", "approval.approve",
		"result.issued_electronically"}, s.actions(code))
}

// A shipment the postal service accepted but does not pick up warns the
// intake desk once the rules' working time has passed (the pickup watch the
// worker runs); one picked up in time costs nothing.
func TestShipmentNotPickedUpWarnsTheIntakeDesk(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// KH-DN-01 filed online has no fee: approval sends the result by post.
	waybills := map[string]string{}
	var codes []string
	for range 2 {
		code := s.must(201, "POST", "/v1/dossiers", submission("KH-DN-01", "online", "postal"))["code"].(string)
		for _, step := range []string{"intake", "review", "approval"} {
			body := map[string]any{"decision": "accept"}
			if step != "intake" {
				body["decision"] = "approve"
			}
			s.must(200, "POST", "/v1/dossiers/"+code+"/"+step, body)
		}
		d := s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
		waybills[code] = d["shipment"].(map[string]any)["waybill"].(string)
		codes = append(codes, code)
	}
	// The first is picked up in time; the second never is.
	s.simPost("/postal/v1/shipments/"+waybills[codes[0]]+"/events", map[string]any{"event": "picked_up"})
	s.eventually(codes[0], "picked up", func(d map[string]any) bool {
		return d["shipment"].(map[string]any)["status"] == "picked_up"
	})
	rs, err := rules.Parse(data.Rules)
	require.NoError(t, err)
	watch := &pickupwatch.Watch{Store: s.store, Temporal: s.temporal, Rules: rs, Log: slog.New(slog.DiscardHandler),
		Now: testenv.Now}
	// Only this test's dossiers: the other tests share the database.
	warned, err := watch.CheckDossiers(context.Background(), codes...)
	require.NoError(t, err)
	require.NotContains(t, warned, codes[1], "one working day has not passed yet")
	// The worker's watch asks for every dossier (no codes): a nil list is
	// "all", not "none".
	all, err := s.store.ShipmentsAwaitingPickup(context.Background(), 1_000_000, nil)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(all, func(a store.AwaitingPickup) bool { return a.DossierCode == codes[1] }),
		"the unfiltered list holds the shipment not picked up")
	// Two weeks later (the business clock the watch is given), whatever the
	// hour the test runs at: 8 working hours have passed.
	watch.Now = func() time.Time { return testenv.Now().Add(14 * 24 * time.Hour) }
	warned, err = watch.CheckDossiers(context.Background(), codes...)
	require.NoError(t, err)
	require.Contains(t, warned, codes[1])
	require.NotContains(t, warned, codes[0], "picked up in time")
	acts := s.actions(codes[1])
	require.Equal(t, "shipment.not_picked_up", acts[len(acts)-1])
	require.NotContains(t, s.actions(codes[0]), "shipment.not_picked_up")
	ns, err := s.store.Notifications(context.Background(), codes[1])
	require.NoError(t, err)
	var desk []string
	for _, n := range ns {
		if n.Template == "pickup_overdue" {
			desk = append(desk, n.To+" "+n.Agency)
		}
	}
	require.Equal(t, []string{"department 000.00.17.H39"}, desk)
	warned, err = watch.CheckDossiers(context.Background(), codes...)
	require.NoError(t, err)
	require.NotContains(t, warned, codes[1], "warned once")
	for _, code := range codes {
		s.simPost("/postal/v1/shipments/"+waybills[code]+"/events", map[string]any{"event": "delivered"})
		s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	}
	s.recordHistory(codes[1], "decrees-shipment-not-picked-up")
}

// Declined after receipt with postal return: the refusal notice goes by
// post (the return channel) before the dossier closes; the postal service's
// later callbacks change nothing.
func TestDeclinedNoticeGoesByPostThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"))["code"].(string)
	path := "/v1/dossiers/" + code
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	d := s.must(200, "POST", path+"/review", map[string]any{"decision": "refuse", "note": "không đủ điều kiện cấp phiếu"})
	require.Equal(t, "declined", d["status"])
	d = s.eventually(code, "the notice shipped", func(d map[string]any) bool { return d["shipment"] != nil })
	waybill := d["shipment"].(map[string]any)["waybill"].(string)
	acts := s.actions(code)
	require.Equal(t, []string{"review.refuse", "shipment.requested"}, acts[len(acts)-2:])
	out := s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": "delivered"})
	require.NotNil(t, out)
	require.Equal(t, acts, s.actions(code), "the closed dossier records nothing more")
	require.Equal(t, "declined", s.must(200, "GET", path, nil)["status"])
	s.recordHistory(code, "decrees-declined-notice-by-post")
}
