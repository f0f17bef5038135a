package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// The years the holiday-table endpoints accept in their path.
const (
	minCalendarYear = 1900
	maxCalendarYear = 2200
)

// The store's kinds of calendar_days rows.
const (
	kindDayOff = "day_off"
	kindMakeUp = "make_up"
)

// maxCalendarDays bounds each list of a year; a real year has a few dozen
// entries at most.
const maxCalendarDays = 100

// maxDayName bounds a day's name, in characters.
const maxDayName = 200

type calendarDayJSON struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

type calendarYearJSON struct {
	Year       int               `json:"year"`
	Status     string            `json:"status"`
	DaysOff    []calendarDayJSON `json:"days_off"`
	MakeUpDays []calendarDayJSON `json:"make_up_days"`
}

// calendarYearRequest is the body of PUT /v1/calendar/{year}. The lists are
// pointers so that a missing list is told apart from an empty one: a
// replacement must say what it replaces with.
type calendarYearRequest struct {
	Status     string             `json:"status"`
	DaysOff    *[]calendarDayJSON `json:"days_off"`
	MakeUpDays *[]calendarDayJSON `json:"make_up_days"`
}

type appointmentStepJSON struct {
	Name  string    `json:"name"`
	DueAt time.Time `json:"due_at"`
}

type appointmentJSON struct {
	ProcedureCode string                `json:"procedure_code"`
	Channel       string                `json:"channel"`
	ReceivedAt    time.Time             `json:"received_at"`
	AppointmentAt time.Time             `json:"appointment_at"`
	Steps         []appointmentStepJSON `json:"steps"`
}

// calendarYear reads the year path parameter.
func calendarYear(r *http.Request) (int, error) {
	raw := chi.URLParam(r, "year")
	y, err := strconv.Atoi(raw)
	if err != nil || y < minCalendarYear || y > maxCalendarYear || raw != strconv.Itoa(y) {
		reason := fmt.Sprintf("must be a year from %d to %d", minCalendarYear, maxCalendarYear)
		return 0, &dossier.Error{Code: dossier.EInvalid, Message: fmt.Sprintf("year %q %s", raw, reason),
			Fields: []dossier.FieldError{{Field: "year", Reason: reason}}}
	}
	return y, nil
}

// storedYear reads one year of the holiday table back from the store; ok is
// false when the table has no entry for it.
func (s *Server) storedYear(r *http.Request, year int) (out calendarYearJSON, ok bool, err error) {
	days, err := s.store.CalendarDays(r.Context())
	if err != nil {
		return out, false, err
	}
	out = calendarYearJSON{Year: year, DaysOff: []calendarDayJSON{}, MakeUpDays: []calendarDayJSON{}}
	for _, d := range days { // oldest first
		if d.Day.Year() != year {
			continue
		}
		ok = true
		out.Status = d.YearStatus
		day := calendarDayJSON{Date: d.Day.Format(time.DateOnly), Name: d.Name}
		if d.Kind == kindMakeUp {
			out.MakeUpDays = append(out.MakeUpDays, day)
		} else {
			out.DaysOff = append(out.DaysOff, day)
		}
	}
	return out, ok, nil
}

