package calendar

import (
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// Period is office hours that hold for a range of dates instead of the
// calendar's usual windows: summer and winter hours (giờ làm việc mùa hè,
// mùa đông), announced by a province for a date range. From and To are
// both included.
type Period struct {
	From, To Date
	Windows  []Window
}

// String formats p as "2026-04-15..2026-10-14 07:00-11:30,13:30-17:00".
func (p Period) String() string {
	s := p.From.String() + ".." + p.To.String() + " "
	for i, w := range p.Windows {
		if i > 0 {
			s += ","
		}
		s += w.String()
	}
	return s
}

// NewWithPeriods is [New] with periods of other office hours: on a date of
// a period the period's windows count, on any other date the usual ones.
// Periods must be valid date ranges (From not after To), each with valid
// windows, and must not overlap; they are copied.
func NewWithPeriods(windows []Window, periods []Period, table *Table) (*Calendar, error) {
	c, err := New(windows, table)
	if err != nil {
		return nil, err
	}
	ps := make([]Period, 0, len(periods))
	for _, p := range periods {
		if !p.From.Valid() || !p.To.Valid() || p.From.Compare(p.To) > 0 {
			return nil, fmt.Errorf("calendar: period %s..%s must run from an existing date to the same or a later one", p.From, p.To)
		}
		if err := validateWindows(p.Windows); err != nil {
			return nil, fmt.Errorf("calendar: period %s..%s: %w", p.From, p.To, err)
		}
		ps = append(ps, Period{From: p.From, To: p.To, Windows: slices.Clone(p.Windows)})
	}
	slices.SortFunc(ps, func(a, b Period) int { return a.From.Compare(b.From) })
	for i := 1; i < len(ps); i++ {
		if ps[i].From.Compare(ps[i-1].To) <= 0 {
			return nil, fmt.Errorf("calendar: periods %s and %s overlap", ps[i-1], ps[i])
		}
	}
	c.periods = ps
	return c, nil
}

// Periods returns a copy of the calendar's periods, in date order.
func (c *Calendar) Periods() []Period {
	out := make([]Period, len(c.periods))
	for i, p := range c.periods {
		out[i] = Period{From: p.From, To: p.To, Windows: slices.Clone(p.Windows)}
	}
	return out
}

// windowsOn returns the office hours of date d: its period's, or the usual
// ones. The slice is the calendar's own; callers must not change it.
func (c *Calendar) windowsOn(d Date) []Window {
	c.mustHaveWindows()
	// Few periods (two a year): a binary search is not worth its code.
	for _, p := range c.periods {
		if d.Compare(p.From) >= 0 && d.Compare(p.To) <= 0 {
			return p.Windows
		}
	}
	return c.windows
}

// WindowsOn returns a copy of the office hours of t's local date.
func (c *Calendar) WindowsOn(t time.Time) []Window {
	return slices.Clone(c.windowsOn(DateOf(t)))
}

// DayLength is the working time of one working day on t's local date: its
// windows added up. A duration in working days counts days of this length
// (see [Calendar.Due]); it does not check that the date is worked.
func (c *Calendar) DayLength(t time.Time) time.Duration {
	return dayLength(c.windowsOn(DateOf(t)))
}

func dayLength(ws []Window) time.Duration {
	var sum time.Duration
	for _, w := range ws {
		sum += w.End - w.Start
	}
	return sum
}

// CountFrom returns the instant from which legal time received at `from` is
// counted under a cut-off clock time (giờ chốt): received on a working day
// at or after cutoff, counting starts when the next working day opens;
// otherwise at from itself (before the cut-off, or on a day off, where the
// count waits for the next window anyway). A cutoff of 0 means none.
func (c *Calendar) CountFrom(from time.Time, cutoff time.Duration) (time.Time, error) {
	if cutoff == 0 {
		return from, nil
	}
	if cutoff < 0 || cutoff > 24*time.Hour {
		return time.Time{}, fmt.Errorf("calendar: cut-off %s is not a clock time within a day", cutoff)
	}
	t := inLocal(from)
	day := DateOf(t)
	if t.Sub(day.Midnight()) < cutoff {
		return from, nil
	}
	working, err := c.isWorkingDate(day)
	if err != nil || !working {
		return from, err
	}
	next, err := c.nextWorkingDate(day)
	if err != nil {
		return time.Time{}, err
	}
	return next.Midnight().Add(c.windowsOn(next)[0].Start), nil
}

// addWorkingDays counts n > 0 working days from `from`, each as long as its
// own windows: the due time is as far into the n-th working day after the
// count starts as the start was into its own day, in proportion to the two
// days' lengths. With the same windows every day it is exactly
// AddWorkingTime(from, n × the day's length); a start at a day's opening
// falls due at the end of the working day before (the earliest instant, as
// AddWorkingTime gives).
func (c *Calendar) addWorkingDays(from time.Time, n int) (time.Time, error) {
	start, err := c.nextWorkingInstant(from)
	if err != nil {
		return time.Time{}, err
	}
	day := DateOf(start)
	ws := c.windowsOn(day)
	into, err := c.Between(day.Midnight().Add(ws[0].Start), start)
	if err != nil {
		return time.Time{}, err
	}
	prev, target := day, day
	for range n {
		prev = target
		if target, err = c.nextWorkingDate(target); err != nil {
			return time.Time{}, err
		}
	}
	if into == 0 {
		return c.endOfDay(prev), nil
	}
	tws := c.windowsOn(target)
	if from, to := dayLength(ws), dayLength(tws); from != to {
		// into < from, so the product's high word is below from: no overflow.
		hi, lo := bits.Mul64(uint64(into), uint64(to))
		q, _ := bits.Div64(hi, lo, uint64(from))
		into = time.Duration(q)
	}
	if into == 0 {
		return c.endOfDay(prev), nil
	}
	return c.addWorkingTime(target.Midnight().Add(tws[0].Start), into)
}
