package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
)

// ---- sign-in ----

type signinData struct {
	Dev      bool
	OIDC     bool
	Roles    []auth.Role
	Agencies []string
}

// agencies are every agency named in the catalog (intake agencies and step
// departments), read from the API as a short-lived ops principal.
func (c *Console) agencies(r *http.Request) []string {
	tok, err := c.o.DevTokens.Mint(auth.Principal{Subject: "console-signin", Role: auth.RoleOps}, time.Minute)
	if err != nil {
		return nil
	}
	var procs struct {
		Items []procedureView `json:"items"`
	}
	if _, err := c.call(r, tok, http.MethodGet, "/v1/procedures", nil, &procs); err != nil {
		c.log.Warn("console: list procedures for sign-in", "error", err)
		return nil
	}
	return agencyCodes(procs.Items)
}

// agencyCodes are the agencies the procedures name (intake and the
// departments of their steps), sorted, each once.
func agencyCodes(procs []procedureView) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range procs {
		for _, a := range append([]string{p.IntakeAgency}, p.Departments()...) {
			if a != "" && !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	d := signinData{Dev: c.o.DevTokens != nil, OIDC: c.o.OIDC != nil}
	if d.Dev {
		d.Roles = []auth.Role{auth.RoleIntakeOfficer, auth.RoleReviewer, auth.RoleLeader, auth.RoleAdmin, auth.RoleOps}
		d.Agencies = c.agencies(r)
	}
	c.render(w, r, http.StatusOK, "signin", "signin", d, "", "")
}

// devSignin mints a development token for the chosen role, agency and name
// (development only: the route exists only with a minter).
func (c *Console) devSignin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p := auth.Principal{Subject: strings.TrimSpace(r.PostForm.Get("name")), Role: auth.Role(r.PostForm.Get("role")),
		Agency: strings.TrimSpace(r.PostForm.Get("agency"))}
	if p.Role == auth.RoleOps || p.Role == auth.RoleAdmin {
		p.Agency = "" // all agencies
	}
	tok, err := c.o.DevTokens.Mint(p, sessionTTL)
	if err != nil {
		d := signinData{Dev: true, OIDC: c.o.OIDC != nil,
			Roles:    []auth.Role{auth.RoleIntakeOfficer, auth.RoleReviewer, auth.RoleLeader, auth.RoleAdmin, auth.RoleOps},
			Agencies: c.agencies(r)}
		c.render(w, r, http.StatusBadRequest, "signin", "signin", d, "", err.Error())
		return
	}
	c.setSession(w, tok, sessionTTL)
	next := "/console/inbox"
	if p.Role == auth.RoleAdmin {
		next = "/console/reports"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	c.clearSession(w)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// ---- inbox ----

type inboxData struct {
	Items      []dossierView
	Procedures []procedureView
	Stages     []string
	Channels   []string
	Q          url.Values
	Next       string
	First      string
}

// endOfWeek is Sunday 24:00 local of the week of now.
func endOfWeek(now time.Time) time.Time {
	t := now.In(dossier.Location)
	days := (7 - int(t.Weekday())) % 7
	y, m, d := t.Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, dossier.Location)
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"stage", "procedure", "channel", "q", "cursor"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	if in.Get("overdue") == "true" {
		q.Set("overdue", "true")
	}
	if in.Get("week") == "true" {
		q.Set("due_before", endOfWeek(c.o.Now()).Format(time.RFC3339))
	}
	q.Set("limit", "25")
	data := inboxData{Q: in, Stages: []string{"intake", "review", "approval", "payment", "return"},
		Channels: []string{"online", "counter", "postal"}}
	var procs struct {
		Items []procedureView `json:"items"`
	}
	if err := c.get(r, "/v1/procedures", &procs); err == nil {
		data.Procedures = procs.Items
	}
	var list listView
	failed := ""
	if err := c.get(r, "/v1/dossiers?"+q.Encode(), &list); err != nil {
		failed = c.failure(r, err)
	}
	data.Items = list.Items
	if list.NextCursor != nil {
		nq := url.Values{}
		for k, v := range in {
			nq[k] = v
		}
		nq.Set("cursor", *list.NextCursor)
		data.Next = "/console/inbox?" + nq.Encode()
	}
	if in.Get("cursor") != "" {
		fq := url.Values{}
		for k, v := range in {
			fq[k] = v
		}
		fq.Del("cursor")
		data.First = "/console/inbox?" + fq.Encode()
	}
	c.render(w, r, http.StatusOK, "inbox", "inbox", data, "", failed)
}

// failure is what a failed API call shows: the API's own detail, or a
// generic line for anything else (logged).
func (c *Console) failure(r *http.Request, err error) string {
	var p *problem
	if errors.As(err, &p) {
		return p.Error()
	}
	c.log.Error("console", "path", r.URL.Path, "error", err)
	return "internal error"
}

// ---- dossier ----

type dossierData struct {
	D          dossierView
	Procedure  procedureView
	Events     []eventView
	Forms      []string
	Printable  []printable
	TemporalUI string
	Local      string // the step's due time as dd/mm/yyyy hh:mm, to start from in date fields
}

// ReturnMethods are the methods the return-method form offers: the
// procedure's, but the one the dossier already has.
func (d dossierData) ReturnMethods() []string { return otherReturnMethods(d.D, d.Procedure) }

func otherReturnMethods(d dossierView, proc procedureView) []string {
	var out []string
	for _, m := range proc.ReturnMethods {
		if m != d.ReturnMethod {
			out = append(out, m)
		}
	}
	return out
}

// Has reports whether the form is offered.
func (d dossierData) Has(form string) bool { return slices.Contains(d.Forms, form) }

// forms are the decisions p may take on d now: the stage must fit and the
// authorization policy (the API's own, auth.Authorize) must allow it. The
// API decides again when the form is sent.
func forms(p auth.Principal, d dossierView, proc procedureView) []string {
	if d.Final() {
		return nil
	}
	f := auth.Facts{ReceivingAgency: d.AgencyCode, ApprovalDepartment: proc.ApprovalDepartment(), Departments: proc.Departments()}
	if d.CurrentStep != nil {
		f.StepDepartments = d.CurrentStep.Departments
	}
	may := func(a auth.Action) bool { return auth.Authorize(p, a, f) == nil }
	pending := d.CurrentStep != nil && slices.Contains(d.CurrentStep.Pending, p.Agency)
	var out []string
	add := func(ok bool, form string) {
		if ok {
			out = append(out, form)
		}
	}
	add(d.Status == "submitted" && may(auth.Intake), "intake")
	add(d.Status == "supplement_requested" && may(auth.Supplement), "supplement")
	add(d.Stage == "review" && d.Status != "supplement_requested" && pending && may(auth.Review), "review")
	add(d.Stage == "approval" && may(auth.Approval), "approval")
	add(d.Fee.Status == "awaiting_payment" && d.Stage == "payment" && may(auth.CounterPayment), "payment")
	add(d.Status == "result_ready" && d.ReturnMethod != "electronic" && may(auth.Handover), "handover")
	inStep := d.Stage == "review" || d.Stage == "approval"
	extended := d.CurrentStep != nil && d.CurrentStep.Extended
	add(inStep && !extended && may(auth.Extension), "extension")
	add(inStep && may(auth.Apology), "apology")
	add(d.Stage == "review" && pending && may(auth.Assignment), "assignment")
	add(d.Status != "result_ready" && may(auth.Stop), "stop")
	// Before the result is ready, and only where the procedure offers
	// another method (the API refuses one it does not allow).
	add(d.FinishedAt == nil && len(otherReturnMethods(d, proc)) > 0 && may(auth.ReturnMethod), "return-method")
	// Before the fee is asked for (the API refuses later ones).
	add(d.Fee.Status == "none" && d.Fee.Amount > 0 && d.Stage != "payment" && may(auth.FeeExemption), "fee-exemption")
	return out
}

func (c *Console) dossierPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if r.URL.Query().Get("done") != "" {
		flash = c.lang(r).T("done")
	}
	c.showDossier(w, r, flash, "")
}

