package api_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// The shared test database is seeded once per test binary with the shipped
// holiday table (2024–2027) and tests run in parallel: only
// TestCalendarYearReplacedAndUsed writes to the table, and only year 2031,
// which no other test uses.

// problemFields checks a problem answer and returns its field errors by field.
func problemFields(t *testing.T, res response, status int) map[string]string {
	t.Helper()
	require.Equal(t, status, res.status, string(res.body))
	require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
	p := res.json(t)
	require.Equal(t, float64(status), p["status"])
	out := map[string]string{}
	if errs, ok := p["errors"].([]any); ok {
		for _, e := range errs {
			m := e.(map[string]any)
			out[m["field"].(string)] = m["reason"].(string)
		}
	}
	return out
}

// calendarDays returns a list of the calendar answer as date → name.
func calendarDays(t *testing.T, year map[string]any, list string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range year[list].([]any) {
		m := d.(map[string]any)
		out[m["date"].(string)] = m["name"].(string)
	}
	return out
}

func TestCalendarYearFromTheShippedTable(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	y := s.must(200, "GET", "/v1/calendar/2026", nil)
	require.Equal(t, float64(2026), y["year"])
	require.Equal(t, "official", y["status"])
	off := calendarDays(t, y, "days_off")
	require.Equal(t, "Tết", off["2026-02-17"])
	require.Len(t, off, 13)
	makeUp := calendarDays(t, y, "make_up_days")
	require.Contains(t, makeUp, "2026-01-10")
	require.Len(t, makeUp, 2)
	// Oldest first.
	first := y["days_off"].([]any)[0].(map[string]any)
	require.Equal(t, "2026-01-01", first["date"])

	require.Equal(t, "projected", s.must(200, "GET", "/v1/calendar/2027", nil)["status"])

	// 2032 is in no table and no test adds it.
	res := s.call("GET", "/v1/calendar/2032", nil)
	problemFields(t, res, 404)
	require.Contains(t, res.json(t)["detail"], "2032")

	for _, bad := range []string{"1899", "2201", "abc", "02026", "-2026"} {
		fields := problemFields(t, s.call("GET", "/v1/calendar/"+bad, nil), 400)
		require.Contains(t, fields, "year", bad)
		fields = problemFields(t, s.call("PUT", "/v1/calendar/"+bad, map[string]any{
			"status": "official", "days_off": []any{map[string]any{"date": "2031-01-01", "name": "x"}}, "make_up_days": []any{}}), 400)
		require.Contains(t, fields, "year", bad)
	}
}

