package calendar_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// TestFormatHolidaysShippedTable checks that the shipped table, written
// back, parses to the same table, and that the layout is the file's own:
// every entry line of the file appears unchanged.
func TestFormatHolidaysShippedTable(t *testing.T) {
	t.Parallel()
	table := vnTable(t)
	out := calendar.FormatHolidays(table)
	again, err := calendar.ParseHolidays(out)
	require.NoError(t, err)
	require.Equal(t, table.Years(), again.Years())

	file, err := os.ReadFile(holidayFile)
	require.NoError(t, err)
	require.Contains(t, string(file), "      - {date: 2026-04-27, name: compensatory for Hùng Kings' day (Sunday 2026-04-26)}\n")
	require.Contains(t, string(out), "      - {date: 2026-04-27, name: compensatory for Hùng Kings' day (Sunday 2026-04-26)}\n")
	require.Contains(t, string(out), "      - {date: 2026-11-24, name: Vietnamese Culture Day, note: a paid day off once the Labour Code amendment proposed in 2026 is enacted}\n")
}

// TestFormatHolidaysQuoting checks names that YAML would misread if written
// plain.
func TestFormatHolidaysQuoting(t *testing.T) {
	t.Parallel()
	names := []string{
		"", "a: b", "x, y", "{z}", "[w]", "#1", "a #b", "true", "No", "null", "~", "2026", "12:30",
		"- dash", "'quoted'", `say "hi"`, "back\\slash", "tab\there", "line\nbreak", " padded ",
		"Hùng Kings' day", "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "ngày nghỉ bù", "&anchor", "*alias", "!tag", "%x", "@at", "`tick`", "|", ">",
	}
	var days []calendar.Day
	d := date(2026, 3, 2)
	for _, n := range names {
		for d.Weekday() == 0 || d.Weekday() == 6 {
			d = d.AddDays(1)
		}
		days = append(days, calendar.Day{Date: d, Name: n, Note: n})
		d = d.AddDays(1)
	}
	table, err := calendar.NewTable([]calendar.Year{{Year: 2026, Status: calendar.StatusOfficial, DaysOff: days, MakeUpDays: []calendar.Day{}, Pending: []calendar.Day{}}})
	require.NoError(t, err)
	out := calendar.FormatHolidays(table)
	again, err := calendar.ParseHolidays(out)
	require.NoError(t, err, string(out))
	require.Equal(t, table.Years(), again.Years(), string(out))
	require.Contains(t, string(out), "name: Giỗ Tổ Hùng Vương (10/3 âm lịch)", "ordinary text stays plain")
}

func TestFormatHolidaysEmpty(t *testing.T) {
	t.Parallel()
	for _, table := range []*calendar.Table{nil, mustTable(t)} {
		again, err := calendar.ParseHolidays(calendar.FormatHolidays(table))
		require.NoError(t, err)
		require.Empty(t, again.Years())
	}
	table := mustTable(t, calendar.Year{Year: 2030, Status: calendar.StatusProjected})
	out := calendar.FormatHolidays(table)
	require.Equal(t, "timezone: Asia/Ho_Chi_Minh\nyears:\n  2030:\n    status: projected\n    days_off: []\n    make_up_days: []\n", string(out))
	again, err := calendar.ParseHolidays(out)
	require.NoError(t, err)
	_, ok := again.Year(2030)
	require.True(t, ok, "a year without entries is still a year")
}

func mustTable(tb testing.TB, years ...calendar.Year) *calendar.Table {
	tb.Helper()
	table, err := calendar.NewTable(years)
	require.NoError(tb, err)
	return table
}
