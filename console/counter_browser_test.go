package console_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
)

// focused is the id of the element that has the keyboard focus, waiting a
// little for want (the browser moves the focus to an autofocus element
// while it renders the page, just after it is shown).
func (b *browser) focused(want string) string {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := value(b, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// press types keys (text, or kb.Enter, kb.Tab, …) into whatever has the
// focus, as a person at the keyboard would.
func (b *browser) press(keys ...string) {
	b.t.Helper()
	for _, k := range keys {
		b.run(chromedp.KeyEvent(k))
	}
}

// pressAndWait presses keys that send a form or follow a link, and waits
// for the next page.
func (b *browser) pressAndWait(keys ...string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void](`window.beforeSubmit = true`))
	b.press(keys...)
	b.waitNewPage()
	// The page's scripts run once it is parsed, before "complete".
	value(b, chromedp.Poll[bool](`document.readyState === "complete"`))
}

// TestConsoleCounterIntakeInTheBrowser: an intake officer at a counter tablet
// opens a dossier for a walk-in applicant, from sign-in to the printed
// receipt. The procedure is found without diacritics and chosen, and the
// applicant typed, with the keyboard alone; a wrong file and a missing
// postal address come back field by field (the focus on the first), the
// fee is paid at the desk, and form 01 prints with the appointment and
// the lookup key.
func TestConsoleCounterIntakeInTheBrowser(t *testing.T) {
	s := newSite(t)
	atFiling := feeAtFilingProcedure(t)
	b := newBrowser(t, s.url)
	// A counter tablet, portrait.
	b.run(chromedp.EmulateViewport(820, 1180))
	b.signIn("can.bo.quay.2", auth.RoleIntakeOfficer, center)

	b.run(chromedp.Click(css("#nav-counter")), chromedp.WaitVisible(css("#counter-q")))
	require.Equal(t, "counter-q", b.focused("counter-q"), "the search box has the focus")

	// Keyboard only: type the name without diacritics, the list narrows
	// as one types (the script); Enter asks the server, which finds the
	// same; arrow down to the procedure, Enter to choose it.
	b.press("ly lich tu phap nop phi")
	shown := func() int {
		return value(b, chromedp.Evaluate[int](`document.querySelectorAll("#procedures li:not([hidden])").length`))
	}
	require.Equal(t, 1, shown(), "only the procedure every word matches is left")
	b.pressAndWait(kb.Enter)
	require.Equal(t, "ly lich tu phap nop phi", value(b, chromedp.Evaluate[string](`document.querySelector("#counter-q").value`)))
	require.Equal(t, 1, shown())
	require.True(t, b.has("#pick-"+atFiling))
	require.Equal(t, "counter-q", b.focused("counter-q"))
	b.press(kb.ArrowDown)
	require.Equal(t, "pick-"+atFiling, b.focused("pick-"+atFiling))
	b.pressAndWait(kb.Enter)
	require.Contains(t, b.text("#chosen"), "Cấp Phiếu lý lịch tư pháp, nộp phí khi nộp hồ sơ")
	require.Contains(t, b.text("#counter-fee"), "200.000 ₫")
	require.Equal(t, "full_name", b.focused("full_name"), "the form starts at the applicant's name")
	name := "Hoàng Thị Quầy " + testenv.RandomSuffix()
	b.press(name, kb.Tab, "079123456789", kb.Tab, "0912345678")
	require.Equal(t, "0912345678", value(b, chromedp.Evaluate[string](`document.querySelector("#phone").value`)))
	require.Equal(t, name, value(b, chromedp.Evaluate[string](`document.querySelector("#full_name").value`)))

	// Usable on the tablet: nothing wider than the screen.
	require.True(t, value(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)),
		"the form fits the tablet's width")

	// The scans (a file chooser needs the test's hand), one of them not a
	// PDF, JPEG or PNG; the result by post without an address.
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	b.run(
		chromedp.SetUploadFiles(css("#doc0"), []string{file("to-khai.pdf", "%PDF-1.4 tờ khai\n%%EOF\n")}),
		chromedp.SetUploadFiles(css("#doc1"), []string{file("cccd.pdf", "chỉ là văn bản")}),
		chromedp.SetUploadFiles(css("#doc2"), []string{file("cu-tru.png", string(tinyPNG(t)))}),
		chromedp.Click(css("#return_method_postal")),
		chromedp.Click(css("#notify_consent")),
		chromedp.SetValue(css("#notify_1"), "zalo"),
		chromedp.SendKeys(css("#receipt_number"), "BL-TAB-0001"),
	)
	// Enter in a field sends the form.
	b.pressAndWait(kb.Enter)
	require.True(t, b.has("#errors"), "the page lists what to fix")
	require.Contains(t, b.text("#err-doc1"), "only PDF, JPEG and PNG")
	require.Contains(t, b.text("#err-return_address"), "bưu chính")
	require.Equal(t, "doc1", b.focused("doc1"), "the focus is on the first field at fault")
	require.Contains(t, b.text("#kept-doc0"), "to-khai.pdf", "the good scans stay")
	require.Contains(t, b.text("#kept-doc2"), "cu-tru.png")
	require.Equal(t, name, value(b, chromedp.Evaluate[string](`document.querySelector("#full_name").value`)))
	require.Empty(t, s.filedFor(name), "nothing was filed")
	b.screenshot("counter.png")

	b.run(
		chromedp.SetUploadFiles(css("#doc1"), []string{file("cccd-that.pdf", "%PDF-1.4 căn cước\n%%EOF\n")}),
		chromedp.SendKeys(css("#return_address"), "5 Lê Lợi, Tân An, Long An"),
		chromedp.Focus(css("#receipt_number")),
	)
	b.pressAndWait(kb.Enter)
	require.Contains(t, b.text("#done-status"), "Được tiếp nhận")
	require.Contains(t, b.text("#done-fee"), "Đã nộp", "the fee was paid at the desk before the receipt")
	code := b.text("#done-code")
	key := b.text("#done-key")
	require.NotEmpty(t, key)
	require.Equal(t, "print-receipt", b.focused("print-receipt"), "Enter prints the receipt")

	// The printed receipt, as the button fetches it.
	raw := value(b, chromedp.Evaluate[string](`fetch(document.querySelector("#print-receipt").href)
		.then(r => r.arrayBuffer()).then(buf => { const u = new Uint8Array(buf); let s = "";
		for (let i = 0; i < u.length; i += 8192) { s += String.fromCharCode.apply(null, u.subarray(i, i + 8192)); }
		return btoa(s); })`, chromedp.EvalAwaitPromise))
	pdf, err := base64.StdEncoding.DecodeString(raw)
	require.NoError(t, err)
	text := testenv.PDFText(t, pdf)
	var d struct {
		AppointmentAt time.Time `json:"appointment_at"`
		Channel       string    `json:"channel"`
	}
	s.get("/v1/dossiers/"+code, &d)
	require.Equal(t, "counter", d.Channel)
	for _, want := range []string{code, name, key, d.AppointmentAt.In(dossier.Location).Format("02/01/2006")} {
		require.Contains(t, text, want)
	}
	require.Contains(t, text, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
	b.screenshot("counter-done.png")

	// The next applicant.
	b.run(chromedp.Click(css("#counter-again")), chromedp.WaitVisible(css("#counter-q")))
	b.signOut()
}

// tinyPNG is a small scan: a PNG the document service decodes.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		img.SetGray(x, 10, color.Gray{Y: 200})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}