func TestCalendarYearReplacedAndUsed(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// Leave the shared table as it was seeded, also under -count=N.
	t.Cleanup(func() { require.NoError(t, s.store.ReplaceCalendarYear(context.Background(), 2031, nil)) })

	problemFields(t, s.call("GET", "/v1/calendar/2031", nil), 404)

	// Without the year, no appointment reaching into it can be counted.
	res := s.call("GET", appointmentPath("KH-HKD-01", "online", "2031-01-22T10:00:00+07:00"), nil)
	problemFields(t, res, 422)
	detail := res.json(t)["detail"].(string)
	require.Contains(t, detail, "2031")
	require.Contains(t, detail, "import")

	day := func(date, name string) map[string]any { return map[string]any{"date": date, "name": name} }
	year := func(daysOff, makeUp []any) map[string]any {
		return map[string]any{"status": "projected", "days_off": daysOff, "make_up_days": makeUp}
	}
	put := func(body any) response { return s.call("PUT", "/v1/calendar/2031", body) }

	// Refused, naming the field, and nothing written.
	fields := problemFields(t, put(year([]any{day("2031-01-01", "New Year"), day("2031-01-04", "Saturday")}, []any{})), 400)
	require.Contains(t, fields, "days_off[1].date")
	require.Contains(t, fields["days_off[1].date"], "Saturday")

	fields = problemFields(t, put(year([]any{day("2030-12-31", "New Year's Eve")}, []any{})), 400)
	require.Contains(t, fields["days_off[0].date"], "2030")

	fields = problemFields(t, put(year([]any{day("2031-01-01", "New Year")}, []any{day("2031-01-20", "a Monday")})), 400)
	require.Contains(t, fields, "make_up_days[0].date")

	fields = problemFields(t, put(year([]any{day("2031-01-01", "New Year"), day("2031-01-01", "again")}, []any{})), 400)
	require.Contains(t, fields["days_off[1].date"], "already listed")

	fields = problemFields(t, put(year([]any{day("2031-01-18", "Saturday")}, []any{day("2031-01-18", "Saturday")})), 400)
	require.Contains(t, fields, "days_off[0].date")

	fields = problemFields(t, put(map[string]any{"status": "draft", "days_off": []any{day("2031-02-30", ""), day("31/01/2031", "x")}}), 400)
	for _, f := range []string{"status", "days_off[0].date", "days_off[0].name", "days_off[1].date", "make_up_days"} {
		require.Contains(t, fields, f)
	}
	fields = problemFields(t, put(year([]any{}, []any{})), 400)
	require.Contains(t, fields, "days_off")
	fields = problemFields(t, put(map[string]any{"year": 2031, "status": "official", "days_off": []any{day("2031-01-01", "New Year")}, "make_up_days": []any{}}), 400)
	require.Contains(t, fields, "year")
	fields = problemFields(t, put(year([]any{map[string]any{"date": "2031-01-01", "name": "New Year", "note": "x"}}, []any{})), 400)
	require.Contains(t, fields, "note")
	problemFields(t, put("{"), 400)
	problemFields(t, s.call("GET", "/v1/calendar/2031", nil), 404)

	// A valid year, listed in any order, is stored sorted and read back.
	stored := s.must(200, "PUT", "/v1/calendar/2031", year(
		[]any{day("2031-01-24", "Tết"), day("2031-01-01", "New Year"), day("2031-01-23", "Tết")},
		[]any{day("2031-01-18", "worked in exchange for a Tết day")}))
	want := map[string]any{
		"year": float64(2031), "status": "projected",
		"days_off":     []any{day("2031-01-01", "New Year"), day("2031-01-23", "Tết"), day("2031-01-24", "Tết")},
		"make_up_days": []any{day("2031-01-18", "worked in exchange for a Tết day")},
	}
	require.Equal(t, want, stored)
	require.Equal(t, want, s.must(200, "GET", "/v1/calendar/2031", nil))

	// Appointments computed from now on count with it. KH-HKD-01 online is
	// 3 working days = 24 working hours from Wednesday 22 January 10:00:
	// 5 h that day, Thursday 23 and Friday 24 are Tết, 8 h on Monday 27,
	// 8 h on Tuesday 28, and the last 3 h on Wednesday 29 until 10:00.
	a := s.must(200, "GET", appointmentPath("KH-HKD-01", "online", "2031-01-22T10:00:00+07:00"), nil)
	require.Equal(t, "2031-01-29T10:00:00+07:00", a["appointment_at"])

	// A replacement replaces the whole year.
	replaced := s.must(200, "PUT", "/v1/calendar/2031", map[string]any{
		"status": "official", "days_off": []any{day("2031-01-01", "New Year")}, "make_up_days": []any{}})
	require.Equal(t, map[string]any{"year": float64(2031), "status": "official",
		"days_off": []any{day("2031-01-01", "New Year")}, "make_up_days": []any{}}, replaced)
	a = s.must(200, "GET", appointmentPath("KH-HKD-01", "online", "2031-01-22T10:00:00+07:00"), nil)
	require.Equal(t, "2031-01-27T10:00:00+07:00", a["appointment_at"], "no Tết any more: Wednesday + 3 working days")
}

func appointmentPath(procedure, channel, receivedAt string) string {
	q := url.Values{}
	if procedure != "" {
		q.Set("procedure_code", procedure)
	}
	if channel != "" {
		q.Set("channel", channel)
	}
	if receivedAt != "" {
		q.Set("received_at", receivedAt)
	}
	return "/v1/calendar/appointment?" + q.Encode()
}

