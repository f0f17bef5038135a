package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/motcua/motcua/api"
)

// TestStringsAreStoredInNFC: a name typed with combining marks (NFD, as
// some keyboards and macOS file names produce) is stored precomposed, and
// found by the precomposed form.
func TestStringsAreStoredInNFC(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	const name, address = "Nguyễn Thị Ánh Tuyết", "12 Nguyễn Huệ, Tân An, Long An"
	decomposed := norm.NFD.String(name)
	require.NotEqual(t, name, decomposed, "the test needs two byte sequences")
	b := submission("TP-LLTP-01", "online", "counter")
	b["applicant"].(map[string]any)["full_name"] = decomposed
	b["applicant"].(map[string]any)["address"] = norm.NFD.String(address)
	// 1,500 "ệ" typed as e + two combining marks: 4,500 code points as
	// sent, 1,500 characters once normalised, within the 2,000 allowed.
	b["documents"].([]map[string]any)[0]["name"] = norm.NFD.String(strings.Repeat("ệ", 1500))
	d := s.must(201, "POST", "/v1/dossiers", b)
	code := d["code"].(string)

	// The API does not show the applicant; the read model has it.
	stored, err := s.store.Dossier(context.Background(), code)
	require.NoError(t, err)
	require.Equal(t, name, stored.Applicant.FullName, "stored precomposed")
	require.Equal(t, address, stored.Applicant.Address)
	require.Equal(t, strings.Repeat("ệ", 1500), stored.Documents[0].Name)

	for _, q := range []string{name, decomposed, "Ánh Tuyết"} {
		list := s.must(200, "GET", "/v1/dossiers?q="+url.QueryEscape(q), nil)
		var codes []string
		for _, it := range list["items"].([]any) {
			codes = append(codes, it.(map[string]any)["code"].(string))
		}
		require.Contains(t, codes, code, "q=%q", q)
	}
}

// TestEveryStringIsBounded: any string field of any body, however deep,
// over 2,000 characters is refused by name, before anything else.
func TestEveryStringIsBounded(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	long := strings.Repeat("ư", 2001)
	b := submission("TP-LLTP-01", "online", "counter")
	b["applicant"].(map[string]any)["full_name"] = long
	b["documents"].([]map[string]any)[0]["name"] = long
	res := s.call("POST", "/v1/dossiers", b)
	require.Equal(t, 400, res.status, string(res.body))
	var fields []string
	for _, e := range res.json(t)["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
		require.Contains(t, e.(map[string]any)["reason"], "at most 2000 characters")
	}
	require.ElementsMatch(t, []string{"applicant.full_name", "documents[0].name"}, fields)

	// An action's body, and a field validated only by pattern elsewhere.
	code := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))["code"].(string)
	res = s.call("POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": long})
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, string(res.body), `"field":"decision"`)
	// Unknown fields are refused, however deep.
	b = submission("TP-LLTP-01", "online", "counter")
	b["applicant"].(map[string]any)["nickname"] = "Tí"
	res = s.call("POST", "/v1/dossiers", b)
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], `unknown field "nickname"`)
}

// TestSubmissionsAreRateLimited through the real router: beyond the rate,
// 429 with Retry-After, and no dossier is created.
func TestSubmissionsAreRateLimited(t *testing.T) {
	t.Parallel()
	s := newSystemOptions(t, 0, func(o *api.Options) { o.SubmitRatePerMinute = 2 })
	s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"), "Idempotency-Key", "third-"+t.Name())
	require.Equal(t, 429, res.status, string(res.body))
	require.NotEmpty(t, res.header.Get("Retry-After"))
	require.Equal(t, "https://motcua.example/problems/rate_limited", res.json(t)["type"])
	// Reads are not limited.
	s.must(200, "GET", "/v1/procedures", nil)
}
