package console_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
)

// TestConsoleReturnMethodAndFeeExemption: the intake officer changes how
// the result goes back and exempts the fee, through the dossier page; what
// the API refuses (postal without an address, an exemption without its
// legal basis) is shown in the API's words and records nothing.
func TestConsoleReturnMethodAndFeeExemption(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.url)
	code, _ := s.submit("TP-LLTP-01", "Đặng Thị Lan") // counter return; counter or post allowed; 200.000 ₫

	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	b.openDossier(code)
	require.True(t, b.has("#form-return-method"))
	require.True(t, b.has("#form-fee-exemption"))
	require.False(t, b.has(`#form-return-method input[value="counter"]`), "the method it already has is not offered")
	require.False(t, b.has(`#form-return-method input[value="electronic"]`), "nor one the procedure does not allow")
	require.False(t, b.has("#return-cod"), "TP-LLTP-01 does not let the postman collect its fee")

	// By post with no address on file: the API says what is missing.
	b.run(chromedp.Click(css(`#form-return-method input[value="postal"]`)))
	b.submitForm("#form-return-method")
	require.Contains(t, b.text("#failed"), "return_address")
	require.NotContains(t, b.text("#timeline"), dossier.ActionReturnMethodChanged)

	b.run(chromedp.Click(css(`#form-return-method input[value="postal"]`)),
		chromedp.SendKeys(css("#return-address"), "5 Hùng Vương, Bến Lức, Long An"),
		chromedp.SendKeys(css("#return-reason"), "người nộp ở xa"))
	b.submitForm("#form-return-method")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#timeline"), dossier.ActionReturnMethodChanged)
	require.Contains(t, b.text("#timeline"), "counter → postal: người nộp ở xa")
	require.Contains(t, b.text("#h-times + dl"), "Qua bưu chính")
	require.True(t, b.has(`#form-return-method input[value="counter"]`), "back to the counter is offered now")

	// An exemption without its legal basis: the workflow's refusal, shown.
	b.run(chromedp.SendKeys(css("#exemption-reason"), "hộ nghèo"))
	b.submitForm("#form-fee-exemption")
	require.Contains(t, b.text("#failed"), "legal basis")
	require.NotContains(t, b.text("#timeline"), dossier.ActionFeeExempted)
	require.Contains(t, b.text("#fee"), "200.000 ₫")

	// A reduction, typed the way people write amounts, sent from the
	// keyboard (Enter in the last field).
	b.run(chromedp.SetValue(css("#exemption-amount"), "100.000"),
		chromedp.SendKeys(css("#exemption-reason"), "hộ cận nghèo"),
		chromedp.Evaluate[chromedp.Void](`window.beforeSubmit = true`),
		chromedp.SendKeys(css("#exemption-basis"), "Thông tư 245/2016/TT-BTC, Điều 5"+kb.Enter))
	b.waitNewPage()
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#timeline"), dossier.ActionFeeReduced)
	require.Contains(t, b.text("#timeline"), "200000 → 100000 VND: hộ cận nghèo (legal basis: Thông tư 245/2016/TT-BTC, Điều 5)")
	require.Contains(t, b.text("#fee"), "100.000 ₫")
	b.signOut()

	// GT-GPLX-01 lets the postman collect the fee: the officer can switch
	// a counter dossier to post with payment on delivery.
	cod, _ := s.submit("GT-GPLX-01", "Hồ Văn Tâm")
	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	b.openDossier(cod)
	b.run(chromedp.Click(css(`#form-return-method input[value="postal"]`)), chromedp.Click(css("#return-cod")),
		chromedp.SendKeys(css("#return-address"), "5 Hùng Vương, Bến Lức, Long An"))
	b.submitForm("#form-return-method")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#timeline"), "the fee of 135000 VND paid to the postman on delivery")
	require.Contains(t, b.text("#fee"), "nộp cho bưu tá khi nhận kết quả")
	b.signOut()

	// Neither form is offered to a reviewer (the policy).
	b.signIn("chuyen.vien.tu.phap", auth.RoleReviewer, justice)
	b.open("/console/dossiers/" + code) // not in a reviewer's inbox before intake
	b.run(chromedp.WaitVisible(css("#timeline")))
	require.False(t, b.has("#form-return-method"))
	require.False(t, b.has("#form-fee-exemption"))
	b.signOut()
}

