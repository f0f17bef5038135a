package rating_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rating"
)

func TestShippedReasonsAndVersions(t *testing.T) {
	set, err := rating.Default()
	require.NoError(t, err)
	list := set.At(time.Now())
	require.Equal(t, 1, list.Version)
	require.True(t, list.Has("late"))
	require.True(t, list.Has(rating.OtherReason))
	require.False(t, list.Has("weather"))

	two, err := rating.Parse([]byte(`
versions:
  - {version: 1, effective_from: 2020-01-01, reasons: [{code: late, label: Chậm}, {code: other, label: Khác}]}
  - {version: 2, effective_from: 2027-01-01, reasons: [{code: queue, label: Chờ lâu}, {code: other, label: Khác}]}
`))
	require.NoError(t, err)
	require.Equal(t, 1, two.At(time.Date(2026, 12, 31, 23, 0, 0, 0, dossier.Location)).Version)
	require.Equal(t, 2, two.At(time.Date(2027, 1, 1, 0, 0, 0, 0, dossier.Location)).Version)
	require.Equal(t, []string{"late", "other", "queue"}, two.Codes(), "the report's columns: every version's codes")

	for name, bad := range map[string]string{
		"no other":       `versions: [{version: 1, effective_from: 2020-01-01, reasons: [{code: late, label: Chậm}]}]`,
		"code twice":     `versions: [{version: 1, effective_from: 2020-01-01, reasons: [{code: other, label: A}, {code: other, label: B}]}]`,
		"versions back":  "versions:\n  - {version: 2, effective_from: 2020-01-01, reasons: [{code: other, label: A}]}\n  - {version: 1, effective_from: 2021-01-01, reasons: [{code: other, label: A}]}",
		"no version":     `versions: []`,
		"unknown field":  `versions: [{version: 1, effective_from: 2020-01-01, reasons: [{code: other, label: A}], extra: 1}]`,
		"date malformed": `versions: [{version: 1, effective_from: 1/1/2020, reasons: [{code: other, label: A}]}]`,
	} {
		_, err := rating.Parse([]byte(bad))
		require.Error(t, err, name)
	}
}

func TestCheckNamesTheFieldAndCleans(t *testing.T) {
	set, err := rating.Default()
	require.NoError(t, err)
	list := set.At(time.Now())
	got, err := rating.Check(rating.Input{Level: rating.NotSatisfied, Reasons: []string{"other"}, Comment: "  chờ lâu \n"}, list)
	require.NoError(t, err)
	require.Equal(t, "chờ lâu", got.Comment)
	_, err = rating.Check(rating.Input{Level: rating.VerySatisfied}, list)
	require.NoError(t, err)

	for _, tc := range []struct {
		in    rating.Input
		field string
	}{
		{rating.Input{}, "level"},
		{rating.Input{Level: "great"}, "level"},
		{rating.Input{Level: rating.Satisfied, Reasons: []string{"late"}}, "reasons"},
		{rating.Input{Level: rating.Satisfied, Comment: "x"}, "comment"},
		{rating.Input{Level: rating.NotSatisfied}, "reasons"},
		{rating.Input{Level: rating.NotSatisfied, Reasons: []string{"nope"}}, "reasons"},
		{rating.Input{Level: rating.NotSatisfied, Reasons: []string{"late", "late"}}, "reasons"},
		{rating.Input{Level: rating.NotSatisfied, Reasons: []string{"other"}, Comment: "   "}, "comment"},
		{rating.Input{Level: rating.NotSatisfied, Reasons: []string{"late"}, Comment: strings.Repeat("ư", rating.MaxComment+1)}, "comment"},
		{rating.Input{Level: rating.NotSatisfied, Reasons: []string{"late"}, Comment: "a\x1bb"}, "comment"},
	} {
		_, err := rating.Check(tc.in, list)
		var de *dossier.Error
		require.ErrorAs(t, err, &de, "%+v", tc.in)
		require.Equal(t, dossier.EInvalid, de.Code)
		require.Equal(t, tc.field, de.Fields[0].Field, "%+v: %v", tc.in, err)
	}
	// Exactly the limit is fine.
	_, err = rating.Check(rating.Input{Level: rating.NotSatisfied, Reasons: []string{"late"}, Comment: strings.Repeat("ư", rating.MaxComment)}, list)
	require.NoError(t, err)
}
