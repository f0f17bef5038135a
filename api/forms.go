package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
	"github.com/motcua/motcua/store"
)

// FileStore keeps the files motcua issues for a dossier: the forms and the
// signed result. Put keeps a file once, under a name unique per dossier,
// and returns what is kept (the first file of that name, if one was kept
// before: an issued file never changes); Get returns a kept file with its
// content (dossier.ENotFound when none); List lists a dossier's files
// without their contents. IssuedFiles is the implementation.
type FileStore interface {
	Put(ctx context.Context, f store.IssuedFile) (store.IssuedFile, error)
	Get(ctx context.Context, dossierCode, name string) (store.IssuedFile, error)
	List(ctx context.Context, dossierCode string) ([]store.IssuedFile, error)
}

// IssuedFiles is the FileStore on the document storage: the bytes are the
// dossier's document (kind form or result: encrypted at rest, in S3 where
// production keeps documents, stored once however often they are issued
// or retried), and the issued_files record says what the file is and when
// it was issued (form 06 lists it; the verification page finds it by
// SHA-256). Records issued before the document storage held these files
// keep their bytes and are served from them.
type IssuedFiles struct {
	Store *store.Store
	Docs  *document.Service
}

// issuedKind is the document kind an issued file is stored as.
func issuedKind(kind string) string {
	if isResultKind(kind) {
		return document.KindResult
	}
	return document.KindForm
}

// Put implements FileStore: the bytes first, then the record, so a record
// always has its bytes. Two first issues of one file at once both store
// their bytes and the first record wins; the other's copy stays a
// document of the dossier that no record names (forms are rendered again
// the same way, so it is usually the same bytes and stored once).
func (f IssuedFiles) Put(ctx context.Context, file store.IssuedFile) (store.IssuedFile, error) {
	if _, err := f.Docs.Put(ctx, file.DossierCode, issuedKind(file.Kind), file.Name, file.Content); err != nil {
		return store.IssuedFile{}, err
	}
	rec, err := f.Store.PutIssuedFile(ctx, file)
	if err != nil {
		return store.IssuedFile{}, err
	}
	return f.content(ctx, rec)
}

// Get implements FileStore.
func (f IssuedFiles) Get(ctx context.Context, code, name string) (store.IssuedFile, error) {
	rec, err := f.Store.IssuedFile(ctx, code, name)
	if err != nil {
		return store.IssuedFile{}, err
	}
	return f.content(ctx, rec)
}

// content fills in rec's bytes from the document storage, unless the
// record holds them (issued before migration 00047).
func (f IssuedFiles) content(ctx context.Context, rec store.IssuedFile) (store.IssuedFile, error) {
	if rec.Content != nil {
		return rec, nil
	}
	_, b, err := f.Docs.Get(ctx, rec.DossierCode, rec.SHA256, issuedKind(rec.Kind))
	if err != nil {
		return store.IssuedFile{}, fmt.Errorf("issued file %s of dossier %s: %w", rec.Name, rec.DossierCode, err)
	}
	rec.Content = b
	return rec, nil
}

// List implements FileStore.
func (f IssuedFiles) List(ctx context.Context, code string) ([]store.IssuedFile, error) {
	return f.Store.IssuedFiles(ctx, code)
}

// formEvents are the control-sheet actions that issue each form: a form is
// for one event (the latest such event, or the one ?seq= names).
var formEvents = map[string][]string{
	forms.NumberReceipt:    {dossier.ActionIntakeAccept},
	forms.NumberSupplement: {dossier.ActionIntakeSupplement, dossier.ActionReviewSupplement},
	forms.NumberRefusal: {dossier.ActionIntakeRefuse, dossier.ActionReviewRefuse, dossier.ActionApprovalReject,
		dossier.ActionSupplementExpired},
	forms.NumberApology: {dossier.ActionApologyIssued},
	forms.NumberStopped: {dossier.ActionStopped},
	// The control sheet is issued as of any event: its last one.
	forms.NumberControlSheet: nil,
}

// formSteps say, for a 409, which step issues each form.
var formSteps = map[string]string{
	forms.NumberReceipt:    "when the dossier is received at intake",
	forms.NumberSupplement: "when a supplement is requested",
	forms.NumberRefusal:    "when the dossier is refused",
	forms.NumberApology:    "when a leader issues an apology letter with a new appointment",
	forms.NumberStopped:    "when processing is stopped",
}

