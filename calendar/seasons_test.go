package calendar_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// summer is the default hours with summer hours (07:00–11:00, 13:30–17:30,
// also 8 h) from 15 April to 14 October 2026 and short winter hours
// (07:30–11:30, 13:00–16:00: 7 h) from 1 December 2026 to 28 February 2027.
func summer(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	c, err := calendar.NewWithPeriods(calendar.DefaultWindows(), []calendar.Period{
		{From: date(2026, 12, 1), To: date(2027, 2, 28), Windows: []calendar.Window{
			{Start: hm(7, 30), End: hm(11, 30)}, {Start: hm(13, 0), End: hm(16, 0)}}},
		{From: date(2026, 4, 15), To: date(2026, 10, 14), Windows: []calendar.Window{
			{Start: hm(7, 0), End: hm(11, 0)}, {Start: hm(13, 30), End: hm(17, 30)}}},
	}, vnMarginCalendar(tb).Table())
	require.NoError(tb, err)
	return c
}

func TestPeriodsChangeOfficeHours(t *testing.T) {
	t.Parallel()
	c := summer(t)
	require.Equal(t, calendar.DefaultWindows(), c.WindowsOn(at(2026, 4, 14, 9, 0)), "the day before summer hours")
	require.Equal(t, hm(17, 30), c.WindowsOn(at(2026, 4, 15, 9, 0))[1].End, "the first day of summer hours")
	require.Equal(t, hm(17, 30), c.WindowsOn(at(2026, 10, 14, 9, 0))[1].End, "the last day, included")
	require.Equal(t, calendar.DefaultWindows(), c.WindowsOn(at(2026, 10, 15, 9, 0)))
	require.Equal(t, 8*time.Hour, c.DayLength(at(2026, 7, 1, 0, 0)))
	require.Equal(t, 7*time.Hour, c.DayLength(at(2027, 1, 5, 0, 0)), "a working day is as long as its windows")
	require.Equal(t, "2026-04-15..2026-10-14 07:00-11:00,13:30-17:30", c.Periods()[0].String(), "in date order")

	tests := []struct {
		name string
		got  func() (time.Time, error)
		want time.Time
	}{
		{"17:15 is inside summer hours", func() (time.Time, error) { return c.Add(at(2026, 7, 1, 17, 0), 15*time.Minute) }, at(2026, 7, 1, 17, 15)},
		{"but not in April before them", func() (time.Time, error) { return c.Add(at(2026, 4, 14, 16, 45), 30*time.Minute) }, at(2026, 4, 15, 7, 15)},
		{"the end of the working day follows the period", func() (time.Time, error) {
			return c.Due(at(2026, 7, 1, 9, 0), calendar.Duration{Unit: calendar.UnitSameDay}, 0)
		}, at(2026, 7, 1, 17, 30)},
		// Winter: 7-hour days. Tuesday 1 Dec 2026 09:30 is 2 h into its day
		// (07:30–09:30); two working days later, Thursday, 2 h in: 09:30.
		{"working days count days of the period's length", func() (time.Time, error) {
			return c.Due(at(2026, 12, 1, 9, 30), calendar.Duration{Unit: calendar.UnitWorkingDays, N: 2}, 0)
		}, at(2026, 12, 3, 9, 30)},
		// Monday 30 Nov (8 h) at 13:30 is 4.5 h in, 9/16 of the day; the next
		// working day is a winter day of 7 h: 9/16 of it is 3 h 56 m 15 s in,
		// from 07:30.
		{"across a change of hours, in proportion", func() (time.Time, error) {
			return c.Due(at(2026, 11, 30, 13, 30), calendar.Duration{Unit: calendar.UnitWorkingDays, N: 1}, 0)
		}, at(2026, 12, 1, 11, 26).Add(15 * time.Second)},
		{"a start at opening falls due at the end of the day before", func() (time.Time, error) {
			return c.Due(at(2026, 12, 1, 7, 30), calendar.Duration{Unit: calendar.UnitWorkingDays, N: 1}, 0)
		}, at(2026, 12, 1, 16, 0)},
		{"working hours stay hours", func() (time.Time, error) {
			return c.Due(at(2026, 12, 1, 15, 0), calendar.Duration{Unit: calendar.UnitWorkingHours, N: 2}, 0)
		}, at(2026, 12, 2, 8, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.got()
			require.NoError(t, err)
			requireInstant(t, tt.want, got)
		})
	}
}

