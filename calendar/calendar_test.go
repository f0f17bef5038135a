package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// TestWorkedExamples checks the worked examples of the domain briefing (working-day counting across Tết 2026, Hùng Kings' day with 30/4 and 1/5, and National Day) against the
// shipped holiday table, both through AddWorkingTime and through Due.
func TestWorkedExamples(t *testing.T) {
	t.Parallel()
	c := vnCalendar(t)
	tests := []struct {
		name     string
		received time.Time
		days     int
		want     time.Time
	}{
		{"Tết 16-20 Feb", at(2026, time.February, 13, 10, 0), 3, at(2026, time.February, 25, 10, 0)},
		{"27 Apr, 30 Apr and 1 May off", at(2026, time.April, 24, 14, 0), 5, at(2026, time.May, 6, 14, 0)},
		{"31 Aug, 1 and 2 Sep off", at(2026, time.August, 28, 10, 0), 2, at(2026, time.September, 4, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, c.AddWorkingTime(tt.received, time.Duration(tt.days)*calendar.WorkingDay))
			got, err := c.Due(tt.received, calendar.Duration{Unit: calendar.UnitWorkingDays, N: tt.days}, 0)
			require.NoError(t, err)
			requireInstant(t, tt.want, got)
			require.Equal(t, time.Duration(tt.days)*calendar.WorkingDay, c.WorkingTimeBetween(tt.received, got))
		})
	}
}

