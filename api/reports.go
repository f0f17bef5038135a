package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// Reports (form II.06a): figures from the facts the recorder writes once
// from the control sheet, computed by SQL in store.Report (README, "Reports
// (form II.06a)"). Periods are whole local days (+07:00), from and to
// inclusive; a period not over is reported as of now (s.now).

const (
	maxReportYears  = 3
	minReportYear   = 2000
	maxReportYear   = 2100
	maxReportFilter = 64
)

type receivedJSON struct {
	CarriedOver int64 `json:"carried_over"`
	New         int64 `json:"new"`
	Online      int64 `json:"online"`
	Counter     int64 `json:"counter"`
	Postal      int64 `json:"postal"`
}

type resolvedJSON struct {
	Total     int64 `json:"total"`
	Early     int64 `json:"early"`
	OnTime    int64 `json:"on_time"`
	Late      int64 `json:"late"`
	Result    int64 `json:"result"`
	Refused   int64 `json:"refused"`
	Withdrawn int64 `json:"withdrawn"`
	Stopped   int64 `json:"stopped"`
}

type pendingJSON struct {
	Total   int64 `json:"total"`
	NotDue  int64 `json:"not_due"`
	Overdue int64 `json:"overdue"`
}

type figuresJSON struct {
	Received   receivedJSON `json:"received"`
	Resolved   resolvedJSON `json:"resolved"`
	Pending    pendingJSON  `json:"pending"`
	OnTimeRate *float64     `json:"on_time_rate"`
}

func renderFigures(f store.ReportFigures) figuresJSON {
	return figuresJSON{
		Received:   receivedJSON(f.Received),
		Resolved:   resolvedJSON(f.Resolved),
		Pending:    pendingJSON(f.Pending),
		OnTimeRate: f.OnTimeRate(),
	}
}

type reportSummaryJSON struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Agency    *string `json:"agency"`
	Procedure *string `json:"procedure"`
	reportFiltersJSON
	figuresJSON
	// AwaitingIntake is reported beside the form, not in its received.
	AwaitingIntake *store.AwaitingIntake `json:"awaiting_intake,omitempty"`
}

// reportFiltersJSON are the filters added with issue 16 (omitted when not
// used, so earlier answers are unchanged).
type reportFiltersJSON struct {
	Sector     *string `json:"sector,omitempty"`
	Channel    *string `json:"channel,omitempty"`
	Department *string `json:"department,omitempty"`
}

func filtersJSON(f store.ReportFilter) reportFiltersJSON {
	return reportFiltersJSON{Sector: optionalFilter(f.Sector), Channel: optionalFilter(f.Channel),
		Department: optionalFilter(f.Department)}
}

type reportGroupJSON struct {
	Key string `json:"key"`
	figuresJSON
}

type reportGroupedJSON struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Agency    *string `json:"agency"`
	Procedure *string `json:"procedure"`
	reportFiltersJSON
	GroupBy    string            `json:"group_by"`
	Items      []reportGroupJSON `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

type reportMonthJSON struct {
	Month string `json:"month"`
	figuresJSON
}

type reportMonthlyJSON struct {
	Year      int     `json:"year"`
	Agency    *string `json:"agency"`
	Procedure *string `json:"procedure"`
	reportFiltersJSON
	Items      []reportMonthJSON `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

// summaryQuery is a checked summary request.
type summaryQuery struct {
	from, to time.Time // local dates; the period is [from, to+1 day)
	filter   store.ReportFilter
}

func (q summaryQuery) period() store.ReportPeriod {
	return store.ReportPeriod{Start: q.from, End: q.to.AddDate(0, 0, 1)}
}

// parseLocalDate reads YYYY-MM-DD as local midnight (+07:00).
func parseLocalDate(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, dossier.Location)
	if err != nil || t.Format(time.DateOnly) != s || t.Year() < minReportYear || t.Year() > maxReportYear {
		return time.Time{}, false
	}
	return t, true
}