// TestConsolePostalSuspensions: ops suspend the postal service for a
// district from the console (the dossiers returning by post there are
// told and listed), see bad input refused in the API's words with what
// they typed kept, and end the suspension.
func TestConsolePostalSuspensions(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.url)
	// A dossier returning by post to a commune of Bến Lức (district 803).
	var d struct {
		Code string `json:"code"`
	}
	raw := s.post("/v1/dossiers", auth.Principal{Subject: "test-portal", Role: auth.RolePortal}, map[string]any{
		"procedure_code": "TP-LLTP-01", "channel": "online", "return_method": "postal",
		"return_address": "5 Hùng Vương, Bến Lức, Long An", "return_area": "27991",
		"applicant": map[string]any{"full_name": "Lý Văn Phúc", "id_number": "079123456789", "phone": "0901234567",
			"email": "a@example.vn", "address": "5 Hùng Vương, Bến Lức, Long An"},
		"documents": []map[string]any{{"name": "to-khai.pdf", "sha256": strings.Repeat("ab", 32)}},
	})
	require.NoError(t, json.Unmarshal(raw, &d))
	s.post("/v1/dossiers/"+d.Code+"/intake", auth.Principal{Subject: "can.bo.tiep.nhan", Role: auth.RoleIntakeOfficer, Agency: center},
		map[string]any{"decision": "accept"})

	today := testenv.Now().In(dossier.Location)
	from, to := today.Format("02/01/2006"), today.AddDate(0, 0, 20).Format("02/01/2006")

	// An intake officer has no such page in the menu; the API refuses them.
	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	require.False(t, b.has("#nav-suspensions"))
	b.signOut()

	b.signIn("van.hanh", auth.RoleOps, "")
	b.run(chromedp.Click(css("#nav-suspensions")), chromedp.WaitVisible(css("#form-suspension")))
	before := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#suspensions tbody tr").length`))

	fill := func(area, from, to, reason string) {
		b.run(chromedp.SetValue(css("#suspension-area"), area), chromedp.SetValue(css("#suspension-from"), from),
			chromedp.SetValue(css("#suspension-to"), to), chromedp.SetValue(css("#suspension-reason"), reason))
	}
	send := func() {
		b.run(chromedp.Evaluate[chromedp.Void](`window.beforeSubmit = true`), chromedp.Click(css("#suspend")))
		b.waitNewPage()
		b.run(chromedp.WaitVisible(css("#form-suspension")))
	}
	fill("999", from, to, "ngập lụt")
	send()
	require.Contains(t, b.text("#failed"), "is not a known administrative area")
	require.Equal(t, "999", value(b, chromedp.Value(css("#suspension-area"))), "what was typed is kept")
	require.Equal(t, "ngập lụt", value(b, chromedp.Value(css("#suspension-reason"))))

	fill("803", to, from, "ngập lụt")
	send()
	require.Contains(t, b.text("#failed"), "before it starts")

	fill("803", "28-07", to, "ngập lụt")
	send()
	require.Contains(t, b.text("#failed"), "dd/mm/yyyy")
	require.Equal(t, before, value(b, chromedp.Evaluate[int](`document.querySelectorAll("#suspensions tbody tr").length`)),
		"nothing recorded")

	fill("803", from, to, "bưu cục Bến Lức ngập lụt")
	send()
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#notified"), d.Code, "the dossier returning by post there was told")
	row := `#suspensions tr[data-area="803"]`
	require.Contains(t, b.text(row), "Huyện Bến Lức")
	require.Contains(t, b.text(row), from)
	require.Contains(t, b.text(row), to)
	var ev struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	s.get("/v1/dossiers/"+d.Code+"/events", &ev)
	require.Equal(t, dossier.ActionPostalSuspended, ev.Items[len(ev.Items)-1].Action)

	// Ended from the keyboard: focus its button and press Enter.
	id := value(b, chromedp.AttributeValue(css(row), "data-id")).Value
	b.run(chromedp.Focus(css("#end-"+id)), chromedp.Evaluate[chromedp.Void](`window.beforeSubmit = true`),
		chromedp.KeyEvent(kb.Enter))
	b.waitNewPage()
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.False(t, b.has(`#suspensions tr[data-id="`+id+`"]`), "an ended suspension is not listed")

	// Ending it again (a second tab, a stale page) is the API's 409, shown.
	b.run(chromedp.Evaluate[chromedp.Void](`(() => { const f = document.createElement("form"); f.method = "post";
		f.action = "/console/postal-suspensions/` + id + `/end"; document.body.appendChild(f); window.beforeSubmit = true; f.submit(); })()`))
	b.waitNewPage()
	require.Contains(t, b.text("#failed"), "already ended")
	b.signOut()
}