func TestAddWorkingTime(t *testing.T) {
	t.Parallel()
	def, vn, vnm := calendar.Default(), vnCalendar(t), vnMarginCalendar(t)
	// 2026-03-02 is a Monday; March 2026 has no days off.
	tests := []struct {
		name string
		c    *calendar.Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"Fri 16:00 + 1 working day is Mon 16:00", def, at(2026, 3, 6, 16, 0), calendar.WorkingDay, at(2026, 3, 9, 16, 0)},
		{"Sat 09:00 + 1 working day is Mon 17:00", def, at(2026, 3, 7, 9, 0), calendar.WorkingDay, at(2026, 3, 9, 17, 0)},
		{"lunch 12:00 + 1h is 14:30", def, at(2026, 3, 2, 12, 0), time.Hour, at(2026, 3, 2, 14, 30)},
		{"06:00 + 8h is 17:00 the same day", def, at(2026, 3, 2, 6, 0), 8 * time.Hour, at(2026, 3, 2, 17, 0)},
		{"07:00 + 8h is 17:00 the same day", def, at(2026, 3, 2, 7, 0), 8 * time.Hour, at(2026, 3, 2, 17, 0)},
		{"07:00 + 8h + 1ns spills to the next morning", def, at(2026, 3, 2, 7, 0), 8*time.Hour + 1, at(2026, 3, 3, 7, 0).Add(1)},
		{"17:30 + 1h is 08:00 the next working day", def, at(2026, 3, 2, 17, 30), time.Hour, at(2026, 3, 3, 8, 0)},
		{"Fri 17:30 + 1h is Mon 08:00", def, at(2026, 3, 6, 17, 30), time.Hour, at(2026, 3, 9, 8, 0)},
		{"17:00 is outside: + 1m is 07:01 next day", def, at(2026, 3, 2, 17, 0), time.Minute, at(2026, 3, 3, 7, 1)},
		{"11:00 + 30m lands on the window end 11:30", def, at(2026, 3, 2, 11, 0), 30 * time.Minute, at(2026, 3, 2, 11, 30)},
		{"11:00 + 31m continues after lunch", def, at(2026, 3, 2, 11, 0), 31 * time.Minute, at(2026, 3, 2, 13, 31)},
		{"11:30 is outside: + 1h is 14:30", def, at(2026, 3, 2, 11, 30), time.Hour, at(2026, 3, 2, 14, 30)},
		{"10:00 + 4h crosses lunch", def, at(2026, 3, 2, 10, 0), 4 * time.Hour, at(2026, 3, 2, 16, 0)},
		{"Fri 16:00 + 5 working days is next Fri 16:00", def, at(2026, 3, 6, 16, 0), 5 * calendar.WorkingDay, at(2026, 3, 13, 16, 0)},
		{"a UTC input is read as local time", def, time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), time.Hour, at(2026, 3, 2, 11, 0)},
		{"a UTC Sunday evening is Monday morning locally", def, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), time.Hour, at(2026, 3, 2, 7, 0).Add(time.Hour)},
		{"sub-second durations are kept", def, at(2026, 3, 2, 7, 0), 1500 * time.Millisecond, at(2026, 3, 2, 7, 0).Add(1500 * time.Millisecond)},
		{"without the table, 1 Jan 2026 is a working day", def, at(2026, 1, 1, 9, 0), time.Hour, at(2026, 1, 1, 10, 0)},
		{"with the table, 1-2 Jan are off", vn, at(2026, 1, 1, 9, 0), time.Hour, at(2026, 1, 5, 8, 0)},
		{"make-up Saturday 10 Jan counts as working", vn, at(2026, 1, 9, 16, 0), calendar.WorkingDay, at(2026, 1, 10, 16, 0)},
		{"make-up Saturday 22 Aug counts as working", vn, at(2026, 8, 21, 17, 0), time.Hour, at(2026, 8, 22, 8, 0)},
		{"an ordinary Saturday does not", vn, at(2026, 1, 16, 16, 0), calendar.WorkingDay, at(2026, 1, 19, 16, 0)},
		{"Tết week counts nothing", vn, at(2026, 2, 13, 17, 0), time.Minute, at(2026, 2, 23, 7, 1)},
		{"a year listed without days off keeps only weekends", vnm, at(2028, 9, 1, 16, 0), calendar.WorkingDay, at(2028, 9, 4, 16, 0)},

		// Negative durations count backwards; the result is the latest instant
		// that works, so a window's start rather than the previous evening.
		{"Mon 07:30 - 1h is Fri 16:30", def, at(2026, 3, 9, 7, 30), -time.Hour, at(2026, 3, 6, 16, 30)},
		{"Mon 08:00 - 1h is Mon 07:00", def, at(2026, 3, 9, 8, 0), -time.Hour, at(2026, 3, 9, 7, 0)},
		{"13:30 - 1h is 10:30", def, at(2026, 3, 2, 13, 30), -time.Hour, at(2026, 3, 2, 10, 30)},
		{"11:30 - 4h30m is 07:00, the window start", def, at(2026, 3, 2, 11, 30), -hm(4, 30), at(2026, 3, 2, 7, 0)},
		{"Mon 14:00 - 1 working day is Fri 14:00", def, at(2026, 3, 9, 14, 0), -calendar.WorkingDay, at(2026, 3, 6, 14, 0)},
		{"Tue 07:00 - 30m is Mon 16:30", def, at(2026, 3, 3, 7, 0), -30 * time.Minute, at(2026, 3, 2, 16, 30)},
		{"backwards over Tết", vn, at(2026, 2, 23, 7, 30), -time.Hour, at(2026, 2, 13, 16, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, tt.c.AddWorkingTime(tt.from, tt.d))
		})
	}
}

