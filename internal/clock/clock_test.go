package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/clock"
)

func TestZeroClockIsTheWallClock(t *testing.T) {
	var c clock.Clock
	require.False(t, c.Shifted())
	require.WithinDuration(t, time.Now(), c.Now(), time.Second)
}

func TestStartingReadsItsStartAndRunsOn(t *testing.T) {
	start := time.Date(2027, 2, 5, 16, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	c := clock.Starting(start)
	require.True(t, c.Shifted())
	first := c.Now()
	require.WithinDuration(t, start, first, time.Second)
	time.Sleep(20 * time.Millisecond)
	second := c.Now()
	require.True(t, second.After(first), "business time flows")
	require.Less(t, second.Sub(first), time.Second)
}