func (c *Console) showDossier(w http.ResponseWriter, r *http.Request, flash, failed string) {
	code := chi.URLParam(r, "code")
	var data dossierData
	if err := c.get(r, "/v1/dossiers/"+url.PathEscape(code), &data.D); err != nil {
		status := http.StatusBadGateway
		var p *problem
		if errors.As(err, &p) {
			status = p.Status
		}
		c.render(w, r, status, "error", "app", nil, "", c.failure(r, err))
		return
	}
	var events struct {
		Items []eventView `json:"items"`
	}
	if err := c.get(r, "/v1/dossiers/"+url.PathEscape(code)+"/events", &events); err != nil && failed == "" {
		failed = c.failure(r, err)
	}
	data.Events = events.Items
	data.Printable = printables(events.Items)
	_ = c.get(r, "/v1/procedures/"+url.PathEscape(data.D.ProcedureCode), &data.Procedure)
	who := sessionOf(r).who
	data.Forms = forms(who, data.D, data.Procedure)
	if who.Role == auth.RoleOps && c.o.TemporalUIURL != "" {
		ns := c.o.Namespace
		if ns == "" {
			ns = "default"
		}
		data.TemporalUI = c.o.TemporalUIURL + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(data.D.Code)
	}
	if due := data.D.StepDue(); due != nil {
		data.Local = due.In(dossier.Location).Format("02/01/2006 15:04")
	}
	status := http.StatusOK
	if failed != "" {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "dossier", "app", data, flash, failed)
}

