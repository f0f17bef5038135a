package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The holidays of Labour Code 2019, Art. 112, named as the table file names
// them.
const (
	nameNewYear       = "New Year"
	nameTet           = "Tết"
	nameHungKings     = "Hùng Kings' day"
	nameReunification = "Reunification day"
	nameLabour        = "Labour day"
	nameNational      = "National day"
)

// tetDays is the length of the statutory Tết holiday.
const tetDays = 5

// compensationWindow is how many days after a holiday on a weekend [Check]
// looks for its compensatory weekday off. The law gives the next working
// day, but the government's yearly announcement often moves it with a swap,
// so a week is accepted.
const compensationWindow = 7

// statutory is one day of a statutory holiday.
type statutory struct {
	date Date
	name string
	tet  bool
}

// statutoryHolidays returns the holidays of Art. 112 in year, in date order,
// with nationalAdjacent as the day next to 2 September: New Year, the five
// Tết days (the last day of the old lunar year, the 29th or the 30th,
// whichever ends it, and lunar 1/1 to 4/1), Hùng Kings' day, 30 April,
// 1 May, and National Day with its adjacent day.
func statutoryHolidays(year int, nationalAdjacent Date) []statutory {
	tet := TetDate(year)
	hs := []statutory{{date: Date{year, time.January, 1}, name: nameNewYear}}
	for i := -1; i < tetDays-1; i++ {
		hs = append(hs, statutory{date: tet.AddDays(i), name: nameTet, tet: true})
	}
	hs = append(hs,
		statutory{date: HungKingsDay(year), name: nameHungKings},
		statutory{date: Date{year, time.April, 30}, name: nameReunification},
		statutory{date: Date{year, time.May, 1}, name: nameLabour},
		statutory{date: Date{year, time.September, 2}, name: nameNational},
		statutory{date: nationalAdjacent, name: nameNational},
	)
	// Stable, so that of two holidays on one date the first listed in the
	// law keeps the day and the second is the one compensated.
	slices.SortStableFunc(hs, func(a, b statutory) int { return a.date.Compare(b.date) })
	return hs
}

// Propose returns a statutory proposal for year, with status projected: the
// days off that Labour Code 2019, Art. 112 gives, as an administrator's
// starting point before the government announces the year's schedule.
//
//   - New Year 1/1, Hùng Kings' day (lunar 10/3), 30/4 and 1/5.
//   - Tết: the last day of the old lunar year and lunar 1/1 to 4/1.
//   - National Day 2/9 and one adjacent day, 1/9 or 3/9: the one whose break
//     (with the weekend and compensatory days) is longer; on a tie the one
//     on a weekday, which needs no compensation, and between two weekdays
//     1/9, as in 2026.
//   - Each holiday on a Saturday or Sunday gives a compensatory day off on
//     the next weekday that is not already off, as does a holiday on the same
//     date as another (Hùng Kings' day can fall on 30/4), so that every
//     holiday is a day off.
//
// Like the table file, it lists only weekdays as days off. It has no
// make-up days: swaps are the government's choice each year, announced
// with the schedule, and must be added by hand with [Check]'s help.
func Propose(year int) Year {
	return proposeWith(year, nationalAdjacent(year))
}

// nationalAdjacent picks Propose's day next to 2 September.
func nationalAdjacent(year int) Date {
	before, after := Date{year, time.September, 1}, Date{year, time.September, 3}
	runBefore := offRun(proposeWith(year, before), Date{year, time.September, 2})
	runAfter := offRun(proposeWith(year, after), Date{year, time.September, 2})
	if runAfter > runBefore || runAfter == runBefore && before.weekend() && !after.weekend() {
		return after
	}
	return before
}

// offRun returns the length of the run of days off around d, weekends
// included, in a year without make-up days.
func offRun(y Year, d Date) int {
	off := make(map[Date]bool, len(y.DaysOff))
	for _, day := range y.DaysOff {
		off[day.Date] = true
	}
	isOff := func(d Date) bool { return off[d] || d.weekend() }
	if !isOff(d) {
		return 0
	}
	n := 1
	for x := d.AddDays(-1); isOff(x); x = x.AddDays(-1) {
		n++
	}
	for x := d.AddDays(1); isOff(x); x = x.AddDays(1) {
		n++
	}
	return n
}

