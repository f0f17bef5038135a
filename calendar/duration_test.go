package calendar_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want calendar.Duration
	}{
		{"3wd", calendar.Duration{Unit: calendar.UnitWorkingDays, N: 3}},
		{"4wh", calendar.Duration{Unit: calendar.UnitWorkingHours, N: 4}},
		{"15d", calendar.Duration{Unit: calendar.UnitCalendarDays, N: 15}},
		{"same_day", calendar.Duration{Unit: calendar.UnitSameDay}},
		{"0wd", calendar.Duration{Unit: calendar.UnitWorkingDays, N: 0}},
		{"120wh", calendar.Duration{Unit: calendar.UnitWorkingHours, N: 120}},
		{"320255wd", calendar.Duration{Unit: calendar.UnitWorkingDays, N: 320255}}, // the longest that fits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseDuration(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in, got.String())
			require.NoError(t, got.Validate())
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, err string }{
		{"", "want <n>wd, <n>wh, <n>d or same_day"},
		{"3", "want <n>wd, <n>wh, <n>d or same_day"},
		{"3w", "want <n>wd, <n>wh, <n>d or same_day"},
		{"3h", "want <n>wd, <n>wh, <n>d or same_day"},
		{"3WD", "want <n>wd, <n>wh, <n>d or same_day"},
		{"same-day", "want <n>wd, <n>wh, <n>d or same_day"},
		{"same_day ", "want <n>wd, <n>wh, <n>d or same_day"},
		{"wd", "unsigned decimal digits"},
		{"d", "unsigned decimal digits"},
		{"-3wd", "unsigned decimal digits"},
		{"+3wd", "unsigned decimal digits"},
		{" 3wd", "unsigned decimal digits"},
		{"3 wd", "unsigned decimal digits"},
		{"1.5wd", "unsigned decimal digits"},
		{"3wdd", "unsigned decimal digits"},
		{"1same_day", "want <n>wd, <n>wh, <n>d or same_day"},
		{"same_dayd", "unsigned decimal digits"},
		{"99999999999999999999wd", "count out of range"},
		{"320256wd", "is too long"},
		{"106752d", "is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := calendar.ParseDuration(tt.in)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

// TestDurationStringRoundTrip checks String and ParseDuration are inverses
// over every valid unit and a spread of counts.
func TestDurationStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, unit := range []calendar.Unit{calendar.UnitWorkingDays, calendar.UnitWorkingHours, calendar.UnitCalendarDays} {
		for _, n := range []int{0, 1, 2, 9, 10, 15, 60, 365, 1000} {
			d := calendar.Duration{Unit: unit, N: n}
			got, err := calendar.ParseDuration(d.String())
			require.NoError(t, err, d.String())
			require.Equal(t, d, got)
		}
	}
	sameDay := calendar.Duration{Unit: calendar.UnitSameDay}
	got, err := calendar.ParseDuration(sameDay.String())
	require.NoError(t, err)
	require.Equal(t, sameDay, got)
}

func TestDurationValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    calendar.Duration
		err  string
	}{
		{"zero value", calendar.Duration{}, `unknown duration unit ""`},
		{"unknown unit", calendar.Duration{Unit: "weeks", N: 2}, `unknown duration unit "weeks"`},
		{"negative", calendar.Duration{Unit: calendar.UnitWorkingDays, N: -1}, "negative duration -1 working_days"},
		{"same day with a count", calendar.Duration{Unit: calendar.UnitSameDay, N: 1}, "same_day duration takes no count"},
		{"too many hours", calendar.Duration{Unit: calendar.UnitWorkingHours, N: 2562048}, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorContains(t, tt.d.Validate(), tt.err)
			require.Contains(t, tt.d.String(), "invalid duration")
			_, err := calendar.Default().Due(at(2026, 3, 2, 9, 0), tt.d, 0)
			require.ErrorContains(t, err, tt.err)
		})
	}
	require.True(t, calendar.UnitCalendarDays.Valid())
	require.False(t, calendar.Unit("Working_Days").Valid())
}

