package testenv

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/clock"
)

// DefaultBusinessStart is where business time starts for a test process
// unless MOTCUA_TEST_CLOCK says otherwise: an ordinary working morning
// (Wednesday, 09:00 in Hanoi), hours from any boundary the suite could
// cross while it runs, inside the holiday table the repository ships. Tests
// therefore give the same result whatever the wall clock says.
var DefaultBusinessStart = time.Date(2026, 12, 9, 9, 0, 0, 0, dossier.Location)

var (
	clockOnce sync.Once
	testClock clock.Clock
	clockErr  error
)

// Clock is the business clock of this test process: it read
// MOTCUA_TEST_CLOCK (an RFC 3339 instant, e.g. 2026-12-11T16:59:00+07:00;
// `make test-clock` runs the time-sensitive tests at several) or
// DefaultBusinessStart when the process first asked, and has run on since.
// Every system a test builds (API, simulators, and through the API every
// workflow) shares it, so they agree on "now". Tests derive what they
// expect from the instants the system reports (received_at, due_at), never
// from the wall clock.
func Clock() clock.Clock {
	clockOnce.Do(func() {
		start := DefaultBusinessStart
		if v := os.Getenv("MOTCUA_TEST_CLOCK"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				clockErr = fmt.Errorf("MOTCUA_TEST_CLOCK=%q is not an RFC 3339 instant: %w", v, err)
				return
			}
			start = t
		}
		testClock = clock.Starting(start)
	})
	if clockErr != nil {
		panic(clockErr)
	}
	return testClock
}

// Now is Clock().Now(): the business time tests act at.
func Now() time.Time { return Clock().Now() }
