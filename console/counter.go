package console

// Counter intake (issue 17 §3): an intake officer opens a dossier for an
// applicant who walked in. One page: the procedure picker, the applicant,
// the procedure's required documents as a checklist with a scan for each,
// the fee when it is collected at filing, the return method and address,
// the applicant's notice channels and consent, and the decision (accept,
// request a supplement, refuse). Like every page it is a client of the
// API: the scans go to POST /v1/uploads, the dossier to POST /v1/dossiers
// (channel counter), the fee to POST …/payment and the decision to POST
// …/intake, all as the signed-in officer; the receipt (form 01) is the
// API's PDF.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
)

func init() {
	for k, v := range counterMessages {
		if _, taken := messages[k]; taken {
			panic("console: message " + k + " is defined twice")
		}
		messages[k] = v
	}
}

// counterMessages are the counter page's words, key → {Vietnamese, English}.
var counterMessages = map[string][2]string{
	"counter_title":           {"Tiếp nhận tại quầy", "Counter intake"},
	"counter_only":            {"Chỉ cán bộ tiếp nhận của cơ quan tiếp nhận mở hồ sơ tại quầy.", "Only the receiving agency's intake officers open dossiers at the counter."},
	"counter_pick":            {"1. Chọn thủ tục", "1. Choose the procedure"},
	"counter_search":          {"Tìm thủ tục (gõ không dấu được)", "Find the procedure (diacritics optional)"},
	"counter_find":            {"Tìm", "Find"},
	"counter_none":            {"Không có thủ tục nào khớp.", "No procedure matches."},
	"counter_change":          {"Chọn thủ tục khác", "Choose another procedure"},
	"counter_applicant":       {"2. Người nộp hồ sơ", "2. Applicant"},
	"counter_documents":       {"3. Thành phần hồ sơ", "3. Documents"},
	"counter_documents_help":  {"Đánh dấu giấy tờ người nộp đã mang đến và quét hoặc tải lên bản của từng giấy tờ (PDF, JPEG, PNG).", "Tick what the applicant brought and scan or upload each document (PDF, JPEG, PNG)."},
	"counter_received":        {"Đã nhận", "Received"},
	"counter_scan":            {"Bản quét", "Scan"},
	"counter_scan_kept":       {"đã tải lên", "uploaded"},
	"counter_scan_replace":    {"Chọn tệp khác để thay", "Choose another file to replace it"},
	"counter_other":           {"Giấy tờ khác (tùy chọn)", "Other document (optional)"},
	"counter_fee":             {"4. Phí, lệ phí", "4. Fee"},
	"counter_fee_at_filing":   {"Thu khi nộp hồ sơ: nộp tại quầy trước khi in giấy tiếp nhận.", "Collected at filing: paid at the desk before the receipt prints."},
	"counter_fee_later":       {"Thu khi có kết quả.", "Collected when the result is ready."},
	"counter_fee_assessed":    {"Xác định khi thẩm định.", "Assessed during review."},
	"counter_fee_free":        {"Không thu phí.", "No fee."},
	"counter_fee_units":       {"Số lượng", "Quantity"},
	"counter_per":             {"mỗi", "per"},
	"counter_return":          {"5. Trả kết quả", "5. Result"},
	"counter_return_address":  {"Địa chỉ nhận kết quả qua bưu chính", "Postal address for the result"},
	"counter_notify":          {"6. Nhận thông báo", "6. Notices"},
	"counter_consent":         {"Người nộp đồng ý nhận thông báo về hồ sơ", "The applicant agrees to receive notices about the dossier"},
	"counter_consent_yes":     {"Đồng ý", "Agrees"},
	"counter_consent_no":      {"Không đồng ý", "Declines"},
	"counter_channel_n":       {"Kênh ưu tiên thứ", "Channel, choice"},
	"counter_channel_none":    {"—", "—"},
	"channel_notify.sms":      {"SMS", "SMS"},
	"channel_notify.zalo":     {"Zalo", "Zalo"},
	"channel_notify.email":    {"Thư điện tử", "E-mail"},
	"counter_decision":        {"7. Quyết định", "7. Decision"},
	"counter_submit":          {"Ghi nhận hồ sơ", "File the dossier"},
	"counter_errors":          {"Chưa ghi nhận được hồ sơ, vui lòng sửa:", "The dossier was not filed; please fix:"},
	"counter_done":            {"Đã ghi nhận hồ sơ", "Dossier filed"},
	"counter_print_receipt":   {"In giấy tiếp nhận và hẹn trả kết quả (mẫu 01)", "Print the receipt and appointment (form 01)"},
	"counter_key_note":        {"Mã tra cứu chỉ hiện một lần và được in trên giấy tiếp nhận; hãy đưa cho người nộp.", "The lookup key is shown once and printed on the receipt; give it to the applicant."},
	"counter_next":            {"Tiếp nhận hồ sơ mới", "Take another dossier"},
	"counter_open":            {"Mở hồ sơ", "Open the dossier"},
	"email":                   {"Thư điện tử", "E-mail"},
	"err.required":            {"bắt buộc", "is required"},
	"err.doc_missing":         {"chưa nhận: cần có để tiếp nhận (hoặc chọn Yêu cầu bổ sung)", "not received: needed to accept (or choose Request a supplement)"},
	"err.doc_scan":            {"đã đánh dấu đã nhận nhưng chưa có bản quét", "ticked as received but has no scan"},
	"err.no_documents":        {"cần ít nhất một giấy tờ có bản quét", "at least one document with its scan is needed"},
	"err.missing":             {"nêu giấy tờ cần bổ sung (bỏ đánh dấu giấy tờ chưa có, hoặc ghi thêm)", "name what to supplement (untick what is missing, or write it here)"},
	"err.refuse_note":         {"nêu lý do từ chối", "give the reasons for refusing"},
	"err.receipt":             {"nhập số biên lai thu phí", "enter the fee receipt number"},
	"err.consent":             {"hỏi người nộp có đồng ý nhận thông báo không", "ask the applicant whether they agree to notices"},
	"err.return_address":      {"nhập địa chỉ để gửi kết quả qua bưu chính", "enter the address to send the result to by post"},
	"err.units":               {"nhập số lượng (số nguyên từ 1)", "enter the quantity (a whole number from 1)"},
	"err.return_method":       {"chọn một hình thức trả kết quả", "choose how the result is returned"},
	"err.decision":            {"chọn một quyết định", "choose a decision"},
	"counter_missing_auto":    {"Giấy tờ chưa đánh dấu được tự thêm vào danh sách cần bổ sung.", "Unticked documents are added to the list to supplement."},
	"counter_refuse_reasons":  {"Lý do (bắt buộc khi từ chối) / ghi chú", "Reasons (required to refuse) / note"},
	"counter_after_accept":    {"Sau khi ghi nhận, giấy tiếp nhận (mẫu 01) được in ngay.", "Once filed, the receipt (form 01) prints at once."},
	"counter_documents_other": {"Tên giấy tờ khác", "Name of the other document"},
}