func TestAppointmentPreview(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	steps := func(a map[string]any) map[string]string {
		out := map[string]string{}
		for _, st := range a["steps"].([]any) {
			m := st.(map[string]any)
			out[m["name"].(string)] = m["due_at"].(string)
		}
		return out
	}

	// KH-HKD-01 online: 3 working days across Tết 2026 (16–20 February).
	// From Friday 13 February 10:00: 5 h that day, 8 h on Monday 23, 8 h on
	// Tuesday 24, 3 h on Wednesday 25 until 10:00. The steps' shares (2, 16,
	// 4 and 2 working hours) run back to back.
	a := s.must(200, "GET", appointmentPath("KH-HKD-01", "online", "2026-02-13T10:00:00+07:00"), nil)
	require.Equal(t, map[string]any{
		"procedure_code": "KH-HKD-01", "channel": "online",
		"received_at": "2026-02-13T10:00:00+07:00", "appointment_at": "2026-02-25T10:00:00+07:00",
		"steps": []any{
			map[string]any{"name": "intake", "due_at": "2026-02-13T14:00:00+07:00"},
			map[string]any{"name": "review", "due_at": "2026-02-24T14:00:00+07:00"},
			map[string]any{"name": "approval", "due_at": "2026-02-25T08:00:00+07:00"},
			map[string]any{"name": "return", "due_at": "2026-02-25T10:00:00+07:00"},
		},
	}, a)
	// The same instant in UTC, and with the + left unencoded (read as a
	// space): the same answer, in +07:00.
	require.Equal(t, a, s.must(200, "GET", appointmentPath("KH-HKD-01", "online", "2026-02-13T03:00:00Z"), nil))
	require.Equal(t, a, s.must(200, "GET",
		"/v1/calendar/appointment?procedure_code=KH-HKD-01&channel=online&received_at=2026-02-13T10:00:00+07:00", nil))

	// TP-LLTP-01 at the counter: 10 working days = 80 working hours from
	// Friday 24 April 2026 14:00. Friday gives 3 h (14:00–17:00); Monday 27
	// (compensatory for Hùng Kings' day), Thursday 30 April and Friday 1 May
	// are off. Working days then: 28, 29 April, 4, 5, 6, 7, 8, 11, 12 May
	// (9 × 8 h = 72 h, 75 h in all), and the last 5 h on Wednesday 13 May:
	// 07:00–11:30 (4.5 h) and 13:30–14:00. So 13 May 14:00, the tenth working
	// day after receipt at the same clock time.
	a = s.must(200, "GET", appointmentPath("TP-LLTP-01", "counter", "2026-04-24T14:00:00+07:00"), nil)
	require.Equal(t, "2026-05-13T14:00:00+07:00", a["appointment_at"])
	require.Equal(t, "counter", a["channel"])
	require.Equal(t, "2026-05-13T14:00:00+07:00", steps(a)["return"])

	// HT-KS-01 is done the same day, by 17:00, if received by the 15:00
	// cut-off; after it, by 17:00 the next working day.
	a = s.must(200, "GET", appointmentPath("HT-KS-01", "counter", "2026-11-23T14:00:00+07:00"), nil)
	require.Equal(t, "2026-11-23T17:00:00+07:00", a["appointment_at"])
	for name, due := range steps(a) {
		require.Equal(t, "2026-11-23T17:00:00+07:00", due, name)
	}
	a = s.must(200, "GET", appointmentPath("HT-KS-01", "counter", "2026-11-23T15:30:00+07:00"), nil)
	require.Equal(t, "2026-11-24T17:00:00+07:00", a["appointment_at"])
	a = s.must(200, "GET", appointmentPath("HT-KS-01", "online", "2026-11-27T15:30:00+07:00"), nil)
	require.Equal(t, "2026-11-30T17:00:00+07:00", a["appointment_at"], "Friday after the cut-off: Monday")

	// Invalid parameters, each named.
	for name, tc := range map[string]struct {
		path  string
		field string
	}{
		"no channel":          {appointmentPath("KH-HKD-01", "", "2026-02-13T10:00:00+07:00"), "channel"},
		"unknown channel":     {appointmentPath("KH-HKD-01", "fax", "2026-02-13T10:00:00+07:00"), "channel"},
		"unknown procedure":   {appointmentPath("NO-SUCH-01", "online", "2026-02-13T10:00:00+07:00"), "procedure_code"},
		"no procedure":        {appointmentPath("", "online", "2026-02-13T10:00:00+07:00"), "procedure_code"},
		"no received_at":      {appointmentPath("KH-HKD-01", "online", ""), "received_at"},
		"no offset":           {appointmentPath("KH-HKD-01", "online", "2026-02-13T10:00:00"), "received_at"},
		"a date only":         {appointmentPath("KH-HKD-01", "online", "2026-02-13"), "received_at"},
		"not a time":          {appointmentPath("KH-HKD-01", "online", "tomorrow"), "received_at"},
		"no query parameters": {"/v1/calendar/appointment", "received_at"},
	} {
		fields := problemFields(t, s.call("GET", tc.path, nil), 400)
		require.Contains(t, fields, tc.field, name)
	}
	fields := problemFields(t, s.call("GET", "/v1/calendar/appointment", nil), 400)
	require.Len(t, fields, 3, "every missing parameter is named at once: %v", fields)

	// A year the table does not have (2033: no test adds it).
	res := s.call("GET", appointmentPath("TP-LLTP-01", "online", "2033-06-01T09:00:00+07:00"), nil)
	problemFields(t, res, 422)
	require.Contains(t, res.json(t)["detail"], "2033")
	// A deadline that runs from a covered year into one the table lacks:
	// 10 working days from 28 December 2027 reach into 2028.
	res = s.call("GET", appointmentPath("TP-LLTP-01", "online", "2027-12-28T09:00:00+07:00"), nil)
	problemFields(t, res, 422)
	require.Contains(t, res.json(t)["detail"], "2028")
}
