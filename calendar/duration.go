package calendar

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Unit is how a legal processing time (thời hạn giải quyết) is counted.
type Unit string

// The units. The catalog uses working days, calendar days and same day;
// working hours serve the per-step shares of the legal time.
const (
	// UnitWorkingDays counts N working days of 8 working hours each.
	UnitWorkingDays Unit = "working_days"
	// UnitWorkingHours counts N working hours.
	UnitWorkingHours Unit = "working_hours"
	// UnitCalendarDays counts N days of 24 hours; a deadline that falls on a
	// day off moves to the next working day.
	UnitCalendarDays Unit = "calendar_days"
	// UnitSameDay is done by the end of the working day of receipt, or of the
	// next working day if received after the cut-off (trong ngày).
	UnitSameDay Unit = "same_day"
)

// Valid reports whether u is one of the known units.
func (u Unit) Valid() bool {
	switch u {
	case UnitWorkingDays, UnitWorkingHours, UnitCalendarDays, UnitSameDay:
		return true
	}
	return false
}

// DefaultSameDayCutoff is the local clock time after which a same-day
// procedure is done the next working day. 15:00 is the usual
// cut-off but not confirmed by a regulation we could cite, hence a parameter of [Calendar.Due] rather than a rule.
const DefaultSameDayCutoff = 15 * time.Hour

// Duration is a legal processing time: N units. For UnitSameDay, N must be 0.
type Duration struct {
	Unit Unit `json:"unit"`
	N    int  `json:"n"`
}

// Validate reports a unit that is not known, a negative N, a same-day
// duration with an N other than 0, and an N so large that its length does
// not fit in a time.Duration (about 292 years). A catalog can call it when it
// loads, so that a bad duration is found before a dossier needs it.
func (d Duration) Validate() error {
	if !d.Unit.Valid() {
		return fmt.Errorf("calendar: unknown duration unit %q; want %s, %s, %s or %s",
			d.Unit, UnitWorkingDays, UnitWorkingHours, UnitCalendarDays, UnitSameDay)
	}
	if d.N < 0 {
		return fmt.Errorf("calendar: negative duration %d %s", d.N, d.Unit)
	}
	if d.Unit == UnitSameDay {
		if d.N != 0 {
			return fmt.Errorf("calendar: a %s duration takes no count, got %d", UnitSameDay, d.N)
		}
		return nil
	}
	if int64(d.N) > math.MaxInt64/int64(d.unitLength()) {
		return fmt.Errorf("calendar: duration %d %s is too long", d.N, d.Unit)
	}
	return nil
}

// unitLength is the length of one unit: working time for working units,
// elapsed time for calendar days. Not meaningful for same day.
func (d Duration) unitLength() time.Duration {
	switch d.Unit {
	case UnitWorkingDays:
		return WorkingDay
	case UnitWorkingHours:
		return time.Hour
	case UnitCalendarDays:
		return 24 * time.Hour
	}
	return 0
}

// The compact suffixes of [ParseDuration] and [Duration.String].
const (
	suffixWorkingDays  = "wd"
	suffixWorkingHours = "wh"
	suffixCalendarDays = "d"
)

// String returns the compact form ParseDuration reads: "3wd", "4wh", "15d"
// or "same_day". An invalid duration is shown as such, not in a form that
// would parse.
func (d Duration) String() string {
	if d.Validate() != nil {
		return fmt.Sprintf("invalid duration (unit %q, n %d)", d.Unit, d.N)
	}
	switch d.Unit {
	case UnitWorkingDays:
		return strconv.Itoa(d.N) + suffixWorkingDays
	case UnitWorkingHours:
		return strconv.Itoa(d.N) + suffixWorkingHours
	case UnitCalendarDays:
		return strconv.Itoa(d.N) + suffixCalendarDays
	}
	return string(UnitSameDay)
}

// ParseDuration reads the compact form of a duration, as a command line
// would take it: "3wd" (working days), "4wh" (working hours), "15d"
// (calendar days) or "same_day". The count is unsigned decimal digits; no
// spaces, signs or upper case. The result is valid (see [Duration.Validate]).
func ParseDuration(s string) (Duration, error) {
	if s == string(UnitSameDay) {
		return Duration{Unit: UnitSameDay}, nil
	}
	var d Duration
	var digits string
	// "wd" and "wh" end in letters other than d, but "3wd" also ends in "d":
	// try the longer suffixes first.
	switch {
	case strings.HasSuffix(s, suffixWorkingDays):
		d.Unit, digits = UnitWorkingDays, strings.TrimSuffix(s, suffixWorkingDays)
	case strings.HasSuffix(s, suffixWorkingHours):
		d.Unit, digits = UnitWorkingHours, strings.TrimSuffix(s, suffixWorkingHours)
	case strings.HasSuffix(s, suffixCalendarDays):
		d.Unit, digits = UnitCalendarDays, strings.TrimSuffix(s, suffixCalendarDays)
	default:
		return Duration{}, fmt.Errorf("calendar: invalid duration %q; want <n>wd, <n>wh, <n>d or same_day", s)
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return Duration{}, fmt.Errorf("calendar: invalid duration %q; the count must be unsigned decimal digits, as in 3wd", s)
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return Duration{}, fmt.Errorf("calendar: invalid duration %q: count out of range", s)
	}
	d.N = n
	if err := d.Validate(); err != nil {
		return Duration{}, err
	}
	return d, nil
}

