package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// maxProcedureQuery bounds the search words of GET /v1/procedures?q=.
const maxProcedureQuery = 200

func (s *Server) listProcedures(w http.ResponseWriter, r *http.Request) {
	if err := noCursor(r); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	q := r.URL.Query().Get("q")
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxProcedureQuery {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "q must be at most " + itoa(maxProcedureQuery) + " characters of text: words of the procedure's code or name",
			Fields:  []dossier.FieldError{{Field: "q", Reason: "must be at most " + itoa(maxProcedureQuery) + " characters"}}})
		return
	}
	procs, err := s.store.Procedures(r.Context())
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	words := strings.Fields(store.SearchName(q))
	out := list[procedureJSON]{Items: []procedureJSON{}}
	for _, p := range procs {
		if matchesProcedure(p, words) {
			out.Items = append(out.Items, renderProcedure(p))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// matchesProcedure: every word occurs in the procedure's code, Vietnamese
// or English name, all compared without diacritics and case (as the
// inbox searches names), so "ly lich tu phap" finds "Cấp Phiếu lý lịch
// tư pháp…" and "lltp" finds TP-LLTP-01. No words: every procedure.
func matchesProcedure(p catalog.Procedure, words []string) bool {
	hay := store.SearchName(p.Code + " " + p.NameVI + " " + p.Name)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func (s *Server) getProcedure(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Procedure(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, renderProcedure(p))
}
