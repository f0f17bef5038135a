package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/console"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/worker"
)

const testSecret = "motcua-console-tests-secret-0123456789abcdef"

// The agencies of the sample catalog.
const (
	center  = "000.00.17.H39" // receives TP-LLTP-01
	justice = "000.00.18.H39" // reviews and approves it
	tax     = "000.00.22.H39" // has no step in it
)

// site is the whole product behind one URL, as `motcua api` serves it: the
// console wrapped around the API, a worker on the test's own task queue,
// the simulated gateway and postal service, the test PostgreSQL and
// Temporal.
type site struct {
	t      *testing.T
	url    string
	signer *auth.HS256
}

func newSite(t *testing.T) *site {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	signer, err := auth.NewHS256(testSecret)
	require.NoError(t, err)
	st, tc, queue := testenv.SharedStore(t), testenv.Temporal(t), testenv.TaskQueue(t)
	// The simulators sign their callbacks with the secrets the API checks.
	const paySecret, postSecret = "console-test-payment-secret", "console-test-postal-secret"
	apiHandler := api.New(api.Options{Clock: testenv.Clock(), Store: st, Temporal: tc, Log: log, TaskQueue: queue, Verifier: signer,
		PaymentWebhookSecret: paySecret, PostalWebhookSecret: postSecret, Signing: testenv.SigningKeys(t)}).Handler()

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := console.New(console.Options{Now: testenv.Clock().Now, API: apiHandler, Verifier: signer, DevTokens: signer, PublicURL: srv.URL,
		TemporalUIURL: "http://127.0.0.1:8233", Namespace: "motcua-test", Log: log})
	require.NoError(t, err)
	handler = console.Wrap(apiHandler, c)

	pay := sim.NewPaymentGateway(sim.PaymentOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: paySecret})
	post := sim.NewPostalService(sim.PostalOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: postSecret})
	simSrv := httptest.NewServer(sim.NewHandler(pay, post))
	t.Cleanup(func() { pay.Close(); post.Close(); simSrv.Close() })
	hc := &http.Client{Timeout: 10 * time.Second}
	w := worker.New(tc, queue, &activities.Activities{Store: st, Payments: payment.New(simSrv.URL+"/payment", hc),
		Postal: postal.New(simSrv.URL+"/postal", hc), PublicURL: srv.URL, Log: log})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return &site{t: t, url: srv.URL, signer: signer}
}

// submit files a dossier through the API as a portal (the applicant's
// side is not the console's) and returns its code and lookup key.
func (s *site) submit(procedure, name string) (code, key string) {
	s.t.Helper()
	var d struct {
		Code      string `json:"code"`
		LookupKey string `json:"lookup_key"`
	}
	raw := s.post("/v1/dossiers", auth.Principal{Subject: "test-portal", Role: auth.RolePortal}, map[string]any{
		"procedure_code": procedure, "channel": "counter", "return_method": "counter",
		"applicant": map[string]any{"full_name": name, "id_number": "079123456789", "phone": "0901234567",
			"email": "a@example.vn", "address": "12 Nguyễn Huệ, Tân An, Long An"},
		"documents": []map[string]any{{"name": "to-khai.pdf", "sha256": strings.Repeat("ab", 32)}},
	})
	require.NoError(s.t, json.Unmarshal(raw, &d))
	return d.Code, d.LookupKey
}

// post sends a request to the API as p, outside the console.
func (s *site) post(path string, p auth.Principal, body any) []byte {
	s.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(s.t, err)
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(raw))
	require.NoError(s.t, err)
	tok, err := s.signer.Mint(p, time.Hour)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	require.Less(s.t, res.StatusCode, 300, "%s: %s", path, out)
	return out
}

// chromium is the browser make test installs; without it the test fails
// (it never skips).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MOTCUA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: `make test` installs Debian's chromium (scripts/lib.sh ensure_chromium), or set MOTCUA_CHROMIUM")
	return ""
}