// TestAddWorkingTimeZero pins down the documented d == 0 case: from itself,
// not moved to the next window, not even converted to the local zone.
func TestAddWorkingTimeZero(t *testing.T) {
	t.Parallel()
	c := calendar.Default()
	for _, from := range []time.Time{
		at(2026, 3, 2, 10, 0),                              // inside a window
		at(2026, 3, 7, 9, 0),                               // a Saturday
		time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),       // 19:00 local, another zone
		time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC).Add(1), // odd nanosecond
	} {
		require.Equal(t, from, c.AddWorkingTime(from, 0))
		require.Zero(t, c.WorkingTimeBetween(from, c.AddWorkingTime(from, 0)))
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	t.Parallel()
	def, vn := calendar.Default(), vnCalendar(t)
	tests := []struct {
		name string
		c    *calendar.Calendar
		a, b time.Time
		want time.Duration
	}{
		{"inside one window", def, at(2026, 3, 2, 8, 0), at(2026, 3, 2, 9, 15), hm(1, 15)},
		{"across lunch", def, at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0), hm(1, 0)},
		{"a whole working day", def, at(2026, 3, 2, 0, 0), at(2026, 3, 3, 0, 0), 8 * time.Hour},
		{"a whole week", def, at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 40 * time.Hour},
		{"a weekend", def, at(2026, 3, 6, 17, 0), at(2026, 3, 9, 7, 0), 0},
		{"Fri 16:00 to Mon 16:00", def, at(2026, 3, 6, 16, 0), at(2026, 3, 9, 16, 0), 8 * time.Hour},
		{"the interval is half-open", def, at(2026, 3, 2, 7, 0), at(2026, 3, 2, 7, 0).Add(1), 1},
		{"empty when a == b", def, at(2026, 3, 2, 9, 0), at(2026, 3, 2, 9, 0), 0},
		{"zero when b is before a", def, at(2026, 3, 3, 9, 0), at(2026, 3, 2, 9, 0), 0},
		{"mixed zones", def, time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC), at(2026, 3, 2, 17, 0), hm(6, 30)},
		{"Tết week is empty", vn, at(2026, 2, 14, 0, 0), at(2026, 2, 23, 0, 0), 0},
		{"around Tết", vn, at(2026, 2, 13, 0, 0), at(2026, 2, 24, 0, 0), 16 * time.Hour},
		{"a make-up Saturday counts", vn, at(2026, 1, 10, 0, 0), at(2026, 1, 11, 0, 0), 8 * time.Hour},
		{"2026 has 250 working days", vn, at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0), 250 * 8 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.c.WorkingTimeBetween(tt.a, tt.b))
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	def, vn := calendar.Default(), vnCalendar(t)
	tests := []struct {
		name    string
		at      time.Time
		def, vn bool
	}{
		{"Thu 1 Jan 2026, New Year", at(2026, 1, 1, 9, 0), true, false},
		{"Fri 2 Jan 2026, swapped", at(2026, 1, 2, 9, 0), true, false},
		{"Sat 10 Jan 2026, make-up", at(2026, 1, 10, 9, 0), false, true},
		{"Sun 11 Jan 2026", at(2026, 1, 11, 9, 0), false, false},
		{"Mon 16 Feb 2026, Tết", at(2026, 2, 16, 9, 0), true, false},
		{"Mon 23 Feb 2026", at(2026, 2, 23, 9, 0), true, true},
		{"Sat 22 Aug 2026, make-up", at(2026, 8, 22, 23, 59), false, true},
		{"Tue 24 Nov 2026, pending only", at(2026, 11, 24, 9, 0), true, true},
		// The local date decides, not the date in the input's zone.
		{"UTC Sun 4 Jan 17:30 is Mon 5 Jan locally", time.Date(2026, 1, 4, 17, 30, 0, 0, time.UTC), true, true},
		{"UTC Sat 10 Jan 17:30 is Sun 11 Jan locally", time.Date(2026, 1, 10, 17, 30, 0, 0, time.UTC), false, false},
		{"UTC Wed 31 Dec 17:00 is 1 Jan locally", time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.def, def.IsWorkingDay(tt.at), "default calendar")
			require.Equal(t, tt.vn, vn.IsWorkingDay(tt.at), "VN table")
		})
	}
}

func TestNextWorkingInstant(t *testing.T) {
	t.Parallel()
	def, vn := calendar.Default(), vnCalendar(t)
	tests := []struct {
		name string
		c    *calendar.Calendar
		t    time.Time
		want time.Time
	}{
		{"inside a window", def, at(2026, 3, 2, 9, 17), at(2026, 3, 2, 9, 17)},
		{"at a window start", def, at(2026, 3, 2, 7, 0), at(2026, 3, 2, 7, 0)},
		{"before the first window", def, at(2026, 3, 2, 6, 0), at(2026, 3, 2, 7, 0)},
		{"at the morning's end", def, at(2026, 3, 2, 11, 30), at(2026, 3, 2, 13, 30)},
		{"at lunch", def, at(2026, 3, 2, 12, 0), at(2026, 3, 2, 13, 30)},
		{"at the day's end", def, at(2026, 3, 2, 17, 0), at(2026, 3, 3, 7, 0)},
		{"Friday evening", def, at(2026, 3, 6, 18, 0), at(2026, 3, 9, 7, 0)},
		{"Saturday", def, at(2026, 3, 7, 10, 0), at(2026, 3, 9, 7, 0)},
		{"in UTC", def, time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC), at(2026, 3, 2, 9, 0)},
		{"before Tết", vn, at(2026, 2, 13, 18, 0), at(2026, 2, 23, 7, 0)},
		{"before a make-up Saturday", vn, at(2026, 1, 9, 17, 0), at(2026, 1, 10, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, tt.c.NextWorkingInstant(tt.t))
		})
	}
}

