package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

var (
	knownStatuses = []dossier.Status{dossier.StatusSubmitted, dossier.StatusReceived, dossier.StatusRefused,
		dossier.StatusProcessing, dossier.StatusSupplementRequested, dossier.StatusAwaitingPayment,
		dossier.StatusWithdrawn, dossier.StatusStopped, dossier.StatusResultReady, dossier.StatusReturned,
		dossier.StatusDeclined}
	knownStages = []dossier.Stage{dossier.StageIntake, dossier.StageReview, dossier.StageApproval,
		dossier.StagePayment, dossier.StageReturn, dossier.StageDone}
)

func oneOf[T ~string](v string, known []T) bool {
	for _, k := range known {
		if string(k) == v {
			return true
		}
	}
	return false
}

func joined[T ~string](known []T) string {
	s := make([]string, len(known))
	for i, k := range known {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// inboxFilter reads the query of GET /v1/dossiers.
func inboxFilter(r *http.Request) (store.InboxFilter, error) {
	q := r.URL.Query()
	f := store.InboxFilter{Limit: 50}
	var v dossier.Invalid
	for name := range q {
		switch name {
		case "status", "stage", "agency", "department", "procedure", "channel", "overdue", "due_before", "q", "limit", "cursor":
			if len(q[name]) > 1 {
				v.Add(name, "must be given at most once")
			}
		default:
			v.Add(name, "is not a parameter of this list")
		}
	}
	text := func(name string) string {
		s := q.Get(name)
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 200 {
			v.Add(name, "must be valid UTF-8 of at most 200 characters")
			return ""
		}
		// The same normal form as what is stored (see normalize).
		return nfc(s)
	}
	if s := q.Get("status"); s != "" {
		if oneOf(s, knownStatuses) {
			f.Status = dossier.Status(s)
		} else {
			v.Add("status", "must be one of "+joined(knownStatuses))
		}
	}
	if s := q.Get("stage"); s != "" {
		if oneOf(s, knownStages) {
			f.Stage = dossier.Stage(s)
		} else {
			v.Add("stage", "must be one of "+joined(knownStages))
		}
	}
	if s := q.Get("channel"); s != "" {
		if dossier.Channel(s).Valid() {
			f.Channel = dossier.Channel(s)
		} else {
			v.Add("channel", "must be online, counter or postal")
		}
	}
	f.Agency, f.Department, f.Procedure = text("agency"), text("department"), text("procedure")
	f.Query = strings.TrimSpace(text("q"))
	switch s := q.Get("overdue"); s {
	case "":
	case "true", "false":
		b := s == "true"
		f.Overdue = &b
	default:
		v.Add("overdue", "must be true or false")
	}
	if s := q.Get("due_before"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			v.Add("due_before", "must be an RFC 3339 date-time, e.g. 2026-12-01T17:00:00+07:00")
		} else {
			f.DueBefore = &t
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.InboxMaxLimit {
			v.Add("limit", "must be a whole number from 1 to 200")
		} else {
			f.Limit = n
		}
	}
	if err := v.Err(); err != nil {
		return f, err
	}
	if s := q.Get("cursor"); s != "" {
		c, err := store.DecodeInboxCursor(s)
		if err != nil {
			return f, err
		}
		f.After = c
	}
	return f, nil
}

// listDossiers is the reviewer inbox: GET /v1/dossiers.
func (s *Server) listDossiers(w http.ResponseWriter, r *http.Request) {
	f, err := inboxFilter(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	narrowInbox(principal(r), &f)
	rows, next, err := s.store.Inbox(r.Context(), f)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := list[dossierJSON]{Items: make([]dossierJSON, len(rows))}
	for i, d := range rows {
		out.Items[i] = renderDossier(d, false)
	}
	if next != nil {
		c := next.Encode()
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
}

// eventsCSVHeader is the header row of the control sheet as CSV: the JSON
// event's fields, in order.
var eventsCSVHeader = []string{"seq", "at", "action", "actor", "from_stage", "to_stage", "from_status", "to_status",
	"step", "department", "note", "on_time"}

// csvCell keeps a spreadsheet from reading text as a formula (CSV
// injection): a cell starting with = + - @ or a control character gets a
// leading apostrophe.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// getEventsCSV is the control sheet as CSV: GET /v1/dossiers/{code}/events.csv.
func (s *Server) getEventsCSV(w http.ResponseWriter, r *http.Request) {
	events, ok := s.controlSheet(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "", `\`, "").Replace(chi.URLParam(r, "code"))+`-events.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(eventsCSVHeader)
	for _, e := range events {
		_ = cw.Write([]string{
			strconv.Itoa(e.Seq), e.At.In(dossier.Location).Format(time.RFC3339Nano), csvCell(e.Action), csvCell(e.Actor),
			string(e.FromStage), string(e.ToStage), string(e.FromStatus), string(e.ToStatus),
			csvCell(e.Step), csvCell(e.Department), csvCell(e.Note), csvCell(e.OnTime),
		})
	}
	cw.Flush()
}
