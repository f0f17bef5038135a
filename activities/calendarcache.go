package activities

import (
	"context"
	"sync"
	"time"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/store"
)

// CalendarCache keeps each agency's working-time calendar (the holiday
// table and the agency's office hours, LoadAgencyCalendar: three
// PostgreSQL statements) for TTL, so that computing a schedule or an
// intake deadline costs no query while the table is unchanged (issue 21:
// six of a happy-path dossier's transactions). A change to the holiday
// table (`motcua calendar import`) or to an agency's hours (the catalog)
// reaches new schedules within TTL. A nil cache loads every time. Safe for concurrent use; a Calendar is never
// modified once built.
type CalendarCache struct {
	// TTL is how long a loaded calendar is used (0: one minute).
	TTL time.Duration

	mu sync.Mutex
	m  map[string]cachedCalendar
}

type cachedCalendar struct {
	cal    *calendar.Calendar
	loaded time.Time
}

// Load returns the agency's calendar, from the cache when fresh.
func (c *CalendarCache) Load(ctx context.Context, s *store.Store, agency string) (*calendar.Calendar, error) {
	if c == nil {
		return LoadAgencyCalendar(ctx, s, agency)
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	c.mu.Lock()
	e, ok := c.m[agency]
	c.mu.Unlock()
	if ok && time.Since(e.loaded) < ttl {
		return e.cal, nil
	}
	cal, err := LoadAgencyCalendar(ctx, s, agency)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedCalendar{}
	}
	c.m[agency] = cachedCalendar{cal: cal, loaded: time.Now()}
	c.mu.Unlock()
	return cal, nil
}