// getForm serves one of a dossier's forms (01…06) as PDF, authorized like
// the dossier. The first request issues the form and keeps it; every later
// one serves the same bytes, whose SHA-256 the control sheet (form 06)
// lists.
func (s *Server) getForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code, number := chi.URLParam(r, "code"), chi.URLParam(r, "number")
	d, ok := s.authorizedDossier(w, r, code, auth.ReadDossier)
	if !ok {
		return
	}
	actions, known := formEvents[number]
	if !known {
		msg := "no form " + number + " for a dossier; its forms are 01 to 06"
		if number == forms.NumberLogbook {
			msg = "form 07 is an agency's logbook: GET /v1/agencies/{code}/logbook?from=&to="
		}
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "%s", msg))
		return
	}
	seq, err := formSeq(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	events, err := s.store.Events(ctx, code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	ev, ok := formEvent(events, actions, seq)
	if !ok {
		writeError(w, r, s.log, formNotReached(code, number, seq))
		return
	}
	key := r.URL.Query().Get("lookup_key")
	if key != "" && number != forms.NumberReceipt {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid, Message: "lookup_key is printed on the receipt (form 01) only",
			Fields: []dossier.FieldError{{Field: "lookup_key", Reason: "is for form 01 only"}}})
		return
	}
	if key != "" {
		// The key is kept only as its hash, so a receipt that prints it is
		// made for the officer who has it, checked, and never kept.
		if _, err := s.store.PublicDossier(ctx, code, store.HashLookupKey(key)); err != nil {
			writeError(w, r, s.log, dossierFieldError(err, "lookup_key", "is not this dossier's lookup key"))
			return
		}
		pdf, err := s.renderForm(ctx, d, number, ev, events, key)
		if err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		servePDF(w, fmt.Sprintf("%s-mau-%s.pdf", code, number), store.IssuedFile{Content: pdf})
		return
	}
	name := fmt.Sprintf("%s-mau-%s-%d.pdf", code, number, ev.Seq)
	f, err := s.files.Get(ctx, code, name)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		var pdf []byte
		if pdf, err = s.renderForm(ctx, d, number, ev, events, ""); err == nil {
			f, err = s.files.Put(ctx, store.IssuedFile{DossierCode: code, Name: name, Kind: "form-" + number,
				IssuedAt: ev.At, Content: pdf})
		}
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	servePDF(w, name, f)
}

// dossierFieldError turns the lookup's one not-found answer into a 400 on
// the field the caller gave.
func dossierFieldError(err error, field, reason string) error {
	if dossier.ErrorCodeOf(err) != dossier.ENotFound {
		return err
	}
	return &dossier.Error{Code: dossier.EInvalid, Message: field + " " + reason,
		Fields: []dossier.FieldError{{Field: field, Reason: reason}}}
}

// formSeq reads the optional ?seq=: the control-sheet event a form is for.
func formSeq(r *http.Request) (int, error) {
	v := r.URL.Query().Get("seq")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, &dossier.Error{Code: dossier.EInvalid, Message: "seq must be the number of a control-sheet event (1, 2, …)",
			Fields: []dossier.FieldError{{Field: "seq", Reason: "must be a whole number from 1"}}}
	}
	return n, nil
}

// formEvent finds the event a form is for: the one numbered seq, or the
// latest; only among actions (any event when actions is nil).
func formEvent(events []dossier.Event, actions []string, seq int) (dossier.Event, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if seq != 0 && e.Seq != seq {
			continue
		}
		if actions == nil {
			return e, true
		}
		for _, a := range actions {
			if e.Action == a {
				return e, true
			}
		}
		if seq != 0 {
			return dossier.Event{}, false
		}
	}
	return dossier.Event{}, false
}

func formNotReached(code, number string, seq int) error {
	if seq != 0 {
		return dossier.Errorf(dossier.EConflict, "event %d of dossier %s does not issue form %s; form %s is issued %s",
			seq, code, number, number, formSteps[number])
	}
	if number == forms.NumberControlSheet {
		return dossier.Errorf(dossier.ENotFound, "dossier %s has no control sheet yet", code)
	}
	return dossier.Errorf(dossier.EConflict, "dossier %s never reached the step that issues form %s: it is issued %s",
		code, number, formSteps[number])
}

// servePDF writes an issued file; its ETag is its SHA-256.
func servePDF(w http.ResponseWriter, name string, f store.IssuedFile) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Content)))
	if f.SHA256 != "" {
		w.Header().Set("ETag", `"`+f.SHA256+`"`)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Content)
}