// browser is one headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var copts []chromedp.ContextOption
	if os.Getenv("MOTCUA_CDP_DEBUG") != "" {
		copts = append(copts, chromedp.WithDebugf(t.Logf))
	}
	ctx, cancel := chromedp.NewContext(alloc, copts...)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start Chromium")
	return &browser{t: t, ctx: ctx, url: base}
}

// run runs actions with a bound on how long they may take.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%v; the page shows: %s", err, b.page())
	}
}

// page is the page's main text, to say what went wrong.
func (b *browser) page() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.querySelector("main") || document.body).innerText`))
	if err != nil {
		return err.Error()
	}
	return s
}

// value runs one action that returns something.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err)
	return v
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.url+path), chromedp.WaitReady(css("body")))
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func (b *browser) text(sel string) string {
	b.t.Helper()
	b.run(chromedp.WaitVisible(css(sel)))
	return value(b, chromedp.Text(css(sel)))
}

func (b *browser) has(sel string) bool {
	b.t.Helper()
	return value(b, chromedp.Evaluate[bool](`document.querySelector(`+jsString(sel)+`) !== null`))
}

func jsString(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// signIn uses the development sign-in page as a person would.
func (b *browser) signIn(name string, role auth.Role, agency string) {
	b.t.Helper()
	b.open("/console/signin")
	b.run(
		chromedp.SendKeys(css("#name"), name),
		chromedp.SetValue(css("#role"), string(role)),
		chromedp.SetValue(css("#agency"), agency),
		chromedp.Click(css("#signin-submit")),
		chromedp.WaitVisible(css("#who")),
	)
	require.Contains(b.t, b.text("#who"), name)
}

func (b *browser) signOut() {
	b.t.Helper()
	b.run(chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#signin-submit")))
}

// openDossier finds the dossier in the inbox by its code and opens it.
func (b *browser) openDossier(code string) {
	b.t.Helper()
	b.open("/console/inbox")
	row := `tr[data-code="` + code + `"] a`
	// Wait for the filtered page (its search box says the code) before
	// looking for the row: the unfiltered inbox may list the dossier too
	// (a submission awaiting intake sorts first by its intake deadline),
	// and clicking it there races the navigation.
	b.run(chromedp.SendKeys(css("#q"), code), chromedp.Click(css("#filter")),
		chromedp.WaitVisible(css(`#q[value="`+code+`"]`)), chromedp.WaitVisible(css(row)), chromedp.Click(css(row)),
		chromedp.WaitVisible(css("#timeline")))
}

// waitForForm reloads the dossier page until the workflow has moved the
// dossier to where the form is offered.
func (b *browser) waitForForm(code, form string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open("/console/dossiers/" + code)
		if b.has(form) {
			return
		}
		if time.Now().After(deadline) {
			html := value(b, chromedp.OuterHTML(css("main")))
			b.t.Fatalf("%s never offered on %s; page: %s", form, code, html)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// submitForm presses the form's button and waits for the answer page.
func (b *browser) submitForm(form string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void](`window.beforeSubmit = true`), chromedp.Click(css(form+` button[type="submit"]`)))
	b.waitNewPage()
	b.run(chromedp.WaitVisible(css("#timeline")))
}

