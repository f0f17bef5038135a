package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"go.yaml.in/yaml/v3"
)

// The statuses of a year in the holiday table.
const (
	// StatusOfficial marks a year as announced by the government.
	StatusOfficial = "official"
	// StatusProjected marks a year derived from the Labour Code and the usual
	// pattern, to be replaced once the official announcement is published.
	StatusProjected = "projected"
)

// Day is one entry of the holiday table: a date and why it is listed.
type Day struct {
	// Date is the local civil date.
	Date Date
	// Name says what the day is (Tết, National day, a swap for a Saturday).
	Name string
	// Note is optional free text, used mostly by pending entries.
	Note string
}

// Year is the part of the holiday table for one calendar year, in the shape a
// store persists it.
type Year struct {
	// Year is the calendar year every date below belongs to.
	Year int
	// Status is StatusOfficial or StatusProjected.
	Status string
	// DaysOff are weekdays that are not worked (ngày nghỉ): holidays,
	// compensatory days, and weekdays swapped for a make-up Saturday.
	// Weekends are off already and are never listed.
	DaysOff []Day
	// MakeUpDays are Saturdays or Sundays that are worked (ngày làm bù) in
	// exchange for a weekday off.
	MakeUpDays []Day
	// Pending are announced or proposed days that are not (yet) days off.
	// They are informational only and never change a deadline.
	Pending []Day
}

// dayKind is what the table says about a date.
type dayKind uint8

const (
	kindUnlisted dayKind = iota // the weekday/weekend rule applies
	kindDayOff
	kindMakeUp
)

// Table is the official, editable list of days off and make-up working days,
// per year. It is the source of truth: lunar arithmetic can propose entries,
// but the government's yearly announcement (and swaps) decides.
//
// A Table is immutable once built, so one value can be shared by any number
// of goroutines and calendars. A nil *Table is an empty table: Monday–Friday
// with no exceptions.
type Table struct {
	years []Year // sorted by year, entries sorted by date; never handed out
	kinds map[Date]dayKind
}