func checkReportFilters(v *dossier.Invalid, r *http.Request) store.ReportFilter {
	q := r.URL.Query()
	f := store.ReportFilter{Agency: q.Get("agency"), Procedure: q.Get("procedure"), Sector: q.Get("sector"),
		Channel: q.Get("channel"), Department: q.Get("department")}
	for _, c := range []struct{ name, val string }{{"agency", f.Agency}, {"procedure", f.Procedure},
		{"sector", f.Sector}, {"channel", f.Channel}, {"department", f.Department}} {
		if len(c.val) > maxReportFilter || strings.TrimSpace(c.val) != c.val {
			v.Add(c.name, fmt.Sprintf("must be a code of at most %d characters without surrounding spaces", maxReportFilter))
		}
	}
	switch dossier.Channel(f.Channel) {
	case "", dossier.ChannelOnline, dossier.ChannelCounter, dossier.ChannelPostal:
	default:
		v.Add("channel", "must be online, counter or postal")
	}
	return f
}

// checkReportVocabulary turns filters naming nothing known, and periods the
// official calendar table does not cover, into a 400 saying what to fix.
func (s *Server) checkReportVocabulary(ctx context.Context, f store.ReportFilter, from, to time.Time) error {
	voc, err := s.store.ReportVocabulary(ctx)
	if err != nil {
		return s.unavailable(err)
	}
	var v dossier.Invalid
	if _, ok := voc.Agencies[f.Agency]; f.Agency != "" && !ok {
		v.Add("agency", fmt.Sprintf("no agency %q in the catalog (GET /v1/procedures lists the receiving agencies)", f.Agency))
	}
	if _, ok := voc.Agencies[f.Department]; f.Department != "" && !ok {
		v.Add("department", fmt.Sprintf("no agency %q in the catalog", f.Department))
	}
	if f.Procedure != "" && !voc.Procedures[f.Procedure] {
		v.Add("procedure", fmt.Sprintf("no procedure %q in the catalog", f.Procedure))
	}
	if _, ok := voc.Sectors[f.Sector]; f.Sector != "" && !ok {
		v.Add("sector", fmt.Sprintf("no sector %q in the catalog's procedures", f.Sector))
	}
	if voc.FirstYear == 0 {
		v.Add("from", "the official calendar table is empty: import it first (motcua seed or PUT /v1/calendar/{year})")
	} else if from.Year() < voc.FirstYear || to.Year() > voc.LastYear {
		v.Add("from", fmt.Sprintf("the period must lie within the years the official calendar table covers, %d to %d",
			voc.FirstYear, voc.LastYear))
	}
	return v.Err()
}

func parseSummaryQuery(r *http.Request) (summaryQuery, error) {
	q := r.URL.Query()
	var v dossier.Invalid
	var out summaryQuery
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
	out.filter = checkReportFilters(&v, r)
	switch g := q.Get("group_by"); {
	case g == "" || slices.Contains(store.ReportGroupings, g):
		out.filter.GroupBy = g
	default:
		v.Add("group_by", "must be one of "+strings.Join(store.ReportGroupings, ", "))
	}
	return out, v.Err()
}

func optionalFilter(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) summaryRows(r *http.Request) (summaryQuery, []store.ReportRow, error) {
	q, err := parseSummaryQuery(r)
	if err == nil {
		err = s.narrowReport(r, &q.filter)
	}
	if err == nil {
		err = s.checkReportVocabulary(r.Context(), q.filter, q.from, q.to)
	}
	if err != nil {
		return q, nil, err
	}
	rows, err := s.store.Report(r.Context(), []store.ReportPeriod{q.period()}, q.filter, s.clock.Now())
	if err != nil {
		return q, nil, s.unavailable(err)
	}
	return q, rows, nil
}

