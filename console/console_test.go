package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

const unitSecret = "console-unit-tests-secret-0123456789abcdef"

func unitConsole(t *testing.T, dev bool, api http.Handler) (*Console, *auth.HS256) {
	t.Helper()
	h, err := auth.NewHS256(unitSecret)
	require.NoError(t, err)
	o := Options{API: api, Verifier: h, PublicURL: "https://motcua.example"}
	if dev {
		o.DevTokens = h
	}
	c, err := New(o)
	require.NoError(t, err)
	return c, h
}

// sessionFor stores a session for tok in c, as a sign-in does, and returns
// the cookie that names it.
func sessionFor(t *testing.T, c *Console, tok string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "https://motcua.example/console/signin/dev", nil)
	require.NoError(t, c.startSession(rec, req, "test", sessionTokens{Token: tok}, time.Now().Add(time.Hour), time.Hour))
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestDevelopmentSigninDoesNotExistInProduction(t *testing.T) {
	t.Parallel()
	api := http.NotFoundHandler()
	prod, _ := unitConsole(t, false, api)
	dev, _ := unitConsole(t, true, api)
	post := func(c *Console) *httptest.ResponseRecorder {
		form := url.Values{"name": {"a"}, "role": {"ops"}}
		req := httptest.NewRequest("POST", "https://motcua.example/console/signin/dev", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://motcua.example")
		rec := httptest.NewRecorder()
		Wrap(api, c).ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusNotFound, post(prod).Code, "production has no development sign-in")
	res := post(dev)
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	ck := res.Result().Cookies()
	require.Len(t, ck, 1)
	require.Equal(t, sessionCookie, ck[0].Name)
	require.True(t, ck[0].HttpOnly)
	require.True(t, ck[0].Secure, "an https public URL makes the cookie Secure")
	require.Equal(t, http.SameSiteStrictMode, ck[0].SameSite)

	// The sign-in page itself says no sign-in is configured in production.
	rec := httptest.NewRecorder()
	Wrap(api, prod).ServeHTTP(rec, httptest.NewRequest("GET", "https://motcua.example/console/signin", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), "/console/signin/dev")
	require.Contains(t, rec.Body.String(), "MOTCUA_OIDC_CLIENT_ID")
}

func TestPostsFromOtherSitesAreRefused(t *testing.T) {
	t.Parallel()
	var called bool
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true })
	c, h := unitConsole(t, true, api)
	tok, err := h.Mint(auth.Principal{Subject: "x", Role: auth.RoleIntakeOfficer, Agency: "A"}, time.Hour)
	require.NoError(t, err)
	post := func(headers map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "https://motcua.example/console/dossiers/X/intake", strings.NewReader("decision=accept"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(sessionFor(t, c, tok))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		return rec
	}
	for name, headers := range map[string]map[string]string{
		"other origin":   {"Origin": "https://evil.example"},
		"other referer":  {"Referer": "https://evil.example/page"},
		"neither header": {},
		// The browser's own word (http.CrossOriginProtection) wins over a
		// matching Origin.
		"cross-site fetch": {"Sec-Fetch-Site": "cross-site", "Origin": "https://motcua.example"},
		"same-site fetch":  {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.motcua.example"},
	} {
		rec := post(headers)
		require.Equal(t, http.StatusForbidden, rec.Code, name)
		require.False(t, called, "%s: the API must not be called", name)
	}
	// A browser's same-origin form post goes through, with or without Origin.
	for name, headers := range map[string]map[string]string{
		"same-origin fetch": {"Sec-Fetch-Site": "same-origin"},
		"matching origin":   {"Origin": "https://motcua.example"},
	} {
		called = false
		post(headers)
		require.True(t, called, "%s: the API must be called", name)
	}
}

func TestUnsignedVisitorsGoToSignin(t *testing.T) {
	t.Parallel()
	c, h := unitConsole(t, true, http.NotFoundHandler())
	// A valid token in the cookie itself is no session: the cookie names a
	// session on the server, it is not the credential.
	valid, err := h.Mint(auth.Principal{Subject: "x", Role: auth.RoleOps}, time.Hour)
	require.NoError(t, err)
	for _, tok := range []string{"", "not-a-token", valid} {
		req := httptest.NewRequest("GET", "https://motcua.example/console/inbox", nil)
		if tok != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusSeeOther, rec.Code)
		require.Equal(t, "/console/signin", rec.Header().Get("Location"))
	}
}

