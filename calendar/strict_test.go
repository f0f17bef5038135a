package calendar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// only2026 is the default windows with the shipped table cut down to 2026:
// the situation of a deployment whose next year was never imported.
func only2026(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	y, ok := vnTable(tb).Year(2026)
	require.True(tb, ok)
	table, err := calendar.NewTable([]calendar.Year{y})
	require.NoError(tb, err)
	c, err := calendar.New(calendar.DefaultWindows(), table)
	require.NoError(tb, err)
	return c
}

// requireMissingYear checks that err is the strict calendar's error for year.
func requireMissingYear(tb testing.TB, err error, year int) {
	tb.Helper()
	require.ErrorIs(tb, err, calendar.ErrYearNotInTable)
	var missing *calendar.YearNotInTableError
	require.ErrorAs(tb, err, &missing)
	require.Equal(tb, &calendar.YearNotInTableError{Year: year}, missing)
}

func TestStrictCalendarRefusesMissingYear(t *testing.T) {
	t.Parallel()
	c := only2026(t)
	from := at(2026, 12, 28, 10, 0) // Monday; 5 working days run into 2027

	_, err := c.Due(from, calendar.Duration{Unit: calendar.UnitWorkingDays, N: 5}, 0)
	requireMissingYear(t, err, 2027)
	_, err = c.Add(from, 5*calendar.WorkingDay)
	requireMissingYear(t, err, 2027)
	_, err = c.Between(from, at(2027, 1, 4, 10, 0))
	requireMissingYear(t, err, 2027)
	_, err = c.Due(at(2026, 12, 31, 16, 0), calendar.Duration{Unit: calendar.UnitSameDay}, 0)
	requireMissingYear(t, err, 2027)
	_, err = c.Due(from, calendar.Duration{Unit: calendar.UnitCalendarDays, N: 7}, 0)
	requireMissingYear(t, err, 2027)
	_, err = c.Add(at(2026, 1, 2, 10, 0), -2*calendar.WorkingDay) // 2 Jan is a swap, 1 Jan New Year
	requireMissingYear(t, err, 2025)

	// The panicking forms panic with the same error.
	for name, call := range map[string]func(){
		"AddWorkingTime":     func() { c.AddWorkingTime(from, 5*calendar.WorkingDay) },
		"WorkingTimeBetween": func() { c.WorkingTimeBetween(from, at(2027, 1, 4, 10, 0)) },
		"NextWorkingInstant": func() { c.NextWorkingInstant(at(2026, 12, 31, 17, 0)) },
		"IsWorkingDay":       func() { c.IsWorkingDay(at(2027, 3, 1, 9, 0)) },
	} {
		require.PanicsWithError(t, (&calendar.YearNotInTableError{Year: 2027}).Error(), call, name)
	}

	require.EqualError(t, &calendar.YearNotInTableError{Year: 2029},
		"calendar: the holiday table has no entry for 2029; import the year's official schedule (motcua calendar import FILE)")
	require.NotErrorIs(t, errors.New("other"), calendar.ErrYearNotInTable)
}

// TestStrictCalendarOnlyAsksWhatItNeeds checks that computations that stay
// inside 2026, or only touch a new year's day outside its windows, succeed.
func TestStrictCalendarOnlyAsksWhatItNeeds(t *testing.T) {
	t.Parallel()
	c := only2026(t)

	got, err := c.Add(at(2026, 12, 31, 10, 0), 5*time.Hour)
	require.NoError(t, err)
	requireInstant(t, at(2026, 12, 31, 17, 0), got)
	got, err = c.Add(at(2027, 1, 1, 10, 0), 0) // no time has to elapse
	require.NoError(t, err)
	require.Equal(t, at(2027, 1, 1, 10, 0), got)
	got, err = c.Add(at(2025, 12, 31, 18, 0), time.Hour) // 31 December's windows are over by 18:00
	require.NoError(t, err)
	requireInstant(t, at(2026, 1, 5, 8, 0), got) // 1-2 January off, then a weekend
	requireInstant(t, at(2026, 1, 5, 7, 0), c.NextWorkingInstant(at(2025, 12, 31, 18, 0)))
	got, err = c.Add(at(2027, 1, 1, 6, 0), -time.Hour) // 1 January's windows start after 06:00
	require.NoError(t, err)
	requireInstant(t, at(2026, 12, 31, 16, 0), got)

	d, err := c.Between(at(2026, 12, 31, 16, 0), at(2027, 1, 1, 0, 0))
	require.NoError(t, err)
	require.Equal(t, time.Hour, d)
	d, err = c.Between(at(2026, 12, 31, 16, 0), at(2027, 1, 1, 6, 59))
	require.NoError(t, err)
	require.Equal(t, time.Hour, d)
	_, err = c.Between(at(2026, 12, 31, 16, 0), at(2027, 1, 1, 7, 1))
	requireMissingYear(t, err, 2027)

	got, err = c.Due(at(2026, 12, 31, 10, 0), calendar.Duration{Unit: calendar.UnitSameDay}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2026, 12, 31, 17, 0), got)
	require.Equal(t, at(2025, 12, 31, 17, 0), c.EndOfWorkingDay(at(2025, 12, 31, 9, 0)), "a clock time, not a table look-up")
}

func TestNonStrictCalendars(t *testing.T) {
	t.Parallel()
	def := calendar.Default()
	require.Nil(t, def.Table())
	got, err := def.Due(at(2026, 12, 28, 10, 0), calendar.Duration{Unit: calendar.UnitWorkingDays, N: 5}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2027, 1, 4, 10, 0), got) // 1 January is a plain Friday without a table
	d, err := def.Between(at(2029, 1, 1, 7, 0), at(2029, 1, 8, 7, 0))
	require.NoError(t, err)
	require.Equal(t, 5*calendar.WorkingDay, d)

	noTable, err := calendar.New(calendar.DefaultWindows(), nil)
	require.NoError(t, err)
	require.True(t, noTable.IsWorkingDay(at(2031, 1, 23, 9, 0)))
}

// TestEmptyTableIsStrict checks that a non-nil table without any year, such
// as an unseeded database gives, refuses every year.
func TestEmptyTableIsStrict(t *testing.T) {
	t.Parallel()
	empty, err := calendar.NewTable(nil)
	require.NoError(t, err)
	c, err := calendar.New(calendar.DefaultWindows(), empty)
	require.NoError(t, err)
	require.Same(t, empty, c.Table())
	_, err = c.Add(at(2026, 3, 2, 9, 0), time.Hour)
	requireMissingYear(t, err, 2026)
}
