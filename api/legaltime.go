package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

type supplementRequest struct {
	Documents []documentJSON `json:"documents"`
	Note      string         `json:"note"`
}

// supplement is the applicant's supplement: it resumes the legal clock.
func (s *Server) supplement(w http.ResponseWriter, r *http.Request) {
	var req supplementRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	if len(req.Documents) == 0 || len(req.Documents) > 100 {
		v.Add("documents", "must list 1 to 100 documents")
	}
	docs := make([]dossier.Document, 0, len(req.Documents))
	for i, d := range req.Documents {
		if i >= 100 {
			break
		}
		checkText(&v, "documents["+itoa(i)+"].name", d.Name, true)
		if !sha256Re.MatchString(d.SHA256) {
			v.Add("documents["+itoa(i)+"].sha256", "must be 64 hexadecimal characters (a SHA-256 digest)")
		}
		docs = append(docs, dossier.Document{Name: d.Name, SHA256: strings.ToLower(d.SHA256)})
	}
	checkText(&v, "note", req.Note, false)
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.update(w, r, chi.URLParam(r, "code"), workflows.UpdateSupplement,
		workflows.SupplementIn{Documents: docs, Note: req.Note, Actor: actorOf(r)})
}

type apologyRequest struct {
	NewAppointmentAt *time.Time `json:"new_appointment_at"`
	Reason           string     `json:"reason"`
}

// apology is a leader's apology letter (form 04) with a new appointment.
func (s *Server) apology(w http.ResponseWriter, r *http.Request) {
	var req apologyRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	if req.NewAppointmentAt == nil {
		v.Add("new_appointment_at", "is required: the new appointment, RFC 3339")
	}
	checkText(&v, "reason", req.Reason, true)
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.update(w, r, chi.URLParam(r, "code"), workflows.UpdateApology,
		workflows.Apology{NewAppointmentAt: *req.NewAppointmentAt, Reason: req.Reason, Actor: actorOf(r)})
}

type extensionRequest struct {
	NewDueAt *time.Time `json:"new_due_at"`
	Reason   string     `json:"reason"`
}

// extension is a leader's extension of the current step, once per step.
func (s *Server) extension(w http.ResponseWriter, r *http.Request) {
	var req extensionRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	if req.NewDueAt == nil {
		v.Add("new_due_at", "is required: the step's new due time, RFC 3339")
	}
	checkText(&v, "reason", req.Reason, true)
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.update(w, r, chi.URLParam(r, "code"), workflows.UpdateExtension,
		workflows.Extension{NewDueAt: *req.NewDueAt, Reason: req.Reason, Actor: actorOf(r)})
}