func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	q, rows, err := s.summaryRows(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	from, to := q.from.Format(time.DateOnly), q.to.Format(time.DateOnly)
	agency, procedure := optionalFilter(q.filter.Agency), optionalFilter(q.filter.Procedure)
	if q.filter.GroupBy == "" {
		// Awaiting intake at the end of the period, or now if sooner.
		at := q.period().End
		if now := s.clock.Now(); now.Before(at) {
			at = now
		}
		waiting, err := s.store.AwaitingIntake(r.Context(), at, q.filter)
		if err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		writeJSON(w, http.StatusOK, reportSummaryJSON{From: from, To: to, Agency: agency, Procedure: procedure,
			reportFiltersJSON: filtersJSON(q.filter), figuresJSON: renderFigures(rows[0].ReportFigures), AwaitingIntake: &waiting})
		return
	}
	out := reportGroupedJSON{From: from, To: to, Agency: agency, Procedure: procedure,
		reportFiltersJSON: filtersJSON(q.filter), GroupBy: q.filter.GroupBy,
		Items: make([]reportGroupJSON, len(rows))}
	for i, row := range rows {
		out.Items[i] = reportGroupJSON{Key: row.Key, figuresJSON: renderFigures(row.ReportFigures)}
	}
	writeJSON(w, http.StatusOK, out)
}

// reportCSVHeader is the header row of summary.csv; a grouped report has
// the group's column (procedure or agency) after procedure.
var reportCSVHeader = []string{
	"received_carried_over", "received_new", "received_online", "received_counter", "received_postal",
	"resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
	"pending_total", "pending_not_due", "pending_overdue", "on_time_rate",
	"resolved_result", "resolved_refused", "resolved_withdrawn", "resolved_stopped",
}

func (s *Server) reportSummaryCSV(w http.ResponseWriter, r *http.Request) {
	q, rows, err := s.summaryRows(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	from, to := q.from.Format(time.DateOnly), q.to.Format(time.DateOnly)
	header := []string{"from", "to", "agency", "procedure"}
	if q.filter.GroupBy != "" {
		header = append(header, q.filter.GroupBy)
	}
	header = append(header, reportCSVHeader...)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.csv"`, from, to))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for _, row := range rows {
		rec := []string{from, to, q.filter.Agency, q.filter.Procedure}
		if q.filter.GroupBy != "" {
			rec = append(rec, row.Key)
		}
		f := row.ReportFigures
		for _, n := range []int64{
			f.Received.CarriedOver, f.Received.New, f.Received.Online, f.Received.Counter, f.Received.Postal,
			f.Resolved.Total, f.Resolved.Early, f.Resolved.OnTime, f.Resolved.Late,
			f.Pending.Total, f.Pending.NotDue, f.Pending.Overdue,
		} {
			rec = append(rec, strconv.FormatInt(n, 10))
		}
		rate := ""
		if p := f.OnTimeRate(); p != nil {
			rate = strconv.FormatFloat(*p, 'f', 4, 64)
		}
		rec = append(rec, rate)
		for _, n := range []int64{f.Resolved.Result, f.Resolved.Refused, f.Resolved.Withdrawn, f.Resolved.Stopped} {
			rec = append(rec, strconv.FormatInt(n, 10))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

func (s *Server) reportMonthly(w http.ResponseWriter, r *http.Request) {
	var v dossier.Invalid
	raw := r.URL.Query().Get("year")
	year, err := strconv.Atoi(raw)
	if err != nil || raw != strconv.Itoa(year) || year < minReportYear || year > maxReportYear {
		v.Add("year", fmt.Sprintf("must be a year from %d to %d", minReportYear, maxReportYear))
	}
	f := checkReportFilters(&v, r)
	err = v.Err()
	if err == nil {
		err = s.narrowReport(r, &f)
	}
	if err == nil {
		err = s.checkReportVocabulary(r.Context(), f, store.LocalDay(year, 1, 1), store.LocalDay(year, 12, 31))
	}
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	periods := make([]store.ReportPeriod, 12)
	for i := range periods {
		periods[i] = store.ReportPeriod{Start: store.LocalDay(year, time.Month(i+1), 1), End: store.LocalDay(year, time.Month(i+2), 1)}
	}
	rows, err := s.store.Report(r.Context(), periods, f, s.clock.Now())
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := reportMonthlyJSON{Year: year, Agency: optionalFilter(f.Agency), Procedure: optionalFilter(f.Procedure),
		reportFiltersJSON: filtersJSON(f), Items: make([]reportMonthJSON, len(rows))}
	for i, row := range rows {
		out.Items[i] = reportMonthJSON{Month: periods[i].Start.Format("2006-01"), figuresJSON: renderFigures(row.ReportFigures)}
	}
	writeJSON(w, http.StatusOK, out)
}
