package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// action is an endpoint that changes a dossier: it reads the dossier and
// asks the policy whether the caller may do a with it (404, 409, 403), decodes
// the body into Req, lets check validate it (adding field errors, or
// refusing with an error) and build the update's argument, and sends that
// update to the dossier's workflow.
func action[Req any](s *Server, a auth.Action, update string, check checkFunc[Req]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code := chi.URLParam(r, "code")
		d, ok := s.authorizedDossier(w, r, code, a)
		if !ok {
			return
		}
		arg, err := decodeChecked(w, r, check)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		state, err := s.sendUpdateState(r.Context(), code, update, updateID(r, update), arg)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		s.respondAfter(w, r, d, update, state)
	}
}

// checkFunc validates an action's decoded body (adding field errors, or
// refusing with an error) and builds the update's argument.
type checkFunc[Req any] func(r *http.Request, req *Req, v *dossier.Invalid) (any, error)

// decodeChecked decodes an action's body and checks it: everything an
// action does with its body before the workflow (the fuzz test drives it).
func decodeChecked[Req any](w http.ResponseWriter, r *http.Request, check checkFunc[Req]) (any, error) {
	var req Req
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	var v dossier.Invalid
	arg, err := check(r, &req, &v)
	if err == nil {
		err = v.Err()
	}
	return arg, err
}

// ownDepartment resolves the department a reviewer or leader acts for:
// their own agency. Naming another one is refused: staff never act on a
// step owned by an agency other than their own.
func ownDepartment(r *http.Request, named string) (string, error) {
	p := principal(r)
	if named == "" || named == p.Agency {
		return p.Agency, nil
	}
	return "", dossier.Errorf(dossier.EForbidden, "you act for your agency %s, not for %s", p.Agency, named)
}

// checkDecision validates a decision against the allowed ones.
func checkDecision(v *dossier.Invalid, decision string, allowed ...string) {
	for _, a := range allowed {
		if decision == a {
			return
		}
	}
	v.Add("decision", "must be "+strings.Join(allowed, ", "))
}

// checkMissing validates the list of what an applicant must supplement.
func checkMissing(v *dossier.Invalid, decision string, missing []string) {
	if decision != "request_supplement" {
		if len(missing) > 0 {
			v.Add("missing", "is only for request_supplement")
		}
		return
	}
	if len(missing) == 0 || len(missing) > 50 {
		v.Add("missing", "must list 1 to 50 items the applicant must supplement")
	}
	for i, m := range missing {
		if i < 50 {
			checkText(v, "missing["+itoa(i)+"]", m, true)
		}
	}
}

type intakeRequest struct {
	Decision string   `json:"decision"`
	Note     string   `json:"note"`
	Missing  []string `json:"missing"`
}

func (s *Server) intake() http.HandlerFunc {
	return action(s, auth.Intake, workflows.UpdateIntake, checkIntake)
}

func checkIntake(r *http.Request, req *intakeRequest, v *dossier.Invalid) (any, error) {
	checkDecision(v, req.Decision, "accept", "refuse", "request_supplement")
	checkText(v, "note", req.Note, req.Decision == "refuse")
	checkMissing(v, req.Decision, req.Missing)
	return workflows.IntakeDecision{Decision: req.Decision, Note: req.Note, Missing: req.Missing, Actor: actorOf(r)}, nil
}

type reviewRequest struct {
	Decision    string   `json:"decision"`
	Note        string   `json:"note"`
	Department  string   `json:"department"`
	AssessedFee *int64   `json:"assessed_fee"`
	Missing     []string `json:"missing"`
}

func (s *Server) review() http.HandlerFunc {
	return action(s, auth.Review, workflows.UpdateReview, checkReview)
}

func checkReview(r *http.Request, req *reviewRequest, v *dossier.Invalid) (any, error) {
	checkDecision(v, req.Decision, "approve", "refuse", "return", "request_supplement")
	checkText(v, "note", req.Note, req.Decision == "refuse" || req.Decision == "return")
	checkMissing(v, req.Decision, req.Missing)
	checkText(v, "department", req.Department, false)
	if req.AssessedFee != nil && *req.AssessedFee < 0 {
		v.Add("assessed_fee", "must not be negative")
	}
	dept, err := ownDepartment(r, req.Department)
	if err != nil {
		return nil, err
	}
	return workflows.ReviewDecision{Decision: req.Decision, Note: req.Note, Department: dept,
		AssessedFee: req.AssessedFee, Missing: req.Missing, Actor: actorOf(r)}, nil
}

type approvalRequest struct {
	Decision       string        `json:"decision"`
	Note           string        `json:"note"`
	ResultDocument *documentJSON `json:"result_document"`
}

func (s *Server) approval() http.HandlerFunc {
	return actionWithFiles(s, auth.Approval, workflows.UpdateApproval, document.KindResult, checkApproval,
		func(req *approvalRequest) []store.UploadRef {
			if req.ResultDocument == nil {
				return nil
			}
			return uploadRefs("result_document", []documentJSON{*req.ResultDocument})
		}, s.signApproval)
}

func checkApproval(r *http.Request, req *approvalRequest, v *dossier.Invalid) (any, error) {
	checkDecision(v, req.Decision, "approve", "reject", "return")
	checkText(v, "note", req.Note, req.Decision == "reject" || req.Decision == "return")
	d := workflows.ApprovalDecision{Decision: req.Decision, Note: req.Note, Actor: actorOf(r)}
	if rd := req.ResultDocument; rd != nil {
		checkText(v, "result_document.name", rd.Name, true)
		if !sha256Re.MatchString(rd.SHA256) {
			v.Add("result_document.sha256", "must be 64 hexadecimal characters (a SHA-256 digest)")
		}
		if len(rd.UploadID) > 100 {
			v.Add("result_document.upload_id", "must be at most 100 characters (an id POST /v1/uploads returned)")
		}
		d.ResultDocument = &dossier.Document{Name: rd.Name, SHA256: strings.ToLower(rd.SHA256)}
	}
	return d, nil
}