// maxUpload bounds a multipart form with a document (the API refuses
// files over MOTCUA_DOCUMENT_MAX_FILE_BYTES itself, saying so).
const maxUpload = 32 << 20

// uploadFile uploads the form's file through the API (POST /v1/uploads) as
// the signed-in person and returns the document to name in the decision:
// name, SHA-256 and upload id. ok is false when no file was sent; a file
// the API refuses is err, a *problem with its reason.
func (c *Console) uploadFile(r *http.Request, field string) (doc map[string]any, ok bool, err error) {
	f, hdr, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	content, err := io.ReadAll(f)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	var up struct {
		ID string `json:"id"`
	}
	path := "/v1/uploads?" + url.Values{"name": {hdr.Filename}, "sha256": {digest}}.Encode()
	if _, err := c.call(r, sessionOf(r).token, http.MethodPost, path, content, &up); err != nil {
		return nil, true, err
	}
	return map[string]any{"name": hdr.Filename, "sha256": digest, "upload_id": up.ID}, true, nil
}

// documentFile sends a dossier's stored file, read through the API as the
// signed-in person (so exactly who may read the dossier may open it).
func (c *Console) documentFile(w http.ResponseWriter, r *http.Request) {
	path := "/v1/dossiers/" + url.PathEscape(chi.URLParam(r, "code")) + "/documents/" + url.PathEscape(chi.URLParam(r, "sha256"))
	rec, err := c.call(r, sessionOf(r).token, http.MethodGet, path, nil, nil)
	if err != nil {
		status := http.StatusBadGateway
		var p *problem
		if errors.As(err, &p) {
			status = p.Status
		}
		c.errorPage(w, r, status, c.failure(r, err))
		return
	}
	sendFile(w, rec)
}

// sendFile passes a file the API answered on to the browser.
func sendFile(w http.ResponseWriter, rec *recorder) {
	for _, h := range []string{"Content-Type", "Content-Disposition", "Content-Length", "ETag", "X-Content-Type-Options"} {
		if v := rec.header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.body.Bytes())
}

