package api_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
)

func TestPublicLookup(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	key := "lookup-" + testenv.RandomSuffix()
	body := submission("TP-LLTP-01", "online", "postal")
	created := s.must(201, "POST", "/v1/dossiers", body, "Idempotency-Key", key)
	code := created["code"].(string)
	lookup, ok := created["lookup_key"].(string)
	require.True(t, ok, "the 201 answer carries the lookup key")
	require.Regexp(t, `^[2-9A-HJKMNP-Z]{10}$`, lookup)
	// Shown once: not on the replay, not on later reads.
	replay := s.must(200, "POST", "/v1/dossiers", body, "Idempotency-Key", key)
	require.Contains(t, replay, "lookup_key")
	require.Nil(t, replay["lookup_key"])
	require.NotContains(t, s.must(200, "GET", "/v1/dossiers/"+code, nil), "lookup_key")

	path := "/v1/public/dossiers/" + code
	res := s.call("GET", path+"?key="+lookup, nil)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "no-store", res.header.Get("Cache-Control"))
	pub := res.json(t)
	keys := []string{}
	for k := range pub {
		keys = append(keys, k)
	}
	require.ElementsMatch(t, []string{"code", "procedure_code", "status", "status_code", "stage", "appointment_at",
		"fee", "shipment", "return_method"}, keys)
	require.Equal(t, code, pub["code"])
	require.Equal(t, "TP-LLTP-01", pub["procedure_code"])
	require.Equal(t, "postal", pub["return_method"])
	fee := pub["fee"].(map[string]any)
	require.Len(t, fee, 4)
	require.Contains(t, fee, "pay_url")
	require.Equal(t, false, fee["on_delivery"], "whether the postman collects the fee")
	// Nothing personal.
	a := body["applicant"].(map[string]any)
	for _, v := range []string{a["full_name"].(string), a["id_number"].(string), a["phone"].(string), a["email"].(string), "Nguyễn Huệ", "applicant", "documents"} {
		require.NotContains(t, string(res.body), v)
	}
	// The key in lower case, with spaces, works too.
	s.must(200, "GET", path+"?key="+url.QueryEscape(" "+strings.ToLower(lookup[:5])+" "+strings.ToLower(lookup[5:])), nil)

	// A wrong key and an unknown code get the same answer.
	wrong := s.call("GET", path+"?key=AAAAAAAAAA", nil)
	require.Equal(t, 404, wrong.status)
	unknownPath := "/v1/public/dossiers/000.00.17.H39-200101-9999"
	unknown := s.call("GET", unknownPath+"?key="+lookup, nil)
	require.Equal(t, 404, unknown.status)
	require.Equal(t, wrong.header.Get("Content-Type"), unknown.header.Get("Content-Type"))
	require.Equal(t, string(wrong.body), strings.Replace(string(unknown.body), unknownPath, path, 1),
		"the same problem body but for instance")
	var p map[string]any
	require.NoError(t, json.Unmarshal(wrong.body, &p))
	require.Equal(t, path, p["instance"])

	// No key at all is invalid input.
	missing := s.must(400, "GET", path, nil)
	require.Equal(t, "key", missing["errors"].([]any)[0].(map[string]any)["field"])
}

func TestPublicLookupIsRateLimited(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	path := "/v1/public/dossiers/000.00.17.H39-200101-9999?key=AAAAAAAAAA"
	for i := range 30 {
		res := s.call("GET", path, nil)
		require.Equal(t, 404, res.status, "request %d", i+1)
	}
	res := s.call("GET", path, nil)
	require.Equal(t, 429, res.status, string(res.body))
	require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
	wait, err := strconv.Atoi(res.header.Get("Retry-After"))
	require.NoError(t, err)
	require.True(t, wait >= 1 && wait <= 60, "Retry-After %d", wait)
	p := res.json(t)
	require.Equal(t, float64(429), p["status"])
	require.Equal(t, "https://motcua.example/problems/rate_limited", p["type"])
	// Other routes are not limited.
	s.must(200, "GET", "/v1/procedures", nil)
}