type handoverRequest struct {
	ReceivedBy string `json:"received_by"`
}

func (s *Server) handover() http.HandlerFunc {
	return action(s, auth.Handover, workflows.UpdateHandover, checkHandover)
}

func checkHandover(r *http.Request, req *handoverRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "received_by", req.ReceivedBy, true)
	return workflows.Handover{ReceivedBy: req.ReceivedBy, Actor: actorOf(r)}, nil
}

type supplementRequest struct {
	Documents []documentJSON `json:"documents"`
	Note      string         `json:"note"`
}

// supplement is the applicant's supplement: it resumes the legal clock.
func (s *Server) supplement() http.HandlerFunc {
	return actionWithFiles(s, auth.Supplement, workflows.UpdateSupplement, document.KindSupplement, checkSupplement,
		func(req *supplementRequest) []store.UploadRef { return uploadRefs("documents", req.Documents) }, nil)
}

func checkSupplement(r *http.Request, req *supplementRequest, v *dossier.Invalid) (any, error) {
	checkDocuments(v, req.Documents)
	checkText(v, "note", req.Note, false)
	docs := make([]dossier.Document, len(req.Documents))
	for i, d := range req.Documents {
		docs[i] = dossier.Document{Name: d.Name, SHA256: strings.ToLower(d.SHA256)}
	}
	return workflows.SupplementIn{Documents: docs, Note: req.Note, Actor: actorOf(r)}, nil
}

type apologyRequest struct {
	NewAppointmentAt *time.Time `json:"new_appointment_at"`
	Reason           string     `json:"reason"`
}

// apology is a leader's apology letter (form 04) with a new appointment.
func (s *Server) apology() http.HandlerFunc {
	return action(s, auth.Apology, workflows.UpdateApology, checkApology)
}

func checkApology(r *http.Request, req *apologyRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "reason", req.Reason, true)
	if req.NewAppointmentAt == nil {
		v.Add("new_appointment_at", "is required: the new appointment, RFC 3339")
		return nil, nil
	}
	return workflows.Apology{NewAppointmentAt: *req.NewAppointmentAt, Reason: req.Reason, Actor: actorOf(r)}, nil
}

type extensionRequest struct {
	NewDueAt *time.Time `json:"new_due_at"`
	Reason   string     `json:"reason"`
}

// extension is a leader's extension of the current step, once per step.
func (s *Server) extension() http.HandlerFunc {
	return action(s, auth.Extension, workflows.UpdateExtension, checkExtension)
}

func checkExtension(r *http.Request, req *extensionRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "reason", req.Reason, true)
	if req.NewDueAt == nil {
		v.Add("new_due_at", "is required: the step's new due time, RFC 3339")
		return nil, nil
	}
	return workflows.Extension{NewDueAt: *req.NewDueAt, Reason: req.Reason, Actor: actorOf(r)}, nil
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// withdrawal is the applicant's withdrawal, before the result is ready.
func (s *Server) withdrawal() http.HandlerFunc {
	return action(s, auth.Withdrawal, workflows.UpdateWithdrawal, checkWithdrawal)
}

func checkWithdrawal(r *http.Request, req *reasonRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "reason", req.Reason, true)
	return workflows.Withdrawal{Reason: req.Reason, Actor: actorOf(r)}, nil
}

// stop is a leader's notice of stopped processing (form 05).
func (s *Server) stop() http.HandlerFunc {
	return action(s, auth.Stop, workflows.UpdateStop, checkStop)
}

func checkStop(r *http.Request, req *reasonRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "reason", req.Reason, true)
	return workflows.Stop{Reason: req.Reason, Actor: actorOf(r)}, nil
}

type counterPaymentRequest struct {
	ReceiptNumber string `json:"receipt_number"`
	Amount        *int64 `json:"amount"`
}

// counterPayment records a fee an officer took at the counter.
func (s *Server) counterPayment() http.HandlerFunc {
	return action(s, auth.CounterPayment, workflows.UpdateCounterPayment, checkCounterPayment)
}

func checkCounterPayment(r *http.Request, req *counterPaymentRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "receipt_number", req.ReceiptNumber, true)
	if len(req.ReceiptNumber) > 100 {
		v.Add("receipt_number", "must be at most 100 characters")
	}
	if req.Amount == nil || *req.Amount < 0 {
		v.Add("amount", "is required: the amount paid, whole VND")
		return nil, nil
	}
	return workflows.CounterPayment{ReceiptNumber: req.ReceiptNumber, Amount: *req.Amount, Actor: actorOf(r)}, nil
}

type assignmentRequest struct {
	Assignee   string `json:"assignee"`
	Department string `json:"department"`
}

// assignment gives the current step to another reviewer of its department.
func (s *Server) assignment() http.HandlerFunc {
	return action(s, auth.Assignment, workflows.UpdateAssignment, checkAssignment)
}

func checkAssignment(r *http.Request, req *assignmentRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "assignee", req.Assignee, true)
	if len(req.Assignee) > 200 {
		v.Add("assignee", "must be at most 200 characters")
	}
	checkText(v, "department", req.Department, false)
	dept, err := ownDepartment(r, req.Department)
	if err != nil {
		return nil, err
	}
	return workflows.Assignment{Assignee: req.Assignee, Department: dept, Actor: actorOf(r)}, nil
}