// NewTable builds a table from its entries, for instance rows read back from
// a database. It checks the same rules as [ParseHolidays]: each year listed
// once with a known status; every date valid, inside its own year and listed
// only once (across days off, make-up days and pending entries); days off
// are weekdays and make-up days are weekends. The entries are copied and
// sorted by date, so the caller may reuse its slices.
func NewTable(years []Year) (*Table, error) {
	t := &Table{kinds: make(map[Date]dayKind)}
	seenYear := make(map[int]bool, len(years))
	for _, y := range years {
		if y.Year < 1 || y.Year > 9999 {
			return nil, fmt.Errorf("calendar: holiday table: year %d is out of range 1-9999", y.Year)
		}
		if seenYear[y.Year] {
			return nil, fmt.Errorf("calendar: holiday table: year %d is listed twice", y.Year)
		}
		seenYear[y.Year] = true
		if y.Status != StatusOfficial && y.Status != StatusProjected {
			return nil, fmt.Errorf("calendar: holiday table: year %d: status %q, want %q or %q",
				y.Year, y.Status, StatusOfficial, StatusProjected)
		}

		// where remembers the first listing of each date of this year, so a
		// duplicate error can point at both places. Dates of different years
		// cannot collide, since each must lie in its own year.
		where := make(map[Date]string)
		check := func(list string, days []Day, rule func(Day) error) ([]Day, error) {
			for i, d := range days {
				at := fmt.Sprintf("%s[%d]", list, i)
				if !d.Date.Valid() {
					return nil, fmt.Errorf("calendar: holiday table: year %d: %s: missing or invalid date %s", y.Year, at, d.Date)
				}
				if d.Date.Year != y.Year {
					return nil, fmt.Errorf("calendar: holiday table: year %d: %s: %s belongs to year %d; list it under that year",
						y.Year, at, d.Date, d.Date.Year)
				}
				if first, dup := where[d.Date]; dup {
					return nil, fmt.Errorf("calendar: holiday table: year %d: %s: %s is already listed as %s", y.Year, at, d.Date, first)
				}
				where[d.Date] = at
				if rule != nil {
					if err := rule(d); err != nil {
						return nil, fmt.Errorf("calendar: holiday table: year %d: %s: %w", y.Year, at, err)
					}
				}
			}
			out := slices.Clone(days)
			slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
			return out, nil
		}

		entry := Year{Year: y.Year, Status: y.Status}
		var err error
		entry.DaysOff, err = check("days_off", y.DaysOff, func(d Day) error {
			if d.Date.weekend() {
				return fmt.Errorf("%s is a %s; weekends are off already, list only weekdays as days off",
					d.Date, d.Date.Weekday())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		entry.MakeUpDays, err = check("make_up_days", y.MakeUpDays, func(d Day) error {
			if !d.Date.weekend() {
				return fmt.Errorf("%s is a %s; a make-up working day must be a Saturday or a Sunday",
					d.Date, d.Date.Weekday())
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// A pending date that is also a day off usually means it was enacted
		// and the pending entry was left behind; say so rather than guess.
		entry.Pending, err = check("pending", y.Pending, nil)
		if err != nil {
			return nil, err
		}

		for _, d := range entry.DaysOff {
			t.kinds[d.Date] = kindDayOff
		}
		for _, d := range entry.MakeUpDays {
			t.kinds[d.Date] = kindMakeUp
		}
		t.years = append(t.years, entry)
	}
	slices.SortFunc(t.years, func(a, b Year) int { return a.Year - b.Year })
	return t, nil
}

// Years returns a copy of the table's entries, sorted by year and, within a
// year, by date, ready for a store to persist. Changing the result does not
// change the table.
func (t *Table) Years() []Year {
	if t == nil {
		return nil
	}
	out := make([]Year, len(t.years))
	for i, y := range t.years {
		out[i] = y.clone()
	}
	return out
}

// Year returns a copy of the entries for year y, and whether the table has
// that year at all. A calendar built on the table refuses to count through a
// year it does not cover (see [YearNotInTableError]).
func (t *Table) Year(y int) (Year, bool) {
	if t == nil {
		return Year{}, false
	}
	i, ok := slices.BinarySearchFunc(t.years, y, func(e Year, y int) int { return e.Year - y })
	if !ok {
		return Year{}, false
	}
	return t.years[i].clone(), true
}

// covers reports whether the table lists year y, without copying it as
// [Table.Year] does: it is asked once per day a calendar walks.
func (t *Table) covers(y int) bool {
	if t == nil {
		return false
	}
	_, ok := slices.BinarySearchFunc(t.years, y, func(e Year, y int) int { return e.Year - y })
	return ok
}

// kind returns what the table says about d; safe on a nil table.
func (t *Table) kind(d Date) dayKind {
	if t == nil {
		return kindUnlisted
	}
	return t.kinds[d]
}

func (y Year) clone() Year {
	y.DaysOff = slices.Clone(y.DaysOff)
	y.MakeUpDays = slices.Clone(y.MakeUpDays)
	y.Pending = slices.Clone(y.Pending)
	return y
}

// holidayTimezone is the only zone the holiday file may declare: every date
// in it is read as an Asia/Ho_Chi_Minh civil date.
const holidayTimezone = "Asia/Ho_Chi_Minh"

// The YAML shapes of the holiday file. Unknown keys are rejected, because a
// misspelt key (day_off) would otherwise drop a whole list of holidays
// without a word.
type (
	holidayFile struct {
		Timezone string              `yaml:"timezone"`
		Years    map[int]holidayYear `yaml:"years"`
	}
	holidayYear struct {
		Status     string       `yaml:"status"`
		DaysOff    []holidayDay `yaml:"days_off"`
		MakeUpDays []holidayDay `yaml:"make_up_days"`
		Pending    []holidayDay `yaml:"pending"`
	}
	holidayDay struct {
		Date yamlDate `yaml:"date"`
		Name string   `yaml:"name"`
		Note string   `yaml:"note"`
	}
)

// yamlDate reads a YYYY-MM-DD scalar strictly, reporting the line of a bad
// one. (YAML would otherwise resolve 2026-01-01 as a timestamp and 2026-02-30
// as a string, and neither as an error.)
type yamlDate struct{ Date }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *yamlDate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("calendar: holidays: line %d: date must be written YYYY-MM-DD", n.Line)
	}
	v, err := ParseDate(n.Value)
	if err != nil {
		return fmt.Errorf("calendar: holidays: line %d: invalid date %q, want an existing date written YYYY-MM-DD", n.Line, n.Value)
	}
	d.Date = v
	return nil
}

// ParseHolidays reads the holiday table from YAML (see data/holidays-vn.yaml):
//
//	timezone: Asia/Ho_Chi_Minh
//	years:
//	  2026:
//	    status: official   # or projected
//	    days_off:
//	      - {date: 2026-01-01, name: New Year}
//	    make_up_days:
//	      - {date: 2026-01-10, name: worked in exchange for 2026-01-02}
//	    pending:
//	      - {date: 2026-11-24, name: ..., note: ...}
//
// The timezone may be omitted; any other zone than Asia/Ho_Chi_Minh is an
// error, as are unknown keys, a missing years key, more than one YAML
// document, and everything [NewTable] rejects. Errors name the year, the list
// and the index of the offending entry (or its line, for a malformed date).
func ParseHolidays(data []byte) (*Table, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f holidayFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("calendar: holidays: the document is empty")
		}
		return nil, fmt.Errorf("calendar: holidays: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("calendar: holidays: more than one YAML document; put all years in one")
	}
	if f.Timezone != "" && f.Timezone != holidayTimezone {
		return nil, fmt.Errorf("calendar: holidays: timezone %q is not supported; dates are read in %s",
			f.Timezone, holidayTimezone)
	}
	if f.Years == nil {
		return nil, errors.New("calendar: holidays: no years key; write years: {} for an empty table")
	}

	years := make([]Year, 0, len(f.Years))
	for y, e := range f.Years {
		years = append(years, Year{
			Year:       y,
			Status:     e.Status,
			DaysOff:    toDays(e.DaysOff),
			MakeUpDays: toDays(e.MakeUpDays),
			Pending:    toDays(e.Pending),
		})
	}
	// NewTable sorts, but map order would make the first error reported
	// change between runs; sort so the same file gives the same error.
	slices.SortFunc(years, func(a, b Year) int { return a.Year - b.Year })
	return NewTable(years)
}

func toDays(in []holidayDay) []Day {
	out := make([]Day, len(in))
	for i, d := range in {
		out[i] = Day{Date: d.Date.Date, Name: d.Name, Note: d.Note}
	}
	return out
}
