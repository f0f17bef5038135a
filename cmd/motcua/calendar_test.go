package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

// runNoDB runs the program with an environment that has no DATABASE_URL,
// so the calendar commands use the table built into the binary.
func runNoDB(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCalendarAdd(t *testing.T) {
	t.Parallel()
	// The worked examples of the domain briefing, on the built-in table.
	tests := []struct{ from, duration, want string }{
		{"2026-02-13T10:00:00+07:00", "3wd", "2026-02-25T10:00:00+07:00"},
		{"2026-04-24T14:00:00+07:00", "5wd", "2026-05-06T14:00:00+07:00"},
		{"2026-08-28T10:00:00+07:00", "2wd", "2026-09-04T10:00:00+07:00"},
		{"2026-02-13T03:00:00Z", "3wd", "2026-02-25T10:00:00+07:00"},           // any offset in, UTC+7 out
		{"2026-03-02T09:00:00+07:00", "4wh", "2026-03-02T15:00:00+07:00"},      // 2h30 before lunch, 1h30 after
		{"2026-04-24T16:00:00+07:00", "same_day", "2026-04-28T17:00:00+07:00"}, // after the cut-off; 27 April is off
		{"2026-02-13T10:00:00+07:00", "5d", "2026-02-23T10:00:00+07:00"},       // 18 Feb falls in Tết: next working day
	}
	for _, tt := range tests {
		t.Run(tt.from+" "+tt.duration, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runNoDB(t, "calendar", "add", tt.from, tt.duration)
			require.NoError(t, err)
			require.Equal(t, tt.want+"\n", stdout)
			require.Contains(t, stderr, "DATABASE_URL is not set: using the holiday table built into the binary")
		})
	}
}

func TestCalendarAddErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"2026-02-13T10:00:00+07:00", "3days"}, `invalid duration "3days"`},
		{[]string{"2026-02-13T10:00:00+07:00", "-3wd"}, `invalid duration "-3wd"`},
		{[]string{"2026-02-13 10:00", "3wd"}, `invalid instant "2026-02-13 10:00"; want RFC 3339`},
		{[]string{"2026-02-13T10:00:00", "3wd"}, "with a zone offset"},
		{[]string{"2026-02-13T10:00:00+07:00"}, "want FROM and DURATION"},
		{[]string{"2026-02-13T10:00:00+07:00", "3wd", "extra"}, "want FROM and DURATION"},
		// The built-in table stops at 2027; counting into 2028 must fail.
		{[]string{"2027-12-29T10:00:00+07:00", "5wd"}, "the holiday table has no entry for 2028; import the year's official schedule"},
	}
	for _, tt := range tests {
		_, _, err := runNoDB(t, append([]string{"calendar", "add"}, tt.args...)...)
		require.ErrorContains(t, err, tt.want, strings.Join(tt.args, " "))
	}
	_, _, err := runNoDB(t, "calendar", "add", "2027-12-29T10:00:00+07:00", "5wd")
	require.ErrorIs(t, err, calendar.ErrYearNotInTable)
}

func TestCalendarCheck(t *testing.T) {
	t.Parallel()
	stdout, _, err := runNoDB(t, "calendar", "check", "2026")
	require.NoError(t, err)
	require.Equal(t, `2026, Labour Code 2019 Art. 112: Tết (lunar 1/1) Tuesday 2026-02-17, Hùng Kings' day (lunar 10/3) Sunday 2026-04-26
table: 13 days off, 2 make-up working days (official)
no disagreements with the statutory rules
`, stdout)

	stdout, _, err = runNoDB(t, "calendar", "check", "2031")
	require.ErrorIs(t, err, calendar.ErrYearNotInTable)
	require.ErrorContains(t, err, "no entry for 2031")
	require.Contains(t, stdout, "Tết (lunar 1/1) Thursday 2031-01-23", "the statutory dates are shown all the same")

	for _, args := range [][]string{{}, {"twenty"}, {"2026", "2027"}, {"0"}} {
		_, _, err := runNoDB(t, append([]string{"calendar", "check"}, args...)...)
		require.ErrorContains(t, err, "calendar check: ", "%q", args)
	}
}

func TestCalendarPropose(t *testing.T) {
	t.Parallel()
	stdout, _, err := runNoDB(t, "calendar", "propose", "2028")
	require.NoError(t, err)
	require.Contains(t, stdout, "Tết (lunar 1/1) Wednesday 2028-01-26")
	table, err := calendar.ParseHolidays([]byte(stdout))
	require.NoError(t, err)
	y, ok := table.Year(2028)
	require.True(t, ok)
	require.Equal(t, calendar.StatusProjected, y.Status)
	require.Len(t, y.DaysOff, 11)
	warnings, err := calendar.Check(table, 2028)
	require.NoError(t, err)
	require.Empty(t, warnings)

	_, _, err = runNoDB(t, "calendar", "propose", "next")
	require.ErrorContains(t, err, `calendar propose: invalid year "next"`)
}

func TestCalendarImportWithoutDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "holidays-2028.yaml")
	stdout, _, err := runNoDB(t, "calendar", "propose", "2028")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(good, []byte(stdout), 0o600))
	_, _, err = runNoDB(t, "calendar", "import", good)
	require.ErrorContains(t, err, "DATABASE_URL", "a valid file still needs the database")

	// A bad file fails before the database is needed.
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("years:\n  2028:\n    status: official\n    days_off:\n      - {date: 2028-01-01, name: New Year}\n"), 0o600))
	_, _, err = runNoDB(t, "calendar", "import", bad)
	require.ErrorContains(t, err, "2028-01-01 is a Saturday; weekends are off already")
	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("years: {}\n"), 0o600))
	_, _, err = runNoDB(t, "calendar", "import", empty)
	require.ErrorContains(t, err, "lists no year")
	_, _, err = runNoDB(t, "calendar", "import", filepath.Join(dir, "missing.yaml"))
	require.ErrorContains(t, err, "calendar import: ")
	_, _, err = runNoDB(t, "calendar", "import")
	require.ErrorContains(t, err, "want one FILE")
}

func TestCalendarUsage(t *testing.T) {
	t.Parallel()
	_, _, err := runNoDB(t, "calendar")
	require.ErrorContains(t, err, "no subcommand")
	_, _, err = runNoDB(t, "calendar", "remove")
	require.ErrorContains(t, err, `unknown subcommand "remove"`)
	stdout, _, err := runNoDB(t, "calendar", "help")
	require.NoError(t, err)
	require.Contains(t, stdout, "motcua calendar import FILE")
	stdout, _, err = runNoDB(t, "help")
	require.NoError(t, err)
	require.Contains(t, stdout, "calendar add FROM DURATION")
}