// Due returns the due time of a legal processing time d counted from the
// instant from (the receipt time, or a step's start), in the local zone:
//
//   - working_days: N working days, each as long as its own windows add up
//     to ([Calendar.DayLength]): as far into the N-th working day after the
//     count starts as the start was into its own day. With the same windows
//     every day that is AddWorkingTime(from, N × the day's length): N × 8h
//     with the default windows.
//   - working_hours: AddWorkingTime(from, N × 1h).
//   - calendar_days: counting starts at NextWorkingInstant(from), so a
//     dossier received on a Saturday counts from Monday morning; the due
//     time is N × 24h later, at the same clock time. If that date is not a
//     working day the deadline moves to the next working day, keeping the
//     clock time; a clock time outside the windows is then clamped into
//     them (before the first window → its start, between two windows → the
//     next one's start, after the last → its end). With windows that are the
//     same every day, the clock time is always inside one, so the clamp is
//     a safeguard only.
//   - same_day: if from is on a working day, before the end of its last
//     window (inside a window, before the first one or at lunch), and its
//     clock time is before sameDayCutoff, the due time is that day's end of
//     working day; otherwise the end of the next working day.
//
// sameDayCutoff is a local clock time (an offset from midnight); 0 means
// [DefaultSameDayCutoff]. It is ignored by the other units.
//
// Due returns an error for an invalid d (see [Duration.Validate]), a cutoff
// outside (0, 24h], [ErrNoWorkingTime] when the holiday table leaves no
// working time for years, and a [*YearNotInTableError] when a strict
// calendar (see [New]) must know about a year its table does not list; it
// never panics on a calendar built by New.
func (c *Calendar) Due(from time.Time, d Duration, sameDayCutoff time.Duration) (time.Time, error) {
	if err := d.Validate(); err != nil {
		return time.Time{}, err
	}
	switch d.Unit {
	case UnitWorkingDays:
		if d.N == 0 {
			return from, nil
		}
		return c.addWorkingDays(from, d.N)
	case UnitWorkingHours:
		return c.addWorkingTime(from, time.Duration(d.N)*d.unitLength())
	case UnitCalendarDays:
		return c.dueCalendarDays(from, d.N)
	default: // UnitSameDay, the only other valid unit
		return c.dueSameDay(from, sameDayCutoff)
	}
}

func (c *Calendar) dueCalendarDays(from time.Time, n int) (time.Time, error) {
	start, err := c.nextWorkingInstant(from)
	if err != nil {
		return time.Time{}, err
	}
	// In a fixed zone, n days later at the same clock time is exactly
	// n × 24h later.
	target := start.Add(time.Duration(n) * 24 * time.Hour)
	day := DateOf(target)
	clock := target.Sub(day.Midnight())
	working, err := c.isWorkingDate(day)
	if err != nil {
		return time.Time{}, err
	}
	if !working {
		if day, err = c.nextWorkingDate(day); err != nil {
			return time.Time{}, err
		}
	}
	return c.clampIntoWindows(day, clock), nil
}

// clampIntoWindows returns the clock time on day, moved into the windows if
// it is outside them. A window's end counts as inside here: like a deadline
// from AddWorkingTime, a due time may be the last instant of a window.
func (c *Calendar) clampIntoWindows(day Date, clock time.Duration) time.Time {
	midnight := day.Midnight()
	ws := c.windowsOn(day)
	for _, w := range ws {
		if clock < w.Start {
			return midnight.Add(w.Start)
		}
		if clock <= w.End {
			return midnight.Add(clock)
		}
	}
	return midnight.Add(ws[len(ws)-1].End)
}

func (c *Calendar) dueSameDay(from time.Time, cutoff time.Duration) (time.Time, error) {
	if cutoff == 0 {
		cutoff = DefaultSameDayCutoff
	}
	if cutoff < 0 || cutoff > 24*time.Hour {
		return time.Time{}, fmt.Errorf("calendar: same-day cutoff %s is not a clock time within a day", cutoff)
	}
	c.mustHaveWindows()
	t := inLocal(from)
	day := DateOf(t)
	end := c.endOfDay(day)
	// Only ask the table about the day of receipt if its time could count.
	if t.Before(end) && t.Sub(day.Midnight()) < cutoff {
		working, err := c.isWorkingDate(day)
		if err != nil {
			return time.Time{}, err
		}
		if working {
			return end, nil
		}
	}
	next, err := c.nextWorkingDate(day)
	if err != nil {
		return time.Time{}, err
	}
	return c.endOfDay(next), nil
}
