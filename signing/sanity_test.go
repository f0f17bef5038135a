package signing

import (
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
)

// The patterns sane used before it was made fast: applied to the whole
// file, unanchored. The reference for what must be refused.
var (
	refXrefEntry   = regexp.MustCompile(`(?m)^\s*(\d+)\s+(\d+)\s+[fn]\b`)
	refXrefSection = regexp.MustCompile(`(?m)^(\d+) (\d+)\s*$`)
	refOffsetKeys  = regexp.MustCompile(`(?:startxref\s+|/Prev\s+|/Length\s+)(\d+)`)
)

func saneReference(in []byte) error {
	size := int64(len(in))
	for _, m := range refXrefEntry.FindAllSubmatch(in, -1) {
		if !within(m[1], size) {
			return ErrMalformed
		}
	}
	for _, m := range refOffsetKeys.FindAllSubmatch(in, -1) {
		if !within(m[1], size) {
			return ErrMalformed
		}
	}
	for _, m := range refXrefSection.FindAllSubmatch(in, -1) {
		if !within(m[1], maxObjects) || !within(m[2], maxObjects) {
			return ErrMalformed
		}
	}
	// The count patterns were fast already: unchanged.
	return countsSane(in)
}

// TestSaneRefusesWhatThePatternsRefused: the fast check accepts real
// results and refuses every file the whole-file patterns refused. The
// files are a rendered result with forged numbers put where the patterns
// look: line starts, after the keys, inside the compressed streams.
func TestSaneRefusesWhatThePatternsRefused(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, dossier.Location)
	pdf, err := forms.Result(forms.ResultNotice{Dossier: forms.Dossier{Code: "A-260302-0001", Agency: "Sở Tư pháp",
		Procedure: "Cấp Phiếu lý lịch tư pháp", Applicant: "Nguyễn Văn An"}, At: at, Signer: "Lãnh đạo Sở"})
	require.NoError(t, err)
	require.NoError(t, saneReference(pdf))
	require.NoError(t, sane(pdf), "a result we render is sane")

	forgeries := []string{
		"\n0999999999 00000 n \n", "\n \t0999999999 65535 f\n", "\n\n\r\n99999999 0 n\n",
		"\n0 999999\n", "\n999999 1  \n", "startxref\n99999999", "/Prev 99999999", "/Length  99999999",
		"/Size 99999999", "/Index [0 3 999999 2]", "\n12 0 n", "\n1 2 f3", "\n5\n\n99999999 0 n\n",
		"\n17 00000 n \n", "\n0 31\n", "/Length 12", // harmless ones: within the file
	}
	rng := rand.New(rand.NewPCG(21, 7))
	refused := 0
	for i := range 3000 {
		f := forgeries[rng.IntN(len(forgeries))]
		at := rng.IntN(len(pdf) + 1)
		in := append(append(append([]byte{}, pdf[:at]...), f...), pdf[at:]...)
		if i%3 == 0 { // and a second one elsewhere
			g := forgeries[rng.IntN(len(forgeries))]
			at2 := rng.IntN(len(in) + 1)
			in = append(append(append([]byte{}, in[:at2]...), g...), in[at2:]...)
		}
		if saneReference(in) != nil {
			refused++
			require.ErrorIs(t, sane(in), ErrMalformed, "forgery %q at %d refused by the patterns, accepted by sane", f, at)
		}
	}
	require.Greater(t, refused, 1000, "the forgeries exercise the refusals")
	for _, in := range [][]byte{nil, []byte("0"), []byte("\n"), []byte("1 2 n"), []byte("startxref 5")} {
		require.Equal(t, saneReference(in), sane(in), "%q", in)
	}
}

// BenchmarkSane: the check on a real result (3.7 ms with the whole-file
// patterns).
func BenchmarkSane(b *testing.B) {
	pdf, err := forms.Result(forms.ResultNotice{Dossier: forms.Dossier{Code: "A-260302-0001", Agency: "Sở Tư pháp",
		Procedure: "Cấp Phiếu lý lịch tư pháp", Applicant: "Nguyễn Văn An"}, At: time.Date(2026, 3, 2, 10, 0, 0, 0, dossier.Location)})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if sane(pdf) != nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("patterns", func(b *testing.B) {
		for b.Loop() {
			if saneReference(pdf) != nil {
				b.Fatal("refused")
			}
		}
	})
}
