package calendar_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// TestCheckShippedTable runs Check over every year of the shipped table: the
// official years, and the projected 2027, agree with the law, swaps and
// compensatory days placed as announced included.
func TestCheckShippedTable(t *testing.T) {
	t.Parallel()
	table := vnTable(t)
	for y := 2024; y <= 2027; y++ {
		warnings, err := calendar.Check(table, y)
		require.NoError(t, err, "year %d", y)
		require.Empty(t, warnings, "year %d", y)
	}
}

func TestCheckMissingYear(t *testing.T) {
	t.Parallel()
	warnings, err := calendar.Check(vnTable(t), 2031)
	require.Nil(t, warnings)
	requireMissingYear(t, err, 2031)
	_, err = calendar.Check(nil, 2026)
	requireMissingYear(t, err, 2026)
}

// editedTable returns the shipped table with one year changed by edit.
func editedTable(tb testing.TB, year int, edit func(*calendar.Year)) *calendar.Table {
	tb.Helper()
	years := vnTable(tb).Years()
	i := slices.IndexFunc(years, func(y calendar.Year) bool { return y.Year == year })
	require.GreaterOrEqual(tb, i, 0)
	edit(&years[i])
	table, err := calendar.NewTable(years)
	require.NoError(tb, err)
	return table
}

// without returns days less the entry for d, which must be there.
func without(tb testing.TB, days []calendar.Day, d calendar.Date) []calendar.Day {
	tb.Helper()
	i := slices.IndexFunc(days, func(x calendar.Day) bool { return x.Date == d })
	require.GreaterOrEqual(tb, i, 0, "%s is not listed", d)
	return slices.Delete(slices.Clone(days), i, i+1)
}

func TestCheckWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		year int
		edit func(tb testing.TB, y *calendar.Year)
		want []calendar.Warning
	}{
		{
			name: "weekday holiday not off",
			year: 2026,
			edit: func(tb testing.TB, y *calendar.Year) { y.DaysOff = without(tb, y.DaysOff, date(2026, 4, 30)) },
			want: []calendar.Warning{{Date: date(2026, 4, 30),
				Message: "Reunification day on Thursday 2026-04-30 is a statutory holiday, but the table does not list it as a day off"}},
		},
		{
			name: "weekend holiday without compensation",
			year: 2026,
			edit: func(tb testing.TB, y *calendar.Year) { y.DaysOff = without(tb, y.DaysOff, date(2026, 4, 27)) },
			want: []calendar.Warning{{Date: date(2026, 4, 26),
				Message: "Hùng Kings' day falls on Sunday 2026-04-26, but no compensatory weekday off follows within 7 days"}},
		},
		{
			name: "compensation later than a week",
			year: 2027,
			edit: func(tb testing.TB, y *calendar.Year) {
				y.DaysOff = append(without(tb, y.DaysOff, date(2027, 5, 3)), calendar.Day{Date: date(2027, 5, 10), Name: "late"})
			},
			want: []calendar.Warning{
				{Date: date(2027, 5, 1), Message: "Labour day falls on Saturday 2027-05-01, but no compensatory weekday off follows within 7 days"},
				{Date: date(2027, 5, 10), Message: "not a statutory holiday: Monday 2027-05-10 (late) is a day off that matches no holiday, compensatory day or make-up working day"},
			},
		},
		{
			name: "swap without its make-up day",
			year: 2026,
			edit: func(tb testing.TB, y *calendar.Year) { y.MakeUpDays = without(tb, y.MakeUpDays, date(2026, 1, 10)) },
			want: []calendar.Warning{{Date: date(2026, 1, 2),
				Message: "not a statutory holiday: Friday 2026-01-02 (swap for Saturday 2026-01-10) is a day off that matches no holiday, compensatory day or make-up working day"}},
		},
		{
			name: "make-up day without its swap",
			year: 2026,
			edit: func(tb testing.TB, y *calendar.Year) { y.DaysOff = without(tb, y.DaysOff, date(2026, 8, 31)) },
			want: []calendar.Warning{{Date: date(2026, 8, 22),
				Message: "make-up working day Saturday 2026-08-22 (worked in exchange for 2026-08-31) has no day off to swap with"}},
		},
		{
			name: "an unexplained day off",
			year: 2025,
			edit: func(_ testing.TB, y *calendar.Year) {
				y.DaysOff = append(y.DaysOff, calendar.Day{Date: date(2025, 11, 24), Name: "Vietnamese Culture Day"})
			},
			want: []calendar.Warning{{Date: date(2025, 11, 24),
				Message: "not a statutory holiday: Monday 2025-11-24 (Vietnamese Culture Day) is a day off that matches no holiday, compensatory day or make-up working day"}},
		},
		{
			name: "short Tết break",
			year: 2027,
			edit: func(tb testing.TB, y *calendar.Year) { y.DaysOff = without(tb, y.DaysOff, date(2027, 2, 10)) },
			want: []calendar.Warning{{Date: date(2027, 2, 6),
				Message: "the Tết break 2027-02-04 to 2027-02-09 has 4 weekdays off (6 days off in all); the 5 statutory Tết days 2027-02-05 to 2027-02-09 need 5, with a compensatory weekday for each on a weekend"}},
		},
		{
			name: "Tết day not off",
			year: 2026,
			edit: func(tb testing.TB, y *calendar.Year) { y.DaysOff = without(tb, y.DaysOff, date(2026, 2, 16)) },
			want: []calendar.Warning{
				{Date: date(2026, 2, 16), Message: "Tết on Monday 2026-02-16 is a statutory holiday, but the table does not list it as a day off"},
				{Date: date(2026, 2, 17), Message: "the Tết break 2026-02-17 to 2026-02-22 has 4 weekdays off (6 days off in all); the 5 statutory Tết days 2026-02-16 to 2026-02-20 need 5, with a compensatory weekday for each on a weekend"},
			},
		},
		{
			name: "Tết compensation beyond the weekends owed",
			year: 2026,
			edit: func(_ testing.TB, y *calendar.Year) {
				y.DaysOff = append(y.DaysOff, calendar.Day{Date: date(2026, 2, 13), Name: "Tết"})
			},
			want: []calendar.Warning{{Date: date(2026, 2, 13),
				Message: "not a statutory holiday: Friday 2026-02-13 (Tết) is a day off that matches no holiday, compensatory day or make-up working day"}},
		},
		{
			name: "the day off paired with a make-up Saturday is a swap",
			year: 2026,
			edit: func(_ testing.TB, y *calendar.Year) {
				y.DaysOff = append(y.DaysOff, calendar.Day{Date: date(2026, 2, 13), Name: "swap for Saturday 2026-02-07"})
				y.MakeUpDays = append(y.MakeUpDays, calendar.Day{Date: date(2026, 2, 7), Name: "worked in exchange for 2026-02-13"})
			},
			want: nil,
		},
		{
			name: "statutory weekend day listed as a make-up day",
			year: 2027,
			edit: func(_ testing.TB, y *calendar.Year) {
				y.MakeUpDays = append(y.MakeUpDays, calendar.Day{Date: date(2027, 5, 1), Name: "worked"})
			},
			want: []calendar.Warning{
				{Date: date(2027, 5, 1), Message: "Labour day on Saturday 2027-05-01 is a statutory holiday, but the table lists it as a make-up working day"},
				{Date: date(2027, 5, 1), Message: "make-up working day Saturday 2027-05-01 (worked) has no day off to swap with"},
			},
		},
		{
			name: "National Day's other neighbour taken instead",
			year: 2027, // 2 September is a Thursday: the proposal takes Friday the 3rd
			edit: func(tb testing.TB, y *calendar.Year) {
				y.DaysOff = append(without(tb, y.DaysOff, date(2027, 9, 3)), calendar.Day{Date: date(2027, 9, 1), Name: "National day"})
			},
			want: nil,
		},
		{
			name: "both of National Day's neighbours off",
			year: 2027,
			edit: func(_ testing.TB, y *calendar.Year) {
				y.DaysOff = append(y.DaysOff, calendar.Day{Date: date(2027, 9, 1), Name: "National day"})
			},
			want: []calendar.Warning{{Date: date(2027, 9, 1),
				Message: "not a statutory holiday: Wednesday 2027-09-01 (National day) is a day off that matches no holiday, compensatory day or make-up working day"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table := editedTable(t, tt.year, func(y *calendar.Year) { tt.edit(t, y) })
			warnings, err := calendar.Check(table, tt.year)
			require.NoError(t, err)
			require.Equal(t, tt.want, warnings)
		})
	}
}

// TestCheckYearOnItsOwn checks a table that lists only the year checked:
// the neighbouring years' days count as plain weekdays and weekends.
func TestCheckYearOnItsOwn(t *testing.T) {
	t.Parallel()
	y, ok := vnTable(t).Year(2025)
	require.True(t, ok)
	table, err := calendar.NewTable([]calendar.Year{y})
	require.NoError(t, err)
	warnings, err := calendar.Check(table, 2025)
	require.NoError(t, err)
	require.Empty(t, warnings)
}