// The form's own limits: what one request may carry.
const (
	// maxCounterDocs bounds the checklist (a procedure's required
	// documents plus the optional other one).
	maxCounterDocs = 50
	// maxCounterUpload bounds a counter form with its scans (the API
	// refuses a file over its own per-file limit, saying so).
	maxCounterUpload = 100 << 20
	// receiptCookie holds the code and lookup key of the dossier just
	// filed, for its receipt: the key is shown once, and never travels in
	// a URL.
	receiptCookie = "motcua_counter_receipt"
)

// counterDoc is one row of the checklist: a required document (or the
// optional other one), whether the applicant brought it, and its scan
// once uploaded (kept with the form when it is shown again, so nobody
// scans twice).
type counterDoc struct {
	Index    int
	Name     string
	Other    bool // the optional row, named by the officer
	Received bool
	Upload   *pendingUpload
	Err      string
}

// pendingUpload is a scan the API accepted (POST /v1/uploads) and not yet
// attached to a dossier; unattached, it is removed after
// MOTCUA_UPLOAD_RETENTION.
type pendingUpload struct {
	ID, SHA256, FileName string
}

// counterData is what the counter page shows.
type counterData struct {
	Allowed    bool
	Q          string
	Procedures []procedureView
	P          *procedureView
	Token      string
	Form       url.Values
	Docs       []counterDoc
	Errs       map[string]string
	// ErrList is Errs in the order of the page, for the summary.
	ErrList []fieldMsg
	// Focus is the first field at fault: it gets the focus.
	Focus string
}