func proposeWith(year int, adjacent Date) Year {
	hs := statutoryHolidays(year, adjacent)
	taken := make(map[Date]bool, len(hs))
	for _, h := range hs {
		taken[h.date] = true
	}
	first := make(map[Date]string, len(hs)) // the holiday that has the date
	var days []Day
	for _, h := range hs {
		other, shared := first[h.date]
		if !shared {
			first[h.date] = h.name
		}
		var cause string
		switch {
		case h.date.weekend():
			cause = fmt.Sprintf("%s (%s %s)", h.name, h.date.Weekday(), h.date)
		case shared:
			cause = fmt.Sprintf("%s (on %s, with %s)", h.name, h.date, other)
		default:
			days = append(days, Day{Date: h.date, Name: h.name})
			continue
		}
		d := h.date.AddDays(1)
		for d.weekend() || taken[d] {
			d = d.AddDays(1)
		}
		taken[d] = true
		days = append(days, Day{Date: d, Name: "compensatory for " + cause})
	}
	slices.SortFunc(days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return Year{Year: year, Status: StatusProjected, DaysOff: days, MakeUpDays: []Day{}, Pending: []Day{}}
}

// Warning is one disagreement between a year of the holiday table and the
// statutory rules, found by [Check]. Message names the date itself, so it
// reads alone.
type Warning struct {
	Date    Date
	Message string
}

// Check compares the table's entries for year with Labour Code 2019,
// Art. 112 and returns a warning for each disagreement, in date order; none
// means the year agrees with the law. It returns a [*YearNotInTableError]
// (errors.Is [ErrYearNotInTable]) and no warnings when the table does not
// list the year, since there is nothing to compare.
//
// The rules allow for what the government announces each year:
//
//   - A statutory holiday on a weekday must be a day off, and one on a
//     weekend must not be a make-up working day.
//   - Tết is checked as one break: the run of days off around its five
//     statutory days must hold at least five weekdays off, one for each Tết
//     day on a weekday and a compensatory one for each on a weekend, placed
//     before or after as announced (2024: 29 Tết and 5 Tết).
//   - Another holiday on a weekend (or on the same date as another holiday)
//     needs a compensatory weekday off within the following 7 days.
//   - National Day's adjacent day is [Propose]'s choice of 1/9 or 3/9,
//     unless the table lists only the other one as a day off.
//   - Every weekday off must be one of the above, or be paired with a
//     make-up working day (a swap: off on a Friday, worked on a Saturday);
//     the remainder are reported as "not a statutory holiday", as are
//     make-up days left without a day off to pair with.
//
// Days of the neighbouring years are read from the table too, or as plain
// weekdays and weekends if it does not list them. Pending entries are
// ignored.
func Check(table *Table, year int) ([]Warning, error) {
	entry, ok := table.Year(year)
	if !ok {
		return nil, &YearNotInTableError{Year: year}
	}
	k := checker{table: table, explained: make(map[Date]bool)}

	// National Day's adjacent day is Propose's choice unless the table
	// took the other one.
	adjacent := nationalAdjacent(year)
	if other := (Date{year, time.September, 4 - adjacent.Day}); !k.listedOff(adjacent) && k.listedOff(other) {
		adjacent = other
	}
	hs := statutoryHolidays(year, adjacent)

	// Holidays themselves.
	seen := make(map[Date]bool, len(hs))
	var owed []statutory // holidays that need a compensatory weekday, Tết's aside
	tetOwed := 0
	for _, h := range hs {
		shared := seen[h.date]
		seen[h.date] = true
		switch {
		case h.date.weekend() && table.kind(h.date) == kindMakeUp:
			k.warn(h.date, "%s on %s is a statutory holiday, but the table lists it as a make-up working day", h.name, weekdayDate(h.date))
		case !h.date.weekend() && !k.listedOff(h.date):
			k.warn(h.date, "%s on %s is a statutory holiday, but the table does not list it as a day off", h.name, weekdayDate(h.date))
		case !h.date.weekend():
			k.explained[h.date] = true
		}
		if h.date.weekend() || shared {
			if h.tet {
				tetOwed++
			} else {
				owed = append(owed, h)
			}
		}
	}

	// Tết as one break.
	var tet []Date
	for _, h := range hs {
		if h.tet {
			tet = append(tet, h.date)
		}
	}
	k.checkTet(tet, tetOwed)

	// Compensatory days of the other holidays.
	for _, h := range owed {
		found := false
		for i := 1; i <= compensationWindow && !found; i++ {
			if d := h.date.AddDays(i); k.listedOff(d) && !k.explained[d] {
				k.explained[d] = true
				found = true
			}
		}
		if !found {
			reason := "falls on " + weekdayDate(h.date)
			if !h.date.weekend() {
				reason = "shares " + weekdayDate(h.date) + " with another holiday"
			}
			k.warn(h.date, "%s %s, but no compensatory weekday off follows within %d days", h.name, reason, compensationWindow)
		}
	}

	// Swaps: pair the days off left over with the make-up days, nearest
	// first, since an announced swap trades days a week or two apart.
	var extra []Day
	for _, d := range entry.DaysOff {
		if !k.explained[d.Date] {
			extra = append(extra, d)
		}
	}
	type pair struct{ off, makeUp, distance int }
	var pairs []pair
	for i, off := range extra {
		for j, mk := range entry.MakeUpDays {
			pairs = append(pairs, pair{i, j, abs(dayNumber(off.Date) - dayNumber(mk.Date))})
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.distance, b.distance) })
	offPaired, makeUpPaired := make([]bool, len(extra)), make([]bool, len(entry.MakeUpDays))
	for _, p := range pairs {
		if !offPaired[p.off] && !makeUpPaired[p.makeUp] {
			offPaired[p.off], makeUpPaired[p.makeUp] = true, true
		}
	}
	for i, d := range extra {
		if !offPaired[i] {
			k.warn(d.Date, "not a statutory holiday: %s%s is a day off that matches no holiday, compensatory day or make-up working day",
				weekdayDate(d.Date), quoteName(d.Name))
		}
	}
	for j, d := range entry.MakeUpDays {
		if !makeUpPaired[j] {
			k.warn(d.Date, "make-up working day %s%s has no day off to swap with", weekdayDate(d.Date), quoteName(d.Name))
		}
	}

	slices.SortStableFunc(k.warnings, func(a, b Warning) int { return a.Date.Compare(b.Date) })
	return k.warnings, nil
}

