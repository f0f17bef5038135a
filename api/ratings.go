package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rating"
	"github.com/motcua/motcua/store"
)

// ratingInJSON is a satisfaction rating as the applicant sends it.
type ratingInJSON struct {
	LookupKey string   `json:"lookup_key"`
	Level     string   `json:"level"`
	Reasons   []string `json:"reasons"`
	Comment   string   `json:"comment"`
}

// ratingJSON is a rating as it was recorded.
type ratingJSON struct {
	Dossier        string    `json:"dossier"`
	Level          string    `json:"level"`
	Reasons        []string  `json:"reasons"`
	ReasonsVersion int       `json:"reasons_version"`
	Comment        *string   `json:"comment"`
	RatedAt        time.Time `json:"rated_at"`
}

func renderRating(r store.Rating) ratingJSON {
	reasons := r.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return ratingJSON{Dossier: r.DossierCode, Level: r.Level, Reasons: reasons, ReasonsVersion: r.ReasonsVersion,
		Comment: optional(r.Comment), RatedAt: r.RatedAt.In(dossier.Location)}
}

// rateDossier is POST /v1/public/dossiers/{code}/rating: the applicant's
// satisfaction rating, authorized by the lookup key in the body. A
// malformed rating is 400 naming the field; an unknown code or a wrong key
// 404 alike; a dossier not ended yet, or rated already, 409.
func (s *Server) rateDossier(w http.ResponseWriter, r *http.Request) {
	var in ratingInJSON
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	reasons, err := rating.Default()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	now := s.clock.Now()
	list := reasons.At(now)
	var v dossier.Invalid
	key := normalizeLookupKey(in.LookupKey)
	if key == "" || len(key) > 100 {
		v.Add("lookup_key", "is required: the lookup key printed on the submission receipt (at most 100 characters)")
	}
	checked, err := rating.Check(rating.Input{Level: in.Level, Reasons: in.Reasons, Comment: in.Comment}, list)
	if ce, ok := err.(*dossier.Error); ok {
		v.Fields = append(v.Fields, ce.Fields...)
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	d, err := s.store.PublicDossier(r.Context(), chi.URLParam(r, "code"), store.HashLookupKey(key))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	rt := store.Rating{DossierCode: d.Code, Level: checked.Level, Reasons: checked.Reasons,
		ReasonsVersion: list.Version, Comment: checked.Comment, RatedAt: now}
	if err := s.store.RecordRating(r.Context(), rt); err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, renderRating(rt))
}

// ratingReasons is GET /v1/public/rating-reasons: the scale and the list
// of reasons in force, for the portals' rating forms.
func (s *Server) ratingReasons(w http.ResponseWriter, r *http.Request) {
	set, err := rating.Default()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	list := set.At(s.clock.Now())
	levels := make([]map[string]string, len(rating.Levels))
	for i, l := range rating.Levels {
		levels[i] = map[string]string{"code": l, "label": rating.LevelLabel(l)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"levels": levels, "version": list.Version,
		"reasons": list.Reasons, "max_comment": rating.MaxComment})
}

// ratingQuery is a checked rating report request.
type ratingQuery struct {
	from, to time.Time // local dates; the period is [from, to+1 day)
	filter   store.RatingFilter
}

