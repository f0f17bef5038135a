package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// TestCalendarCache: a cached calendar costs no query until its TTL has
// passed, then it is read again; without a cache every load reads.
func TestCalendarCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.SharedStoreURL(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	const agency = "000.00.17.H39"

	loads := func(c *activities.CalendarCache) int64 {
		t.Helper()
		before := s.Counts()
		_, err := c.Load(ctx, s, agency)
		require.NoError(t, err)
		return s.Counts().Sub(before).Statements
	}
	var none *activities.CalendarCache
	require.Positive(t, loads(none), "no cache: read every time")
	require.Positive(t, loads(none))

	c := &activities.CalendarCache{TTL: time.Hour}
	require.Positive(t, loads(c), "the first load reads")
	require.Zero(t, loads(c), "a fresh calendar is not read again")
	first, err := c.Load(ctx, s, agency)
	require.NoError(t, err)
	other, err := c.Load(ctx, s, "")
	require.NoError(t, err)
	require.NotSame(t, first, other, "each agency has its own")

	short := &activities.CalendarCache{TTL: time.Millisecond}
	require.Positive(t, loads(short))
	time.Sleep(5 * time.Millisecond)
	require.Positive(t, loads(short), "past the TTL the calendar is read again")
}