// localTime reads a date and time typed as dd/mm/yyyy hh:mm (a date alone
// means the end of the working day, 17:00), local time (+07:00).
func localTime(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{"02/01/2006 15:04", "2/1/2006 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, dossier.Location); err == nil {
			return &t, true
		}
	}
	if d, ok := localDay(s); ok {
		t := d.Add(17 * time.Hour)
		return &t, true
	}
	return nil, false
}

// localDay reads a date typed as dd/mm/yyyy (or yyyy-mm-dd) as local
// midnight.
func localDay(s string) (time.Time, bool) {
	for _, layout := range []string{"02/01/2006", "2/1/2006", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), dossier.Location); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// decide turns a decision form into the API's request and sends it as the
// signed-in person; the page then shows the dossier as the API answered,
// or the API's reason for refusing.
func (c *Console) decide(w http.ResponseWriter, r *http.Request) {
	code, action := chi.URLParam(r, "code"), chi.URLParam(r, "action")
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxUpload)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		c.showDossier(w, r, "", c.lang(r).T("bad_input")+": "+err.Error())
		return
	}
	f := r.PostForm
	var body map[string]any
	var bad string
	switch action {
	case "intake":
		body = map[string]any{"decision": f.Get("decision"), "note": f.Get("note")}
		if m := lines(f.Get("missing")); len(m) > 0 {
			body["missing"] = m
		}
	case "review":
		body = map[string]any{"decision": f.Get("decision"), "note": f.Get("note")}
		if m := lines(f.Get("missing")); len(m) > 0 {
			body["missing"] = m
		}
		if s := strings.TrimSpace(f.Get("assessed_fee")); s != "" {
			n, perr := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(s), 10, 64)
			if perr != nil {
				bad = "assessed_fee"
			}
			body["assessed_fee"] = n
		}
	case "approval":
		body = map[string]any{"decision": f.Get("decision"), "note": f.Get("note")}
		doc, ok, ferr := c.uploadFile(r, "result")
		switch {
		case ferr != nil:
			c.showDossier(w, r, "", c.failure(r, ferr))
			return
		case ok:
			body["result_document"] = doc
		}
	case "supplement":
		doc, ok, ferr := c.uploadFile(r, "document")
		switch {
		case ferr != nil:
			c.showDossier(w, r, "", c.failure(r, ferr))
			return
		case !ok:
			bad = "document"
		}
		body = map[string]any{"documents": []map[string]any{doc}, "note": f.Get("note")}
	case "payment":
		n, perr := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(f.Get("amount")), 10, 64)
		if perr != nil {
			bad = "amount"
		}
		body = map[string]any{"receipt_number": f.Get("receipt_number"), "amount": n}
	case "handover":
		body = map[string]any{"received_by": f.Get("received_by")}
	case "apology":
		t, ok := localTime(f.Get("new_appointment_at"))
		if !ok {
			bad = "new_appointment_at"
		}
		body = map[string]any{"reason": f.Get("reason"), "new_appointment_at": t}
	case "extension":
		t, ok := localTime(f.Get("new_due_at"))
		if !ok {
			bad = "new_due_at"
		}
		body = map[string]any{"reason": f.Get("reason"), "new_due_at": t}
	case "assignment":
		body = map[string]any{"assignee": f.Get("assignee")}
	case "stop":
		body = map[string]any{"reason": f.Get("reason")}
	case "return-method":
		body = map[string]any{"method": f.Get("method"), "reason": f.Get("reason"), "pay_on_delivery": f.Get("pay_on_delivery") == "true"}
		if a := strings.TrimSpace(f.Get("return_address")); a != "" {
			body["return_address"] = a
		}
	case "fee-exemption":
		n, perr := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(f.Get("amount")), 10, 64)
		if perr != nil {
			bad = "amount"
		}
		body = map[string]any{"amount": n, "reason": f.Get("reason"), "legal_basis": f.Get("legal_basis")}
	default:
		c.errorPage(w, r, http.StatusNotFound, c.lang(r).T("not_found"))
		return
	}
	if bad != "" {
		c.showDossier(w, r, "", fmt.Sprintf("%s: %s", c.lang(r).T("bad_input"), bad))
		return
	}
	_, err = c.call(r, sessionOf(r).token, http.MethodPost, "/v1/dossiers/"+url.PathEscape(code)+"/"+action, body, nil)
	if err != nil {
		c.showDossier(w, r, "", c.failure(r, err))
		return
	}
	// Post/redirect/get: a reload does not send the decision again.
	http.Redirect(w, r, "/console/dossiers/"+url.PathEscape(code)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
}

