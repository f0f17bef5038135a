package dossier_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
)

func TestMaskIDNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"079203001234": "0792******34",
		"123456789":    "1234***89",
		"1234567":      "1234*67",
		"123456":       "******",
		"":             "",
	} {
		require.Equal(t, want, dossier.MaskIDNumber(in), in)
	}
}
