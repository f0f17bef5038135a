package calendar

import (
	"cmp"
	"fmt"
	"time"
)

// Date is a civil date (ngày) in Asia/Ho_Chi_Minh, without a clock time.
//
// The holiday table is a list of dates, not instants: a day off is the whole
// local day, whichever zone a caller's time.Time happens to be in. Keeping
// dates in their own type avoids the classic bug of a UTC midnight that is
// 07:00 local, or a date that shifts by one when a time is converted.
// Dates are comparable and can be map keys. The zero Date is not a valid
// date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// dateLayout is ISO 8601's calendar date, the form the holiday file uses.
const dateLayout = "2006-01-02"

// ParseDate parses a date written YYYY-MM-DD. It rejects dates that do not
// exist (2026-02-30) instead of normalising them, because a typo in the
// holiday table must not silently become another day off.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: invalid date %q, want an existing date written YYYY-MM-DD", s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// DateOf returns the local (Asia/Ho_Chi_Minh) date of the instant t, whatever
// t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Location).Date()
	return Date{Year: y, Month: m, Day: d}
}

// Valid reports whether d names an existing day between years 1 and 9999,
// the range that can be written YYYY-MM-DD.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.civil().Day() == d.Day // time.Date normalises 30 February to March
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.civil().Weekday() }

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date {
	t := d.civil().AddDate(0, 0, n)
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Midnight returns the instant d begins in Asia/Ho_Chi_Minh. Working windows
// are offsets from it; with a fixed zone every day is exactly 24 hours, so
// adding an offset never lands on another clock time.
func (d Date) Midnight() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Location)
}

// weekend reports whether d is a Saturday or a Sunday.
func (d Date) weekend() bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// civil is d at midnight UTC: date arithmetic only, never an instant anybody
// sees.
func (d Date) civil() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}
