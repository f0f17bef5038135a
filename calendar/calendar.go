package calendar

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// WorkingDay is the legal length of one working day (ngày làm việc): 8
// working hours. A duration in working days is converted with it, even for an
// office whose windows add up to more or less.
const WorkingDay = 8 * time.Hour

// searchHorizon bounds every search for the next working time, in days in a
// row without any. Weekends and the longest Tết break are a few days; only a
// broken table (every day off for years) gets near this, and it must end in
// an error rather than a loop that never returns.
const searchHorizon = 3 * 366

// ErrNoWorkingTime reports that no working time was found within about three
// years of an instant, which only a broken holiday table can cause.
var ErrNoWorkingTime = errors.New("calendar: no working time within 3 years; check the holiday table")

// Calendar does working-time arithmetic for one office: its working windows
// and the holiday table it follows. It is immutable and safe for concurrent
// use. Build it with [New] or [Default]; the zero Calendar has no windows and
// its methods panic.
type Calendar struct {
	windows []Window
	table   *Table
}

// New returns a calendar with the given working windows (offsets from local
// midnight, in order, non-overlapping, non-empty, at least one) and holiday
// table; a nil table means Monday–Friday with no exceptions. The windows are
// copied.
func New(windows []Window, table *Table) (*Calendar, error) {
	if err := validateWindows(windows); err != nil {
		return nil, err
	}
	return &Calendar{windows: slices.Clone(windows), table: table}, nil
}

// Default returns a calendar with [DefaultWindows] and no holiday table:
// Monday–Friday, 07:00–11:30 and 13:30–17:00.
func Default() *Calendar {
	c, err := New(DefaultWindows(), nil)
	if err != nil {
		panic(err) // DefaultWindows is valid; a test guards it
	}
	return c
}

// Windows returns a copy of the calendar's working windows.
func (c *Calendar) Windows() []Window {
	c.mustHaveWindows()
	return slices.Clone(c.windows)
}

// IsWorkingDay reports whether the local date of t is a working day: a
// weekday that the table does not list as a day off, or a weekend day that
// the table lists as a make-up working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.isWorkingDate(DateOf(t))
}

func (c *Calendar) isWorkingDate(d Date) bool {
	switch c.table.kind(d) {
	case kindDayOff:
		return false
	case kindMakeUp:
		return true
	}
	return !d.weekend()
}

// AddWorkingTime returns the earliest instant at which d of working time has
// elapsed since from, in the local zone.
//
//   - Counting starts at from if from is inside a window, otherwise at the
//     next window start: a dossier received at 17:30 starts its clock at
//     07:00 on the next working day.
//   - Because the result is the earliest such instant, it can be a window's
//     end: 06:00 plus 8 hours is 17:00 the same day, not 07:00 the next.
//   - d == 0 returns from itself, unchanged (same instant, same location),
//     even when from is outside the windows: no time has to elapse.
//   - A negative d counts backwards: the result is the latest instant from
//     which -d of working time elapses until from (a window's start rather
//     than the previous evening's end), for questions like "one working day
//     before the appointment".
//
// For d >= 0, WorkingTimeBetween(from, AddWorkingTime(from, d)) == d.
//
// It panics if no working time exists within about three years (see
// [ErrNoWorkingTime]), which only a broken holiday table can cause; [Calendar.Due]
// returns that as an error instead.
func (c *Calendar) AddWorkingTime(from time.Time, d time.Duration) time.Time {
	t, err := c.addWorkingTime(from, d)
	if err != nil {
		panic(err)
	}
	return t
}