// fieldMsg is a field's id on the page and what is wrong with it.
type fieldMsg struct{ ID, Label, Msg string }

// FeeAtFiling says the fee is paid at the desk before intake accepts.
func (d counterData) FeeAtFiling() bool {
	return d.P != nil && d.P.FeeTiming == catalog.FeeAtFiling && d.P.Fee.Amount > 0
}

// Autofocus puts the focus on the first field at fault, else on first
// (the first field of the page).
func (d counterData) Autofocus(id, first string) template.HTMLAttr {
	if d.Focus == id || (d.Focus == "" && id == first) {
		return " autofocus"
	}
	return ""
}

// Invalid marks a field at fault and ties it to its message.
func (d counterData) Invalid(id string) template.HTMLAttr {
	if _, ok := d.Errs[id]; !ok {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="err-` + template.HTMLEscapeString(id) + `"`)
}

// V is a value typed into the form (for showing it again).
func (d counterData) V(name string) string { return d.Form.Get(name) }

// Err is the message for a field ("" when it is fine).
func (d counterData) Err(id string) string { return d.Errs[id] }

// ReturnChosen is the return method to show selected: the one typed, or
// the procedure's first.
func (d counterData) ReturnChosen() string {
	if m := d.Form.Get("return_method"); m != "" {
		return m
	}
	if d.P != nil && len(d.P.ReturnMethods) > 0 {
		return d.P.ReturnMethods[0]
	}
	return ""
}

// DecisionChosen is the decision to show selected (accept by default).
func (d counterData) DecisionChosen() string {
	if v := d.Form.Get("decision"); v != "" {
		return v
	}
	return "accept"
}

// mayFile: p may submit dossiers received by agency (the API's own
// policy; the API decides again on submission).
func mayFile(p auth.Principal, agency string) bool {
	return auth.Authorize(p, auth.Submit, auth.Facts{ReceivingAgency: agency}) == nil
}

// counterProcedures are the procedures matching q (the API searches
// without diacritics) that the officer's agency receives.
func (c *Console) counterProcedures(r *http.Request, q string) ([]procedureView, error) {
	var procs struct {
		Items []procedureView `json:"items"`
	}
	if err := c.get(r, "/v1/procedures?"+url.Values{"q": {q}}.Encode(), &procs); err != nil {
		return nil, err
	}
	who := sessionOf(r).who
	var out []procedureView
	for _, p := range procs.Items {
		if p.IntakeAgency != "" && mayFile(who, p.IntakeAgency) && who.Role == auth.RoleIntakeOfficer {
			out = append(out, p)
		}
	}
	return out, nil
}

// newFormToken is the form's Idempotency-Key: sending the same form twice
// (a double Enter, a reload) files one dossier.
func newFormToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "counter-" + hex.EncodeToString(b)
}

// counterPage is the picker, and with ?procedure= the intake form.
func (c *Console) counterPage(w http.ResponseWriter, r *http.Request) {
	who := sessionOf(r).who
	data := counterData{Allowed: who.Role == auth.RoleIntakeOfficer, Q: strings.TrimSpace(r.URL.Query().Get("q")),
		Form: url.Values{}, Errs: map[string]string{}}
	if !data.Allowed {
		c.render(w, r, http.StatusForbidden, "counter", "counter_title", data, "", c.lang(r).T("counter_only"))
		return
	}
	if code := r.URL.Query().Get("procedure"); code != "" {
		p, err := c.counterProcedure(r, code)
		if err != nil {
			c.render(w, r, statusOf(err), "counter", "counter_title", data, "", c.failure(r, err))
			return
		}
		data.P, data.Token = p, newFormToken()
		data.Docs = checklist(p)
		c.render(w, r, http.StatusOK, "counter", "counter_title", data, "", "")
		return
	}
	procs, err := c.counterProcedures(r, data.Q)
	failed := ""
	if err != nil {
		failed = c.failure(r, err)
	}
	data.Procedures = procs
	status := http.StatusOK
	if failed != "" {
		status = statusOf(err)
	}
	c.render(w, r, status, "counter", "counter_title", data, "", failed)
}

// counterProcedure reads the chosen procedure; one the officer's agency
// does not receive is refused as the API would refuse its submission.
func (c *Console) counterProcedure(r *http.Request, code string) (*procedureView, error) {
	var p procedureView
	if err := c.get(r, "/v1/procedures/"+url.PathEscape(code), &p); err != nil {
		return nil, err
	}
	if !mayFile(sessionOf(r).who, p.IntakeAgency) {
		return nil, &problem{Status: http.StatusForbidden, Detail: c.lang(r).T("counter_only") + " (" + p.IntakeAgency + ")"}
	}
	return &p, nil
}

// checklist is the procedure's required documents, then the optional
// other one.
func checklist(p *procedureView) []counterDoc {
	var docs []counterDoc
	for i, name := range p.RequiredDocuments {
		if i >= maxCounterDocs-1 {
			break
		}
		docs = append(docs, counterDoc{Index: i, Name: name})
	}
	return append(docs, counterDoc{Index: len(docs), Other: true})
}

// counterSubmit files the dossier. Everything the form can check is
// checked before anything is filed: the scans are uploaded (a file the API
// refuses is named beside its row), the checklist must fit the decision,
// the fee's receipt and the postal address must be there; then the
// dossier is submitted (the API's field errors are shown beside the
// fields), the fee recorded and the decision sent. Bad input re-displays
// the form with what was typed and the scans already accepted; no dossier
// is filed.
func (c *Console) counterSubmit(w http.ResponseWriter, r *http.Request) {
	l := c.lang(r)
	who := sessionOf(r).who
	data := counterData{Allowed: who.Role == auth.RoleIntakeOfficer, Errs: map[string]string{}, Form: url.Values{}}
	if !data.Allowed {
		c.render(w, r, http.StatusForbidden, "counter", "counter_title", data, "", l.T("counter_only"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCounterUpload)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		c.render(w, r, http.StatusBadRequest, "counter", "counter_title", data, "", l.T("bad_input")+": "+err.Error())
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	f := r.PostForm
	data.Form = f
	p, err := c.counterProcedure(r, f.Get("procedure"))
	if err != nil {
		c.render(w, r, statusOf(err), "counter", "counter_title", data, "", c.failure(r, err))
		return
	}
	data.P, data.Token = p, f.Get("token")
	if !strings.HasPrefix(data.Token, "counter-") || len(data.Token) > 100 {
		data.Token = newFormToken()
	}
	data.Docs = checklist(p)
	bad := func(id, msg string) {
		if _, ok := data.Errs[id]; !ok {
			data.Errs[id] = msg
		}
	}

	// The scans: each new file goes to the API now; one it refuses is
	// named beside its row, one it accepted stays with the form.
	for i := range data.Docs {
		d := &data.Docs[i]
		pre := "doc" + strconv.Itoa(d.Index) + "_"
		d.Received = f.Get(pre+"received") != ""
		if d.Other {
			d.Name = strings.TrimSpace(f.Get(pre + "name"))
		}
		if id, sum := f.Get(pre+"upload_id"), f.Get(pre+"upload_sha256"); id != "" && len(id) <= 100 && len(sum) == 64 {
			d.Upload = &pendingUpload{ID: id, SHA256: sum, FileName: f.Get(pre + "upload_file")}
		}
		up, err := c.uploadScan(r, pre+"file", d)
		switch {
		case err != nil:
			d.Upload = nil
			d.Err = c.failure(r, err)
		case up != nil:
			d.Upload = up
		}
		if d.Upload != nil {
			d.Received = true
		}
		if d.Other && d.Upload != nil && d.Name == "" {
			d.Name = strings.TrimSuffix(d.Upload.FileName, filepath.Ext(d.Upload.FileName))
		}
	}

	// The checklist against the decision.
	decision := f.Get("decision")
	var missing []string
	withScan := 0
	for i := range data.Docs {
		d := &data.Docs[i]
		switch {
		case d.Err != "":
		case d.Received && d.Upload == nil:
			d.Err = l.T("err.doc_scan")
		case !d.Received && !d.Other && decision == "accept":
			d.Err = l.T("err.doc_missing")
		}
		if !d.Received && !d.Other {
			missing = append(missing, d.Name)
		}
		if d.Upload != nil && d.Err == "" {
			withScan++
		}
		if d.Err != "" {
			bad("doc"+strconv.Itoa(d.Index), d.Err)
		}
	}
	if withScan == 0 && !slices.ContainsFunc(data.Docs, func(d counterDoc) bool { return d.Err != "" }) {
		data.Docs[0].Err = l.T("err.no_documents")
		bad("doc0", data.Docs[0].Err)
	}
	if strings.TrimSpace(f.Get("full_name")) == "" {
		bad("full_name", l.T("err.required"))
	}
	if strings.TrimSpace(f.Get("id_number")) == "" {
		bad("id_number", l.T("err.required"))
	}
	units := 0
	if p.Fee.Kind == catalog.FeePerUnit {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get("fee_units")))
		if err != nil || n < 1 {
			bad("fee_units", l.T("err.units"))
		}
		units = n
	}
	if decision == "accept" && data.FeeAtFiling() && strings.TrimSpace(f.Get("receipt_number")) == "" {
		bad("receipt_number", l.T("err.receipt"))
	}
	method := f.Get("return_method")
	if !slices.Contains(p.ReturnMethods, method) {
		bad("return_method", l.T("err.return_method"))
	}
	if method == "postal" && strings.TrimSpace(f.Get("return_address")) == "" {
		bad("return_address", l.T("err.return_address"))
	}
	consent := f.Get("notify_consent")
	if consent != "yes" && consent != "no" {
		bad("notify_consent", l.T("err.consent"))
	}
	missing = append(missing, lines(f.Get("missing"))...)
	switch decision {
	case "accept":
	case "request_supplement":
		if len(missing) == 0 {
			bad("missing", l.T("err.missing"))
		}
	case "refuse":
		if strings.TrimSpace(f.Get("note")) == "" {
			bad("note", l.T("err.refuse_note"))
		}
	default:
		bad("decision", l.T("err.decision"))
	}
	if len(data.Errs) > 0 {
		c.counterAgain(w, r, &data, "")
		return
	}

	// File it.
	var docs []map[string]any
	for _, d := range data.Docs {
		if d.Upload != nil {
			docs = append(docs, map[string]any{"name": docName(d), "sha256": d.Upload.SHA256, "upload_id": d.Upload.ID})
		}
	}
	applicant := map[string]any{"full_name": strings.TrimSpace(f.Get("full_name")), "id_number": strings.TrimSpace(f.Get("id_number")),
		"phone": strings.TrimSpace(f.Get("phone")), "email": strings.TrimSpace(f.Get("email")), "address": strings.TrimSpace(f.Get("address"))}
	notify := map[string]any{"consent": consent == "yes", "channels": []string{}}
	if consent == "yes" {
		var chans []string
		for n := 1; n <= 3; n++ {
			if ch := f.Get("notify_" + strconv.Itoa(n)); ch != "" {
				chans = append(chans, ch)
			}
		}
		notify["channels"] = chans
	}
	applicant["notify"] = notify
	body := map[string]any{"procedure_code": p.Code, "channel": "counter", "applicant": applicant, "documents": docs,
		"return_method": method}
	if method == "postal" {
		body["return_address"] = strings.TrimSpace(f.Get("return_address"))
	}
	if units > 0 {
		body["fee_units"] = units
	}
	var filed struct {
		dossierView
		LookupKey *string `json:"lookup_key"`
	}
	tok := sessionOf(r).token
	_, err = c.callWith(r, tok, http.MethodPost, "/v1/dossiers", body, &filed, http.Header{"Idempotency-Key": {data.Token}})
	if err != nil {
		var pr *problem
		if errors.As(err, &pr) && len(pr.Errors) > 0 {
			general := ""
			for _, fe := range pr.Errors {
				if id := formField(fe.Field, data.Docs); id != "" {
					bad(id, fe.Reason)
				} else {
					general = pr.Detail
				}
			}
			c.counterAgain(w, r, &data, general)
			return
		}
		c.counterAgain(w, r, &data, c.failure(r, err))
		return
	}
	code := filed.Code
	dossierPath := "/v1/dossiers/" + url.PathEscape(code)

	// The fee at the desk, then the decision. Both were checked above; a
	// refusal here (the dossier is filed) shows on the dossier's page,
	// whose forms can finish the intake.
	if decision == "accept" && filed.Fee.Amount > 0 && filed.Fee.Status != "paid" && data.FeeAtFiling() {
		pay := map[string]any{"receipt_number": strings.TrimSpace(f.Get("receipt_number")), "amount": filed.Fee.Amount}
		if _, err := c.call(r, tok, http.MethodPost, dossierPath+"/payment", pay, nil); err != nil {
			c.counterFiledButNot(w, r, code, err)
			return
		}
	}
	if filed.Status == "submitted" {
		intake := map[string]any{"decision": decision, "note": strings.TrimSpace(f.Get("note"))}
		if decision == "request_supplement" {
			intake["missing"] = missing
		}
		if _, err := c.call(r, tok, http.MethodPost, dossierPath+"/intake", intake, nil); err != nil {
			c.counterFiledButNot(w, r, code, err)
			return
		}
	}
	if filed.LookupKey != nil {
		http.SetCookie(w, &http.Cookie{Name: receiptCookie, Value: url.QueryEscape(code + " " + *filed.LookupKey),
			Path: "/console/counter", MaxAge: 3600, HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
	}
	// Post/redirect/get: a reload does not file again.
	http.Redirect(w, r, "/console/counter/"+url.PathEscape(code), http.StatusSeeOther)
}

// counterFiledButNot shows the dossier page of a dossier that was filed
// but whose fee or decision the API refused, with the API's reason: the
// page's own forms finish it.
func (c *Console) counterFiledButNot(w http.ResponseWriter, r *http.Request, code string, err error) {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		rctx.URLParams.Add("code", code)
	}
	c.showDossier(w, r, "", c.failure(r, err))
}

// counterAgain shows the form again with what was typed, the scans
// already accepted and a message beside each field at fault.
func (c *Console) counterAgain(w http.ResponseWriter, r *http.Request, data *counterData, general string) {
	l := c.lang(r)
	labels := map[string]string{"full_name": l.T("name"), "id_number": l.T("id_number"), "phone": l.T("phone"),
		"email": l.T("email"), "address": l.T("address"), "fee_units": l.T("counter_fee_units"),
		"receipt_number": l.T("receipt_number"), "return_method": l.T("return_method"),
		"return_address": l.T("counter_return_address"), "notify_consent": l.T("counter_notify"),
		"notify_1": l.T("counter_notify"), "missing": l.T("missing_items"), "note": l.T("reason"), "decision": l.T("decision")}
	order := []string{"full_name", "id_number", "phone", "email", "address"}
	for _, d := range data.Docs {
		id := "doc" + strconv.Itoa(d.Index)
		order = append(order, id)
		labels[id] = d.Name
		if d.Other {
			labels[id] = l.T("counter_other")
		}
	}
	order = append(order, "fee_units", "receipt_number", "return_method", "return_address", "notify_consent", "notify_1",
		"decision", "missing", "note")
	for _, id := range order {
		if msg, ok := data.Errs[id]; ok {
			data.ErrList = append(data.ErrList, fieldMsg{ID: id, Label: labels[id], Msg: msg})
			if data.Focus == "" {
				data.Focus = id
			}
		}
	}
	// The summary lists the fields at fault; the banner only what
	// belongs to no field.
	c.render(w, r, http.StatusUnprocessableEntity, "counter", "counter_title", data, "", general)
}

// formField is the page's field for a field the API names.
func formField(api string, docs []counterDoc) string {
	switch api {
	case "applicant.full_name":
		return "full_name"
	case "applicant.id_number":
		return "id_number"
	case "applicant.phone":
		return "phone"
	case "applicant.email":
		return "email"
	case "applicant.address":
		return "address"
	case "applicant.notify.consent":
		return "notify_consent"
	case "applicant.notify.channels":
		return "notify_1"
	case "return_method", "return_address", "fee_units":
		return api
	case "documents":
		return "doc0"
	}
	// documents[i]…: the i-th document sent is the i-th row with a scan.
	if rest, ok := strings.CutPrefix(api, "documents["); ok {
		if n, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, ']'), 0)]); err == nil {
			i := 0
			for _, d := range docs {
				if d.Upload == nil {
					continue
				}
				if i == n {
					return "doc" + strconv.Itoa(d.Index)
				}
				i++
			}
		}
	}
	return ""
}

// docName is a document's name in the dossier: the checklist's name, and
// the scan's file name.
func docName(d counterDoc) string {
	name := d.Name
	if name == "" {
		name = "document"
	}
	if d.Upload != nil && d.Upload.FileName != "" {
		name += " (" + d.Upload.FileName + ")"
	}
	if utf8.RuneCountInString(name) > 250 {
		name = string([]rune(name)[:250])
	}
	return name
}

// uploadScan uploads the row's new file, if one was chosen (nil, nil:
// none), through POST /v1/uploads as the signed-in officer.
func (c *Console) uploadScan(r *http.Request, field string, d *counterDoc) (*pendingUpload, error) {
	file, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if hdr.Filename == "" && hdr.Size == 0 {
		return nil, nil
	}
	content, err := io.ReadAll(file)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	name := d.Name
	if name == "" {
		name = strings.TrimSuffix(hdr.Filename, filepath.Ext(hdr.Filename))
	}
	up := pendingUpload{SHA256: digest, FileName: filepath.Base(hdr.Filename)}
	name = docName(counterDoc{Name: name, Upload: &up})
	var res struct {
		ID string `json:"id"`
	}
	path := "/v1/uploads?" + url.Values{"name": {name}, "sha256": {digest}}.Encode()
	if _, err := c.call(r, sessionOf(r).token, http.MethodPost, path, content, &res); err != nil {
		return nil, err
	}
	up.ID = res.ID
	return &up, nil
}

// clearReceipt forgets the receipt's lookup key (at sign-out).
func (c *Console) clearReceipt(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: receiptCookie, Value: "", Path: "/console/counter", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
}

// counterDoneData is the page after filing: what was decided and the form
// to print.
type counterDoneData struct {
	D         dossierView
	LookupKey string
	Form      string // 01, 02 or 03
}

// receiptKey is the lookup key kept for code's receipt ("" when none).
func receiptKey(r *http.Request, code string) string {
	ck, err := r.Cookie(receiptCookie)
	if err != nil {
		return ""
	}
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	c, key, ok := strings.Cut(v, " ")
	if !ok || c != code {
		return ""
	}
	return key
}

// counterDone shows the dossier just filed and its form to print: the
// receipt with the appointment and the lookup key (01), the supplement
// request (02) or the refusal (03).
func (c *Console) counterDone(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	var data counterDoneData
	if err := c.get(r, "/v1/dossiers/"+url.PathEscape(code), &data.D); err != nil {
		c.errorPage(w, r, statusOf(err), c.failure(r, err))
		return
	}
	switch data.D.Status {
	case "supplement_requested":
		data.Form = "02"
	case "refused":
		data.Form = "03"
	case "submitted":
	default:
		data.Form = "01"
		data.LookupKey = receiptKey(r, code)
	}
	c.render(w, r, http.StatusOK, "counter_done", "counter_done", data, c.lang(r).T("done"), "")
}

// counterReceipt prints form 01 with the lookup key the applicant was
// given (kept in a short-lived cookie after filing; the API checks it and
// never keeps it). The receipt without the key is issued and kept at the
// same time, so the control sheet (form 06) lists it.
func (c *Console) counterReceipt(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	path := "/v1/dossiers/" + url.PathEscape(code) + "/forms/01"
	key := receiptKey(r, code)
	if key == "" {
		c.passPDF(w, r, path)
		return
	}
	if _, err := c.call(r, sessionOf(r).token, http.MethodGet, path, nil, nil); err != nil {
		c.errorPage(w, r, statusOf(err), c.failure(r, err))
		return
	}
	c.passPDF(w, r, path+"?"+url.Values{"lookup_key": {key}}.Encode())
}

// Offers says whether the procedure may return its result by method.
func (p procedureView) Offers(method string) bool { return slices.Contains(p.ReturnMethods, method) }
