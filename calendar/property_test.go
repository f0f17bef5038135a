package calendar_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// propertyCalendars are the calendars the properties are checked on: the
// real one, plus windows that stress the edges (touching windows, a window
// running to midnight).
func propertyCalendars(tb testing.TB) map[string]*calendar.Calendar {
	tb.Helper()
	table := vnMarginCalendar(tb).Table()
	build := func(ws ...calendar.Window) *calendar.Calendar {
		c, err := calendar.New(ws, table)
		require.NoError(tb, err)
		return c
	}
	return map[string]*calendar.Calendar{
		"default windows": build(calendar.DefaultWindows()...),
		"touching windows": build(
			calendar.Window{Start: hm(8, 0), End: hm(12, 0)},
			calendar.Window{Start: hm(13, 0), End: hm(15, 0)},
			calendar.Window{Start: hm(15, 0), End: hm(17, 30)},
		),
		"to midnight": build(calendar.Window{Start: hm(6, 0), End: hm(9, 0)}, calendar.Window{Start: hm(18, 0), End: 24 * time.Hour}),
		"all day":     build(calendar.Window{Start: 0, End: 24 * time.Hour}),
	}
}

// span is where random instants are drawn from: the years the shipped table
// covers, plus a margin on both sides where only weekends are off (2023 and
// 2028, listed without days off by vnMarginCalendar).
var (
	spanStart = at(2023, 12, 1, 0, 0)
	spanEnd   = at(2028, 2, 1, 0, 0)
)

func randomInstant(r *rand.Rand) time.Time {
	return spanStart.Add(time.Duration(r.Int64N(int64(spanEnd.Sub(spanStart)))))
}

// checkAddWorkingTime asserts everything AddWorkingTime promises for from and
// d >= 0, against WorkingTimeBetween and NextWorkingInstant.
func checkAddWorkingTime(tb testing.TB, c *calendar.Calendar, from time.Time, d time.Duration) {
	tb.Helper()
	got := c.AddWorkingTime(from, d)
	require.False(tb, got.Before(from), "the due time is never before from: %s + %s = %s", from, d, got)
	require.Equal(tb, d, c.WorkingTimeBetween(from, got), "round trip from %s + %s = %s", from, d, got)
	if d == 0 {
		require.Equal(tb, from, got)
		return
	}
	// Earliest: the last nanosecond before got is working time, so nothing
	// earlier would do.
	require.Equal(tb, time.Duration(1), c.WorkingTimeBetween(got.Add(-1), got), "%s + %s = %s is not the earliest", from, d, got)
	// Counting back lands where the count started.
	require.True(tb, c.NextWorkingInstant(from).Equal(c.AddWorkingTime(got, -d)), "back from %s by %s", got, d)
	require.True(tb, got.Equal(c.AddWorkingTime(c.AddWorkingTime(got, -d), d)))
}

// TestAddWorkingTimeProperties checks the round trip and the other
// promises at many random instants and durations, with a fixed seed so a
// failure can be reproduced.
func TestAddWorkingTimeProperties(t *testing.T) {
	t.Parallel()
	for name, c := range propertyCalendars(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(2026, 2))
			for range 2000 {
				from := randomInstant(r)
				var d time.Duration
				switch r.IntN(4) {
				case 0: // whole working days, as the catalog gives them
					d = time.Duration(r.IntN(31)) * calendar.WorkingDay
				case 1: // whole minutes, as step shares are
					d = time.Duration(r.IntN(5*8*60)) * time.Minute
				case 2: // anything up to a few days
					d = time.Duration(r.Int64N(int64(3 * calendar.WorkingDay)))
				default: // tiny, to probe window edges
					d = time.Duration(r.Int64N(int64(time.Second)))
				}
				checkAddWorkingTime(t, c, from, d)

				// Monotonic in both arguments.
				more := d + time.Duration(r.Int64N(int64(calendar.WorkingDay)))
				require.False(t, c.AddWorkingTime(from, more).Before(c.AddWorkingTime(from, d)))
				later := from.Add(time.Duration(r.Int64N(int64(72 * time.Hour))))
				require.False(t, c.AddWorkingTime(later, d).Before(c.AddWorkingTime(from, d)))

				// Working time is additive over adjacent intervals.
				mid := from.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
				end := mid.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
				require.Equal(t, c.WorkingTimeBetween(from, end), c.WorkingTimeBetween(from, mid)+c.WorkingTimeBetween(mid, end))
			}
		})
	}
}

