// Package calendar counts legal time the way a one-stop center (bộ phận một
// cửa) must: in working time, inside the office's working windows, on working
// days, with Vietnam's official days off and make-up working days taken from
// an editable table.
//
// Every civil date and clock time here is Asia/Ho_Chi_Minh (UTC+7, no
// daylight saving), [dossier.Location]. A fixed zone is used instead of the
// tz database so results never depend on the machine's tzdata. Methods accept
// instants in any location and return instants in that zone.
//
// The package is pure and deterministic: no clock, no I/O beyond parsing
// bytes handed to it. A deadline is an absolute instant computed once (in a
// local activity) and then kept, so editing the holiday table later never
// moves a date already promised to an applicant.
//
// The rules, in short:
//
//   - A working day is Monday–Friday, minus the table's days off, plus the
//     table's make-up working days (Saturdays or Sundays that are worked).
//   - The table speaks only for the years it lists: a calendar with a table
//     fails with [ErrYearNotInTable] rather than count through a year whose
//     official schedule was never imported. [Propose] and [Check] help write
//     and review a year's entries from the Labour Code and the lunar
//     calendar ([TetDate], [HungKingsDay]), which is computed at UTC+7.
//   - Working time is only counted inside the windows of a working day
//     (default 07:00–11:30 and 13:30–17:00). Windows are half-open: 11:30 is
//     not inside the morning window.
//   - Office hours may change for a date range (summer and winter hours,
//     [NewWithPeriods]). A working day is as long as its windows add up to
//     ([Calendar.DayLength]; 8 hours with the default windows), so N working
//     days are N of the office's days whatever its hours. Working hours are
//     hours; [WorkingDay] (8 h) converts only where a rule is written in
//     hours.
//   - A cut-off clock time (giờ chốt, [Calendar.CountFrom]): received on a
//     working day at or after it, the count starts the next working day.
//   - A due time is the earliest instant at which the legal time has elapsed,
//     so a deadline can fall exactly at a window's end (17:00).
package calendar

import "github.com/motcua/motcua/dossier"

// Location is the zone in which every date and clock time of this package is
// read: Asia/Ho_Chi_Minh as a fixed UTC+7 zone. It is [dossier.Location]
// itself, so instants built by other packages compare equal field by field
// (reflect.DeepEqual) with the ones returned here.
var Location = dossier.Location