// renderForm makes form number of dossier d for event ev.
func (s *Server) renderForm(ctx context.Context, d store.Dossier, number string, ev dossier.Event, events []dossier.Event, lookupKey string) ([]byte, error) {
	base, err := s.formDossier(ctx, d)
	if err != nil {
		return nil, err
	}
	switch number {
	case forms.NumberReceipt:
		appt := d.OriginalAppointmentAt
		if appt == nil {
			appt = d.AppointmentAt
		}
		docs := make([]string, len(d.Documents))
		for i, doc := range d.Documents {
			docs[i] = doc.Name
		}
		r := forms.Receipt{Dossier: base, Documents: docs, ReceivedAt: ev.At, ReturnMethod: forms.ReturnWords(string(d.ReturnMethod)),
			Fee: d.Fee.Amount, Officer: ev.Actor, LookupKey: lookupKey, TrackURL: s.trackURL(d.Code)}
		if appt != nil {
			r.AppointmentAt = *appt
		}
		return forms.Receipt01(r)
	case forms.NumberSupplement:
		note, missing := splitMissing(ev.Note)
		due, err := s.supplementDue(ctx, d, ev)
		if err != nil {
			return nil, err
		}
		return forms.Supplement02(forms.SupplementRequest{Dossier: base, RequestedAt: ev.At, DueAt: due,
			Missing: missing, Note: note, Officer: ev.Actor})
	case forms.NumberRefusal:
		return forms.Refusal03(forms.Refusal{Dossier: base, At: ev.At, Reasons: ev.Note, Officer: ev.Actor})
	case forms.NumberApology:
		reason, old, next := splitApology(ev.Note)
		return forms.Apology04(forms.Apology{Dossier: base, At: ev.At, OldAppointment: old, NewAppointment: next,
			Reason: reason, Signer: ev.Actor})
	case forms.NumberStopped:
		return forms.Stopped05(forms.StopNotice{Dossier: base, At: ev.At, Reason: ev.Note, Signer: ev.Actor})
	}
	issued, err := s.files.List(ctx, d.Code)
	if err != nil {
		return nil, err
	}
	return forms.Control06(controlSheet(base, d, events, ev, issued))
}

// formDossier is what every form says about d.
func (s *Server) formDossier(ctx context.Context, d store.Dossier) (forms.Dossier, error) {
	agency, err := s.store.AgencyName(ctx, d.AgencyCode)
	if err != nil {
		return forms.Dossier{}, err
	}
	proc, err := s.procedureVersion(ctx, d.ProcedureCode, d.ProcedureVersion)
	if err != nil {
		return forms.Dossier{}, err
	}
	name := proc.NameVI
	if name == "" {
		name = proc.Name
	}
	return forms.Dossier{Code: d.Code, Agency: agency, Procedure: name, Applicant: d.Applicant.FullName,
		Address: d.Applicant.Address, Phone: d.Applicant.Phone}, nil
}

// trackURL is what the receipt's QR code opens: the tracking page with the
// dossier's code filled in (never the lookup key).
func (s *Server) trackURL(code string) string {
	return s.publicURL + "/track?code=" + code
}

// splitMissing reads a supplement request's note as the workflow writes
// it: "[note — ]missing: a; b".
func splitMissing(note string) (string, []string) {
	i := strings.LastIndex(note, "missing: ")
	if i < 0 {
		return note, nil
	}
	return strings.TrimSuffix(note[:i], " — "), strings.Split(note[i+len("missing: "):], "; ")
}

// splitApology reads an apology's note as the workflow writes it:
// "reason — appointment moved from HH:MM dd/MM/yyyy to HH:MM dd/MM/yyyy".
func splitApology(note string) (reason string, old, next time.Time) {
	const marker = " — appointment moved from "
	i := strings.LastIndex(note, marker)
	if i < 0 {
		return note, time.Time{}, time.Time{}
	}
	reason = note[:i]
	from, to, ok := strings.Cut(note[i+len(marker):], " to ")
	if !ok {
		return note, time.Time{}, time.Time{}
	}
	old, _ = time.ParseInLocation("15:04 02/01/2006", from, dossier.Location)
	next, _ = time.ParseInLocation("15:04 02/01/2006", to, dossier.Location)
	return reason, old, next
}

