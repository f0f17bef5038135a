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

// ErrYearNotInTable reports that a computation needed to know whether a day
// is worked in a year the holiday table does not list. Match it with
// errors.Is; the error itself is a [*YearNotInTableError] naming the year.
var ErrYearNotInTable = errors.New("calendar: year not in the holiday table")

// YearNotInTableError is the error of a strict calendar (see [New]) asked
// about a day of a year its holiday table does not cover. Without the table
// that year's Tết would silently count as working days, so the computation
// fails instead, until the year's official schedule is imported.
type YearNotInTableError struct {
	// Year is the calendar year missing from the table.
	Year int
}

// Error says which year is missing and how to add it.
func (e *YearNotInTableError) Error() string {
	return fmt.Sprintf("calendar: the holiday table has no entry for %d; import the year's official schedule (motcua calendar import FILE)", e.Year)
}

// Is makes errors.Is(err, ErrYearNotInTable) true for any missing year.
func (e *YearNotInTableError) Is(target error) bool { return target == ErrYearNotInTable }

// Calendar does working-time arithmetic for one office: its working windows
// and the holiday table it follows. It is immutable and safe for concurrent
// use. Build it with [New] or [Default]; the zero Calendar has no windows and
// its methods panic.
type Calendar struct {
	windows []Window
	table   *Table
	// periods are date ranges with office hours of their own (summer and
	// winter hours; NewWithPeriods), in date order, not overlapping.
	periods []Period
}

// New returns a calendar with the given working windows (offsets from local
// midnight, in order, non-overlapping, non-empty, at least one) and holiday
// table. The windows are copied.
//
// A nil table means Monday–Friday with no exceptions, in every year. A
// non-nil table makes the calendar strict: the table only speaks for the
// years it lists, so any computation that has to decide whether a day of
// another year is worked fails with a [*YearNotInTableError] (or, for the
// methods without an error result, panics with it) rather than treat that
// year's Tết as working days. An empty non-nil table covers no year at all.
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

// Windows returns a copy of the calendar's usual working windows (periods
// aside; see [Calendar.WindowsOn]).
func (c *Calendar) Windows() []Window {
	c.mustHaveWindows()
	return slices.Clone(c.windows)
}

// Table returns the holiday table the calendar follows, nil for a
// Monday–Friday calendar. Tables are immutable, so it is shared, not copied.
func (c *Calendar) Table() *Table { return c.table }

// IsWorkingDay reports whether the local date of t is a working day: a
// weekday that the table does not list as a day off, or a weekend day that
// the table lists as a make-up working day.
//
// On a strict calendar it panics with a [*YearNotInTableError] if the table
// does not list t's year.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	working, err := c.isWorkingDate(DateOf(t))
	if err != nil {
		panic(err)
	}
	return working
}

