package calendar_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// holidayFile is the table shipped with the repository; the worked examples
// of the domain briefing are checked against it, so editing it breaks them loudly.
const holidayFile = "../data/holidays-vn.yaml"

// vnTable parses the shipped holiday table.
func vnTable(tb testing.TB) *calendar.Table {
	tb.Helper()
	data, err := os.ReadFile(holidayFile)
	require.NoError(tb, err)
	table, err := calendar.ParseHolidays(data)
	require.NoError(tb, err)
	return table
}

// vnCalendar is the default windows with the shipped holiday table.
func vnCalendar(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	c, err := calendar.New(calendar.DefaultWindows(), vnTable(tb))
	require.NoError(tb, err)
	return c
}

// vnMarginCalendar is vnCalendar with 2023 and 2028 added as years without
// any day off. The calendar is strict, so the random instants of the
// property tests, which run a little past the shipped years on both sides,
// need those years listed; listed empty, they keep only weekends off.
func vnMarginCalendar(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	years := append(vnTable(tb).Years(),
		calendar.Year{Year: 2023, Status: calendar.StatusProjected},
		calendar.Year{Year: 2028, Status: calendar.StatusProjected})
	table, err := calendar.NewTable(years)
	require.NoError(tb, err)
	c, err := calendar.New(calendar.DefaultWindows(), table)
	require.NoError(tb, err)
	return c
}

// at is a local (Asia/Ho_Chi_Minh) instant.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, calendar.Location)
}

// date builds a calendar.Date.
func date(y int, m time.Month, d int) calendar.Date {
	return calendar.Date{Year: y, Month: m, Day: d}
}

// hm is a clock time or a duration of hours and minutes.
func hm(h, m int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
}

// requireInstant checks that got is the instant want and is expressed in the
// local zone, printing both as local wall-clock times when they differ.
func requireInstant(tb testing.TB, want, got time.Time) {
	tb.Helper()
	const layout = "Mon 2006-01-02 15:04:05.999999999 -07:00"
	require.Truef(tb, want.Equal(got), "want %s, got %s",
		want.In(calendar.Location).Format(layout), got.In(calendar.Location).Format(layout))
	_, offset := got.Zone()
	require.Equal(tb, 7*3600, offset, "result must be in UTC+7, got %s", got)
}