// ---- reports ----

type reportsData struct {
	From, To, Agency string
	// Sector, Channel and GroupBy are the other filters and the table's
	// dimension ("": none).
	Sector, Channel, GroupBy string
	// FromShown and ToShown are the period as people write dates.
	FromShown, ToShown string
	AllAgencies        bool
	Agencies           []string
	Sectors            []sectorOption
	Channels           []string
	Groupings          []string
	Summary            *figuresView
	Grouped            *groupedView
	Monthly            *monthlyView
	Chart              chart
	CSV, XLSX          string
	Logbook            string
}

// sectorOption is a sector (lĩnh vực) of the catalog, for the filter.
type sectorOption struct{ Code, Name string }

// reportFilters are the report's query parameters besides the period.
var reportFilters = []string{"agency", "sector", "channel"}

// reportQuery reads the period (dd/mm/yyyy; default this year so far), the
// filters (agency, sector, channel; a leader's own agency, always) and the
// table's dimension (group_by). from and to are the API's dates; q holds
// them and the filters, as the API takes them.
func (c *Console) reportQuery(r *http.Request) (from, to string, q url.Values, err error) {
	now := c.o.Now().In(dossier.Location)
	in := r.URL.Query()
	start, end := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, dossier.Location), now
	if s := in.Get("from"); s != "" {
		var ok bool
		if start, ok = localDay(s); !ok {
			err = fmt.Errorf("%s: %q (dd/mm/yyyy)", c.lang(r).T("bad_input"), s)
		}
	}
	if s := in.Get("to"); s != "" {
		var ok bool
		if end, ok = localDay(s); !ok {
			err = fmt.Errorf("%s: %q (dd/mm/yyyy)", c.lang(r).T("bad_input"), s)
		}
	}
	from, to = start.Format(time.DateOnly), end.Format(time.DateOnly)
	q = url.Values{"from": {from}, "to": {to}}
	for _, k := range append(reportFilters, "group_by") {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if sc := auth.ScopeOf(sessionOf(r).who); !sc.AllAgencies {
		// The API narrows a leader to their agency (or department) itself.
		q.Del("agency")
	}
	return from, to, q, err
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request) {
	from, to, q, qerr := c.reportQuery(r)
	who := sessionOf(r).who
	data := reportsData{From: from, To: to, Agency: q.Get("agency"), Sector: q.Get("sector"), Channel: q.Get("channel"),
		GroupBy: q.Get("group_by"), AllAgencies: auth.ScopeOf(who).AllAgencies,
		Channels:  []string{string(dossier.ChannelOnline), string(dossier.ChannelCounter), string(dossier.ChannelPostal)},
		Groupings: []string{"agency", "sector", "procedure", "channel", "department"}}
	if !data.AllAgencies {
		data.Agency = auth.ScopeOf(who).Agency
	}
	f, _ := localDay(from)
	t, _ := localDay(to)
	data.FromShown, data.ToShown = f.Format("02/01/2006"), t.Format("02/01/2006")
	filters := url.Values{}
	for k, v := range q {
		if k != "group_by" {
			filters[k] = v
		}
	}
	data.CSV = "/console/reports.csv?" + q.Encode()
	data.XLSX = "/console/reports.xlsx?" + q.Encode()
	data.Logbook = "/console/logbook?" + q.Encode()
	failed := ""
	if qerr != nil {
		c.render(w, r, http.StatusBadRequest, "reports", "reports", data, "", qerr.Error())
		return
	}
	var sum figuresView
	if err := c.get(r, "/v1/reports/summary?"+filters.Encode(), &sum); err != nil {
		failed = c.failure(r, err)
	} else {
		data.Summary = &sum
	}
	if failed == "" && data.GroupBy != "" {
		var g groupedView
		if err := c.get(r, "/v1/reports/summary?"+q.Encode(), &g); err != nil {
			failed = c.failure(r, err)
		} else {
			data.Grouped = &g
		}
	}
	// The monthly on-time chart for the chosen filters.
	mq := url.Values{"year": {from[:4]}}
	for _, k := range reportFilters {
		if v := filters.Get(k); v != "" {
			mq.Set(k, v)
		}
	}
	var m monthlyView
	if failed == "" {
		if err := c.get(r, "/v1/reports/monthly?"+mq.Encode(), &m); err != nil {
			failed = c.failure(r, err)
		} else {
			data.Monthly = &m
			data.Chart = monthlyChart(m, c.lang(r))
		}
	}
	var procs struct {
		Items []procedureView `json:"items"`
	}
	if err := c.get(r, "/v1/procedures", &procs); err == nil {
		if data.AllAgencies {
			data.Agencies = agencyCodes(procs.Items)
		}
		data.Sectors = sectorOptions(procs.Items)
	}
	status := http.StatusOK
	if failed != "" {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "reports", "reports", data, "", failed)
}

