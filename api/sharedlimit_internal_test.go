package api

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeCounter is a shared counter that counts in memory or fails.
type fakeCounter struct {
	hits   map[string]int
	fail   bool
	starts []time.Time
}

func (f *fakeCounter) CountRateHit(_ context.Context, bucket, client string, start time.Time) (int, error) {
	if f.fail {
		return 0, errors.New("connection refused")
	}
	f.starts = append(f.starts, start)
	f.hits[bucket+"/"+client+"/"+start.String()]++
	return f.hits[bucket+"/"+client+"/"+start.String()], nil
}

func (f *fakeCounter) PurgeRateWindows(context.Context, time.Time) (int64, error) { return 0, nil }

// The shared counter decides while it answers, with windows aligned to the
// clock's minutes; when it fails, the process counts on its own.
func TestSharedLimiterFallsBackToLocalCounting(t *testing.T) {
	t.Parallel()
	f := &fakeCounter{hits: map[string]int{}}
	now := time.Date(2026, 12, 9, 2, 0, 40, 0, time.UTC)
	l := newRateLimiter(2, time.Minute, "lookups", clientIP)
	l.bucket, l.shared, l.log, l.now = "lookup", f, slog.New(slog.DiscardHandler), func() time.Time { return now }
	ctx := context.Background()

	ok, _ := l.allow(ctx, "a")
	require.True(t, ok)
	ok, _ = l.allow(ctx, "a")
	require.True(t, ok)
	ok, wait := l.allow(ctx, "a")
	require.False(t, ok)
	require.Equal(t, 20, wait, "until the minute of the clock ends")
	require.Equal(t, time.Date(2026, 12, 9, 2, 0, 0, 0, time.UTC), f.starts[0])
	require.Empty(t, l.clients, "nothing counted locally while the shared counter answers")

	f.fail = true
	ok, _ = l.allow(ctx, "a")
	require.True(t, ok, "the local count starts afresh")
	ok, _ = l.allow(ctx, "a")
	require.True(t, ok)
	ok, _ = l.allow(ctx, "a")
	require.False(t, ok, "the local limit holds while the shared counter is down")
}
