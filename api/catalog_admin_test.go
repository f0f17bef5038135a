package api_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCatalogAdministration(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// Start from a published procedure's JSON, under a code of the test's own.
	p := s.must(200, "GET", "/v1/procedures/KH-HKD-01", nil)
	p["code"] = "TEST-ADMIN-01"
	p["name"] = "A procedure published by the test"
	delete(p, "version")

	res := s.call("POST", "/v1/procedures", p)
	require.Equal(t, 201, res.status, string(res.body))
	require.Equal(t, "/v1/procedures/TEST-ADMIN-01", res.header.Get("Location"))
	require.Equal(t, float64(1), res.json(t)["version"])
	require.Equal(t, 409, s.call("POST", "/v1/procedures", p).status, "the code exists")

	// The same content again: no new version. A changed fee: version 2.
	require.Equal(t, float64(1), s.must(200, "PUT", "/v1/procedures/TEST-ADMIN-01", p)["version"])
	p["fee"].(map[string]any)["amount"] = 150000
	got := s.must(200, "PUT", "/v1/procedures/TEST-ADMIN-01", p)
	require.Equal(t, float64(2), got["version"])
	require.Equal(t, float64(150000), got["fee"].(map[string]any)["amount"])

	// A dossier received under version 2 keeps it when version 3 appears.
	d := s.must(201, "POST", "/v1/dossiers", submission("TEST-ADMIN-01", "counter", "counter"))
	p["fee"].(map[string]any)["amount"] = 999000
	s.must(200, "PUT", "/v1/procedures/TEST-ADMIN-01", p)
	d = s.must(200, "POST", "/v1/dossiers/"+d["code"].(string)+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, float64(150000), fee(d)["amount"], "the dossier keeps the version it was received under")

	// A version that takes effect next month is published but not in force:
	// the catalog and new submissions keep the current one until then.
	p["fee"].(map[string]any)["amount"] = 777000
	p["effective_from"] = time.Now().AddDate(0, 1, 0).Format(time.RFC3339)
	s.must(200, "PUT", "/v1/procedures/TEST-ADMIN-01", p)
	current := s.must(200, "GET", "/v1/procedures/TEST-ADMIN-01", nil)
	require.Equal(t, float64(3), current["version"])
	require.Equal(t, float64(999000), current["fee"].(map[string]any)["amount"])
	require.NotNil(t, current["effective_from"])

	// Validation says what to fix.
	bad := s.must(200, "GET", "/v1/procedures/KH-HKD-01", nil)
	bad["code"] = "TEST-ADMIN-02"
	bad["steps"].([]any)[1].(map[string]any)["department"] = "000.00.99.H39"
	res = s.call("POST", "/v1/procedures", bad)
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, string(res.body), "000.00.99.H39")
	bad["steps"].([]any)[1].(map[string]any)["department"] = "000.00.19.H39"
	bad["steps"].([]any)[1].(map[string]any)["share"] = 1
	res = s.call("POST", "/v1/procedures", bad)
	require.Equal(t, 400, res.status, "shares must add up to the duration")
	require.Equal(t, 400, s.call("PUT", "/v1/procedures/TEST-ADMIN-01", bad).status, "the body's code must be the path's")
	require.Equal(t, 404, s.call("PUT", "/v1/procedures/TEST-ADMIN-02", bad).status)
}