func TestProposeOfficialYears(t *testing.T) {
	t.Parallel()
	days := func(y calendar.Year) []calendar.Date {
		var out []calendar.Date
		for _, d := range y.DaysOff {
			out = append(out, d.Date)
		}
		return out
	}
	// 2026 was announced exactly as the law gives it, but for a swap
	// (Friday 2 January for Saturday 10 January, Monday 31 August for
	// Saturday 22 August).
	official, ok := vnTable(t).Year(2026)
	require.True(t, ok)
	want := slices.DeleteFunc(days(official), func(d calendar.Date) bool {
		return d == date(2026, 1, 2) || d == date(2026, 8, 31)
	})
	p := calendar.Propose(2026)
	require.Equal(t, want, days(p))
	require.Equal(t, calendar.StatusProjected, p.Status)
	require.Empty(t, p.MakeUpDays)
	require.Equal(t, calendar.Day{Date: date(2026, 4, 27), Name: "compensatory for Hùng Kings' day (Sunday 2026-04-26)"}, p.DaysOff[6])

	// 2027: Tết Saturday 6 February; the two weekend Tết days are
	// compensated after the break, where the projected table puts one
	// before it; 2 September is a Thursday, so the 3rd makes a long weekend.
	require.Equal(t, []calendar.Date{
		date(2027, 1, 1),
		date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10), date(2027, 2, 11),
		date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 3),
		date(2027, 9, 2), date(2027, 9, 3),
	}, days(calendar.Propose(2027)))

	// National Day's neighbour: a longer break wins (2025, Tuesday: Monday
	// the 1st), a tie goes to the weekday (2024, Monday: Tuesday the 3rd,
	// not Sunday the 1st), and between two weekdays to the 1st (2026).
	for year, want := range map[int]calendar.Date{
		2024: date(2024, 9, 3), 2025: date(2025, 9, 1), 2026: date(2026, 9, 1),
		2028: date(2028, 9, 1), // Saturday the 2nd: Friday the 1st, and Monday the 4th as compensation
	} {
		require.Contains(t, days(calendar.Propose(year)), want, "year %d", year)
	}
	require.NotContains(t, days(calendar.Propose(2024)), date(2024, 9, 1))
}

// TestProposeAgreesWithCheck checks over two centuries that every proposal
// is a valid table year that Check finds nothing to say about, with one
// weekday off for each of the 11 statutory holiday days.
func TestProposeAgreesWithCheck(t *testing.T) {
	t.Parallel()
	for year := 1900; year <= 2100; year++ {
		p := calendar.Propose(year)
		require.Equal(t, year, p.Year)
		require.Len(t, p.DaysOff, 11, "year %d: %v", year, p.DaysOff)
		table, err := calendar.NewTable([]calendar.Year{p})
		require.NoError(t, err, "year %d", year)
		warnings, err := calendar.Check(table, year)
		require.NoError(t, err)
		require.Empty(t, warnings, "year %d", year)

		// The proposal follows the lunar calendar.
		tet := calendar.TetDate(year)
		c, err := calendar.New(calendar.DefaultWindows(), table)
		require.NoError(t, err)
		for i := -1; i <= 3; i++ {
			require.False(t, c.IsWorkingDay(tet.AddDays(i).Midnight()), "year %d: Tết day %d", year, i)
		}
		require.False(t, c.IsWorkingDay(calendar.HungKingsDay(year).Midnight()), "year %d", year)
		require.False(t, c.IsWorkingDay(date(year, time.September, 2).Midnight()), "year %d", year)
	}
}

// TestCheckOfficial2023 checks the schedule announced for 2023, a year with
// holidays on weekends at every turn: Tết's compensation placed on both
// sides of the break, and Hùng Kings' day, 30 April and 2 September on
// weekends.
func TestCheckOfficial2023(t *testing.T) {
	t.Parallel()
	table, err := calendar.ParseHolidays([]byte(`
years:
  2023:
    status: official
    days_off:
      - {date: 2023-01-02, name: compensatory for New Year (Sunday 2023-01-01)}
      - {date: 2023-01-20, name: Tết}
      - {date: 2023-01-23, name: Tết}
      - {date: 2023-01-24, name: Tết}
      - {date: 2023-01-25, name: Tết}
      - {date: 2023-01-26, name: Tết}
      - {date: 2023-05-01, name: Labour day}
      - {date: 2023-05-02, name: compensatory for Hùng Kings' day (Saturday 2023-04-29)}
      - {date: 2023-05-03, name: compensatory for Reunification day (Sunday 2023-04-30)}
      - {date: 2023-09-01, name: National day}
      - {date: 2023-09-04, name: compensatory for National day (Saturday 2023-09-02)}
`))
	require.NoError(t, err)
	warnings, err := calendar.Check(table, 2023)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, date(2023, 4, 29), calendar.HungKingsDay(2023))
}

// TestProposeCoincidingHolidays checks the rare year whose Hùng Kings' day is
// 30 April (1947): both holidays are owed, so the second gets a
// compensatory day like a holiday on a weekend.
func TestProposeCoincidingHolidays(t *testing.T) {
	t.Parallel()
	require.Equal(t, date(1947, 4, 30), calendar.HungKingsDay(1947))
	p := calendar.Propose(1947)
	require.Len(t, p.DaysOff, 11)
	require.Contains(t, p.DaysOff, calendar.Day{Date: date(1947, 4, 30), Name: "Hùng Kings' day"})
	require.Contains(t, p.DaysOff, calendar.Day{Date: date(1947, 5, 2), Name: "compensatory for Reunification day (on 1947-04-30, with Hùng Kings' day)"})

	// Without the compensatory day, Check says so.
	p.DaysOff = without(t, p.DaysOff, date(1947, 5, 2))
	warnings, err := calendar.Check(mustTable(t, p), 1947)
	require.NoError(t, err)
	require.Equal(t, []calendar.Warning{{Date: date(1947, 4, 30),
		Message: "Reunification day shares Wednesday 1947-04-30 with another holiday, but no compensatory weekday off follows within 7 days"}}, warnings)
}
