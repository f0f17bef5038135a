package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
)

// TestIdentityNumbersAreMasked: lists, control sheets and reports never
// return an applicant's full identity number; a single dossier shows it
// masked to a caller not allowed the full number (here: no principal).
func TestIdentityNumbersAreMasked(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	idNumber := fmt.Sprintf("0795%08d", rand.IntN(100_000_000))
	masked := idNumber[:4] + "******" + idNumber[10:]
	require.Equal(t, masked, dossier.MaskIDNumber(idNumber))
	name := "Lê Văn Kín " + idNumber[4:8]
	sub := submission("HT-KS-01", "online", "electronic")
	sub["applicant"].(map[string]any)["id_number"] = idNumber
	sub["applicant"].(map[string]any)["full_name"] = name
	created := s.must(201, "POST", "/v1/dossiers", sub)
	code := created["code"].(string)
	// The submitter gets back what it sent.
	require.Equal(t, map[string]any{"full_name": name, "id_number": idNumber}, created["applicant"])

	got := s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, map[string]any{"full_name": name, "id_number": masked}, got["applicant"])
	// The receiving agency's intake officer checks it against the ID card.
	acted := s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, idNumber, acted["applicant"].(map[string]any)["id_number"])

	// Found by code and by name in the inbox, masked both ways.
	for _, q := range []string{code, name} {
		res := s.call("GET", "/v1/dossiers?q="+url.QueryEscape(q), nil)
		require.Equal(t, 200, res.status, string(res.body))
		require.NotContains(t, string(res.body), idNumber)
		items := res.json(t)["items"].([]any)
		require.Len(t, items, 1, q)
		require.Equal(t, masked, items[0].(map[string]any)["applicant"].(map[string]any)["id_number"])
	}

	today := testenv.Now().In(dossier.Location).Format("2006-01-02")
	for _, path := range []string{
		"/v1/dossiers/" + code + "/events",
		"/v1/dossiers/" + code + "/events.csv",
		"/v1/reports/summary?from=" + today + "&to=" + today,
		"/v1/reports/summary.csv?from=" + today + "&to=" + today,
		"/v1/reports/summary?from=" + today + "&to=" + today + "&group_by=procedure",
	} {
		res := s.call("GET", path, nil)
		require.Equal(t, 200, res.status, "%s: %s", path, res.body)
		require.False(t, strings.Contains(string(res.body), idNumber), "%s shows the full identity number", path)
	}
}