// isWorkingDate is the one place that decides whether a date is worked, and
// so the one place a strict calendar refuses a year its table lacks.
func (c *Calendar) isWorkingDate(d Date) (bool, error) {
	switch c.table.kind(d) {
	case kindDayOff:
		return false, nil
	case kindMakeUp:
		return true, nil
	}
	if c.table != nil && !c.table.covers(d.Year) {
		return false, &YearNotInTableError{Year: d.Year}
	}
	return !d.weekend(), nil
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
// [ErrNoWorkingTime]), which only a broken holiday table can cause, and, on a
// strict calendar (see [New]), if the count reaches a year the table does not
// list (see [YearNotInTableError]). It suits tests and fixed tables;
// production code uses [Calendar.Add] or [Calendar.Due], which return those
// as errors.
func (c *Calendar) AddWorkingTime(from time.Time, d time.Duration) time.Time {
	t, err := c.addWorkingTime(from, d)
	if err != nil {
		panic(err)
	}
	return t
}

// Add is [Calendar.AddWorkingTime] with an error instead of a panic: it
// returns [ErrNoWorkingTime] when the table leaves no working time for
// years, and a [*YearNotInTableError] when a strict calendar must know about
// a year its table does not list. A day whose windows are all before the
// count starts (or after it ends, counting backwards) is never looked up, so
// Add(Friday 31 December 16:00, 1h) needs no entry for the next year.
func (c *Calendar) Add(from time.Time, d time.Duration) (time.Time, error) {
	return c.addWorkingTime(from, d)
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
		midnight := day.Midnight()
		if !c.lastEnd(day).After(t) {
			continue // the day's windows are over before the count starts
		}
		working, err := c.isWorkingDate(day)
		if err != nil {
			return time.Time{}, err
		}
		if !working {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (counting forward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		for _, w := range c.windowsOn(day) {
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
		midnight := day.Midnight()
		ws := c.windowsOn(day)
		if !midnight.Add(ws[0].Start).Before(t) {
			continue // the day's windows start after the count's end
		}
		working, err := c.isWorkingDate(day)
		if err != nil {
			return time.Time{}, err
		}
		if !working {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (counting backward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		for i := len(ws) - 1; i >= 0; i-- {
			w := ws[i]
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
//
// On a strict calendar it panics with a [*YearNotInTableError] if a window
// inside the span lies in a year the table does not list; production code
// uses [Calendar.Between], which returns that error.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	d, err := c.Between(a, b)
	if err != nil {
		panic(err)
	}
	return d
}

// Between is [Calendar.WorkingTimeBetween] with an error instead of a panic.
// Only days that have a window inside [a, b) are looked up in the table, so
// a span ending at midnight on 1 January needs no entry for the new year.
func (c *Calendar) Between(a, b time.Time) (time.Duration, error) {
	c.mustHaveWindows()
	a, b = inLocal(a), inLocal(b)
	if !b.After(a) {
		return 0, nil
	}
	var total time.Duration
	last := DateOf(b)
	for day := DateOf(a); day.Compare(last) <= 0; day = day.AddDays(1) {
		midnight := day.Midnight()
		var sum time.Duration // this day's share, if it is worked
		for _, w := range c.windowsOn(day) {
			start := later(midnight.Add(w.Start), a)
			end := earlier(midnight.Add(w.End), b)
			if end.After(start) {
				sum += end.Sub(start) // at most 24h a day: no overflow
			}
		}
		if sum == 0 {
			continue
		}
		working, err := c.isWorkingDate(day)
		if err != nil {
			return 0, err
		}
		if !working {
			continue
		}
		if total > math.MaxInt64-sum {
			return math.MaxInt64, nil
		}
		total += sum
	}
	return total, nil
}

// NextWorkingInstant returns t (in the local zone) if t is inside a window
// of a working day, otherwise the start of the next window on a working day:
// the instant from which working time is counted. A window's end is not
// inside it, so 11:30 gives 13:30 and 17:00 gives the next working morning.
//
// Like AddWorkingTime, it panics if no working time exists within about
// three years, or if a strict calendar reaches a year its table does not
// list.
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
		midnight := day.Midnight()
		if !c.lastEnd(day).After(t) {
			continue // nothing left of this day
		}
		working, err := c.isWorkingDate(day)
		if err != nil {
			return time.Time{}, err
		}
		if !working {
			if idle++; idle > searchHorizon {
				return time.Time{}, fmt.Errorf("%w (looking forward from %s)", ErrNoWorkingTime, t.Format(time.RFC3339))
			}
			continue
		}
		idle = 0
		for _, w := range c.windowsOn(day) {
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
	return c.lastEnd(d)
}

// lastEnd is the end of the day's last window.
func (c *Calendar) lastEnd(d Date) time.Time {
	ws := c.windowsOn(d)
	return d.Midnight().Add(ws[len(ws)-1].End)
}

// nextWorkingDate returns the first working day strictly after d.
func (c *Calendar) nextWorkingDate(d Date) (Date, error) {
	for i := 1; i <= searchHorizon+1; i++ {
		next := d.AddDays(i)
		working, err := c.isWorkingDate(next)
		if err != nil {
			return Date{}, err
		}
		if working {
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