func TestEndOfWorkingDay(t *testing.T) {
	t.Parallel()
	winter, err := calendar.New([]calendar.Window{{Start: hm(7, 30), End: hm(12, 0)}, {Start: hm(13, 0), End: hm(16, 30)}}, nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		c    *calendar.Calendar
		t    time.Time
		want time.Time
	}{
		{"morning", calendar.Default(), at(2026, 3, 2, 6, 0), at(2026, 3, 2, 17, 0)},
		{"evening", calendar.Default(), at(2026, 3, 2, 23, 0), at(2026, 3, 2, 17, 0)},
		{"a Saturday has a clock time too", calendar.Default(), at(2026, 3, 7, 10, 0), at(2026, 3, 7, 17, 0)},
		{"the local date of a UTC time", calendar.Default(), time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC), at(2026, 3, 3, 17, 0)},
		{"winter hours", winter, at(2026, 12, 1, 9, 0), at(2026, 12, 1, 16, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, tt.c.EndOfWorkingDay(tt.t))
		})
	}
}

func TestCustomWindows(t *testing.T) {
	t.Parallel()
	winter, err := calendar.New([]calendar.Window{{Start: hm(7, 30), End: hm(12, 0)}, {Start: hm(13, 0), End: hm(16, 30)}}, nil)
	require.NoError(t, err)
	// Three windows, two of them touching, adding up to 9 hours: a working
	// day is still 8 working hours.
	long, err := calendar.New([]calendar.Window{
		{Start: hm(8, 0), End: hm(12, 0)}, {Start: hm(13, 0), End: hm(15, 0)}, {Start: hm(15, 0), End: hm(18, 0)},
	}, nil)
	require.NoError(t, err)
	allDay, err := calendar.New([]calendar.Window{{Start: 0, End: 24 * time.Hour}}, nil)
	require.NoError(t, err)

	tests := []struct {
		name string
		c    *calendar.Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"winter: 07:30 + 1 working day", winter, at(2026, 12, 1, 7, 30), calendar.WorkingDay, at(2026, 12, 1, 16, 30)},
		{"winter: 16:00 + 1h", winter, at(2026, 12, 1, 16, 0), time.Hour, at(2026, 12, 2, 8, 0)},
		{"winter: 07:00 is before the window", winter, at(2026, 12, 1, 7, 0), time.Minute, at(2026, 12, 1, 7, 31)},
		{"long: 1 working day ends before the day does", long, at(2026, 3, 2, 8, 0), calendar.WorkingDay, at(2026, 3, 2, 17, 0)},
		{"long: touching windows behave as one", long, at(2026, 3, 2, 14, 30), time.Hour, at(2026, 3, 2, 15, 30)},
		{"long: 2 working days", long, at(2026, 3, 2, 8, 0), 2 * calendar.WorkingDay, at(2026, 3, 3, 16, 0)},
		{"all day: runs to midnight", allDay, at(2026, 3, 2, 20, 0), 4 * time.Hour, at(2026, 3, 3, 0, 0)},
		{"all day: skips the weekend", allDay, at(2026, 3, 6, 20, 0), 5 * time.Hour, at(2026, 3, 9, 1, 0)},
		{"all day: backwards over midnight", allDay, at(2026, 3, 3, 1, 0), -2 * time.Hour, at(2026, 3, 2, 23, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, tt.c.AddWorkingTime(tt.from, tt.d))
		})
	}
}

func TestNewValidatesWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		windows []calendar.Window
		err     string // empty if valid
	}{
		{"default", calendar.DefaultWindows(), ""},
		{"touching", []calendar.Window{{Start: hm(7, 0), End: hm(12, 0)}, {Start: hm(12, 0), End: hm(15, 0)}}, ""},
		{"the whole day", []calendar.Window{{Start: 0, End: 24 * time.Hour}}, ""},
		{"none", nil, "no working windows"},
		{"empty slice", []calendar.Window{}, "no working windows"},
		{"empty window", []calendar.Window{{Start: hm(7, 0), End: hm(7, 0)}}, "window 0 (07:00-07:00) is empty"},
		{"reversed", []calendar.Window{{Start: hm(17, 0), End: hm(13, 30)}}, "ends before it starts"},
		{"negative start", []calendar.Window{{Start: -time.Hour, End: hm(7, 0)}}, "not within one day"},
		{"past midnight", []calendar.Window{{Start: hm(20, 0), End: hm(25, 0)}}, "not within one day"},
		{"overlapping", []calendar.Window{{Start: hm(7, 0), End: hm(12, 0)}, {Start: hm(11, 0), End: hm(17, 0)}}, "window 1 (11:00-17:00) starts before window 0 (07:00-12:00) ends"},
		{"out of order", []calendar.Window{{Start: hm(13, 30), End: hm(17, 0)}, {Start: hm(7, 0), End: hm(11, 30)}}, "must be in order"},
		{"seconds are shown", []calendar.Window{{Start: hm(7, 0) + 30*time.Second, End: hm(7, 0)}}, "07:00+30s-07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := calendar.New(tt.windows, nil)
			if tt.err == "" {
				require.NoError(t, err)
				require.Equal(t, tt.windows, c.Windows())
				return
			}
			require.ErrorContains(t, err, tt.err)
			require.Nil(t, c)
		})
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	windows := calendar.Default().Windows()
	require.Equal(t, calendar.DefaultWindows(), windows)
	var sum time.Duration
	for _, w := range windows {
		sum += w.End - w.Start
	}
	require.Equal(t, calendar.WorkingDay, sum, "the default windows are one legal working day")
	require.Equal(t, "07:00-11:30", windows[0].String())
}

// TestCalendarCopiesWindows guards the immutability that makes a Calendar
// safe to share.
func TestCalendarCopiesWindows(t *testing.T) {
	t.Parallel()
	windows := calendar.DefaultWindows()
	c, err := calendar.New(windows, nil)
	require.NoError(t, err)
	windows[0].Start = 0
	got := c.Windows()
	got[1].End = 24 * time.Hour
	require.Equal(t, calendar.DefaultWindows(), c.Windows())
}