// checker holds Check's state: the table, the weekdays off accounted for so
// far, and the warnings.
type checker struct {
	table     *Table
	explained map[Date]bool
	warnings  []Warning
}

func (k *checker) warn(d Date, format string, args ...any) {
	k.warnings = append(k.warnings, Warning{Date: d, Message: fmt.Sprintf(format, args...)})
}

// listedOff reports whether the table lists d as a (weekday) day off.
func (k *checker) listedOff(d Date) bool { return k.table.kind(d) == kindDayOff }

// off reports whether d is not worked: listed off, or a weekend that is not
// a make-up day.
func (k *checker) off(d Date) bool {
	switch k.table.kind(d) {
	case kindDayOff:
		return true
	case kindMakeUp:
		return false
	}
	return d.weekend()
}

// checkTet checks the break around the statutory Tết days: it must hold
// one weekday off per Tết day, owed of them compensatory (for Tết days on
// a weekend). Compensatory days closest to Tết are accounted for first;
// any further weekday off in the break is left for the swap check.
func (k *checker) checkTet(tet []Date, owed int) {
	first, last := tet[0], tet[len(tet)-1]
	// The break spans every run of days off that touches a Tết day.
	var from, to Date
	found := false
	for _, d := range tet {
		if !k.off(d) {
			continue
		}
		if !found {
			from, found = d, true
		}
		to = d
	}
	if !found {
		k.warn(TetDate(first.Year), "no Tết break: none of the statutory Tết days %s to %s is off", first, last)
		return
	}
	for k.off(from.AddDays(-1)) {
		from = from.AddDays(-1)
	}
	for k.off(to.AddDays(1)) {
		to = to.AddDays(1)
	}

	var weekdays, compensatory []Date
	all := 0
	for d := from; d.Compare(to) <= 0; d = d.AddDays(1) {
		if !k.off(d) {
			continue // a make-up Saturday inside the span
		}
		all++
		if k.listedOff(d) {
			weekdays = append(weekdays, d)
			if !slices.Contains(tet, d) {
				compensatory = append(compensatory, d)
			}
		}
	}
	if len(weekdays) < tetDays {
		k.warn(TetDate(first.Year), "the Tết break %s to %s has %d weekdays off (%d days off in all); the %d statutory Tết days %s to %s need %d, with a compensatory weekday for each on a weekend",
			from, to, len(weekdays), all, tetDays, first, last, tetDays)
	}
	distance := func(d Date) int {
		if d.Compare(first) < 0 {
			return dayNumber(first) - dayNumber(d)
		}
		return dayNumber(d) - dayNumber(last)
	}
	slices.SortStableFunc(compensatory, func(a, b Date) int { return cmp.Compare(distance(a), distance(b)) })
	for _, d := range compensatory[:min(owed, len(compensatory))] {
		k.explained[d] = true
	}
}

// weekdayDate writes a date with its day of the week: Sunday 2026-04-26.
func weekdayDate(d Date) string { return d.Weekday().String() + " " + d.String() }

// quoteName writes a table entry's name after its date, if it has one.
func quoteName(name string) string {
	if strings.TrimSpace(name) == "" {
		return ""
	}
	return " (" + name + ")"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
