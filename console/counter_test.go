package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
)

// feeAtFilingProcedure publishes, in the shared test catalog, a judicial
// record certificate whose fee is paid at the desk when the dossier is
// filed (fee_timing at_filing), and returns its code.
func feeAtFilingProcedure(t *testing.T) string {
	t.Helper()
	shipped, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	var proc catalog.Procedure
	for _, p := range shipped.Procedures {
		if p.Code == "TP-LLTP-01" {
			proc = p
		}
	}
	proc.Code, proc.FeeTiming = "TP-LLTP-NP", catalog.FeeAtFiling
	proc.NameVI = "Cấp Phiếu lý lịch tư pháp, nộp phí khi nộp hồ sơ"
	proc.Name = "Issuing a judicial record certificate, fee paid at filing"
	_, err = testenv.SharedStore(t).ImportCatalog(context.Background(),
		&catalog.Catalog{Agencies: shipped.Agencies, Procedures: []catalog.Procedure{proc}})
	require.NoError(t, err)
	return proc.Code
}

// officer is a person using the console over HTTP, as a browser without
// JavaScript would: a cookie jar and same-origin form posts.
type officer struct {
	t    *testing.T
	site *site
	c    *http.Client
}

func (s *site) officer(name string, role auth.Role, agency string) *officer {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	o := &officer{t: s.t, site: s, c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res := o.post("/console/signin/dev", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"name": {name}, "role": {string(role)}, "agency": {agency}}.Encode()))
	require.Equal(s.t, http.StatusSeeOther, res.status, res.body)
	return o
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (o *officer) do(req *http.Request) page {
	o.t.Helper()
	res, err := o.c.Do(req)
	require.NoError(o.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(o.t, err)
	return page{status: res.StatusCode, body: string(raw), location: res.Header.Get("Location"), header: res.Header}
}

func (o *officer) get(path string) page {
	o.t.Helper()
	req, err := http.NewRequest(http.MethodGet, o.site.url+path, nil)
	require.NoError(o.t, err)
	return o.do(req)
}

func (o *officer) post(path, contentType string, body io.Reader) page {
	o.t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.site.url+path, body)
	require.NoError(o.t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", o.site.url)
	return o.do(req)
}

// counterForm is the intake form as a browser sends it: fields and files.
type counterForm struct {
	fields url.Values
	files  map[string][2]string // field → file name, content
}

func newCounterForm(procedure, name string) *counterForm {
	return &counterForm{files: map[string][2]string{}, fields: url.Values{
		"procedure": {procedure}, "full_name": {name}, "id_number": {"079123456789"}, "phone": {"0912345678"},
		"email": {"nguoi.nop@example.vn"}, "address": {"12 Nguyễn Huệ, Tân An, Long An"},
		"return_method": {"counter"}, "notify_consent": {"yes"}, "notify_1": {"sms"}, "notify_2": {"email"},
		"decision": {"accept"},
	}}
}

// scan attaches a PDF (a distinct one per call) to checklist row i and
// ticks it.
func (f *counterForm) scan(i int, name string) {
	f.fields.Set(fmt.Sprintf("doc%d_received", i), "1")
	f.files[fmt.Sprintf("doc%d_file", i)] = [2]string{name, "%PDF-1.4 bản quét " + name + "\n%%EOF\n"}
}

func (o *officer) send(f *counterForm) page {
	o.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range f.fields {
		for _, v := range vs {
			require.NoError(o.t, mw.WriteField(k, v))
		}
	}
	for field, file := range f.files {
		w, err := mw.CreateFormFile(field, file[0])
		require.NoError(o.t, err)
		_, err = w.Write([]byte(file[1]))
		require.NoError(o.t, err)
	}
	require.NoError(o.t, mw.Close())
	return o.post("/console/counter", mw.FormDataContentType(), &buf)
}

// hidden reads the hidden inputs of a page (the token, the scans kept).
func hidden(body string) url.Values {
	out := url.Values{}
	re := regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	return out
}

// filedFor lists the dossiers filed for an applicant (by a name no other
// test uses), as ops see them in the API.
func (s *site) filedFor(name string) []string {
	s.t.Helper()
	var list struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	s.get("/v1/dossiers?"+url.Values{"q": {name}}.Encode(), &list)
	var codes []string
	for _, it := range list.Items {
		codes = append(codes, it.Code)
	}
	return codes
}

// TestCounterIntakePages drives the counter page as a browser without
// JavaScript would, against the real API, PostgreSQL and Temporal: the
// picker without diacritics, bad input shown field by field with nothing
// filed, a fee paid at filing before the receipt, the receipt with the
// lookup key, a supplement request (form 02) and a refusal (form 03).
func TestCounterIntakePages(t *testing.T) {
	s := newSite(t)
	atFiling := feeAtFilingProcedure(t)
	o := s.officer("can.bo.quay.1", auth.RoleIntakeOfficer, center)

	// The picker: without diacritics, every word; only the officer's
	// agency's procedures.
	p := o.get("/console/counter?q=" + url.QueryEscape("ly lich tu phap"))
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, `id="pick-TP-LLTP-01"`)
	require.Contains(t, p.body, `id="pick-`+atFiling+`"`)
	require.NotContains(t, p.body, `id="pick-KH-HKD-01"`)
	require.NotContains(t, p.body, `id="pick-HT-KS-01"`, "a commune's procedure is not this center's to receive")
	p = o.get("/console/counter?q=" + url.QueryEscape("khong co thu tuc nay"))
	require.Contains(t, p.body, `<p id="no-procedures">`, "the page says nothing matched")
	require.Contains(t, o.get("/console/inbox").body, `id="nav-counter"`)

	// Other roles do not open dossiers at the counter.
	rev := s.officer("chuyen.vien", auth.RoleReviewer, justice)
	require.Equal(t, http.StatusForbidden, rev.get("/console/counter").status)
	require.NotContains(t, rev.get("/console/inbox").body, `id="nav-counter"`)

	// A procedure another agency receives is not this counter's.
	other := o.get("/console/counter?procedure=HT-KS-01")
	require.Equal(t, http.StatusForbidden, other.status)
	require.NotContains(t, other.body, `id="counter-form"`)
	// In English too.
	require.Equal(t, http.StatusSeeOther, o.get("/console/lang/en?next=/console/counter").status)
	en := o.get("/console/counter?q=lltp")
	require.Contains(t, en.body, "Find the procedure")
	require.Contains(t, en.body, "Issuing a judicial record certificate, fee paid at filing")
	require.Equal(t, http.StatusSeeOther, o.get("/console/lang/vi?next=/console/counter").status)

	// The form: the checklist, the fee at filing, the return methods.
	p = o.get("/console/counter?procedure=" + atFiling)
	require.Equal(t, http.StatusOK, p.status, p.body)
	for _, doc := range []string{"application form", "citizen ID card copy", "residence confirmation"} {
		require.Contains(t, p.body, doc)
	}
	require.Contains(t, p.body, "200.000 ₫")
	require.Contains(t, p.body, `id="receipt_number"`)
	require.Contains(t, p.body, `value="postal"`)
	require.NotContains(t, p.body, `value="electronic"`, "only the methods the procedure allows")
	token := hidden(p.body).Get("token")
	require.NotEmpty(t, token)

	// Bad input: a required document missing, a file that is not PDF,
	// JPEG or PNG, no address for a postal return, no receipt number, no
	// consent asked. Every field says what is wrong; nothing is filed.
	name := "Đặng Thị Quầy" + " " + testenv.RandomSuffix()
	f := newCounterForm(atFiling, name)
	f.fields.Set("token", token)
	f.scan(0, "to-khai.pdf")
	f.fields.Set("doc1_received", "1")
	f.files["doc1_file"] = [2]string{"cccd.txt", "chỉ là văn bản, không phải bản quét"}
	f.fields.Set("return_method", "postal")
	f.fields.Del("notify_consent")
	p = o.send(f)
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	require.Contains(t, p.body, `id="errors"`)
	require.Regexp(t, `id="err-doc1">[^<]*only PDF, JPEG and PNG`, p.body)
	require.Regexp(t, `id="err-doc2">[^<]*chưa nhận`, p.body)
	require.Contains(t, p.body, `id="err-return_address"`)
	require.Contains(t, p.body, `id="err-receipt_number"`)
	require.Contains(t, p.body, `id="err-notify_consent"`)
	require.NotContains(t, p.body, `id="err-doc0"`, "the good scan is fine")
	require.Regexp(t, `id="full_name" name="full_name" value="`+name+`"`, p.body, "what was typed stays")
	kept := hidden(p.body)
	require.NotEmpty(t, kept.Get("doc0_upload_id"), "the accepted scan stays with the form")
	require.Equal(t, token, kept.Get("token"))
	require.Contains(t, p.body, `id="full_name" name="full_name" value="`+name+`" autocomplete="name" aria-required="true" maxlength="500">`,
		"a field without fault is not marked")
	require.Regexp(t, `<input type="file" id="doc1"[^>]*aria-invalid="true"[^>]*autofocus`, p.body, "the first field at fault gets the focus")
	require.Empty(t, s.filedFor(name), "nothing was filed")

	// The API's own field errors land beside their fields: an e-mail as
	// the only channel without an address.
	f2 := newCounterForm(atFiling, name)
	f2.fields.Set("token", token)
	for k, v := range kept {
		f2.fields[k] = v
	}
	f2.scan(1, "cccd.pdf")
	f2.scan(2, "xac-nhan-cu-tru.pdf")
	f2.fields.Set("receipt_number", "BL-QUAY-0001")
	f2.fields.Set("notify_1", "email")
	f2.fields.Del("notify_2")
	f2.fields.Set("email", "")
	p = o.send(f2)
	require.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	require.Regexp(t, `id="err-email">[^<]*required to receive notices by e-mail`, p.body)
	require.Empty(t, s.filedFor(name), "nothing was filed")
	kept = hidden(p.body)
	require.NotEmpty(t, kept.Get("doc1_upload_id"))
	require.NotEmpty(t, kept.Get("doc2_upload_id"))

	// Fixed: filed, the fee paid at the desk, accepted, receipt.
	f3 := newCounterForm(atFiling, name)
	for k, v := range kept {
		f3.fields[k] = v
	}
	f3.fields.Set("return_method", "postal")
	f3.fields.Set("return_address", "5 Lê Lợi, Tân An, Long An")
	f3.fields.Set("receipt_number", "BL-QUAY-0001")
	for i := range 3 {
		f3.fields.Set(fmt.Sprintf("doc%d_received", i), "1")
	}
	p = o.send(f3)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.True(t, strings.HasPrefix(p.location, "/console/counter/"), p.location)
	code := strings.TrimPrefix(p.location, "/console/counter/")
	// The same form sent again (a double Enter) files nothing more.
	again := o.send(f3)
	require.Equal(t, http.StatusSeeOther, again.status, again.body)
	require.Equal(t, p.location, again.location)
	require.Equal(t, []string{code}, s.filedFor(name))

	done := o.get(p.location)
	require.Equal(t, http.StatusOK, done.status, done.body)
	key := regexp.MustCompile(`id="done-key" class="key">([^<]+)<`).FindStringSubmatch(done.body)
	require.Len(t, key, 2, done.body)
	require.Contains(t, done.body, `id="print-receipt"`)

	var d struct {
		Status        string     `json:"status"`
		Channel       string     `json:"channel"`
		ReturnMethod  string     `json:"return_method"`
		AppointmentAt *time.Time `json:"appointment_at"`
		Fee           struct {
			Amount int64  `json:"amount"`
			Status string `json:"status"`
		} `json:"fee"`
		Documents []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"documents"`
	}
	s.get("/v1/dossiers/"+code, &d)
	require.Equal(t, "received", d.Status)
	require.Equal(t, "counter", d.Channel)
	require.Equal(t, "postal", d.ReturnMethod)
	require.Equal(t, "paid", d.Fee.Status)
	require.Equal(t, int64(200000), d.Fee.Amount)
	require.Len(t, d.Documents, 3)
	for _, doc := range d.Documents {
		require.Equal(t, "stored", doc.Status, "every scan is stored with the dossier: %s", doc.Name)
	}
	require.Contains(t, d.Documents[1].Name, "citizen ID card copy (cccd.pdf)")
	require.NotNil(t, d.AppointmentAt)
	var events struct {
		Items []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
		} `json:"items"`
	}
	s.get("/v1/dossiers/"+code+"/events", &events)
	var actions []string
	for _, e := range events.Items {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"submitted", dossier.ActionPaymentCounter, dossier.ActionIntakeAccept}, actions,
		"the fee is paid before the dossier is received")
	require.Contains(t, events.Items[2].Actor, "can.bo.quay.1 (intake_officer, "+center+")")
	stored, err := testenv.SharedStore(t).Dossier(context.Background(), code)
	require.NoError(t, err)
	require.NotNil(t, stored.Applicant.Notify)
	require.True(t, stored.Applicant.Notify.Consent)
	require.Equal(t, []string{"sms", "email"}, stored.Applicant.Notify.Channels)

	// The receipt: form 01 with the appointment and the lookup key.
	pdf := o.get("/console/counter/" + code + "/receipt")
	require.Equal(t, http.StatusOK, pdf.status, pdf.body)
	require.Equal(t, "application/pdf", pdf.header.Get("Content-Type"))
	text := testenv.PDFText(t, []byte(pdf.body))
	require.Contains(t, text, code)
	require.Contains(t, text, name)
	require.Contains(t, text, key[1])
	require.Contains(t, text, d.AppointmentAt.In(dossier.Location).Format("02/01/2006"))
	// The receipt without the key is the one kept for the control sheet.
	kept01 := o.get("/console/dossiers/" + code + "/forms/01")
	require.Equal(t, http.StatusOK, kept01.status)
	require.NotContains(t, testenv.PDFText(t, []byte(kept01.body)), key[1], "the kept receipt never holds the key")

	// Signing out forgets the key: the next officer at this tablet does
	// not see it.
	require.Equal(t, http.StatusSeeOther, o.post("/console/signout", "application/x-www-form-urlencoded", nil).status)
	res := o.post("/console/signin/dev", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"name": {"can.bo.quay.3"}, "role": {"intake_officer"}, "agency": {center}}.Encode()))
	require.Equal(t, http.StatusSeeOther, res.status)
	done = o.get("/console/counter/" + code)
	require.Equal(t, http.StatusOK, done.status)
	require.NotContains(t, done.body, key[1])
	require.NotContains(t, testenv.PDFText(t, []byte(o.get("/console/counter/"+code+"/receipt").body)), key[1],
		"without the key the kept receipt prints")

	// A supplement request: the unticked documents are what is missing.
	name2 := "Phan Văn Bổ Sung" + " " + testenv.RandomSuffix()
	f4 := newCounterForm("TP-LLTP-01", name2)
	f4.fields.Set("token", hidden(o.get("/console/counter?procedure=TP-LLTP-01").body).Get("token"))
	f4.fields.Set("decision", "request_supplement")
	f4.fields.Set("missing", "Bản gốc để đối chiếu")
	f4.fields.Set("notify_consent", "no")
	p = o.send(f4)
	require.Equal(t, http.StatusUnprocessableEntity, p.status, "a dossier needs at least one document")
	require.Regexp(t, `id="err-doc0">[^<]*ít nhất một giấy tờ`, p.body)
	require.Empty(t, s.filedFor(name2))
	f4.scan(0, "to-khai-2.pdf")
	p = o.send(f4)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	code2 := strings.TrimPrefix(p.location, "/console/counter/")
	done = o.get(p.location)
	require.Contains(t, done.body, `id="print-02"`)
	require.NotContains(t, done.body, `id="done-key"`, "the key is printed on form 01 only")
	text = testenv.PDFText(t, []byte(o.get("/console/dossiers/"+code2+"/forms/02").body))
	for _, m := range []string{"citizen ID card copy", "residence confirmation", "Bản gốc để đối chiếu"} {
		require.Contains(t, text, m)
	}
	stored, err = testenv.SharedStore(t).Dossier(context.Background(), code2)
	require.NoError(t, err)
	require.False(t, stored.Applicant.Notify.Consent, "the applicant declined notices")

	// A refusal needs its reasons; then form 03.
	name3 := "Lý Thị Từ Chối" + " " + testenv.RandomSuffix()
	f5 := newCounterForm("TP-LLTP-01", name3)
	f5.fields.Set("token", hidden(o.get("/console/counter?procedure=TP-LLTP-01").body).Get("token"))
	f5.scan(0, "to-khai-3.pdf")
	f5.fields.Set("decision", "refuse")
	p = o.send(f5)
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `id="err-note"`)
	require.Empty(t, s.filedFor(name3))
	f5.fields.Set("note", "Thủ tục không thuộc thẩm quyền")
	delete(f5.files, "doc0_file")
	for k, v := range hidden(p.body) {
		f5.fields[k] = v
	}
	p = o.send(f5)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	code3 := strings.TrimPrefix(p.location, "/console/counter/")
	require.Contains(t, o.get(p.location).body, `id="print-03"`)
	text = testenv.PDFText(t, []byte(o.get("/console/dossiers/"+code3+"/forms/03").body))
	require.Contains(t, text, "Thủ tục không thuộc thẩm quyền")
}
