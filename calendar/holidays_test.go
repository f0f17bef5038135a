package calendar_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

func TestParseHolidaysShippedTable(t *testing.T) {
	t.Parallel()
	table := vnTable(t)

	years := table.Years()
	require.Len(t, years, 4)
	for i, want := range []struct {
		year            int
		status          string
		daysOff, makeUp int
	}{
		{2024, calendar.StatusOfficial, 12, 1},
		{2025, calendar.StatusOfficial, 12, 1},
		{2026, calendar.StatusOfficial, 13, 2},
		{2027, calendar.StatusProjected, 11, 0},
	} {
		require.Equal(t, want.year, years[i].Year)
		require.Equal(t, want.status, years[i].Status, want.year)
		require.Len(t, years[i].DaysOff, want.daysOff, want.year)
		require.Len(t, years[i].MakeUpDays, want.makeUp, want.year)
	}

	y2026, ok := table.Year(2026)
	require.True(t, ok)
	require.Equal(t, calendar.Day{Date: date(2026, 1, 1), Name: "New Year"}, y2026.DaysOff[0])
	require.Equal(t, calendar.Day{Date: date(2026, 1, 10), Name: "worked in exchange for 2026-01-02"}, y2026.MakeUpDays[0])
	require.Len(t, y2026.Pending, 1)
	require.Equal(t, date(2026, 11, 24), y2026.Pending[0].Date)
	require.Equal(t, "Vietnamese Culture Day", y2026.Pending[0].Name)
	require.Contains(t, y2026.Pending[0].Note, "Labour Code amendment")

	_, ok = table.Year(2028)
	require.False(t, ok)
}

// TestNewTableRoundTrip checks that what a store persists from Years builds
// the same table again, and that it does not matter in what order rows come
// back.
func TestNewTableRoundTrip(t *testing.T) {
	t.Parallel()
	years := vnTable(t).Years()

	shuffled := make([]calendar.Year, len(years))
	for i, y := range years {
		y.DaysOff = append([]calendar.Day(nil), y.DaysOff...)
		for l, r := 0, len(y.DaysOff)-1; l < r; l, r = l+1, r-1 {
			y.DaysOff[l], y.DaysOff[r] = y.DaysOff[r], y.DaysOff[l]
		}
		shuffled[len(years)-1-i] = y
	}
	rebuilt, err := calendar.NewTable(shuffled)
	require.NoError(t, err)
	require.Equal(t, years, rebuilt.Years())
}

func TestTableIsImmutable(t *testing.T) {
	t.Parallel()
	input := []calendar.Year{{
		Year:    2026,
		Status:  calendar.StatusOfficial,
		DaysOff: []calendar.Day{{Date: date(2026, 1, 1), Name: "New Year"}},
	}}
	table, err := calendar.NewTable(input)
	require.NoError(t, err)
	input[0].DaysOff[0].Date = date(2026, 1, 5)

	years := table.Years()
	years[0].DaysOff[0].Name = "changed"
	y, ok := table.Year(2026)
	require.True(t, ok)
	y.DaysOff[0].Name = "changed too"

	require.Equal(t, calendar.Day{Date: date(2026, 1, 1), Name: "New Year"}, table.Years()[0].DaysOff[0])
	c, err := calendar.New(calendar.DefaultWindows(), table)
	require.NoError(t, err)
	require.False(t, c.IsWorkingDay(at(2026, 1, 1, 9, 0)))
	require.True(t, c.IsWorkingDay(at(2026, 1, 5, 9, 0)))
}

func TestNilTable(t *testing.T) {
	t.Parallel()
	var table *calendar.Table
	require.Nil(t, table.Years())
	_, ok := table.Year(2026)
	require.False(t, ok)

	empty, err := calendar.NewTable(nil)
	require.NoError(t, err)
	require.Empty(t, empty.Years())
}

func TestParseHolidaysErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		err  string
	}{
		{"empty document", ``, "the document is empty"},
		{"not YAML", "years: [", "calendar: holidays: yaml:"},
		{"no years key", "timezone: Asia/Ho_Chi_Minh\n", "no years key"},
		{"other time zone", "timezone: Asia/Bangkok\nyears: {}\n", `timezone "Asia/Bangkok" is not supported`},
		{"two documents", "years: {}\n---\nyears: {}\n", "more than one YAML document"},
		{"unknown key", `
years:
  2026:
    status: official
    day_off:
      - {date: 2026-01-01, name: New Year}
`, "field day_off not found"},
		{"unknown entry key", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-01-01, nmae: New Year}
`, "field nmae not found"},
		{"year is not a number", `
years:
  next:
    status: official
`, "cannot unmarshal"},
		{"year listed twice", `
years:
  2026:
    status: official
  2026:
    status: projected
`, "already defined"},
		{"missing status", `
years:
  2026:
    days_off: []
`, `year 2026: status "", want "official" or "projected"`},
		{"misspelt status", `
years:
  2026:
    status: offical
`, `status "offical"`},
		{"day that does not exist", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-02-30, name: Tết}
`, `line 6: invalid date "2026-02-30"`},
		{"month that does not exist", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-13-01, name: Tết}