// TestAgainstMinuteModel compares AddWorkingTime and WorkingTimeBetween with
// a deliberately naive model that walks minute by minute and knows the
// default windows only as minute numbers. On whole minutes the two must
// agree exactly; the model shares nothing with the implementation but
// IsWorkingDay, which TestIsWorkingDay checks on its own.
func TestAgainstMinuteModel(t *testing.T) {
	t.Parallel()
	c := vnMarginCalendar(t)
	working := func(t time.Time) bool {
		t = t.In(calendar.Location)
		m := t.Hour()*60 + t.Minute()
		return c.IsWorkingDay(t) && (m >= 7*60 && m < 11*60+30 || m >= 13*60+30 && m < 17*60)
	}
	modelAdd := func(from time.Time, minutes int) time.Time {
		if minutes == 0 {
			return from
		}
		for t := from; ; t = t.Add(time.Minute) {
			if working(t) {
				if minutes--; minutes == 0 {
					return t.Add(time.Minute)
				}
			}
		}
	}
	modelBetween := func(a, b time.Time) time.Duration {
		var n time.Duration
		for t := a; t.Before(b); t = t.Add(time.Minute) {
			if working(t) {
				n += time.Minute
			}
		}
		return n
	}

	r := rand.New(rand.NewPCG(84, 2026))
	minutes := int64(spanEnd.Sub(spanStart) / time.Minute)
	for range 300 {
		from := spanStart.Add(time.Duration(r.Int64N(minutes)) * time.Minute)
		n := r.IntN(3 * 8 * 60)
		requireInstant(t, modelAdd(from, n), c.AddWorkingTime(from, time.Duration(n)*time.Minute))

		b := from.Add(time.Duration(r.IntN(6*24*60)) * time.Minute)
		require.Equal(t, modelBetween(from, b), c.WorkingTimeBetween(from, b), "between %s and %s", from, b)
	}
}

// FuzzAddWorkingTime checks the round trip with WorkingTimeBetween and
// monotonicity on the real calendar, for any instant in the table's years
// and any duration up to 60 working days. Run it with
// go test -fuzz FuzzAddWorkingTime ./calendar/.
func FuzzAddWorkingTime(f *testing.F) {
	c := vnMarginCalendar(f)
	f.Add(int64(0), int64(0), int64(0))
	f.Add(int64(at(2026, 2, 13, 10, 0).Sub(spanStart)), int64(3*calendar.WorkingDay), int64(time.Hour))
	f.Add(int64(at(2026, 3, 2, 6, 0).Sub(spanStart)), int64(8*time.Hour), int64(1))
	f.Add(int64(at(2026, 3, 2, 11, 30).Sub(spanStart)), int64(time.Hour), int64(-1))
	f.Add(int64(at(2026, 1, 9, 17, 0).Sub(spanStart)), int64(time.Nanosecond), int64(calendar.WorkingDay))
	f.Add(int64(-1), int64(-1), int64(-1))
	span := int64(spanEnd.Sub(spanStart))
	f.Fuzz(func(t *testing.T, offset, d, delta int64) {
		from := spanStart.Add(time.Duration(mod(offset, span)))
		dur := time.Duration(mod(d, int64(60*calendar.WorkingDay)))
		step := time.Duration(mod(delta, int64(5*calendar.WorkingDay)))

		checkAddWorkingTime(t, c, from, dur)
		got := c.AddWorkingTime(from, dur)
		require.False(t, c.AddWorkingTime(from, dur+step).Before(got), "longer durations end no earlier")
		require.False(t, c.AddWorkingTime(from.Add(step), dur).Before(got), "later starts end no earlier")
	})
}

// mod is x modulo m, always in [0, m), so any fuzzed int64 maps into range.
func mod(x, m int64) int64 {
	r := x % m
	if r < 0 {
		r += m
	}
	return r
}
