package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Window is one stretch of office hours (giờ làm việc) within a day, as
// offsets from local midnight: {7 * time.Hour, 11*time.Hour + 30*time.Minute}
// is 07:00–11:30. A window is half-open, [Start, End): working time is counted
// from Start up to, not including, End.
//
// Offsets rather than clock strings keep arithmetic exact; each province sets
// its own hours, so windows are configuration passed to [New].
type Window struct {
	Start time.Duration
	End   time.Duration
}

// String formats w as HH:MM-HH:MM (a sub-minute remainder is appended, as in
// 07:00+30s).
func (w Window) String() string {
	return formatClock(w.Start) + "-" + formatClock(w.End)
}

// DefaultWindows returns the office hours most provinces keep, 07:00–11:30
// and 13:30–17:00: eight working hours, one legal working day. It returns a
// new slice on each call so a caller cannot alter another's configuration.
func DefaultWindows() []Window {
	return []Window{
		{Start: 7 * time.Hour, End: 11*time.Hour + 30*time.Minute},
		{Start: 13*time.Hour + 30*time.Minute, End: 17 * time.Hour},
	}
}

// validateWindows checks what the arithmetic relies on: at least one window,
// each inside one day and non-empty, in order and not overlapping. Touching
// windows (11:30–11:30) are allowed; they behave like one window.
func validateWindows(ws []Window) error {
	if len(ws) == 0 {
		return errors.New("calendar: no working windows; a calendar needs at least one")
	}
	for i, w := range ws {
		switch {
		case w.Start < 0 || w.End > 24*time.Hour:
			return fmt.Errorf("calendar: window %d (%s) is not within one day (00:00-24:00)", i, w)
		case w.End <= w.Start:
			return fmt.Errorf("calendar: window %d (%s) is empty or ends before it starts", i, w)
		case i > 0 && w.Start < ws[i-1].End:
			return fmt.Errorf("calendar: window %d (%s) starts before window %d (%s) ends; windows must be in order and not overlap",
				i, w, i-1, ws[i-1])
		}
	}
	return nil
}

// formatClock renders an offset from midnight as HH:MM, plus any sub-minute
// remainder; offsets outside a day keep their sign and hours so an error
// shows what was given.
func formatClock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute
	if s != 0 {
		return fmt.Sprintf("%s%02d:%02d+%s", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d:%02d", sign, h, m)
}
