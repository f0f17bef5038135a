package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

type applicantJSON struct {
	FullName string `json:"full_name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Address  string `json:"address"`
	// Notify is the applicant's choice of notice channels and consent.
	Notify *notifyJSON `json:"notify"`
}

// notifyJSON is how the applicant wants to be notified: channels in order
// of preference, and their consent to notices on them.
type notifyJSON struct {
	Channels []string `json:"channels"`
	Consent  *bool    `json:"consent"`
}

// vnMobile is a Vietnamese mobile number (after dropping spaces, dots and
// dashes): what SMS and Zalo can reach.
var vnMobile = regexp.MustCompile(`^(0|\+?84)[35789][0-9]{8}$`)

// checkNotify validates the applicant's notice choice against the
// contacts they gave.
func checkNotify(v *dossier.Invalid, a *applicantJSON) {
	n := a.Notify
	if n == nil {
		return
	}
	if n.Consent == nil {
		v.Add("applicant.notify.consent", "is required: true to receive notices on the channels, false for none")
		return
	}
	if !*n.Consent {
		if len(n.Channels) > 0 {
			v.Add("applicant.notify.channels", "must be empty when consent is false")
		}
		return
	}
	if len(n.Channels) == 0 || len(n.Channels) > 3 {
		v.Add("applicant.notify.channels", "must list 1 to 3 of sms, zalo, email, preferred first")
		return
	}
	seen := map[string]bool{}
	for _, c := range n.Channels {
		switch {
		case seen[c]:
			v.Add("applicant.notify.channels", c+" is listed twice")
		case c == "sms" || c == "zalo":
			if !vnMobile.MatchString(strings.NewReplacer(" ", "", ".", "", "-", "").Replace(a.Phone)) {
				v.Add("applicant.phone", "must be a Vietnamese mobile number (e.g. 0912345678) to receive notices by "+c)
			}
		case c == "email":
			if a.Email == "" {
				v.Add("applicant.email", "is required to receive notices by e-mail")
			}
		default:
			v.Add("applicant.notify.channels", c+" is not a channel: sms, zalo or email")
		}
		seen[c] = true
	}
}

// documentJSON is a document in a request: by name and SHA-256, and with
// the id of its upload when its file was uploaded first (POST /v1/uploads);
// without one the document is "declared" until its file is sent.
type documentJSON struct {
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	UploadID string `json:"upload_id,omitempty"`
}

type submitRequest struct {
	ProcedureCode string         `json:"procedure_code"`
	Channel       string         `json:"channel"`
	Applicant     *applicantJSON `json:"applicant"`
	Documents     []documentJSON `json:"documents"`
	ReturnMethod  string         `json:"return_method"`
	ReturnAddress string         `json:"return_address"`
	PostalReceipt string         `json:"postal_receipt"`
	FeeUnits      *int           `json:"fee_units"`
	// ReturnArea is the administrative area (ward/commune or district code,
	// data/areas.yaml) a result sent by post goes to. Omitted when empty,
	// so the idempotency hash of submissions without it is unchanged.
	ReturnArea string `json:"return_area,omitempty"`
	// PayOnDelivery: the applicant pays the fee to the postman on delivery
	// of the result (procedures with cash_on_delivery, postal return).
	// Omitted when false, for the same reason.
	PayOnDelivery bool `json:"pay_on_delivery,omitempty"`
}

var (
	idNumber = regexp.MustCompile(`^([0-9]{9}|[0-9]{12})$`)
	sha256Re = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	phoneRe  = regexp.MustCompile(`^\+?[0-9 .-]{8,20}$`)
	emailRe  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func checkText(v *dossier.Invalid, field, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxText:
		v.Add(field, "must be at most "+itoa(maxText)+" characters")
	}
}

func (req *submitRequest) validate() error {
	var v dossier.Invalid
	checkText(&v, "procedure_code", req.ProcedureCode, true)
	if !dossier.Channel(req.Channel).Valid() {
		v.Add("channel", "must be online, counter or postal")
	}
	if req.Applicant == nil {
		v.Add("applicant", "is required")
	} else {
		a := req.Applicant
		checkText(&v, "applicant.full_name", a.FullName, true)
		if !idNumber.MatchString(a.IDNumber) {
			v.Add("applicant.id_number", "must be 9 or 12 digits (identity card or citizen ID number)")
		}
		if a.Phone != "" && !phoneRe.MatchString(a.Phone) {
			v.Add("applicant.phone", "must be a phone number of 8 to 20 digits")
		}
		if a.Email != "" && !emailRe.MatchString(a.Email) {
			v.Add("applicant.email", "must be an e-mail address")
		}
		checkText(&v, "applicant.address", a.Address, false)
		checkNotify(&v, a)
	}
	checkDocuments(&v, req.Documents)
	if !dossier.ReturnMethod(req.ReturnMethod).Valid() {
		v.Add("return_method", "must be postal, counter or electronic")
	}
	if req.ReturnMethod == string(dossier.ReturnPostal) {
		checkText(&v, "return_address", req.ReturnAddress, true)
	} else {
		checkText(&v, "return_address", req.ReturnAddress, false)
	}
	if req.Channel == string(dossier.ChannelPostal) {
		checkText(&v, "postal_receipt", req.PostalReceipt, true)
	} else {
		checkText(&v, "postal_receipt", req.PostalReceipt, false)
	}
	checkText(&v, "return_area", req.ReturnArea, false)
	if req.FeeUnits != nil && (*req.FeeUnits < 1 || *req.FeeUnits > 10000) {
		v.Add("fee_units", "must be a whole number from 1 to 10000")
	}
	return v.Err()
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req submitRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if err := req.validate(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 || !utf8.ValidString(key) {
		writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "the Idempotency-Key header must be at most 200 characters"))
		return
	}
	if key != "" {
		// Keys are the client's own: two portals that happen to use the
		// same key never see each other's dossiers.
		sub := principal(r).Subject
		key = strconv.Itoa(len(sub)) + ":" + sub + ":" + key
	}
	proc, err := s.store.Procedure(ctx, req.ProcedureCode)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "procedure_code " + req.ProcedureCode + " is not in the catalog; see GET /v1/procedures",
			Fields:  []dossier.FieldError{{Field: "procedure_code", Reason: "is not in the catalog"}}})
		return
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if !s.allow(w, r, auth.Submit, auth.Facts{ReceivingAgency: proc.IntakeAgency}) {
		return
	}
	if !proc.AllowsReturn(dossier.ReturnMethod(req.ReturnMethod)) {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "return_method " + req.ReturnMethod + " is not offered by " + proc.Code + "; it offers " + strings.Join(proc.ReturnMethods, ", "),
			Fields:  []dossier.FieldError{{Field: "return_method", Reason: "must be one of " + strings.Join(proc.ReturnMethods, ", ")}}})
		return
	}
	if err := checkPayOnDelivery(proc, req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if _, ok := s.areas.Lookup(req.ReturnArea); req.ReturnArea != "" && !ok {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "return_area " + req.ReturnArea + " is not a known administrative area (data/areas.yaml)",
			Fields:  []dossier.FieldError{{Field: "return_area", Reason: "is not a known area"}}})
		return
	}
	units := 1
	if req.FeeUnits != nil {
		units = *req.FeeUnits
	}
	// The hash covers the decoded request, so formatting and field order do
	// not make a retried request look different.
	canonical, _ := json.Marshal(req)
	hash := sha256.Sum256(canonical)
	ch := dossier.Channel(req.Channel)
	now := s.clock.Now()
	a := req.Applicant
	// The public lookup key: only its hash is kept, and the key is shown
	// once, in the 201 answer below.
	lookupKey := newLookupKey()
	rs := s.rules.At(now)
	intakeStep := s.intakeStep(ctx, proc, ch, now, rs)
	sub, err := s.store.CreateDossier(ctx, store.NewDossier{
		ProcedureCode: proc.Code, ProcedureVersion: proc.Version, AgencyCode: proc.IntakeAgency, Channel: ch,
		Applicant: store.Applicant{FullName: strings.TrimSpace(a.FullName), IDNumber: a.IDNumber, Phone: a.Phone, Email: a.Email, Address: a.Address,
			Notify: notifyChoice(a.Notify)},
		Documents: documents(req.Documents), ReturnMethod: dossier.ReturnMethod(req.ReturnMethod),
		ReturnAddress: req.ReturnAddress, PostalReceipt: req.PostalReceipt, FeeUnits: units,
		FeeAmount: proc.FeeFor(ch, units), SubmittedAt: now, Actor: actorOf(r), SubmittedBy: principal(r).Subject,
		FeeOnDelivery: req.PayOnDelivery,
		LookupKeyHash: store.HashLookupKey(lookupKey),
		Uploads:       uploadRefs("documents", req.Documents), MaxDocumentBytes: s.docs.MaxDossierBytes(),
		IntakeStep: intakeStep,
	}, key, hash[:])
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if req.ReturnArea != "" && sub.Created {
		if err := s.store.SetReturnArea(ctx, sub.Code, req.ReturnArea); err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	d, err := s.store.Dossier(ctx, sub.Code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	// Start (or find) the workflow. A retry with the same Idempotency-Key
	// after a crash between the commit above and this start lands here too
	// and starts it then.
	in := workflows.DossierInput{
		Code: d.Code, Procedure: proc, Channel: d.Channel, ReturnMethod: d.ReturnMethod,
		FeeAmount: proc.FeeFor(d.Channel, d.FeeUnits), SubmittedAt: d.SubmittedAt,
		// The rules in force at submission stay with the dossier.
		Rules:         s.rules.At(d.SubmittedAt),
		ClockOffset:   s.clock.Offset,
		PayOnDelivery: d.Fee.OnDelivery,
		IntakeStep:    d.CurrentStep,
		Features:      s.workflowFeatures(),
	}
	if d.Status != dossier.StatusSubmitted || d.Version != 1 || d.CurrentStep == nil || d.CurrentStep.Name != catalog.StepIntake {
		// A retried submission whose dossier moved on (its workflow runs
		// already, and keeps its own step).
		in.IntakeStep = nil
	}
	if !sub.Created && proc.Version != d.ProcedureVersion {
		if in.Procedure, err = s.store.ProcedureVersion(ctx, d.ProcedureCode, d.ProcedureVersion); err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		in.FeeAmount = in.Procedure.FeeFor(d.Channel, d.FeeUnits)
	}
	if err := s.startWorkflow(ctx, in); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/v1/dossiers/"+d.Code)
	view, err := s.renderWithFiles(r, d, true)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := submittedJSON{dossierJSON: view, LookupKey: &lookupKey}
	if d.ReturnMethod == dossier.ReturnPostal && req.ReturnArea != "" {
		if out.PostalSuspension, err = s.suspensionFor(ctx, req.ReturnArea, now); err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	status := http.StatusCreated
	if !sub.Created {
		status, out.LookupKey = http.StatusOK, nil
	}
	writeJSON(w, status, out)
}

// intakeStep is the intake step of an online or postal submission (its
// decision deadline and warning on the receiving agency's calendar), written
// with the submitted row and handed to the workflow (DossierInput.IntakeStep)
// so the workflow need not compute it (docs/PERFORMANCE.md). Nil at the
// counter, without an intake deadline, or when the calendar cannot answer
// (the workflow then computes it, as before, and logs why it could not).
func (s *Server) intakeStep(ctx context.Context, proc catalog.Procedure, ch dossier.Channel, now time.Time, rs rules.Rules) *dossier.CurrentStep {
	if rs.IntakeDeadline.N <= 0 || ch == dossier.ChannelCounter {
		return nil
	}
	var cal activities.WorkingTime = activities.Simulated{Speed: s.simulationSpeed}
	if s.simulationSpeed <= 0 {
		c, err := s.calendars.Load(ctx, s.store, proc.IntakeAgency)
		if err != nil {
			s.log.Warn("intake deadline left to the workflow: no calendar", "agency", proc.IntakeAgency, "error", err)
			return nil
		}
		cal = c
	}
	res, err := activities.IntakeClock(cal, activities.IntakeClockInput{From: now, Duration: rs.IntakeDeadline,
		WarningFraction: rs.WarningFraction, Agency: proc.IntakeAgency})
	if err != nil {
		s.log.Warn("intake deadline left to the workflow", "agency", proc.IntakeAgency, "error", err)
		return nil
	}
	return activities.IntakeStep(proc.IntakeAgency, res)
}

func documents(in []documentJSON) []store.Document {
	out := make([]store.Document, len(in))
	for i, d := range in {
		out[i] = store.Document{Name: d.Name, SHA256: strings.ToLower(d.SHA256)}
	}
	return out
}

func (s *Server) startWorkflow(ctx context.Context, in workflows.DossierInput) error {
	summary, details := workflowSummary(in)
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		StaticSummary:            summary,
		StaticDetails:            details,
		ID:                       in.Code,
		TaskQueue:                s.taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    workflows.InitialSearchAttributes(in),
	}, workflows.WorkflowName, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return nil // it ran and closed already: the dossier exists
	}
	if err != nil {
		return s.unavailable(err)
	}
	return nil
}

// unavailable classifies an error from PostgreSQL or Temporal: application
// errors pass through; anything else means a dependency failed, which the
// client may retry (503 with Retry-After).
func (s *Server) unavailable(err error) error {
	var e *dossier.Error
	if errors.As(err, &e) {
		return err
	}
	s.log.Warn("dependency failed", "error", err)
	return &dossier.Error{Code: dossier.EUnavailable, Message: "a service motcua depends on did not answer; retry shortly"}
}

func (s *Server) getDossier(w http.ResponseWriter, r *http.Request) {
	d, ok := s.authorizedDossier(w, r, chi.URLParam(r, "code"), auth.ReadDossier)
	if !ok {
		return
	}
	out, err := s.renderWithFiles(r, d, seesIdentityNumber(r, d))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	if err := noCursor(r); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	events, ok := s.controlSheet(w, r)
	if !ok {
		return
	}
	out := list[eventJSON]{Items: make([]eventJSON, len(events))}
	for i, e := range events {
		out.Items[i] = renderEvent(e)
	}
	writeJSON(w, http.StatusOK, out)
}

// controlSheet reads the events of the dossier in the path, answering 404
// for an unknown dossier (a known one always has its "submitted" event, so
// an empty sheet means the dossier does not exist: no second query).
func (s *Server) controlSheet(w http.ResponseWriter, r *http.Request) ([]dossier.Event, bool) {
	code := chi.URLParam(r, "code")
	if _, ok := s.authorizedDossier(w, r, code, auth.ReadDossier); !ok {
		return nil, false
	}
	events, err := s.store.Events(r.Context(), code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return nil, false
	}
	return events, true
}

// noCursor rejects a cursor on lists that fit in one page.
func noCursor(r *http.Request) error {
	if c := r.URL.Query().Get("cursor"); c != "" {
		return &dossier.Error{Code: dossier.EInvalid, Message: "cursor is not valid: this list has a single page",
			Fields: []dossier.FieldError{{Field: "cursor", Reason: "is not a cursor this list returned"}}}
	}
	return nil
}

// rowProgress is the progress as the read model's row gives it back
// (store.Dossier): only what the row keeps, its timestamp columns at
// PostgreSQL's microsecond precision (pgx sends an instant as whole
// microseconds, truncating; the JSON columns keep the instants as
// written), so an answer from the workflow's state reads exactly as one
// from the row.
func rowProgress(p dossier.Progress) dossier.Progress {
	micro := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		r := t.Truncate(time.Microsecond)
		return &r
	}
	return dossier.Progress{
		Version: p.Version, Status: p.Status, Stage: p.Stage,
		ReceivedAt: micro(p.ReceivedAt), AppointmentAt: micro(p.AppointmentAt), FinishedAt: micro(p.FinishedAt),
		ReturnedAt: micro(p.ReturnedAt), OriginalAppointmentAt: micro(p.OriginalAppointmentAt),
		Overdue: p.Overdue,
		Fee: dossier.Fee{Amount: p.Fee.Amount, Status: p.Fee.Status, PaymentRef: p.Fee.PaymentRef, PayURL: p.Fee.PayURL,
			OnDelivery: p.Fee.OnDelivery, Method: p.Fee.Method, PaidAt: micro(p.Fee.PaidAt)},
		Shipment: p.Shipment, CurrentStep: p.CurrentStep, Supplement: p.Supplement, ResultDocument: p.ResultDocument,
		Refund: p.Refund, AppointmentResets: p.AppointmentResets, ApologyRequired: p.ApologyRequired, Verdict: p.Verdict,
	}
}

// updateID makes a retried request with the same Idempotency-Key the same
// Temporal update, which the server applies once.
func updateID(r *http.Request, name string) string {
	if key := r.Header.Get("Idempotency-Key"); key != "" && len(key) <= 200 {
		return name + ":" + key
	}
	return ""
}

func (s *Server) sendUpdate(ctx context.Context, code, name, id string, arg any) error {
	_, err := s.sendUpdateState(ctx, code, name, id, arg)
	return err
}

// sendUpdateState is sendUpdate returning the workflow's answer: the
// dossier's state once the update was recorded (nil when the handler
// returned none).
func (s *Server) sendUpdateState(ctx context.Context, code, name, id string, arg any) (*workflows.State, error) {
	ctx, cancel := context.WithTimeout(ctx, s.updateTimeout)
	defer cancel()
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: code, UpdateName: name, UpdateID: id, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var state workflows.State
	if err == nil {
		err = h.Get(ctx, &state)
	}
	if err != nil {
		return nil, s.updateError(code, err)
	}
	if state.Code == "" {
		return nil, nil
	}
	return &state, nil
}

// answeredFromState are the decisions whose answer is rendered from the
// row read to authorize them and the progress the workflow returned,
// without reading the row again (issue 21: one PostgreSQL read fewer per
// decision): their transitions change nothing of the row but its progress.
var answeredFromState = map[string]bool{
	workflows.UpdateIntake: true, workflows.UpdateReview: true, workflows.UpdateApproval: true,
}

// respondAfter answers a decision on d: from d and the workflow's state
// when that is the dossier as the read model now holds it (the state's
// transitions are written before the update completes), else from a fresh
// read. A shipment's status is read again (the API records a pickup
// beside the workflow), so is a state older than d.
func (s *Server) respondAfter(w http.ResponseWriter, r *http.Request, d store.Dossier, update string, state *workflows.State) {
	if state == nil || !answeredFromState[update] || state.Code != d.Code || state.Version < d.Version || state.Shipment != nil {
		s.respondDossier(w, r, d.Code)
		return
	}
	d.Progress = rowProgress(state.Progress.Clone())
	out, err := s.renderWithFiles(r, d, seesIdentityNumber(r, d))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// updateError maps what the workflow said to application errors.
func (s *Server) updateError(code string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		msg := appErr.Message()
		switch appErr.Type() {
		case workflows.ErrStageConflict:
			return &dossier.Error{Code: dossier.EConflict, Message: msg}
		case workflows.ErrInvalidDecision:
			return &dossier.Error{Code: dossier.EInvalid, Message: msg}
		case workflows.ErrAmountMismatch, workflows.ErrNotAllowed:
			return &dossier.Error{Code: dossier.EUnprocessable, Message: msg}
		case workflows.ErrDuplicate:
			return errDuplicate
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The read model has the dossier but Temporal has no workflow, or it
		// closed: nothing more can happen to it.
		return &dossier.Error{Code: dossier.EConflict, Message: "dossier " + code + " is closed; no further action is possible"}
	}
	return s.unavailable(err)
}

// errDuplicate marks a callback that was already applied.
var errDuplicate = errors.New("duplicate")

// checkDocuments validates a list of document references.
func checkDocuments(v *dossier.Invalid, docs []documentJSON) {
	if len(docs) == 0 || len(docs) > 100 {
		v.Add("documents", "must list 1 to 100 documents")
	}
	for i, d := range docs {
		if i >= 100 {
			break
		}
		checkText(v, "documents["+itoa(i)+"].name", d.Name, true)
		if !sha256Re.MatchString(d.SHA256) {
			v.Add("documents["+itoa(i)+"].sha256", "must be 64 hexadecimal characters (a SHA-256 digest)")
		}
	}
	checkUploadIDs(v, "documents", docs)
}

// getResult is the result document's record.
func (s *Server) getResult(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	d, ok := s.authorizedDossier(w, r, code, auth.ReadDossier)
	if !ok {
		return
	}
	if d.ResultDocument == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "dossier %s has no result document yet", code))
		return
	}
	writeJSON(w, http.StatusOK, renderResult(d.ResultDocument))
}

// notifyChoice is the stored form of a validated choice (nil: none given).
func notifyChoice(n *notifyJSON) *store.NotifyChoice {
	if n == nil || n.Consent == nil {
		return nil
	}
	return &store.NotifyChoice{Channels: n.Channels, Consent: *n.Consent}
}

// checkPayOnDelivery: paying the postman on delivery needs postal return
// (400) and a procedure whose catalog entry lets the postal service collect
// its fee, with a fee to collect (422, saying where the rule comes from).
func checkPayOnDelivery(proc catalog.Procedure, req submitRequest) error {
	if !req.PayOnDelivery {
		return nil
	}
	if req.ReturnMethod != string(dossier.ReturnPostal) {
		return &dossier.Error{Code: dossier.EInvalid,
			Message: "pay_on_delivery goes with return_method postal: the postman collects the fee when he delivers the result",
			Fields:  []dossier.FieldError{{Field: "pay_on_delivery", Reason: "needs return_method postal"}}}
	}
	units := 1
	if req.FeeUnits != nil {
		units = *req.FeeUnits
	}
	switch {
	case !proc.CashOnDelivery:
		return &dossier.Error{Code: dossier.EUnprocessable,
			Message: fmt.Sprintf("procedure %s (version %d, the catalog) does not let the postal service collect its fee on delivery (cash_on_delivery, Decision 45/2016/QĐ-TTg); pay online or at the counter", proc.Code, proc.Version),
			Fields:  []dossier.FieldError{{Field: "pay_on_delivery", Reason: "is not offered by " + proc.Code}}}
	case proc.FeeFor(dossier.Channel(req.Channel), units) <= 0 && proc.Fee.Kind != catalog.FeeAssessed:
		return &dossier.Error{Code: dossier.EUnprocessable,
			Message: "there is no fee to collect on delivery for " + proc.Code + " filed " + req.Channel,
			Fields:  []dossier.FieldError{{Field: "pay_on_delivery", Reason: "no fee to collect"}}}
	}
	return nil
}
