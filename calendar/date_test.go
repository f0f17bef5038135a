package calendar_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want calendar.Date
		ok   bool
	}{
		{"2026-01-01", date(2026, 1, 1), true},
		{"2024-02-29", date(2024, 2, 29), true},
		{"0001-01-01", date(1, 1, 1), true},
		{"2026-02-29", calendar.Date{}, false},
		{"2026-02-30", calendar.Date{}, false},
		{"2026-13-01", calendar.Date{}, false},
		{"2026-00-10", calendar.Date{}, false},
		{"2026-1-1", calendar.Date{}, false},
		{"26-01-01", calendar.Date{}, false},
		{"2026-01-01T00:00:00Z", calendar.Date{}, false},
		{" 2026-01-01", calendar.Date{}, false},
		{"", calendar.Date{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseDate(tt.in)
			if !tt.ok {
				require.ErrorContains(t, err, "want an existing date written YYYY-MM-DD")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in, got.String())
			require.True(t, got.Valid())
		})
	}
}

func TestDateValid(t *testing.T) {
	t.Parallel()
	require.False(t, calendar.Date{}.Valid())
	require.False(t, date(2026, 2, 29).Valid())
	require.False(t, date(2026, 4, 31).Valid())
	require.False(t, date(2026, 0, 1).Valid())
	require.False(t, date(10000, 1, 1).Valid())
	require.False(t, date(2026, 1, 0).Valid())
	require.True(t, date(2028, 2, 29).Valid())
	require.True(t, date(9999, 12, 31).Valid())
}

func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	require.Equal(t, date(2026, 3, 1), date(2026, 2, 28).AddDays(1))
	require.Equal(t, date(2024, 2, 29), date(2024, 2, 28).AddDays(1))
	require.Equal(t, date(2027, 1, 1), date(2026, 12, 31).AddDays(1))
	require.Equal(t, date(2025, 12, 31), date(2026, 1, 1).AddDays(-1))
	require.Equal(t, date(2026, 2, 25), date(2026, 2, 13).AddDays(12))

	require.Equal(t, time.Thursday, date(2026, 1, 1).Weekday())
	require.Equal(t, time.Saturday, date(2026, 1, 10).Weekday())
	require.Equal(t, time.Tuesday, date(2026, 2, 17).Weekday())

	require.Equal(t, -1, date(2026, 1, 31).Compare(date(2026, 2, 1)))
	require.Equal(t, 1, date(2027, 1, 1).Compare(date(2026, 12, 31)))
	require.Equal(t, 0, date(2026, 5, 1).Compare(date(2026, 5, 1)))
	require.Equal(t, -1, date(2026, 5, 1).Compare(date(2026, 5, 2)))
}

func TestDateOfAndMidnight(t *testing.T) {
	t.Parallel()
	// 17:00 UTC on 31 December is already New Year's Day in Hà Nội.
	require.Equal(t, date(2026, 1, 1), calendar.DateOf(time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC)))
	require.Equal(t, date(2025, 12, 31), calendar.DateOf(time.Date(2025, 12, 31, 16, 59, 59, 0, time.UTC)))
	require.Equal(t, date(2026, 1, 1), calendar.DateOf(at(2026, 1, 1, 23, 59)))

	m := date(2026, 1, 1).Midnight()
	require.True(t, m.Equal(time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC)))
	require.Equal(t, calendar.Location, m.Location())
}
