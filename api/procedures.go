package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
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
	out := list[procedureJSON]{Items: make([]procedureJSON, len(procs))}
	for i, p := range procs {
		out.Items[i] = renderProcedure(p)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getProcedure(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Procedure(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, renderProcedure(p))
}
