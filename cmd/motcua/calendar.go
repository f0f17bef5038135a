package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/store"
)

const calendarUsage = `usage:
  motcua calendar add FROM DURATION   due time of DURATION (3wd, 4wh, 15d, same_day)
                                      counted from FROM (RFC 3339, e.g. 2026-02-13T10:00:00+07:00)
  motcua calendar check YEAR          compare the table's YEAR with Labour Code 2019 Art. 112
  motcua calendar import FILE         store every year of a holidays YAML file (needs DATABASE_URL)
  motcua calendar propose YEAR        print a statutory proposal for YEAR in the holidays YAML format
add and check read the holiday table from DATABASE_URL, or the one built into the binary when it is not set.`

// runCalendar is `motcua calendar`: working-time arithmetic on the holiday
// table, and the yearly chores of keeping that table (propose, check,
// import).
func runCalendar(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("calendar: no subcommand given\n%s", strings.TrimRight(calendarUsage, "\n"))
	}
	switch args[0] {
	case "add":
		return calendarAdd(ctx, cfg, log, args[1:], stdout)
	case "check":
		return calendarCheck(ctx, cfg, log, args[1:], stdout)
	case "import":
		return calendarImport(ctx, cfg, args[1:], stdout)
	case "propose":
		return calendarPropose(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, calendarUsage)
		return nil
	}
	return fmt.Errorf("calendar: unknown subcommand %q\n%s", args[0], calendarUsage)
}

// calendarAdd prints the due time of a duration counted from an instant,
// exactly as a dossier's appointment is computed: same windows, same table,
// same Due.
func calendarAdd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return errors.New("calendar add: want FROM and DURATION, as in: motcua calendar add 2026-02-13T10:00:00+07:00 3wd")
	}
	from, err := time.Parse(time.RFC3339, args[0])
	if err != nil {
		return fmt.Errorf("calendar add: invalid instant %q; want RFC 3339 with a zone offset, as in 2026-02-13T10:00:00+07:00", args[0])
	}
	d, err := calendar.ParseDuration(args[1])
	if err != nil {
		return fmt.Errorf("calendar add: %w", err)
	}
	cal, err := loadCalendar(ctx, cfg, log)
	if err != nil {
		return err
	}
	due, err := cal.Due(from, d, calendar.DefaultSameDayCutoff)
	if err != nil {
		return fmt.Errorf("calendar add: %w", err)
	}
	fmt.Fprintln(stdout, due.In(calendar.Location).Format(time.RFC3339))
	return nil
}

// calendarCheck prints what the law gives for the year and where the table
// disagrees. Disagreements are warnings, not failures: the government's
// announcement may differ from the statutory pattern on purpose. A year
// missing from the table is a failure, because deadlines cannot be counted
// through it.
func calendarCheck(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	year, err := yearArg("check", args)
	if err != nil {
		return err
	}
	cal, err := loadCalendar(ctx, cfg, log)
	if err != nil {
		return err
	}
	tet, hung := calendar.TetDate(year), calendar.HungKingsDay(year)
	fmt.Fprintf(stdout, "%d, Labour Code 2019 Art. 112: Tết (lunar 1/1) %s %s, Hùng Kings' day (lunar 10/3) %s %s\n",
		year, tet.Weekday(), tet, hung.Weekday(), hung)
	warnings, err := calendar.Check(cal.Table(), year)
	if err != nil {
		return fmt.Errorf("calendar check: %w", err)
	}
	entry, _ := cal.Table().Year(year)
	fmt.Fprintf(stdout, "table: %d days off, %d make-up working days (%s)\n", len(entry.DaysOff), len(entry.MakeUpDays), entry.Status)
	if len(warnings) == 0 {
		fmt.Fprintln(stdout, "no disagreements with the statutory rules")
		return nil
	}
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w.Message)
	}
	fmt.Fprintf(stdout, "%d disagreements with the statutory rules; fine if the government announced them\n", len(warnings))
	return nil
}