func TestDue(t *testing.T) {
	t.Parallel()
	def, vn := calendar.Default(), vnCalendar(t)
	wd := func(n int) calendar.Duration { return calendar.Duration{Unit: calendar.UnitWorkingDays, N: n} }
	wh := func(n int) calendar.Duration { return calendar.Duration{Unit: calendar.UnitWorkingHours, N: n} }
	cd := func(n int) calendar.Duration { return calendar.Duration{Unit: calendar.UnitCalendarDays, N: n} }
	same := calendar.Duration{Unit: calendar.UnitSameDay}

	// 2026-03-02 is a Monday.
	tests := []struct {
		name   string
		c      *calendar.Calendar
		from   time.Time
		d      calendar.Duration
		cutoff time.Duration
		want   time.Time
	}{
		{"working days", def, at(2026, 3, 6, 16, 0), wd(1), 0, at(2026, 3, 9, 16, 0)},
		{"working days over Tết", vn, at(2026, 2, 13, 10, 0), wd(3), 0, at(2026, 2, 25, 10, 0)},
		{"zero working days is from itself", def, at(2026, 3, 7, 9, 0), wd(0), 0, at(2026, 3, 7, 9, 0)},
		{"working hours across lunch", def, at(2026, 3, 2, 10, 0), wh(4), 0, at(2026, 3, 2, 16, 0)},
		{"working hours from the evening", def, at(2026, 3, 2, 18, 0), wh(2), 0, at(2026, 3, 3, 9, 0)},

		{"calendar days on a working day", def, at(2026, 3, 2, 10, 0), cd(7), 0, at(2026, 3, 9, 10, 0)},
		{"calendar days landing on a Saturday", def, at(2026, 3, 2, 10, 0), cd(5), 0, at(2026, 3, 9, 10, 0)},
		{"calendar days landing on a Sunday", def, at(2026, 3, 2, 10, 0), cd(6), 0, at(2026, 3, 9, 10, 0)},
		{"calendar days landing on a holiday", vn, at(2026, 4, 20, 9, 0), cd(10), 0, at(2026, 5, 4, 9, 0)},
		{"calendar days landing on Tết", vn, at(2026, 2, 6, 14, 0), cd(12), 0, at(2026, 2, 23, 14, 0)},
		{"calendar days landing on a make-up Saturday", vn, at(2026, 8, 17, 10, 0), cd(5), 0, at(2026, 8, 22, 10, 0)},
		{"calendar days, 15 for a building permit", vn, at(2026, 2, 13, 10, 0), cd(15), 0, at(2026, 3, 2, 10, 0)},
		{"calendar days count from the next window", def, at(2026, 3, 6, 18, 0), cd(3), 0, at(2026, 3, 12, 7, 0)},
		{"calendar days count from after lunch", def, at(2026, 3, 2, 12, 0), cd(1), 0, at(2026, 3, 3, 13, 30)},
		{"calendar days from a Saturday", def, at(2026, 3, 7, 10, 0), cd(2), 0, at(2026, 3, 11, 7, 0)},
		{"zero calendar days", def, at(2026, 3, 7, 10, 0), cd(0), 0, at(2026, 3, 9, 7, 0)},
		{"calendar days in another zone", def, time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), cd(1), 0, at(2026, 3, 3, 10, 0)},

		{"same day in the morning", def, at(2026, 3, 2, 10, 0), same, 0, at(2026, 3, 2, 17, 0)},
		{"same day before opening", def, at(2026, 3, 2, 6, 0), same, 0, at(2026, 3, 2, 17, 0)},
		{"same day at lunch", def, at(2026, 3, 2, 12, 0), same, 0, at(2026, 3, 2, 17, 0)},
		{"same day just before the cutoff", def, at(2026, 3, 2, 14, 59).Add(59 * time.Second), same, 0, at(2026, 3, 2, 17, 0)},
		{"same day at the cutoff", def, at(2026, 3, 2, 15, 0), same, 0, at(2026, 3, 3, 17, 0)},
		{"same day after the cutoff", def, at(2026, 3, 2, 16, 0), same, calendar.DefaultSameDayCutoff, at(2026, 3, 3, 17, 0)},
		{"same day after the cutoff on a Friday", def, at(2026, 3, 6, 15, 30), same, 0, at(2026, 3, 9, 17, 0)},
		{"same day on a Saturday", def, at(2026, 3, 7, 9, 0), same, 0, at(2026, 3, 9, 17, 0)},
		{"same day on a holiday", vn, at(2026, 4, 30, 10, 0), same, 0, at(2026, 5, 4, 17, 0)},
		{"same day before a holiday, after the cutoff", vn, at(2026, 4, 29, 16, 0), same, 0, at(2026, 5, 4, 17, 0)},
		{"same day on a make-up Saturday", vn, at(2026, 1, 10, 10, 0), same, 0, at(2026, 1, 10, 17, 0)},
		{"same day with a later cutoff", def, at(2026, 3, 2, 15, 30), same, 16 * time.Hour, at(2026, 3, 2, 17, 0)},
		{"same day, cutoff after closing", def, at(2026, 3, 2, 17, 30), same, 18 * time.Hour, at(2026, 3, 3, 17, 0)},
		{"same day in another zone", def, time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC), same, 0, at(2026, 3, 2, 17, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.c.Due(tt.from, tt.d, tt.cutoff)
			require.NoError(t, err)
			requireInstant(t, tt.want, got)
		})
	}
}

func TestDueCutoffErrors(t *testing.T) {
	t.Parallel()
	for _, cutoff := range []time.Duration{-time.Minute, 24*time.Hour + 1, 48 * time.Hour} {
		t.Run(strconv.FormatInt(int64(cutoff), 10), func(t *testing.T) {
			t.Parallel()
			_, err := calendar.Default().Due(at(2026, 3, 2, 9, 0), calendar.Duration{Unit: calendar.UnitSameDay}, cutoff)
			require.ErrorContains(t, err, "is not a clock time within a day")
		})
	}
	// Other units ignore the cutoff.
	_, err := calendar.Default().Due(at(2026, 3, 2, 9, 0), calendar.Duration{Unit: calendar.UnitWorkingDays, N: 1}, -time.Minute)
	require.NoError(t, err)
}