func TestLanguageSwitchStaysOnThisSite(t *testing.T) {
	t.Parallel()
	c, _ := unitConsole(t, true, http.NotFoundHandler())
	for next, want := range map[string]string{
		"/console/reports?x=1": "/console/reports?x=1",
		"//evil.example":       "/console/inbox",
		"https://evil.example": "/console/inbox",
		`/\evil.example`:       "/console/inbox",
		"/\t/evil.example":     "/console/inbox",
		"/%09/evil.example":    "/console/inbox",
		"/\n/evil.example":     "/console/inbox",
		"/console/\t/x":        "/console/inbox",
		"/track?code=A":        "/track?code=A",
		"/elsewhere":           "/console/inbox",
		"javascript:alert(1)":  "/console/inbox",
		"/console/../../x":     "/console/inbox",
	} {
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/console/lang/en?next="+url.QueryEscape(next), nil))
		require.Equal(t, http.StatusSeeOther, rec.Code)
		require.Equal(t, want, rec.Header().Get("Location"), next)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	require.Equal(t, "200.000 ₫", vi.Money(200000))
	require.Equal(t, "1.234.567 ₫", vi.Money(1234567))
	require.Equal(t, "0 ₫", vi.Money(0))
	require.Equal(t, "200,000 ₫", en.Money(200000))
	ts := time.Date(2026, 2, 3, 1, 5, 0, 0, time.UTC) // 08:05 in Vietnam
	require.Equal(t, "03/02/2026", vi.Date(&ts))
	require.Equal(t, "03/02/2026 08:05", en.DateTime(&ts))
	require.Equal(t, "—", vi.Date(nil))
	r := 0.875
	require.Equal(t, "87,5 %", vi.Percent(&r))
	require.Equal(t, "87.5 %", en.Percent(&r))
	require.Equal(t, "Quá hạn", vi.T("overdue"))
	require.Equal(t, "Overdue", en.T("overdue"))
	require.Equal(t, "Chờ nộp phí", vi.Label("status", "awaiting_payment"))
	require.Equal(t, "unknown_code", vi.Label("status", "unknown_code"))

	// Working time left: Friday 16:00 to Monday 09:00 is 1 h + 2 h.
	fri := time.Date(2026, 3, 6, 16, 0, 0, 0, dossier.Location)
	mon := time.Date(2026, 3, 9, 9, 0, 0, 0, dossier.Location)
	require.Equal(t, "3 h 0 min of working time left", en.Left(fri, &mon))
	require.Equal(t, "Quá hạn", vi.Left(mon, &fri))
	later := mon.AddDate(0, 0, 2) // Wednesday 09:00: 2 working days + 3 h
	require.Equal(t, "còn 2 ngày 3 giờ làm việc", vi.Left(fri, &later))
}

func TestDatesAreTypedDayFirst(t *testing.T) {
	t.Parallel()
	got, ok := localTime("11/12/2026 10:30")
	require.True(t, ok)
	require.Equal(t, "2026-12-11T10:30:00+07:00", got.Format(time.RFC3339))
	got, ok = localTime("11/12/2026")
	require.True(t, ok)
	require.Equal(t, "2026-12-11T17:00:00+07:00", got.Format(time.RFC3339), "a date alone: end of the working day")
	_, ok = localTime("12/31/2026 10:30")
	require.False(t, ok, "month-first is not a date here")
	d, ok := localDay("01/02/2026")
	require.True(t, ok)
	require.Equal(t, "2026-02-01", d.Format(time.DateOnly))
}

func TestFormsFollowThePolicyAndTheStage(t *testing.T) {
	t.Parallel()
	proc := procedureView{IntakeAgency: "C"}
	proc.Steps = []catalog.Step{{Name: "review", Department: "J"}, {Name: "approval", Department: "J"}}
	officer := auth.Principal{Subject: "o", Role: auth.RoleIntakeOfficer, Agency: "C"}
	otherOfficer := auth.Principal{Subject: "o", Role: auth.RoleIntakeOfficer, Agency: "X"}
	reviewer := auth.Principal{Subject: "r", Role: auth.RoleReviewer, Agency: "J"}
	leader := auth.Principal{Subject: "l", Role: auth.RoleLeader, Agency: "J"}
	ops := auth.Principal{Subject: "ops", Role: auth.RoleOps}

	submitted := dossierView{AgencyCode: "C", Status: "submitted", Stage: "intake"}
	require.Equal(t, []string{"intake"}, forms(officer, submitted, proc))
	require.Empty(t, forms(otherOfficer, submitted, proc))
	require.Empty(t, forms(reviewer, submitted, proc))
	// A fee collected at filing is taken at the counter before intake.
	atFiling := proc
	atFiling.FeeTiming = catalog.FeeAtFiling
	submitted.Fee = feeView{Amount: 200000, Status: "none"}
	// ... or exempted, with a reason, instead.
	require.Equal(t, []string{"intake", "payment", "fee-exemption"}, forms(officer, submitted, atFiling))
	require.Equal(t, []string{"intake", "fee-exemption"}, forms(officer, submitted, proc), "a fee before the result waits for it (it may be exempted now)")
	submitted.Fee.Status = "paid"
	require.Equal(t, []string{"intake"}, forms(officer, submitted, atFiling))
	submitted.Fee = feeView{}

	review := dossierView{AgencyCode: "C", Status: "received", Stage: "review",
		CurrentStep: &stepView{Name: "review", Departments: []string{"J"}, Pending: []string{"J"}}}
	require.Equal(t, []string{"review", "assignment"}, forms(reviewer, review, proc))
	require.Equal(t, []string{"extension", "apology", "assignment", "stop"}, forms(leader, review, proc))
	review.CurrentStep.Extended = true
	require.Equal(t, []string{"apology", "assignment", "stop"}, forms(leader, review, proc), "a step is extended once")
	review.CurrentStep.Extended = false
	require.Empty(t, forms(ops, review, proc))

	approval := dossierView{AgencyCode: "C", Status: "processing", Stage: "approval",
		CurrentStep: &stepView{Name: "approval", Departments: []string{"J"}, Pending: []string{"J"}}}
	require.Equal(t, []string{"approval", "extension", "apology", "stop"}, forms(leader, approval, proc))

	payment := dossierView{AgencyCode: "C", Status: "awaiting_payment", Stage: "payment", Fee: feeView{Status: "awaiting_payment"}}
	require.Equal(t, []string{"payment"}, forms(officer, payment, proc))
	ready := dossierView{AgencyCode: "C", Status: "result_ready", Stage: "return", ReturnMethod: "counter"}
	require.Equal(t, []string{"handover"}, forms(officer, ready, proc))
	require.Empty(t, forms(officer, dossierView{AgencyCode: "C", Status: "returned", Stage: "done"}, proc))
}

// stubAPI answers like the API for one dossier in every state the pages
// draw: a step running with branches, a supplement, a result document, a
// shipment, events, a procedure, reports.
func stubAPI(t *testing.T) http.Handler {
	t.Helper()
	answers := map[string]string{
		"/v1/dossiers/D-1": `{"code":"D-1","procedure_code":"P","agency_code":"C","channel":"online","status":"processing",
			"stage":"review","submitted_at":"2026-03-02T08:00:00+07:00","received_at":"2026-03-02T09:00:00+07:00",
			"appointment_at":"2026-03-20T17:00:00+07:00","overdue":false,"fee":{"amount":200000,"status":"none"},
			"return_method":"postal","shipment":{"waybill":"W1","status":"requested"},
			"current_step":{"name":"review","departments":["J"],"pending_departments":["J"],"due_at":"2026-03-10T17:00:00+07:00",
			"warn_at":"2026-03-09T17:00:00+07:00","branches":[{"department":"J","due_at":"2026-03-10T17:00:00+07:00","decided":false,"assignee":"x"}]},
			"applicant":{"full_name":"Nguyễn Văn A","id_number":"0791******89"},
			"supplement":{"requested_at":"2026-03-03T08:00:00+07:00","due_at":"2026-03-13T08:00:00+07:00","missing":["a","b"]},
			"result_document":{"name":"r.pdf","sha256":"ab","issued_at":"2026-03-04T08:00:00+07:00"}}`,
		"/v1/dossiers/D-1/events": `{"items":[{"seq":1,"at":"2026-03-02T08:00:00+07:00","action":"submitted","actor":"p (portal)",
			"from_stage":"intake","to_stage":"intake","from_status":"submitted","to_status":"submitted","note":"n","on_time":"early"}]}`,
		"/v1/procedures/P": `{"code":"P","name":"Proc","name_vi":"Thủ tục","intake_agency":"C","fee":{"kind":"assessed","amount":0},
			"steps":[{"name":"review","department":"J"},{"name":"approval","department":"J"}]}`,
		"/v1/procedures":           `{"items":[{"code":"P","name":"Proc","name_vi":"Thủ tục","intake_agency":"C","sector":{"code":"HT","name":"Hộ tịch"},"steps":[{"name":"review","department":"J"}]}]}`,
		"/v1/dossiers":             `{"items":[],"next_cursor":"abc"}`,
		"/v1/reports/summary":      `{"received":{"new":3},"resolved":{"total":2,"on_time":2},"pending":{},"on_time_rate":1,"awaiting_intake":{"total":4,"overdue":1}}`,
		"/v1/reports/monthly":      `{"year":2026,"items":[{"month":"2026-01","on_time_rate":0.5},{"month":"2026-02","on_time_rate":null}]}`,
		"/v1/reports/summary.xlsx": "xlsx bytes",
		"/v1/notifications": `{"items":[{"dossier":"D-1","key":"D-1/2/0","to":"applicant","template":"received","status":"failed",
			"attempts":1,"channel":"sms","last_error":"rejected by sms: 0243 is not a Vietnamese mobile number",
			"created_at":"2026-03-02T09:00:00+07:00","failed_at":"2026-03-02T09:00:05+07:00"}]}`,
		"/v1/public/dossiers/D-1": `{"code":"D-1","procedure_code":"P","status":"awaiting_payment","stage":"payment","fee":{"amount":5,"status":"awaiting_payment","pay_url":"https://pay.example/x"},"return_method":"counter"}`,
		// The satisfaction rating (console/ratings_test.go).
		"/v1/reports/ratings":            `{"items":[{"key":"2026-02","total":4,"very_satisfied":2,"satisfied":1,"not_satisfied":1,"satisfaction_rate":0.75,"reasons":{"late":1}}]}`,
		"/v1/reports/ratings.csv":        "from,to\n",
		"/v1/public/dossiers/D-2":        `{"code":"D-2","procedure_code":"P","status":"returned","stage":"done","fee":{"amount":0,"status":"none"},"return_method":"counter","rateable":true}`,
		"/v1/public/dossiers/D-2/rating": `{"dossier":"D-2","level":"satisfied","reasons":[],"reasons_version":1,"comment":null,"rated_at":"2026-03-09T18:00:00+07:00"}`,
		"/v1/public/rating-reasons":      `{"levels":[{"code":"very_satisfied","label":"Rất hài lòng"},{"code":"satisfied","label":"Hài lòng"},{"code":"not_satisfied","label":"Không hài lòng"}],"version":1,"reasons":[{"code":"late","label":"Giải quyết hồ sơ chậm, trễ hẹn"}],"max_comment":1000}`,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"status":404,"detail":"no such thing"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
}

func TestEveryPageRendersForEveryRole(t *testing.T) {
	t.Parallel()
	api := stubAPI(t)
	c, h := unitConsole(t, true, api)
	c.o.Now = func() time.Time { return time.Date(2026, 3, 9, 18, 0, 0, 0, dossier.Location) } // after warn_at
	site := Wrap(api, c)
	for _, p := range []auth.Principal{
		{Subject: "o", Role: auth.RoleIntakeOfficer, Agency: "C"},
		{Subject: "r", Role: auth.RoleReviewer, Agency: "J"},
		{Subject: "l", Role: auth.RoleLeader, Agency: "J"},
		{Subject: "ops", Role: auth.RoleOps},
		{Subject: "adm", Role: auth.RoleAdmin},
	} {
		tok, err := h.Mint(p, time.Hour)
		require.NoError(t, err)
		for _, l := range []string{"vi", "en"} {
			for _, path := range []string{"/console/inbox?stage=review&week=true", "/console/dossiers/D-1",
				"/console/reports?from=01/01/2026&to=31/03/2026", "/console/notifications", "/console/signin", "/track"} {
				req := httptest.NewRequest("GET", "https://motcua.example"+path, nil)
				req.AddCookie(sessionFor(t, c, tok))
				req.AddCookie(&http.Cookie{Name: langCookie, Value: l})
				rec := httptest.NewRecorder()
				site.ServeHTTP(rec, req)
				require.Equal(t, http.StatusOK, rec.Code, "%s %s %s: %s", p.Role, l, path, rec.Body.String())
				require.Contains(t, rec.Body.String(), `<html lang="`+l+`">`)
			}
		}
	}

	// The dossier page as the reviewer: warning state in words, the review
	// form with the assessed fee, the masked number as the API sent it.
	tok, _ := h.Mint(auth.Principal{Subject: "r", Role: auth.RoleReviewer, Agency: "J"}, time.Hour)
	req := httptest.NewRequest("GET", "https://motcua.example/console/dossiers/D-1", nil)
	req.AddCookie(sessionFor(t, c, tok))
	rec := httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	body := rec.Body.String()
	require.Contains(t, body, "Sắp đến hạn")
	require.Contains(t, body, `id="form-review"`)
	require.Contains(t, body, `id="review-fee"`)
	require.NotContains(t, body, `id="form-approval"`)
	require.Contains(t, body, "0791******89")
	require.Contains(t, body, "200.000 ₫")

	// Ops see the undelivered notices with the provider's reason, and the
	// menu links to them.
	ot, _ := h.Mint(auth.Principal{Subject: "ops", Role: auth.RoleOps}, time.Hour)
	req = httptest.NewRequest("GET", "https://motcua.example/console/notifications", nil)
	req.AddCookie(sessionFor(t, c, ot))
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body = rec.Body.String()
	require.Contains(t, body, `id="dead-letters"`)
	require.Contains(t, body, `<a href="/console/dossiers/D-1">D-1</a>`)
	require.Contains(t, body, "rejected by sms: 0243 is not a Vietnamese mobile number")
	require.Contains(t, body, `href="/console/notifications"`)
	require.NotContains(t, body, "no-dead-letters")

	// Reports: filters by sector and channel, rows by a dimension, both
	// exports, and the spreadsheet handed over as the API made it.
	lt, _ := h.Mint(auth.Principal{Subject: "l", Role: auth.RoleLeader, Agency: "J"}, time.Hour)
	req = httptest.NewRequest("GET", "https://motcua.example/console/reports?from=01/01/2026&to=31/03/2026&sector=HT&group_by=sector", nil)
	req.AddCookie(sessionFor(t, c, lt))
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body = rec.Body.String()
	require.Contains(t, body, `<option value="HT" selected>HT – Hộ tịch</option>`)
	require.Contains(t, body, `id="grouped"`)
	require.Contains(t, body, `Chờ tiếp nhận (trực tuyến, bưu chính; ngoài mẫu II.06a): <strong>4</strong>`)
	require.Contains(t, body, `href="/console/reports.xlsx?from=2026-01-01&amp;group_by=sector&amp;sector=HT&amp;to=2026-03-31"`)
	require.Contains(t, body, `id="chart"`)
	req = httptest.NewRequest("GET", "https://motcua.example/console/reports.xlsx?from=01/01/2026&to=31/03/2026", nil)
	req.AddCookie(sessionFor(t, c, lt))
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "xlsx bytes", rec.Body.String())

	// An unknown dossier shows the API's words with its status.
	req = httptest.NewRequest("GET", "https://motcua.example/console/dossiers/NOPE", nil)
	req.AddCookie(sessionFor(t, c, tok))
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Contains(t, rec.Body.String(), "no such thing")

	// /track: what to do next, the payment link, no personal data.
	form := url.Values{"code": {"D-1"}, "key": {"k"}}
	req = httptest.NewRequest("POST", "https://motcua.example/track", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://motcua.example")
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "Vui lòng nộp phí")
	require.Contains(t, rec.Body.String(), `href="https://pay.example/x"`)
}
