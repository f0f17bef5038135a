package activities

import (
	"fmt"
	"time"

	"github.com/motcua/motcua/calendar"
)

// WorkingTime is the arithmetic of legal time the activities need: the
// official calendar, or a simulated one.
type WorkingTime interface {
	Due(from time.Time, d calendar.Duration, sameDayCutoff time.Duration) (time.Time, error)
	Add(from time.Time, d time.Duration) (time.Time, error)
	Between(a, b time.Time) (time.Duration, error)
	CountFrom(from time.Time, cutoff time.Duration) (time.Time, error)
}

var _ WorkingTime = (*calendar.Calendar)(nil)

// Simulated is business time running Speed times faster than real time,
// around the clock, with no days off: with Speed 2880 a working day (8 h)
// passes in 10 seconds. It exists so tests and the load generator can see
// warnings, escalations and supplement deadlines fire on a real server in
// seconds. It is for development only: motcua refuses it in production.
type Simulated struct{ Speed float64 }

func (s Simulated) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.Speed)
}

// Due counts a legal duration in simulated time.
func (s Simulated) Due(from time.Time, d calendar.Duration, _ time.Duration) (time.Time, error) {
	switch d.Unit {
	case calendar.UnitWorkingDays:
		return from.Add(s.scale(time.Duration(d.N) * calendar.WorkingDay)), nil
	case calendar.UnitWorkingHours:
		return from.Add(s.scale(time.Duration(d.N) * time.Hour)), nil
	case calendar.UnitCalendarDays:
		return from.Add(s.scale(time.Duration(d.N) * 24 * time.Hour)), nil
	case calendar.UnitSameDay:
		return from.Add(s.scale(calendar.WorkingDay)), nil
	}
	return time.Time{}, fmt.Errorf("simulated time: unknown unit %q", d.Unit)
}

// CountFrom starts the count at once: simulated time has no office hours,
// so no cut-off.
func (s Simulated) CountFrom(from time.Time, _ time.Duration) (time.Time, error) { return from, nil }

// Add adds working time in simulated time.
func (s Simulated) Add(from time.Time, d time.Duration) (time.Time, error) {
	return from.Add(s.scale(d)), nil
}

// Between is the simulated working time between two instants.
func (s Simulated) Between(a, b time.Time) (time.Duration, error) {
	if !b.After(a) {
		return 0, nil
	}
	return time.Duration(float64(b.Sub(a)) * s.Speed), nil
}