// sectorOptions are the catalog's sectors, by code.
func sectorOptions(procs []procedureView) []sectorOption {
	seen := map[string]bool{}
	var out []sectorOption
	for _, p := range procs {
		if p.Sector != nil && !seen[p.Sector.Code] {
			seen[p.Sector.Code] = true
			out = append(out, sectorOption{Code: p.Sector.Code, Name: p.Sector.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// reportsCSV and reportsXLSX hand over the API's exports as they are.
func (c *Console) reportsCSV(w http.ResponseWriter, r *http.Request) {
	c.reportExport(w, r, "/v1/reports/summary.csv?")
}

func (c *Console) reportsXLSX(w http.ResponseWriter, r *http.Request) {
	c.reportExport(w, r, "/v1/reports/summary.xlsx?")
}

func (c *Console) reportExport(w http.ResponseWriter, r *http.Request, path string) {
	_, _, q, err := c.reportQuery(r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rec, err := c.call(r, sessionOf(r).token, http.MethodGet, path+q.Encode(), nil, nil)
	if err != nil {
		c.errorPage(w, r, http.StatusUnprocessableEntity, c.failure(r, err))
		return
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		w.Header().Set(h, rec.header.Get(h))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.body.Bytes())
}

// chart is the monthly on-time rate as bars, laid out here so the template
// only draws (inline SVG: no script, no image files).
type chart struct {
	Bars []bar
}

type bar struct {
	X, Y, W, H  int
	Label, Rate string
	LabelX      int
	Empty       bool
}

func monthlyChart(m monthlyView, l lang) chart {
	const height, barW, gap, left = 160, 28, 12, 40
	var ch chart
	for i, it := range m.Items {
		b := bar{X: left + i*(barW+gap), W: barW, Label: it.Month[5:], Rate: l.Percent(it.OnTimeRate)}
		b.LabelX = b.X + barW/2
		if it.OnTimeRate == nil {
			b.Empty, b.H, b.Y = true, 2, 20+height-2
		} else {
			b.H = int(*it.OnTimeRate * height)
			b.Y = 20 + height - b.H
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// ---- public tracking ----

// trackResult sends the applicant the result document's file, fetched
// through the public API with the code and key posted by the download
// button of the tracking page.
func (c *Console) trackResult(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusBadRequest, "track", "track_title", trackData{}, "", err.Error())
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	path := "/v1/public/dossiers/" + url.PathEscape(code) + "/result?" + url.Values{"key": {r.PostForm.Get("key")}}.Encode()
	rec, err := c.call(r, "", http.MethodGet, path, nil, nil)
	if err != nil {
		status := http.StatusBadGateway
		var p *problem
		if errors.As(err, &p) {
			status = p.Status
		}
		c.render(w, r, status, "track", "track_title", trackData{Code: code}, "", c.failure(r, err))
		return
	}
	sendFile(w, rec)
}

type trackData struct {
	Code, Key string
	D         *publicView
	Next      string
	PayURL    string
}

func (c *Console) trackPage(w http.ResponseWriter, r *http.Request) {
	// The receipt's QR code opens this page with the code filled in; the
	// applicant types the lookup key, which the code never carries.
	code := r.URL.Query().Get("code")
	if len(code) > 100 {
		code = ""
	}
	c.render(w, r, http.StatusOK, "track", "track_title", trackData{Code: code}, "", "")
}

// nextStep is what the applicant has to do now, in the page's words.
func nextStep(d publicView) string {
	switch {
	case d.Status == "supplement_requested":
		return "next.supplement"
	case d.Fee.Status == "awaiting_payment":
		return "next.pay"
	case d.Status == "result_ready" && d.ReturnMethod == "counter":
		return "next.collect"
	case d.Status == "result_ready" && d.ReturnMethod == "postal":
		return "next.postal"
	case d.Status == "result_ready":
		return "next.electronic"
	case dossier.Status(d.Status).Final():
		return "next.closed"
	}
	return "next.wait"
}

// track looks the dossier up through the public lookup API, from the
// applicant's address, so its rate limit applies to the page too. The key
// is posted, never put in a URL (logs, history).
func (c *Console) track(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusBadRequest, "track", "track_title", trackData{}, "", err.Error())
		return
	}
	data := trackData{Code: strings.TrimSpace(r.PostForm.Get("code")), Key: ""}
	key := r.PostForm.Get("key")
	var d publicView
	path := "/v1/public/dossiers/" + url.PathEscape(data.Code) + "?" + url.Values{"key": {key}}.Encode()
	if data.Code == "" {
		path = "/v1/public/dossiers/-?" + url.Values{"key": {key}}.Encode()
	}
	_, err := c.call(r, "", http.MethodGet, path, nil, &d)
	if err != nil {
		status := http.StatusBadGateway
		var p *problem
		if errors.As(err, &p) {
			status = p.Status
		}
		c.render(w, r, status, "track", "track_title", data, "", c.failure(r, err))
		return
	}
	data.D = &d
	data.Next = nextStep(d)
	if rd := d.ResultDocument; rd != nil && rd.DownloadPath != nil {
		// The download posts the key again (a hidden field of this
		// answer, which is never cached), not in a link.
		data.Key = key
	}
	if d.Fee.PayURL != nil && d.Fee.Status == "awaiting_payment" {
		if u, err := url.Parse(*d.Fee.PayURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			data.PayURL = u.String()
		}
	}
	c.render(w, r, http.StatusOK, "track", "track_title", data, "", "")
}

// deadLetter is a notification as GET /v1/notifications lists it.
type deadLetter struct {
	Dossier   string     `json:"dossier"`
	To        string     `json:"to"`
	Agency    string     `json:"agency"`
	Template  string     `json:"template"`
	Channel   string     `json:"channel"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	FailedAt  *time.Time `json:"failed_at"`
}

// deadLetters is the ops page of notices that could not be delivered
// (GET /v1/notifications?status=failed): the API decides who may see it.
func (c *Console) deadLetters(w http.ResponseWriter, r *http.Request) {
	var v struct {
		Items []deadLetter `json:"items"`
	}
	if err := c.get(r, "/v1/notifications?status=failed&limit=200", &v); err != nil {
		c.render(w, r, http.StatusOK, "notifications", "dead_letters", nil, "", c.failure(r, err))
		return
	}
	c.render(w, r, http.StatusOK, "notifications", "dead_letters", v, "", "")
}
