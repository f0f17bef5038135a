package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestS10CheckDigit(t *testing.T) {
	t.Parallel()
	// RR473124829GB is the UPU's own example; the others exercise the
	// two special cases (11 → 5, 10 → 0) and a plain one.
	for serial, want := range map[string]int{
		"47312482": 9,
		"87654321": 6,
		"00000000": 5, // sum 0: 11 - 0 = 11 → 5
		"00000008": 0, // sum 8·7 = 56 ≡ 1: 11 - 1 = 10 → 0
		"00000001": 4, // sum 7: 11 - 7 = 4
	} {
		require.Equal(t, want, s10CheckDigit(serial), serial)
	}

	for range 100 {
		w := newWaybill()
		require.Regexp(t, `^EV[0-9]{9}VN$`, w)
		require.Equal(t, int(w[10]-'0'), s10CheckDigit(w[2:10]), w)
	}
}

func TestFormatVND(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{
		0:          "0 ₫",
		500:        "500 ₫",
		1000:       "1.000 ₫",
		200000:     "200.000 ₫",
		1200000:    "1.200.000 ₫",
		-25000:     "-25.000 ₫",
		1000000000: "1.000.000.000 ₫",
	} {
		require.Equal(t, want, formatVND(in))
	}
}
