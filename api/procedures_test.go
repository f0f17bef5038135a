package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The counter's procedure picker: GET /v1/procedures?q= finds procedures
// by words typed without diacritics, and says when fee is collected.
func TestProcedureSearchWithoutDiacritics(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	codes := func(q string) []string {
		t.Helper()
		res := s.must(200, "GET", "/v1/procedures?"+url.Values{"q": {q}}.Encode(), nil)
		var out []string
		for _, it := range res["items"].([]any) {
			p := it.(map[string]any)
			out = append(out, p["code"].(string))
			require.NotEmpty(t, p["fee_timing"], "every procedure says when its fee is collected")
		}
		return out
	}
	require.Contains(t, codes("ly lich tu phap"), "TP-LLTP-01")
	require.Contains(t, codes("LÝ LỊCH"), "TP-LLTP-01", "diacritics and case do not matter either way")
	require.Contains(t, codes("lltp"), "TP-LLTP-01", "the code matches too")
	require.Contains(t, codes("dang ky ho kinh doanh"), "KH-HKD-01")
	require.Contains(t, codes("driving licence"), "GT-GPLX-01", "the English name matches")
	require.NotContains(t, codes("ly lich tu phap"), "KH-HKD-01", "every word must match")
	require.Empty(t, codes("khong co thu tuc nao nhu vay"))
	all := codes("")
	require.Contains(t, all, "TP-LLTP-01")
	require.Contains(t, all, "KH-HKD-01")

	p := s.must(200, "GET", "/v1/procedures/TP-LLTP-01", nil)
	require.Equal(t, "before_result", p["fee_timing"], "the default when the catalog says nothing")

	res := s.call("GET", "/v1/procedures?"+url.Values{"q": {strings.Repeat("a", 201)}}.Encode(), nil)
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, string(res.body), `"field":"q"`)
}
