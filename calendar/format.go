package calendar

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// FormatHolidays writes the table in the layout of data/holidays-vn.yaml,
// one flow mapping per entry, so that an administrator can start next
// year's file from a [Propose]d year, or export what a database holds.
// [ParseHolidays] reads the result back to an equal table; a nil table gives
// an empty years mapping.
func FormatHolidays(t *Table) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "timezone: %s\n", holidayTimezone)
	years := t.Years()
	if len(years) == 0 {
		b.WriteString("years: {}\n")
		return b.Bytes()
	}
	b.WriteString("years:\n")
	for _, y := range years {
		fmt.Fprintf(&b, "  %d:\n", y.Year)
		fmt.Fprintf(&b, "    status: %s\n", y.Status)
		writeDays(&b, "days_off", y.DaysOff)
		writeDays(&b, "make_up_days", y.MakeUpDays)
		if len(y.Pending) > 0 { // rare, and the shipped file leaves it out when empty
			writeDays(&b, "pending", y.Pending)
		}
	}
	return b.Bytes()
}

func writeDays(b *bytes.Buffer, key string, days []Day) {
	if len(days) == 0 {
		fmt.Fprintf(b, "    %s: []\n", key)
		return
	}
	fmt.Fprintf(b, "    %s:\n", key)
	for _, d := range days {
		fmt.Fprintf(b, "      - {date: %s, name: %s", d.Date, flowScalar(d.Name))
		if d.Note != "" {
			fmt.Fprintf(b, ", note: %s", flowScalar(d.Note))
		}
		b.WriteString("}\n")
	}
}

// flowScalar writes s as a scalar inside a YAML flow mapping: plain when it
// is ordinary text that YAML reads back as the same string (Hùng Kings' day,
// compensatory for Labour day (Saturday 2027-05-01)), double-quoted
// otherwise. Go's quoting is valid YAML: YAML double-quoted scalars know the
// same escapes.
func flowScalar(s string) string {
	if plainSafe(s) {
		return s
	}
	return strconv.Quote(s)
}

// plainSafe reports whether s can be written unquoted: it starts with a
// letter (so it is no number, date, indicator or quote), ends without a
// space, holds only letters, digits, spaces and a few punctuation marks that
// mean nothing inside a flow mapping, and is not a YAML keyword.
func plainSafe(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i == 0:
			return false
		case unicode.IsDigit(r), r == ' ', strings.ContainsRune("()'.-/", r):
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return false
	}
	return true
}