func (c *Calendar) addWorkingTime(from time.Time, d time.Duration) (time.Time, error) {
	c.mustHaveWindows()
	switch {
	case d == 0:
		return from, nil
	case d < 0:
		return c.subtractWorkingTime(from, d)
	}
	t := inLocal(from)
	remaining := d
	idle := 0 // days in a row without a working window
	for day := DateOf(t); ; day = day.AddDays(1) {
		if !c.isWorkingDate(day) {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (counting forward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		midnight := day.Midnight()
		for _, w := range c.windows {
			end := midnight.Add(w.End)
			if !end.After(t) {
				continue // over before the count starts
			}
			start := later(midnight.Add(w.Start), t)
			avail := end.Sub(start)
			if remaining <= avail {
				return start.Add(remaining), nil
			}
			remaining -= avail
		}
	}
}

// subtractWorkingTime mirrors addWorkingTime backwards; d < 0. It keeps the
// remaining time negative so that math.MinInt64 needs no negation.
func (c *Calendar) subtractWorkingTime(to time.Time, d time.Duration) (time.Time, error) {
	t := inLocal(to)
	remaining := d
	idle := 0
	for day := DateOf(t); ; day = day.AddDays(-1) {
		if !c.isWorkingDate(day) {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (counting backward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		midnight := day.Midnight()
		for i := len(c.windows) - 1; i >= 0; i-- {
			w := c.windows[i]
			start := midnight.Add(w.Start)
			if !start.Before(t) {
				continue // starts after the count's end
			}
			end := earlier(midnight.Add(w.End), t)
			avail := end.Sub(start)
			if remaining+avail >= 0 {
				return end.Add(remaining), nil
			}
			remaining += avail
		}
	}
}

// WorkingTimeBetween returns the working time inside [a, b), or 0 if b is not
// after a. It is the inverse of [Calendar.AddWorkingTime]; it is what a paused
// clock (a supplement request, a fee awaiting payment) adds to the deadline.
// It walks the span day by day, so its cost grows linearly with b - a; the
// sum saturates at the largest time.Duration rather than overflow.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	c.mustHaveWindows()
	a, b = inLocal(a), inLocal(b)
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	last := DateOf(b)
	for day := DateOf(a); day.Compare(last) <= 0; day = day.AddDays(1) {
		if !c.isWorkingDate(day) {
			continue
		}
		midnight := day.Midnight()
		for _, w := range c.windows {
			start := later(midnight.Add(w.Start), a)
			end := earlier(midnight.Add(w.End), b)
			if !end.After(start) {
				continue
			}
			part := end.Sub(start)
			if total > math.MaxInt64-part {
				return math.MaxInt64
			}
			total += part
		}
	}
	return total
}

// NextWorkingInstant returns t (in the local zone) if t is inside a window
// of a working day, otherwise the start of the next window on a working day:
// the instant from which working time is counted. A window's end is not
// inside it, so 11:30 gives 13:30 and 17:00 gives the next working morning.
//
// Like AddWorkingTime, it panics only if no working time exists within about
// three years.
func (c *Calendar) NextWorkingInstant(t time.Time) time.Time {
	next, err := c.nextWorkingInstant(t)
	if err != nil {
		panic(err)
	}
	return next
}

func (c *Calendar) nextWorkingInstant(t time.Time) (time.Time, error) {
	c.mustHaveWindows()
	t = inLocal(t)
	idle := 0
	for day := DateOf(t); ; day = day.AddDays(1) {
		if !c.isWorkingDate(day) {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (looking forward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		midnight := day.Midnight()
		for _, w := range c.windows {
			if midnight.Add(w.End).After(t) {
				return later(midnight.Add(w.Start), t), nil
			}
		}
	}
}

// EndOfWorkingDay returns the end of the last window on t's local date
// (17:00 with the default windows). It does not check that the date is a
// working day: it is a clock time, and callers such as same-day deadlines
// pick the day first.
func (c *Calendar) EndOfWorkingDay(t time.Time) time.Time {
	return c.endOfDay(DateOf(t))
}

func (c *Calendar) endOfDay(d Date) time.Time {
	c.mustHaveWindows()
	return d.Midnight().Add(c.windows[len(c.windows)-1].End)
}

// nextWorkingDate returns the first working day strictly after d.
func (c *Calendar) nextWorkingDate(d Date) (Date, error) {
	for i := 1; i <= searchHorizon+1; i++ {
		if next := d.AddDays(i); c.isWorkingDate(next) {
			return next, nil
		}
	}
	return Date{}, fmt.Errorf("%w (looking for the working day after %s)", ErrNoWorkingTime, d)
}

// mustHaveWindows turns the zero Calendar's endless search into a clear
// panic; New never builds a calendar without windows.
func (c *Calendar) mustHaveWindows() {
	if len(c.windows) == 0 {
		panic("calendar: Calendar has no working windows; build it with calendar.New or calendar.Default")
	}
}

// inLocal converts t to the local zone and drops any monotonic clock reading,
// so results are plain wall-clock instants that compare and serialise alike.
func inLocal(t time.Time) time.Time { return t.Round(0).In(Location) }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
