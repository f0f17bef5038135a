package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// validProcedure checks a procedure against the catalog's agencies, with an
// error that says what to fix.
func (s *Server) validProcedure(r *http.Request, p catalog.Procedure) error {
	agencies, err := s.store.AgencyCodes(r.Context())
	if err != nil {
		return s.unavailable(err)
	}
	if err := p.Validate(func(code string) bool { return agencies[code] }); err != nil {
		msg := strings.TrimPrefix(err.Error(), "catalog: ")
		return &dossier.Error{Code: dossier.EInvalid, Message: msg,
			Fields: []dossier.FieldError{{Field: "procedure", Reason: msg}}}
	}
	return nil
}

// createProcedure adds a procedure to the catalog (version 1).
func (s *Server) createProcedure(w http.ResponseWriter, r *http.Request) {
	var p catalog.Procedure
	if err := decode(w, r, &p); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if err := s.validProcedure(r, p); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if _, err := s.store.Procedure(r.Context(), p.Code); err == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.EConflict,
			"procedure %s exists; change it with PUT /v1/procedures/%s (a new version)", p.Code, p.Code))
		return
	} else if dossier.ErrorCodeOf(err) != dossier.ENotFound {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	s.saveProcedure(w, r, p, http.StatusCreated)
}

// replaceProcedure publishes a new version of a procedure. Dossiers already
// received keep the version they were received under.
func (s *Server) replaceProcedure(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	var p catalog.Procedure
	if err := decode(w, r, &p); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if p.Code != code {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "code " + p.Code + " in the body differs from " + code + " in the path",
			Fields:  []dossier.FieldError{{Field: "code", Reason: "must be the code in the path"}}})
		return
	}
	if _, err := s.store.Procedure(r.Context(), code); err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if err := s.validProcedure(r, p); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.saveProcedure(w, r, p, http.StatusOK)
}

func (s *Server) saveProcedure(w http.ResponseWriter, r *http.Request, p catalog.Procedure, status int) {
	if _, err := s.store.ImportCatalog(r.Context(), &catalog.Catalog{Procedures: []catalog.Procedure{p}}); err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	saved, err := s.store.Procedure(r.Context(), p.Code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	w.Header().Set("Location", "/v1/procedures/"+p.Code)
	writeJSON(w, status, renderProcedure(saved))
}