func TestNewWithPeriodsValidates(t *testing.T) {
	t.Parallel()
	ws := calendar.DefaultWindows()
	for _, tc := range []struct {
		name    string
		periods []calendar.Period
		err     string
	}{
		{"end before start", []calendar.Period{{From: date(2026, 5, 1), To: date(2026, 4, 1), Windows: ws}}, "must run from an existing date to the same or a later one"},
		{"a date that does not exist", []calendar.Period{{From: date(2026, 2, 30), To: date(2026, 4, 1), Windows: ws}}, "existing date"},
		{"no windows", []calendar.Period{{From: date(2026, 4, 1), To: date(2026, 5, 1)}}, "period 2026-04-01..2026-05-01: calendar: no working windows"},
		{"overlapping", []calendar.Period{{From: date(2026, 4, 1), To: date(2026, 5, 1), Windows: ws},
			{From: date(2026, 5, 1), To: date(2026, 6, 1), Windows: ws}}, "overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := calendar.NewWithPeriods(ws, tc.periods, nil)
			require.ErrorContains(t, err, tc.err)
			require.Nil(t, c)
		})
	}
}

func TestCountFromCutoff(t *testing.T) {
	t.Parallel()
	c := vnCalendar(t)
	cut := hm(15, 0)
	for _, tc := range []struct {
		name       string
		from, want time.Time
	}{
		{"before the cut-off: at once", at(2026, 3, 2, 14, 59), at(2026, 3, 2, 14, 59)},
		{"at the cut-off: the next working day", at(2026, 3, 2, 15, 0), at(2026, 3, 3, 7, 0)},
		{"Friday after the cut-off: Monday", at(2026, 3, 6, 16, 0), at(2026, 3, 9, 7, 0)},
		{"before a holiday: after it", at(2026, 4, 29, 15, 30), at(2026, 5, 4, 7, 0)},
		{"a Saturday waits for Monday anyway", at(2026, 3, 7, 16, 0), at(2026, 3, 7, 16, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.CountFrom(tc.from, cut)
			require.NoError(t, err)
			requireInstant(t, tc.want, got)
		})
	}
	got, err := c.CountFrom(at(2026, 3, 2, 16, 0), 0)
	require.NoError(t, err)
	requireInstant(t, at(2026, 3, 2, 16, 0), got)
	_, err = c.CountFrom(at(2026, 3, 2, 16, 0), 25*time.Hour)
	require.ErrorContains(t, err, "not a clock time within a day")
	// Three working days for a dossier received after the cut-off count
	// from the next morning.
	from, err := c.CountFrom(at(2026, 3, 2, 16, 0), cut)
	require.NoError(t, err)
	due, err := c.Due(from, calendar.Duration{Unit: calendar.UnitWorkingDays, N: 3}, 0)
	require.NoError(t, err)
	requireInstant(t, at(2026, 3, 5, 17, 0), due)
}

// With the same windows every day, N working days are exactly N days'
// length of working time, whatever that length (8 h, 9.5 h, 6 h, 24 h);
// with periods the due time is monotonic in the start, lies on the N-th
// working day after the count starts (or at the end of the one before),
// and AddWorkingTime keeps all its promises.
func TestWorkingDaysProperties(t *testing.T) {
	t.Parallel()
	for name, c := range propertyCalendars(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(2026, 18))
			length := c.DayLength(spanStart)
			for range 1000 {
				from := randomInstant(r)
				n := 1 + r.IntN(30)
				got, err := c.Due(from, calendar.Duration{Unit: calendar.UnitWorkingDays, N: n}, 0)
				require.NoError(t, err)
				requireInstant(t, c.AddWorkingTime(from, time.Duration(n)*length), got)
			}
		})
	}
	t.Run("with periods", func(t *testing.T) {
		t.Parallel()
		c := summer(t)
		r := rand.New(rand.NewPCG(18, 2026))
		for range 2000 {
			from := at(2026, 1, 1, 0, 0).Add(time.Duration(r.Int64N(int64(500 * 24 * time.Hour))))
			n := 1 + r.IntN(20)
			d := calendar.Duration{Unit: calendar.UnitWorkingDays, N: n}
			got, err := c.Due(from, d, 0)
			require.NoError(t, err)
			require.True(t, got.After(from), "%s + %s = %s", from, d, got)

			later := from.Add(time.Duration(r.Int64N(int64(72 * time.Hour))))
			gotLater, err := c.Due(later, d, 0)
			require.NoError(t, err)
			require.False(t, gotLater.Before(got), "later starts end no earlier: %s → %s, %s → %s", from, got, later, gotLater)

			// Between the start and the due time lie n days' worth of
			// working time, give or take the difference between the
			// lengths of the first and the last day.
			worked := c.WorkingTimeBetween(from, got)
			require.InDelta(t, float64(n)*float64(8*time.Hour), float64(worked), float64(n)*float64(time.Hour)+float64(time.Second),
				"%s + %s = %s", from, d, got)

			checkAddWorkingTime(t, c, from, time.Duration(r.Int64N(int64(3*calendar.WorkingDay))))
		}
	})
}