`, `invalid date "2026-13-01"`},
		{"date that is not a date", `
years:
  2026:
    status: official
    days_off:
      - {date: tomorrow, name: Tết}
`, `invalid date "tomorrow"`},
		{"date without zero padding", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-1-1, name: New Year}
`, `invalid date "2026-1-1"`},
		{"date that is a list", `
years:
  2026:
    status: official
    days_off:
      - {date: [2026, 1, 1], name: New Year}
`, "line 6: date must be written YYYY-MM-DD"},
		{"missing date", `
years:
  2026:
    status: official
    days_off:
      - {name: New Year}
`, "year 2026: days_off[0]: missing or invalid date 0000-00-00"},
		{"date under another year", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-01-01, name: New Year}
      - {date: 2025-12-31, name: New Year's eve}
`, "year 2026: days_off[1]: 2025-12-31 belongs to year 2025"},
		{"make-up day under another year", `
years:
  2025:
    status: official
    make_up_days:
      - {date: 2026-01-10, name: worked}
`, "year 2025: make_up_days[0]: 2026-01-10 belongs to year 2026"},
		{"make-up day on a weekday", `
years:
  2026:
    status: official
    make_up_days:
      - {date: 2026-01-09, name: worked}
`, "make_up_days[0]: 2026-01-09 is a Friday; a make-up working day must be a Saturday or a Sunday"},
		{"day off on a weekend", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-04-26, name: Hùng Kings' day}
`, "days_off[0]: 2026-04-26 is a Sunday; weekends are off already"},
		{"duplicate day off", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-02-16, name: Tết}
      - {date: 2026-02-17, name: Tết}
      - {date: 2026-02-16, name: Tết again}
`, "year 2026: days_off[2]: 2026-02-16 is already listed as days_off[0]"},
		{"duplicate make-up day", `
years:
  2026:
    status: official
    make_up_days:
      - {date: 2026-01-10, name: worked}
      - {date: 2026-01-10, name: worked}
`, "make_up_days[1]: 2026-01-10 is already listed as make_up_days[0]"},
		{"pending day that is already off", `
years:
  2026:
    status: official
    days_off:
      - {date: 2026-11-24, name: Vietnamese Culture Day}
    pending:
      - {date: 2026-11-24, name: Vietnamese Culture Day}
`, "pending[0]: 2026-11-24 is already listed as days_off[0]"},
		{"pending day under another year", `
years:
  2026:
    status: official
    pending:
      - {date: 2027-11-24, name: Vietnamese Culture Day}
`, "pending[0]: 2027-11-24 belongs to year 2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := calendar.ParseHolidays([]byte(tt.yaml))
			require.ErrorContains(t, err, tt.err)
			require.Nil(t, table)
		})
	}
}

func TestParseHolidaysAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		years int
	}{
		{"an empty table", "years: {}\n", 0},
		{"no timezone", "years:\n  2026:\n    status: projected\n", 1},
		{"quoted dates, empty lists, a note", `
timezone: Asia/Ho_Chi_Minh
years:
  2026:
    status: official
    days_off:
      - {date: "2026-01-01", name: New Year, note: fixed by law}
    make_up_days: []
    pending: []
`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := calendar.ParseHolidays([]byte(tt.yaml))
			require.NoError(t, err)
			require.Len(t, table.Years(), tt.years)
		})
	}
}

func TestNewTableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		years []calendar.Year
		err   string
	}{
		{"year twice", []calendar.Year{
			{Year: 2026, Status: calendar.StatusOfficial},
			{Year: 2026, Status: calendar.StatusOfficial},
		}, "year 2026 is listed twice"},
		{"year zero", []calendar.Year{{Status: calendar.StatusOfficial}}, "year 0 is out of range"},
		{"invalid date", []calendar.Year{{Year: 2026, Status: calendar.StatusOfficial, DaysOff: []calendar.Day{
			{Date: calendar.Date{Year: 2026, Month: time.February, Day: 29}},
		}}}, "days_off[0]: missing or invalid date 2026-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := calendar.NewTable(tt.years)
			require.ErrorContains(t, err, tt.err)
			require.Nil(t, table)
		})
	}
}
