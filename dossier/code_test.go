package dossier_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
)

// FuzzFormatCode: a dossier code is its agency, the day of receipt in
// legal time and the day's counter, and two receipts (within a century:
// the year has two digits) never share a code. Codes are workflow IDs, so
// a collision would merge two citizens' dossiers.
func FuzzFormatCode(f *testing.F) {
	f.Add("000.00.17.H39", int64(1796706751), 1, int64(1796706751), 2)
	f.Add("000.00.17.H39", int64(1796662800), 9999, int64(1796662799), 9999) // midnight +07:00, either side
	f.Add("H39-UBND", int64(946684800), 10000, int64(946684800), 1000)
	f.Add("X", int64(4102444799), 123456, int64(4102444799), 12345)
	f.Fuzz(func(t *testing.T, agency string, t1 int64, n1 int, t2 int64, n2 int) {
		// The range the system can meet: this century, counters from 1.
		const from, to = 946684800, 4102444800 // 2000-01-01Z, 2100-01-01Z
		if agency == "" || n1 < 1 || n2 < 1 ||
			t1 < from || t1 >= to-7*3600 || t2 < from || t2 >= to-7*3600 {
			return
		}
		d1, d2 := time.Unix(t1, 0), time.Unix(t2, 0)
		c1, c2 := dossier.FormatCode(agency, d1, n1), dossier.FormatCode(agency, d2, n2)

		rest, ok := strings.CutPrefix(c1, agency+"-")
		require.True(t, ok, "%q starts with its agency", c1)
		day, counter, ok := strings.Cut(rest, "-")
		require.True(t, ok, "%q has day and counter", c1)
		require.Equal(t, d1.In(dossier.Location).Format("060102"), day, "the day of receipt in legal time")
		require.GreaterOrEqual(t, len(counter), 4, "the counter has at least four digits")
		n, err := strconv.Atoi(counter)
		require.NoError(t, err, "%q", counter)
		require.Equal(t, n1, n)

		sameDay := d1.In(dossier.Location).Format("20060102") == d2.In(dossier.Location).Format("20060102")
		require.Equal(t, sameDay && n1 == n2, c1 == c2, "%q vs %q", c1, c2)
	})
}