// calendarImport stores every year of a holidays file in the database,
// replacing that year's entries whole. Dates already given to applicants are
// never rewritten: a dossier keeps the appointment and step due times
// computed when it was received, and only dossiers scheduled afterwards use
// the new entries. The file is read and checked before the database is
// opened, so a typo fails without touching anything.
func calendarImport(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("calendar import: want one FILE, as in: motcua calendar import holidays-2027.yaml")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("calendar import: %w", err)
	}
	table, err := calendar.ParseHolidays(b)
	if err != nil {
		return fmt.Errorf("calendar import: %s: %w", args[0], err)
	}
	years := table.Years()
	if len(years) == 0 {
		return fmt.Errorf("calendar import: %s lists no year", args[0])
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.ImportHolidays(ctx, table); err != nil {
		return err
	}
	for _, y := range years {
		fmt.Fprintf(stdout, "imported %d (%s): %d days off, %d make-up working days\n",
			y.Year, y.Status, len(y.DaysOff), len(y.MakeUpDays))
		if len(y.Pending) > 0 {
			fmt.Fprintf(stdout, "  %d pending entries not stored: they never change a deadline\n", len(y.Pending))
		}
		warnings, err := calendar.Check(table, y.Year)
		if err != nil {
			return err // the year is in the table it was read from
		}
		for _, w := range warnings {
			fmt.Fprintf(stdout, "  warning: %s\n", w.Message)
		}
	}
	fmt.Fprintln(stdout, "dates already given to applicants are unchanged; dossiers received from now on use these entries")
	return nil
}

// calendarPropose prints a statutory proposal for the year as a holidays
// file, for an administrator to correct against the official announcement
// and import.
func calendarPropose(args []string, stdout io.Writer) error {
	year, err := yearArg("propose", args)
	if err != nil {
		return err
	}
	table, err := calendar.NewTable([]calendar.Year{calendar.Propose(year)})
	if err != nil {
		return fmt.Errorf("calendar propose: %w", err) // a bug: proposals are valid
	}
	tet, hung := calendar.TetDate(year), calendar.HungKingsDay(year)
	fmt.Fprintf(stdout, `# Statutory proposal for %d (motcua calendar propose %d), from Labour Code
# 2019 Art. 112: Tết (lunar 1/1) %s %s, Hùng Kings' day (lunar 10/3) %s %s.
# Compensatory days follow the holidays that fall on a weekend. Replace it
# with the government's announcement (its swaps go under make_up_days), set
# status: official, and load it with motcua calendar import FILE.
`, year, year, tet.Weekday(), tet, hung.Weekday(), hung)
	_, err = stdout.Write(calendar.FormatHolidays(table))
	return err
}

// loadCalendar returns the calendar dossiers are scheduled with: the table
// in the database when DATABASE_URL is set, else the table built into the
// binary, which may be older than what an office imported.
func loadCalendar(ctx context.Context, cfg config.Config, log *slog.Logger) (*calendar.Calendar, error) {
	if cfg.DatabaseURL != "" {
		db, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		return activities.LoadCalendar(ctx, db)
	}
	table, err := calendar.ParseHolidays(data.Holidays)
	if err != nil {
		return nil, err
	}
	covered := "none"
	if years := table.Years(); len(years) > 0 {
		covered = fmt.Sprintf("%d-%d", years[0].Year, years[len(years)-1].Year)
	}
	log.Warn("DATABASE_URL is not set: using the holiday table built into the binary", "years", covered)
	return calendar.New(calendar.DefaultWindows(), table)
}

// yearArg reads the single YEAR argument of a subcommand. The range is the
// lunar calendar's; the astronomy behind it is checked for 1900–2100.
func yearArg(cmd string, args []string) (int, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("calendar %s: want one YEAR, as in: motcua calendar %s 2027", cmd, cmd)
	}
	year, err := strconv.Atoi(args[0])
	if err != nil || year < 1 || year > 9998 {
		return 0, fmt.Errorf("calendar %s: invalid year %q; want a year such as 2027", cmd, args[0])
	}
	return year, nil
}
