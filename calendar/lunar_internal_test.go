package calendar

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAstronomyAgainstMeeus pins the series to the worked examples of Meeus,
// Astronomical Algorithms (2nd ed.): a wrong coefficient moves them, even
// where it is too small to move a Tết between 1900 and 2100.
func TestAstronomyAgainstMeeus(t *testing.T) {
	t.Parallel()
	// Example 49.a: the new moon of February 1977, k = -283, is
	// JDE 2443192.65118 (1977 February 18, 3h37m42s TD).
	require.InDelta(t, 2443192.65118, newMoonJDE(-283), 0.000005)
	// Example 25.a: on 1992 October 13.0 TD the sun's apparent longitude
	// is 199.90895° by the low-accuracy method.
	require.InDelta(t, 199.90895, sunLongitude(2448908.5), 0.00001)
	// ΔT, the spot values of Espenak and Meeus's polynomials.
	require.InDelta(t, 63.86, deltaT(j2000), 0.01)
	require.InDelta(t, 29.07, deltaT(j2000-50*365.25), 0.01)
	require.InDelta(t, 62.92+0.32217*25+0.005589*25*25, deltaT(j2000+25*365.25), 0.01)
	// Day numbers: 2000-01-01 is JDN 2451545.
	require.Equal(t, 2451545, dayNumber(Date{2000, 1, 1}))
	require.Equal(t, Date{2000, 1, 1}, dateOfDayNumber(2451545))
}
