package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// suspensionJSON is postal service suspended for an area over a date range.
type suspensionJSON struct {
	ID       int64  `json:"id"`
	AreaCode string `json:"area_code"`
	AreaName string `json:"area_name"`
	From     string `json:"from"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
	// Message is what the applicant is told, in Vietnamese.
	Message string `json:"message"`
	// EndedAt and EndedBy: ops ended it (POST …/end); absent while it runs.
	EndedAt *time.Time `json:"ended_at,omitempty"`
	EndedBy string     `json:"ended_by,omitempty"`
}

type suspensionRequest struct {
	AreaCode string `json:"area_code"`
	From     string `json:"from"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
}

type suspensionCreated struct {
	suspensionJSON
	// Notified are the open dossiers returning by post there that were
	// offered counter or electronic pickup.
	Notified []string `json:"notified"`
}

func (s *Server) renderSuspension(p store.PostalSuspension) suspensionJSON {
	area, _ := s.areas.Lookup(p.AreaCode)
	from, to := p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)
	return suspensionJSON{ID: p.ID, AreaCode: p.AreaCode, AreaName: area.Name, From: from, To: to, Reason: p.Reason,
		EndedAt: p.EndedAt, EndedBy: p.EndedBy,
		Message: "Dịch vụ bưu chính tại " + area.Name + " tạm ngừng từ " + p.From.Format("02/01/2006") + " đến " +
			p.To.Format("02/01/2006") + "; có thể chọn nhận kết quả tại bộ phận một cửa hoặc bằng phương thức điện tử."}
}

// createPostalSuspension records that the postal service is suspended for
// an area (a district covers its wards and communes) and offers every open
// dossier returning by post there the other methods, through its workflow.
func (s *Server) createPostalSuspension(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req suspensionRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	checkText(&v, "area_code", req.AreaCode, true)
	checkText(&v, "reason", req.Reason, true)
	from, errF := time.ParseInLocation(time.DateOnly, req.From, dossier.Location)
	to, errT := time.ParseInLocation(time.DateOnly, req.To, dossier.Location)
	if errF != nil {
		v.Add("from", "must be a date like 2026-07-28")
	}
	if errT != nil {
		v.Add("to", "must be a date like 2026-08-15")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	area, ok := s.areas.Lookup(req.AreaCode)
	if !ok {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EUnprocessable,
			Message: "area_code " + req.AreaCode + " is not a known administrative area (the list of areas, data/areas.yaml)",
			Fields:  []dossier.FieldError{{Field: "area_code", Reason: "is not a known area"}}})
		return
	}
	if to.Before(from) {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EUnprocessable,
			Message: "the suspension ends (" + req.To + ") before it starts (" + req.From + "); both dates are included",
			Fields:  []dossier.FieldError{{Field: "to", Reason: "must not be before from"}}})
		return
	}
	p, err := s.store.CreatePostalSuspension(ctx, store.PostalSuspension{AreaCode: area.Code, From: from, To: to,
		Reason: req.Reason, CreatedBy: actorOf(r)})
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	codes, err := s.store.OpenPostalReturnsIn(ctx, s.areas.Within(area.Code))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := suspensionCreated{suspensionJSON: s.renderSuspension(p), Notified: []string{}}
	notice := workflows.PostalSuspension{Area: area.Name + " (" + area.Code + ")", From: req.From, To: req.To,
		Reason: req.Reason, Actor: actorOf(r)}
	for _, code := range codes {
		id := "postal-suspension:" + strconv.FormatInt(p.ID, 10)
		err := s.sendUpdate(ctx, code, workflows.UpdatePostalSuspension, id, notice)
		switch dossier.ErrorCodeOf(err) {
		case "":
			out.Notified = append(out.Notified, code)
		case dossier.EConflict:
			// It moved on meanwhile (shipped, finished, another method).
		default:
			s.log.Warn("postal suspension not delivered to a dossier", "dossier", code, "suspension", p.ID, "error", err)
		}
	}
	s.log.Info("postal service suspended", "area", area.Code, "from", req.From, "to", req.To, "notified", len(out.Notified))
	writeJSON(w, http.StatusCreated, out)
}

// endPostalSuspension ends a suspension before its last day (the post
// office is back): it is no longer listed nor told to new submissions. The
// dossiers already offered another method keep what their applicants chose.
func (s *Server) endPostalSuspension(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid, Message: "id must be a suspension's number, as the list gives it",
			Fields: []dossier.FieldError{{Field: "id", Reason: "is not a suspension's number"}}})
		return
	}
	p, err := s.store.EndPostalSuspension(r.Context(), id, s.clock.Now(), actorOf(r))
	switch {
	case errors.Is(err, store.ErrSuspensionNotFound), errors.Is(err, store.ErrSuspensionEnded):
		writeError(w, r, s.log, err)
		return
	case err != nil:
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	s.log.Info("postal suspension ended", "id", p.ID, "area", p.AreaCode)
	writeJSON(w, http.StatusOK, s.renderSuspension(p))
}

// listPostalSuspensions lists the suspensions not over yet (?area= one
// area's, and those of the district it lies in).
func (s *Server) listPostalSuspensions(w http.ResponseWriter, r *http.Request) {
	var areas []string
	if a := strings.TrimSpace(r.URL.Query().Get("area")); a != "" {
		areas = s.areas.Containing(a)
	}
	ps, err := s.store.PostalSuspensions(r.Context(), areas, s.clock.Now().In(dossier.Location))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := make([]suspensionJSON, len(ps))
	for i, p := range ps {
		out[i] = s.renderSuspension(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// suspensionFor is the suspension a submission returning by post to area
// is told about: the earliest not over at `at`, of the area or its district.
func (s *Server) suspensionFor(ctx context.Context, area string, at time.Time) (*suspensionJSON, error) {
	ps, err := s.store.PostalSuspensions(ctx, s.areas.Containing(area), at.In(dossier.Location))
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	j := s.renderSuspension(ps[0])
	return &j, nil
}
