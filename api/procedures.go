package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/catalog"
)

func (s *Server) listProcedures(w http.ResponseWriter, r *http.Request) {
	if err := noCursor(r); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	procs, err := s.store.Procedures(r.Context())
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if procs == nil {
		procs = []catalog.Procedure{}
	}
	writeJSON(w, http.StatusOK, list[catalog.Procedure]{Items: procs})
}

func (s *Server) getProcedure(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Procedure(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}