// TestSearchHorizon checks that a table with every day off for years makes
// the searches stop with ErrNoWorkingTime instead of looping, and that a
// single year entirely off is still crossed.
func TestSearchHorizon(t *testing.T) {
	t.Parallel()
	allOff := func(years []int, plain ...int) *calendar.Table {
		var ys []calendar.Year
		for _, y := range plain {
			ys = append(ys, calendar.Year{Year: y, Status: calendar.StatusProjected})
		}
		for _, y := range years {
			entry := calendar.Year{Year: y, Status: calendar.StatusProjected}
			for d := date(y, 1, 1); d.Year == y; d = d.AddDays(1) {
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					entry.DaysOff = append(entry.DaysOff, calendar.Day{Date: d, Name: "closed"})
				}
			}
			ys = append(ys, entry)
		}
		table, err := calendar.NewTable(ys)
		require.NoError(t, err)
		return table
	}

	// The calendars are strict, so the plain years the searches reach are
	// listed too, with no days off.
	closed, err := calendar.New(calendar.DefaultWindows(), allOff([]int{2026, 2027, 2028, 2029}, 2030))
	require.NoError(t, err)
	from := at(2026, 1, 1, 9, 0)
	for _, d := range []calendar.Duration{
		{Unit: calendar.UnitWorkingDays, N: 1},
		{Unit: calendar.UnitWorkingHours, N: 1},
		{Unit: calendar.UnitCalendarDays, N: 1},
		{Unit: calendar.UnitSameDay},
	} {
		_, err := closed.Due(from, d, 0)
		require.ErrorIs(t, err, calendar.ErrNoWorkingTime, d.String())
	}
	require.Panics(t, func() { closed.AddWorkingTime(from, time.Hour) })
	require.Panics(t, func() { closed.AddWorkingTime(at(2029, 12, 31, 9, 0), -time.Hour) })
	require.Panics(t, func() { closed.NextWorkingInstant(from) })
	// Counting stops at the horizon, but time that is there is still found.
	require.Equal(t, time.Duration(0), closed.WorkingTimeBetween(from, at(2030, 1, 1, 0, 0)))
	requireInstant(t, at(2030, 1, 1, 8, 0), closed.AddWorkingTime(at(2028, 1, 1, 0, 0), time.Hour))

	oneYear, err := calendar.New(calendar.DefaultWindows(), allOff([]int{2026}, 2025, 2027))
	require.NoError(t, err)
	requireInstant(t, at(2027, 1, 1, 8, 0), oneYear.AddWorkingTime(at(2025, 12, 31, 17, 0), time.Hour))
	requireInstant(t, at(2025, 12, 31, 16, 0), oneYear.AddWorkingTime(at(2027, 1, 1, 7, 0), -time.Hour))
	got, err := oneYear.Due(at(2025, 12, 31, 14, 0), calendar.Duration{Unit: calendar.UnitSameDay}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2025, 12, 31, 17, 0), got)
	got, err = oneYear.Due(at(2025, 12, 31, 15, 30), calendar.Duration{Unit: calendar.UnitSameDay}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2027, 1, 1, 17, 0), got)
	got, err = oneYear.Due(at(2025, 12, 31, 9, 0), calendar.Duration{Unit: calendar.UnitCalendarDays, N: 1}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2027, 1, 1, 9, 0), got)
}

func TestZeroCalendarPanicsClearly(t *testing.T) {
	t.Parallel()
	var c calendar.Calendar
	const msg = "calendar: Calendar has no working windows; build it with calendar.New or calendar.Default"
	from := at(2026, 3, 2, 9, 0)
	for name, call := range map[string]func(){
		"AddWorkingTime":     func() { c.AddWorkingTime(from, time.Hour) },
		"WorkingTimeBetween": func() { c.WorkingTimeBetween(from, from.Add(time.Hour)) },
		"NextWorkingInstant": func() { c.NextWorkingInstant(from) },
		"EndOfWorkingDay":    func() { c.EndOfWorkingDay(from) },
		"Due":                func() { _, _ = c.Due(from, calendar.Duration{Unit: calendar.UnitWorkingDays, N: 1}, 0) },
	} {
		require.PanicsWithValue(t, msg, call, name)
	}
}

// ExampleCalendar_Due shows the first worked example of the domain briefing (3 working days across Tết 2026).
func ExampleCalendar_Due() {
	table, err := calendar.ParseHolidays([]byte(`
years:
  2026:
    status: official
    days_off:
      - {date: 2026-02-16, name: Tết}
      - {date: 2026-02-17, name: Tết}
      - {date: 2026-02-18, name: Tết}
      - {date: 2026-02-19, name: Tết}
      - {date: 2026-02-20, name: Tết}
`))
	if err != nil {
		panic(err)
	}
	c, err := calendar.New(calendar.DefaultWindows(), table)
	if err != nil {
		panic(err)
	}
	received := time.Date(2026, 2, 13, 10, 0, 0, 0, calendar.Location)
	d, _ := calendar.ParseDuration("3wd")
	due, err := c.Due(received, d, calendar.DefaultSameDayCutoff)
	if err != nil {
		panic(err)
	}
	fmt.Println(due.Format("Mon 2006-01-02 15:04 -07:00"))
	// Output: Wed 2026-02-25 10:00 +07:00
}
