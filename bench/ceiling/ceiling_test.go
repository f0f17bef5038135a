package ceiling_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/bench/ceiling"
	"github.com/motcua/motcua/internal/testenv"
)

// Both variants run every workflow to completion through all five decisions
// against the real server, and the rate is the completed count over time.
func TestBothVariantsComplete(t *testing.T) {
	c := testenv.Temporal(t)
	for _, v := range []string{ceiling.Naive, ceiling.Local} {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var out bytes.Buffer
			r, err := ceiling.Run(ctx, c, ceiling.Options{Variant: v, Workflows: 6, Concurrency: 3,
				TaskQueue: testenv.TaskQueue(t)}, &out)
			require.NoError(t, err)
			require.Equal(t, 6, r.Completed)
			require.Zero(t, r.Failed)
			require.InDelta(t, float64(r.Completed)/r.ElapsedSeconds, r.PerSecond, 1e-9)
			require.Contains(t, out.String(), "ceiling "+v)
		})
	}
}

func TestUnknownVariant(t *testing.T) {
	_, err := ceiling.Run(context.Background(), nil, ceiling.Options{Variant: "fast"}, nil)
	require.ErrorContains(t, err, `not "fast"`)
}