func (s *Server) parseRatingQuery(r *http.Request) (ratingQuery, error) {
	q := r.URL.Query()
	var v dossier.Invalid
	for name := range q {
		switch name {
		case "from", "to", "agency", "procedure", "department", "group_by":
			if len(q[name]) > 1 {
				v.Add(name, "must be given at most once")
			}
		default:
			v.Add(name, "is not a parameter of this report (from, to, agency, procedure, department, group_by)")
		}
	}
	var out ratingQuery
	var okFrom, okTo bool
	if out.from, okFrom = parseLocalDate(q.Get("from")); !okFrom {
		v.Add("from", "must be a date YYYY-MM-DD (from 2000 to 2100)")
	}
	if out.to, okTo = parseLocalDate(q.Get("to")); !okTo {
		v.Add("to", "must be a date YYYY-MM-DD (from 2000 to 2100)")
	}
	if okFrom && okTo {
		if out.to.Before(out.from) {
			v.Add("to", "must not be before from")
		} else if !out.to.Before(out.from.AddDate(maxReportYears, 0, 0)) {
			v.Add("to", fmt.Sprintf("must be less than %d years after from", maxReportYears))
		}
	}
	f := checkReportFilters(&v, r)
	out.filter = store.RatingFilter{Start: out.from, End: out.to.AddDate(0, 0, 1),
		Agency: f.Agency, Procedure: f.Procedure, Department: f.Department}
	switch g := q.Get("group_by"); {
	case g == "" || slices.Contains(store.RatingGroupings, g):
		out.filter.GroupBy = g
	default:
		v.Add("group_by", "must be one of "+strings.Join(store.RatingGroupings, ", "))
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	// The same scope as the on-time report: an agency's staff read their
	// agency's, a department's its own.
	scope := store.ReportFilter{Agency: out.filter.Agency, Department: out.filter.Department}
	if err := s.narrowReport(r, &scope); err != nil {
		return out, err
	}
	out.filter.Agency, out.filter.Department = scope.Agency, scope.Department
	voc, err := s.store.ReportVocabulary(r.Context())
	if err != nil {
		return out, s.unavailable(err)
	}
	if _, ok := voc.Agencies[out.filter.Agency]; out.filter.Agency != "" && !ok {
		v.Add("agency", fmt.Sprintf("no agency %q in the catalog", out.filter.Agency))
	}
	if _, ok := voc.Agencies[out.filter.Department]; out.filter.Department != "" && !ok {
		v.Add("department", fmt.Sprintf("no agency %q in the catalog", out.filter.Department))
	}
	if out.filter.Procedure != "" && !voc.Procedures[out.filter.Procedure] {
		v.Add("procedure", fmt.Sprintf("no procedure %q in the catalog", out.filter.Procedure))
	}
	return out, v.Err()
}

// ratingFiguresJSON are one group's ratings.
type ratingFiguresJSON struct {
	Key              *string          `json:"key,omitempty"`
	Total            int64            `json:"total"`
	VerySatisfied    int64            `json:"very_satisfied"`
	Satisfied        int64            `json:"satisfied"`
	NotSatisfied     int64            `json:"not_satisfied"`
	SatisfactionRate *float64         `json:"satisfaction_rate"`
	Reasons          map[string]int64 `json:"reasons"`
}

type ratingReportJSON struct {
	From       string              `json:"from"`
	To         string              `json:"to"`
	Agency     *string             `json:"agency"`
	Procedure  *string             `json:"procedure"`
	Department *string             `json:"department"`
	GroupBy    *string             `json:"group_by"`
	Items      []ratingFiguresJSON `json:"items"`
}

func renderRatingRow(row store.RatingRow, grouped bool) ratingFiguresJSON {
	out := ratingFiguresJSON{Total: row.Total, VerySatisfied: row.VerySatisfied, Satisfied: row.Satisfied,
		NotSatisfied: row.Not, SatisfactionRate: row.SatisfactionRate(), Reasons: row.Reasons}
	if grouped {
		k := row.Key
		out.Key = &k
	}
	return out
}

func (s *Server) ratingRows(r *http.Request) (ratingQuery, []store.RatingRow, error) {
	q, err := s.parseRatingQuery(r)
	if err != nil {
		return q, nil, err
	}
	rows, err := s.store.RatingReport(r.Context(), q.filter)
	if err != nil {
		return q, nil, s.unavailable(err)
	}
	return q, rows, nil
}

// reportRatings is GET /v1/reports/ratings: the satisfaction ratings given
// in a period, counted by level and reason, per agency, department,
// procedure or month (group_by).
func (s *Server) reportRatings(w http.ResponseWriter, r *http.Request) {
	q, rows, err := s.ratingRows(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := ratingReportJSON{From: q.from.Format(time.DateOnly), To: q.to.Format(time.DateOnly),
		Agency: optionalFilter(q.filter.Agency), Procedure: optionalFilter(q.filter.Procedure),
		Department: optionalFilter(q.filter.Department), GroupBy: optionalFilter(q.filter.GroupBy),
		Items: make([]ratingFiguresJSON, len(rows))}
	for i, row := range rows {
		out.Items[i] = renderRatingRow(row, q.filter.GroupBy != "")
	}
	writeJSON(w, http.StatusOK, out)
}

// reportRatingsCSV is GET /v1/reports/ratings.csv: the same figures, one
// row per group, a column per reason of every version of the list. Codes
// from the catalog are written formula-safe (csvCell).
func (s *Server) reportRatingsCSV(w http.ResponseWriter, r *http.Request) {
	q, rows, err := s.ratingRows(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	set, err := rating.Default()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	from, to := q.from.Format(time.DateOnly), q.to.Format(time.DateOnly)
	header := []string{"from", "to", "agency", "procedure", "department"}
	if q.filter.GroupBy != "" {
		header = append(header, q.filter.GroupBy)
	}
	header = append(header, "total", "very_satisfied", "satisfied", "not_satisfied", "satisfaction_rate")
	codes := set.Codes()
	for _, c := range codes {
		header = append(header, "reason_"+c)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ratings-%s-%s.csv"`, from, to))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for _, row := range rows {
		rec := []string{from, to, csvCell(q.filter.Agency), csvCell(q.filter.Procedure), csvCell(q.filter.Department)}
		if q.filter.GroupBy != "" {
			rec = append(rec, csvCell(row.Key))
		}
		for _, n := range []int64{row.Total, row.VerySatisfied, row.Satisfied, row.Not} {
			rec = append(rec, strconv.FormatInt(n, 10))
		}
		rate := ""
		if p := row.SatisfactionRate(); p != nil {
			rate = strconv.FormatFloat(*p, 'f', 4, 64)
		}
		rec = append(rec, rate)
		for _, c := range codes {
			rec = append(rec, strconv.FormatInt(row.Reasons[c], 10))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}
