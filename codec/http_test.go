package codec_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
)

const uiOrigin = "http://127.0.0.1:8233"

type endpoint struct {
	t     *testing.T
	srv   *httptest.Server
	codec *codec.Codec
	jwt   *auth.HS256
}

func newEndpoint(t *testing.T, tokenInPath bool) *endpoint {
	t.Helper()
	jwt, err := auth.NewHS256(strings.Repeat("s", auth.MinSecretLen))
	require.NoError(t, err)
	c := codec.Development()
	mux := http.NewServeMux()
	mux.Handle("/codec/", http.StripPrefix("/codec", codec.Handler(c, codec.HandlerOptions{
		Verifier: jwt, Origins: []string{uiOrigin}, TokenInPath: tokenInPath,
		Log: slog.New(slog.DiscardHandler),
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &endpoint{t: t, srv: srv, codec: c, jwt: jwt}
}

func (e *endpoint) token(p auth.Principal) string {
	tok, err := e.jwt.Mint(p, time.Hour)
	require.NoError(e.t, err)
	return tok
}

func (e *endpoint) post(path, token string, body string, header http.Header) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(b)
}

// encryptedBody is what the UI sends to /decode: an encrypted payload.
func (e *endpoint) encryptedBody() string {
	enc, err := e.codec.Encode([]*commonpb.Payload{plainPayload(e.t)})
	require.NoError(e.t, err)
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(e.t, err)
	return string(b)
}

var (
	ops      = auth.Principal{Subject: "op1", Role: auth.RoleOps}
	reviewer = auth.Principal{Subject: "rv1", Role: auth.RoleReviewer, Agency: "SXD"}
	admin    = auth.Principal{Subject: "ad1", Role: auth.RoleAdmin}
)

func TestHandlerAuthorization(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, false)
	body := e.encryptedBody()

	resp, out := e.post("/codec/decode", "", body, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, out)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.Contains(t, out, "Authorization: Bearer")
	require.NotContains(t, out, "079203001234")

	resp, out = e.post("/codec/decode", "not-a-jwt", body, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, out)

	for _, p := range []auth.Principal{reviewer, admin, {Subject: "portal1", Role: auth.RolePortal}} {
		resp, out = e.post("/codec/decode", e.token(p), body, nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s: %s", p.Role, out)
		require.NotContains(t, out, "079203001234")
	}

	resp, out = e.post("/codec/decode", e.token(ops), body, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var got commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(out), &got))
	require.Len(t, got.Payloads, 1)
	require.Equal(t, "json/plain", string(got.Payloads[0].Metadata["encoding"]))
	require.Contains(t, string(got.Payloads[0].Data), "079203001234")

	// Encode, then decode: the same value.
	plain, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plainPayload(t)}})
	require.NoError(t, err)
	resp, out = e.post("/codec/encode", e.token(ops), string(plain), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	require.NotContains(t, out, "MDc5MjAzMDAxMjM0") // base64 of the ID number
	require.NoError(t, protojson.Unmarshal([]byte(out), &got))
	require.Equal(t, codec.EncodingEncrypted, string(got.Payloads[0].Metadata[codec.MetadataEncoding]))
	dec, err := e.codec.Decode(got.Payloads)
	require.NoError(t, err)
	require.Equal(t, plainPayload(t).Data, dec[0].Data)
}

func TestHandlerBadInput(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, false)
	tok := e.token(ops)
	for _, tc := range []struct {
		body   string
		status int
		detail string
	}{
		{`{"payloads":`, http.StatusBadRequest, "Temporal's JSON payload format"},
		{`[1,2]`, http.StatusBadRequest, "Temporal's JSON payload format"},
		{`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"azk="},"data":"AAAA"}]}`,
			http.StatusUnprocessableEntity, `key "k9", which is not in MOTCUA_PAYLOAD_KEYS`},
		{`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"ZGV2"},"data":"AAAA"}]}`,
			http.StatusUnprocessableEntity, "too short"},
		{`{"payloads":[{"data":"` + strings.Repeat("A", 5<<20) + `"}]}`, http.StatusRequestEntityTooLarge, "larger than 4 MiB"},
	} {
		resp, out := e.post("/codec/decode", tok, tc.body, nil)
		require.Equal(t, tc.status, resp.StatusCode, out)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		var p struct{ Detail string }
		require.NoError(t, json.Unmarshal([]byte(out), &p))
		require.Contains(t, p.Detail, tc.detail)
	}
	// Plaintext payloads pass through decoding (histories from before the codec).
	plain, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plainPayload(t)}})
	require.NoError(t, err)
	resp, out := e.post("/codec/decode", tok, string(plain), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	require.JSONEq(t, string(plain), out)

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/codec/decode", nil)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusBadRequest, r.StatusCode)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
}

func TestHandlerCORS(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, false)
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, e.srv.URL+"/codec/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	// No token on a preflight, and none needed.
	resp := preflight(uiOrigin)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "POST", resp.Header.Get("Access-Control-Allow-Methods"))
	require.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-namespace")
	require.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization")

	resp = preflight("http://evil.example")
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp, _ = e.post("/codec/decode", e.token(ops), e.encryptedBody(), http.Header{"Origin": {uiOrigin}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = e.post("/codec/decode", e.token(ops), e.encryptedBody(), http.Header{"Origin": {"http://evil.example"}})
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	// An error answer to the UI still carries CORS, so the UI can tell.
	resp, _ = e.post("/codec/decode", "", e.encryptedBody(), http.Header{"Origin": {uiOrigin}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestHandlerTokenInPath(t *testing.T) {
	t.Parallel()
	off := newEndpoint(t, false)
	resp, _ := off.post("/codec/t/"+off.token(ops)+"/decode", "", off.encryptedBody(), nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "token in path must be off unless asked for")

	e := newEndpoint(t, true)
	resp, out := e.post("/codec/t/"+e.token(ops)+"/decode", "", e.encryptedBody(), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	var got commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(out), &got))
	require.Contains(t, string(got.Payloads[0].Data), "079203001234")

	tok := e.token(reviewer)
	resp, out = e.post("/codec/t/"+tok+"/decode", "", e.encryptedBody(), nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, out)
	require.NotContains(t, out, tok, "the token must not be echoed")
	resp, _ = e.post("/codec/t/garbage/decode", "", e.encryptedBody(), nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