func (s *Server) getCalendarYear(w http.ResponseWriter, r *http.Request) {
	year, err := calendarYear(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out, ok, err := s.storedYear(r, year)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if !ok {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound,
			"the holiday table has no entry for %d; PUT /v1/calendar/%d to add it", year, year))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// tableEntry finds the list and index in a calendar.NewTable error, such as
// "…: year 2031: days_off[1]: 2031-01-04 is a Saturday; …".
var tableEntry = regexp.MustCompile(`\b((?:days_off|make_up_days)\[\d+\]): (.+)$`)

// parseDays checks one list of the body and converts it. Rules that need
// the whole year (the year itself, weekdays, duplicates) are left to
// calendar.NewTable, the one place they live.
func parseDays(v *dossier.Invalid, list string, in *[]calendarDayJSON, minItems int) []calendar.Day {
	switch {
	case in == nil:
		v.Add(list, "is required")
		return nil
	case len(*in) < minItems:
		v.Add(list, fmt.Sprintf("must list at least %d day", minItems))
	case len(*in) > maxCalendarDays:
		v.Add(list, fmt.Sprintf("must list at most %d days", maxCalendarDays))
		return nil
	}
	out := make([]calendar.Day, 0, len(*in))
	for i, d := range *in {
		at := fmt.Sprintf("%s[%d]", list, i)
		date, err := calendar.ParseDate(d.Date)
		if err != nil {
			v.Add(at+".date", "must be an existing date written YYYY-MM-DD")
		}
		switch {
		case strings.TrimSpace(d.Name) == "":
			v.Add(at+".name", "is required")
		case !utf8.ValidString(d.Name):
			v.Add(at+".name", "must be valid UTF-8")
		case utf8.RuneCountInString(d.Name) > maxDayName:
			v.Add(at+".name", fmt.Sprintf("must be at most %d characters", maxDayName))
		}
		out = append(out, calendar.Day{Date: date, Name: d.Name})
	}
	return out
}

func (s *Server) putCalendarYear(w http.ResponseWriter, r *http.Request) {
	year, err := calendarYear(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var req calendarYearRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	if req.Status != calendar.StatusOfficial && req.Status != calendar.StatusProjected {
		v.Add("status", "must be official or projected")
	}
	entry := calendar.Year{Year: year, Status: req.Status,
		DaysOff:    parseDays(&v, "days_off", req.DaysOff, 1),
		MakeUpDays: parseDays(&v, "make_up_days", req.MakeUpDays, 0),
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	table, err := calendar.NewTable([]calendar.Year{entry})
	if err != nil {
		writeError(w, r, s.log, tableError(year, err))
		return
	}
	checked, _ := table.Year(year)
	var days []store.CalendarDay
	for _, d := range checked.DaysOff {
		days = append(days, store.CalendarDay{Day: d.Date.Midnight(), Kind: kindDayOff, Name: d.Name, YearStatus: checked.Status})
	}
	for _, d := range checked.MakeUpDays {
		days = append(days, store.CalendarDay{Day: d.Date.Midnight(), Kind: kindMakeUp, Name: d.Name, YearStatus: checked.Status})
	}
	if err := s.store.ReplaceCalendarYear(r.Context(), year, days); err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out, _, err := s.storedYear(r, year)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// tableError turns what calendar.NewTable refused into invalid input naming
// the offending entry's date.
func tableError(year int, err error) error {
	m := tableEntry.FindStringSubmatch(err.Error())
	if m == nil {
		return dossier.Errorf(dossier.EInvalid, "the table for %d is not valid: %s", year,
			strings.TrimPrefix(err.Error(), "calendar: holiday table: "))
	}
	field, reason := m[1]+".date", m[2]
	return &dossier.Error{Code: dossier.EInvalid, Message: "the request has invalid fields: " + field + " " + reason,
		Fields: []dossier.FieldError{{Field: field, Reason: reason}}}
}

// appointment answers what appointment a dossier would get: what a portal
// shows before the applicant files.
func (s *Server) appointment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	var v dossier.Invalid
	code := q.Get("procedure_code")
	checkText(&v, "procedure_code", code, true)
	ch := dossier.Channel(q.Get("channel"))
	if !ch.Valid() {
		v.Add("channel", "must be online, counter or postal")
	}
	receivedAt, ok := parseInstant(q.Get("received_at"))
	if !ok {
		v.Add("received_at", "must be an RFC 3339 time with an offset, such as 2026-02-13T10:00:00+07:00 (encode + as %2B)")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	proc, err := s.store.Procedure(ctx, code)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "procedure_code " + code + " is not in the catalog; see GET /v1/procedures",
			Fields:  []dossier.FieldError{{Field: "procedure_code", Reason: "is not in the catalog"}}})
		return
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	cal, err := activities.LoadAgencyCalendar(ctx, s.store, proc.IntakeAgency)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	res, err := activities.Schedule(cal, activities.ScheduleInput{ReceivedAt: receivedAt, Procedure: proc, Channel: ch})
	if err != nil {
		writeError(w, r, s.log, scheduleError(err))
		return
	}
	out := appointmentJSON{
		ProcedureCode: proc.Code, Channel: string(ch),
		ReceivedAt:    receivedAt.In(dossier.Location),
		AppointmentAt: res.AppointmentAt.In(dossier.Location),
		Steps:         make([]appointmentStepJSON, len(proc.Steps)),
	}
	for i, step := range proc.Steps {
		out.Steps[i] = appointmentStepJSON{Name: step.Name, DueAt: res.StepDueAt[i].In(dossier.Location)}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseInstant reads an RFC 3339 time with an offset. A + left unencoded in
// a query string arrives as a space, which RFC 3339 never has there: read it
// as the + it was.
func parseInstant(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil && strings.Contains(s, " ") {
		t, err = time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+"))
	}
	return t, err == nil
}

// scheduleError maps a failed computation: a year missing from the holiday
// table is the operator's to fix (422); anything else is a bug.
func scheduleError(err error) error {
	if !errors.Is(err, calendar.ErrYearNotInTable) {
		return err
	}
	var missing *calendar.YearNotInTableError
	if errors.As(err, &missing) {
		return dossier.Errorf(dossier.EUnprocessable,
			"the holiday table has no entry for %d, which this appointment reaches into; an operator must import the official table for %d (PUT /v1/calendar/%d or motcua seed --holidays FILE)",
			missing.Year, missing.Year, missing.Year)
	}
	return dossier.Errorf(dossier.EUnprocessable,
		"the holiday table has no entry for a year this appointment reaches into; an operator must import it (PUT /v1/calendar/{year})")
}