// waitNewPage waits until the page marked with window.beforeSubmit has
// been replaced by the answer (a form the browser's own checks stop never
// leaves the page, and the test must not mistake it for an answer).
func (b *browser) waitNewPage() {
	b.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		old, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.beforeSubmit === true && document.readyState !== "loading"`))
		cancel()
		if err == nil && !old {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the form was not sent; the page shows: %s", b.page())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("MOTCUA_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(b, chromedp.FullScreenshot(100))
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

func (b *browser) track(code, key string) {
	b.t.Helper()
	b.open("/track")
	b.run(chromedp.SendKeys(css("#track-code"), code), chromedp.SendKeys(css("#track-key"), key),
		chromedp.Click(css("#track-submit")), chromedp.WaitVisible(css("#track-result")))
}

// TestConsoleTakesADossierFromSubmissionToReturn: an intake officer, a
// reviewer and a leader move a real dossier through every stage using only
// the pages; a refused action shows the API's reason; the applicant
// follows it on /track.
func TestConsoleTakesADossierFromSubmissionToReturn(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.url)
	code, key := s.submit("TP-LLTP-01", "Trần Thị Bích")
	if os.Getenv("MOTCUA_SCREENSHOTS") != "" {
		// A fuller inbox for the pictures.
		for i, n := range []string{"Nguyễn Văn An", "Lê Hoàng Nam", "Phạm Thu Hà"} {
			c, _ := s.submit("TP-LLTP-01", n)
			if i > 0 {
				s.post("/v1/dossiers/"+c+"/intake", auth.Principal{Subject: "can.bo.tiep.nhan", Role: auth.RoleIntakeOfficer, Agency: center},
					map[string]any{"decision": "accept"})
			}
		}
	}

	// The applicant looks it up before anyone has touched it.
	b.track(code, strings.ToLower(key))
	require.Contains(t, b.text("#track-status"), "Mới đăng ký")
	require.NotContains(t, b.text("#track-result"), "Trần Thị Bích", "no personal data on /track")

	// Intake officer of the receiving center: accept.
	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	require.Contains(t, b.text("h1"), "Hồ sơ cần xử lý")
	b.openDossier(code)
	require.Equal(t, "079123456789", b.text("#id-number"), "the receiving agency's officer sees the full identity number")
	require.True(t, b.has("#form-intake"))
	require.False(t, b.has("#form-review"), "an intake officer does not review")
	b.submitForm("#form-intake")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#stage"), "Thẩm định")
	require.Contains(t, b.text("#timeline"), "intake.accept")
	require.Contains(t, b.text("#timeline"), "can.bo.tiep.nhan (intake_officer, "+center+")")
	b.signOut()

	// A reviewer of an agency with no step in the dossier: the API refuses,
	// and the page says why in the API's words.
	b.signIn("chuyen.vien.thue", auth.RoleReviewer, tax)
	b.open("/console/dossiers/" + code)
	require.Contains(t, b.text("#failed"), "has no step in this dossier")
	b.signOut()

	// Reviewer of the Department of Justice: a refusal without reasons is
	// refused by the API (its reason shown, nothing recorded), then approve.
	b.signIn("chuyen.vien.tu.phap", auth.RoleReviewer, justice)
	b.openDossier(code)
	require.NotContains(t, b.text("#id-number"), "079123456789", "a reviewer sees it masked, as the API sent it")
	require.Contains(t, b.text("#id-number"), "*")
	require.True(t, b.has("#form-review"))
	b.run(chromedp.Click(css(`#form-review input[value="refuse"]`)))
	b.submitForm("#form-review")
	require.Contains(t, b.text("#failed"), "note is required")
	require.NotContains(t, b.text("#timeline"), "review.refuse")
	b.run(chromedp.Click(css(`#form-review input[value="approve"]`)), chromedp.SendKeys(css("#review-note"), "đủ điều kiện"))
	b.submitForm("#form-review")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#stage"), "Phê duyệt")
	b.signOut()

	// Leader of the Department of Justice: approve and sign.
	b.signIn("lanh.dao.tu.phap", auth.RoleLeader, justice)
	b.openDossier(code)
	require.True(t, b.has("#form-approval"))
	require.True(t, b.has("#form-extension"))
	b.screenshot("dossier.png")
	// The signed result, uploaded with the approval and stored.
	result := filepath.Join(t.TempDir(), "phieu-ly-lich-tu-phap.pdf")
	require.NoError(t, os.WriteFile(result, testenv.DocumentPDF(t, "KET QUA "+code), 0o644))
	b.run(chromedp.SetUploadFiles(css("#approval-result"), []string{result}))
	b.submitForm("#form-approval")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#timeline"), "approval.approve")
	require.Contains(t, b.text("#result-link"), "phieu-ly-lich-tu-phap.pdf")
	b.signOut()

	// Intake officer: the fee at the counter, then the result handed over.
	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	b.waitForForm(code, "#form-payment")
	require.Contains(t, b.text("#fee"), "200.000 ₫")
	b.run(chromedp.SendKeys(css("#payment-receipt"), "BL-0001"))
	b.submitForm("#form-payment")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")

	b.track(code, key)
	require.Contains(t, b.text("#track-next"), "mời đến bộ phận một cửa nhận kết quả")
	// The applicant downloads the result from /track (the button posts the
	// code and key again).
	require.Contains(t, b.text("#track-download"), "phieu-ly-lich-tu-phap.pdf")
	got := value(b, chromedp.Evaluate[string](`fetch('/track/result', {method: 'POST',
		body: new URLSearchParams(new FormData(document.querySelector('#track-download-form')))}).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	require.True(t, strings.HasPrefix(got, "%PDF-"), "a PDF: %.40q", got)
	require.Contains(t, got, "/SubFilter /adbe.pkcs7.detached", "the leader's PDF, signed by the agency")

	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	b.waitForForm(code, "#form-handover")
	b.run(chromedp.SendKeys(css("#handover-by"), "Trần Thị Bích"))
	b.submitForm("#form-handover")
	require.Contains(t, b.text("#status"), "Đã trả kết quả")
	require.Contains(t, b.text("#timeline"), "handover")
	require.True(t, b.has("#no-decisions"), "nothing is left to decide")
	b.open("/console/inbox")
	b.screenshot("inbox.png")
	b.signOut()

	// The applicant sees the end; ops get the workflow link; reports.
	b.track(code, key)
	require.Contains(t, b.text("#track-status"), "Đã trả kết quả")
	require.Contains(t, b.text("#track-next"), "Hồ sơ đã kết thúc")

	// /track counts against the public lookup's limit per address (30 a
	// minute), because it is the public lookup.
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		req, err := http.NewRequest(http.MethodPost, s.url+"/track",
			strings.NewReader(url.Values{"code": {code}, "key": {key}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.url)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			limited = true
			require.Contains(t, string(page), "too many lookups from this address")
		} else {
			require.Equal(t, http.StatusOK, res.StatusCode, string(page))
		}
	}
	require.True(t, limited, "the lookup limit applies to /track")

	b.signIn("van.hanh", auth.RoleOps, "")
	b.open("/console/dossiers/" + code)
	href := value(b, chromedp.AttributeValue(css("#temporal-link"), "href")).Value
	require.Equal(t, "http://127.0.0.1:8233/namespaces/motcua-test/workflows/"+code, href)
	require.False(t, b.has("#form-review"), "ops decide nothing")

	b.open("/console/reports")
	require.Contains(t, b.text("#summary"), "Tiếp nhận")
	require.True(t, b.has("#chart rect"))
	csv := value(b, chromedp.Evaluate[string](`fetch(document.querySelector('#csv').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	require.True(t, strings.HasPrefix(csv, "from,to,agency,procedure,received_carried_over"), csv)
	b.screenshot("reports.png")

	// English on request; dates stay dd/MM/yyyy.
	b.run(chromedp.Click(css("#lang-en")), chromedp.WaitVisible(css("#report-form")))
	require.Contains(t, b.text("h1"), "Reports")
	require.Contains(t, b.text("#summary"), "Received")
	b.run(chromedp.Click(css("#lang-vi")), chromedp.WaitVisible(css("#report-form")))
	b.signOut()
}

// get reads from the API as ops, outside the console.
func (s *site) get(path string, out any) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(s.t, err)
	tok, err := s.signer.Mint(auth.Principal{Subject: "test-ops", Role: auth.RoleOps}, time.Hour)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	require.Equal(s.t, http.StatusOK, res.StatusCode, string(raw))
	require.NoError(s.t, json.Unmarshal(raw, out))
}

// TestConsoleSupplementExtensionAndApology: the forms with a file and with
// dates. The officer asks for a supplement and records the one the
// applicant brings to the counter (the file is fingerprinted); the leader
// extends the review step and sends an apology letter with a new date,
// typed day first, in English.
func TestConsoleSupplementExtensionAndApology(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.url)
	code, _ := s.submit("TP-LLTP-01", "Võ Minh Tuấn")

	b.signIn("can.bo.tiep.nhan", auth.RoleIntakeOfficer, center)
	b.openDossier(code)
	b.run(chromedp.Click(css(`#form-intake input[value="request_supplement"]`)),
		chromedp.SendKeys(css("#intake-missing"), "Bản sao CCCD\nXác nhận cư trú"))
	b.submitForm("#form-intake")
	require.Contains(t, b.text("#status"), "Yêu cầu bổ sung")
	require.Contains(t, b.text("main"), "Bản sao CCCD, Xác nhận cư trú")

	// A file that is not PDF, JPEG or PNG is refused with the API's reason.
	notes := filepath.Join(t.TempDir(), "ghi-chu.pdf")
	require.NoError(t, os.WriteFile(notes, []byte("chỉ là văn bản"), 0o644))
	b.run(chromedp.SetUploadFiles(css("#supplement-doc"), []string{notes}))
	b.submitForm("#form-supplement")
	require.Contains(t, b.text("#failed"), "only PDF, JPEG and PNG")
	require.NotContains(t, b.text("#timeline"), "supplement.received")

	file := filepath.Join(t.TempDir(), "ban-sao-cccd.pdf")
	require.NoError(t, os.WriteFile(file, []byte("%PDF-1.4 bản sao\n%%EOF\n"), 0o644))
	b.run(chromedp.SetUploadFiles(css("#supplement-doc"), []string{file}))
	b.submitForm("#form-supplement")
	require.Contains(t, b.text("#flash"), "Đã ghi nhận")
	require.Contains(t, b.text("#timeline"), "supplement.received")
	// The file is stored: the dossier page links it.
	require.Contains(t, b.text("#documents a"), "ban-sao-cccd.pdf")
	b.waitForForm(code, "#form-intake")
	b.submitForm("#form-intake")
	require.Contains(t, b.text("#stage"), "Thẩm định")
	b.signOut()

	var d struct {
		AppointmentAt time.Time `json:"appointment_at"`
		CurrentStep   struct {
			DueAt time.Time `json:"due_at"`
		} `json:"current_step"`
	}
	s.get("/v1/dossiers/"+code, &d)
	local := func(t time.Time) string { return t.In(dossier.Location).Format("02/01/2006 15:04") }

	b.signIn("lanh.dao.tu.phap", auth.RoleLeader, justice)
	b.run(chromedp.Click(css("#lang-en")), chromedp.WaitVisible(css("#who")))
	b.openDossier(code)
	require.Contains(t, b.text("h1"), code)
	require.Contains(t, b.text("#stage"), "Review")
	b.run(chromedp.SetValue(css("#extension-due"), local(d.CurrentStep.DueAt.AddDate(0, 0, 2))),
		chromedp.SendKeys(css("#extension-reason"), "cần xác minh thêm"))
	b.submitForm("#form-extension")
	require.Contains(t, b.text("#flash"), "Recorded")
	require.Contains(t, b.text("#timeline"), "step.extended")
	require.False(t, b.has("#form-extension"), "a step is extended once")

	b.run(chromedp.SetValue(css("#apology-date"), "not a date"))
	b.run(chromedp.SendKeys(css("#apology-reason"), "chậm do xác minh"))
	b.submitForm("#form-apology")
	require.Contains(t, b.text("#failed"), "new_appointment_at")

	b.run(chromedp.SetValue(css("#apology-date"), local(d.AppointmentAt.AddDate(0, 0, 3))),
		chromedp.SendKeys(css("#apology-reason"), "chậm do xác minh"))
	b.submitForm("#form-apology")
	require.Contains(t, b.text("#flash"), "Recorded")
	require.Contains(t, b.text("#timeline"), "apology.issued")
	require.Contains(t, b.text("#appointment"), d.AppointmentAt.In(dossier.Location).AddDate(0, 0, 3).Format("02/01/2006"))
	b.run(chromedp.Click(css("#lang-vi")), chromedp.WaitVisible(css("#who")))
	b.signOut()
}