// supplementDue is the deadline of the supplement requested at ev: the
// read model's while it is outstanding, otherwise computed again the way
// the workflow did (the rules in force at submission, the agency's
// calendar).
func (s *Server) supplementDue(ctx context.Context, d store.Dossier, ev dossier.Event) (time.Time, error) {
	if sp := d.Supplement; sp != nil && sp.RequestedAt.Equal(ev.At) {
		return sp.DueAt, nil
	}
	cal, err := activities.LoadAgencyCalendar(ctx, s.store, d.AgencyCode)
	if err != nil {
		return time.Time{}, err
	}
	return cal.Due(ev.At, s.rules.At(d.SubmittedAt).SupplementDeadline, calendar.DefaultSameDayCutoff)
}

// controlSheet builds form 06 as of event last: each event a hand-over
// from whoever acted to the department (or stage) the next event shows.
func controlSheet(base forms.Dossier, d store.Dossier, events []dossier.Event, last dossier.Event, issued []store.IssuedFile) forms.ControlSheet {
	c := forms.ControlSheet{Dossier: base, ReceivedAt: d.ReceivedAt, AppointmentAt: d.OriginalAppointmentAt, AsOf: last.At}
	if c.AppointmentAt == nil {
		c.AppointmentAt = d.AppointmentAt
	}
	var shown []dossier.Event
	for _, e := range events {
		if e.Seq <= last.Seq {
			shown = append(shown, e)
		}
	}
	for i, e := range shown {
		from := e.Actor
		if e.Department != "" {
			from += " — " + e.Department
		}
		to := forms.StageWords(string(e.ToStage))
		if i+1 < len(shown) && shown[i+1].Department != "" {
			to = shown[i+1].Department
		}
		c.Rows = append(c.Rows, forms.ControlRow{At: e.At, Action: forms.ActionWords(e.Action), From: from, To: to,
			Timeliness: e.OnTime, Note: e.Note})
	}
	for _, f := range issued {
		if !strings.HasPrefix(f.Kind, "form-") || f.IssuedAt.After(last.At) {
			continue
		}
		c.Forms = append(c.Forms, forms.IssuedForm{Number: strings.TrimPrefix(f.Kind, "form-"), IssuedAt: f.IssuedAt, SHA256: f.SHA256})
	}
	return c
}

// maxLogbookDays bounds one logbook: a year of dossiers at most.
const maxLogbookDays = 366

// getLogbook serves form 07, the logbook of the dossiers an agency received
// in a period of whole local days, as PDF; authorized like the reports (a
// leader reads their own agency's).
func (s *Server) getLogbook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	agency := chi.URLParam(r, "code")
	if err := narrowReport(principal(r), &agency); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	var v dossier.Invalid
	from, okFrom := parseLocalDate(q.Get("from"))
	to, okTo := parseLocalDate(q.Get("to"))
	if !okFrom {
		v.Add("from", "must be a date YYYY-MM-DD (from 2000 to 2100)")
	}
	if !okTo {
		v.Add("to", "must be a date YYYY-MM-DD (from 2000 to 2100)")
	}
	if okFrom && okTo && to.Before(from) {
		v.Add("to", "must not be before from")
	} else if okFrom && okTo && to.Sub(from) >= maxLogbookDays*24*time.Hour {
		v.Add("to", fmt.Sprintf("must be less than %d days after from", maxLogbookDays))
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	codes, err := s.store.AgencyCodes(ctx)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if !codes[agency] {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "agency %s is not in the catalog", agency))
		return
	}
	end := to.AddDate(0, 0, 1)
	rows, err := s.store.Logbook(ctx, agency, from, end)
	var name string
	if err == nil {
		name, err = s.store.AgencyName(ctx, agency)
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	book := forms.Logbook{Agency: name, From: from, To: to, IssuedAt: end.Add(-time.Second)}
	for _, row := range rows {
		book.Rows = append(book.Rows, forms.LogbookRow{Code: row.Code, Applicant: row.Applicant, Procedure: row.ProcedureName,
			ReceivedAt: row.ReceivedAt, AppointmentAt: row.AppointmentAt, ReturnedAt: row.ReturnedAt,
			Status: forms.StatusWords(string(row.Status))})
	}
	pdf, err := forms.Logbook07(book)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	servePDF(w, fmt.Sprintf("so-theo-doi-%s-%s-%s.pdf", agency, from.Format(time.DateOnly), to.Format(time.DateOnly)),
		store.IssuedFile{Content: pdf})
}
