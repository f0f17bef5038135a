package console

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
)

// fakeProvider is the smallest OpenID Connect provider the
// authorization-code flow needs: discovery, an authorization endpoint that
// signs the person in at once, a token endpoint and its keys.
type fakeProvider struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	claims   map[string]any // extra claims of the ID token (role, agency)

	mu    sync.Mutex
	nonce map[string]string // code → nonce
}

func newFakeProvider(t *testing.T, clientID string, claims map[string]any) *fakeProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p := &fakeProvider{key: key, clientID: clientID, claims: claims, nonce: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/auth",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{"kty": "RSA", "alg": "RS256", "use": "sig",
			"kid": "k1", "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		require.Equal(t, clientID, q.Get("client_id"))
		p.mu.Lock()
		p.nonce["code-1"] = q.Get("nonce")
		p.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {"code-1"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		p.mu.Lock()
		nonce, ok := p.nonce[r.PostForm.Get("code")]
		p.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		c := jwt.MapClaims{"iss": p.srv.URL, "sub": "nguyen.thi.b", "aud": clientID, "nonce": nonce,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range p.claims {
			c[k] = v
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = "k1"
		signed, err := tok.SignedString(key)
		require.NoError(t, err)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer",
			"expires_in": 3600, "id_token": signed})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// oidcSite is the console with provider sign-in only (production), in
// front of an API stub that answers every list with nothing.
func oidcSite(t *testing.T, p *fakeProvider) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	v, err := auth.NewOIDC(ctx, p.srv.URL, p.clientID)
	require.NoError(t, err)
	login, err := NewOIDCLogin(ctx, p.srv.URL, p.clientID, "secret", srv.URL+"/console/oidc/callback")
	require.NoError(t, err)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[],"next_cursor":null}`)
	})
	c, err := New(Options{API: api, Verifier: v, OIDC: login, PublicURL: srv.URL})
	require.NoError(t, err)
	handler = Wrap(api, c)
	return srv
}

func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func TestOIDCSignin(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", map[string]any{"role": "reviewer", "agency": "000.00.18.H39"})
	srv := oidcSite(t, p)
	hc := browserClient(t)

	// No development sign-in here.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/console/signin/dev", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", srv.URL)
	res, err := hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	res, err = hc.Get(srv.URL + "/console/oidc/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.Equal(t, "/console/inbox", res.Request.URL.Path)
	require.Contains(t, string(body), "nguyen.thi.b")
	require.Contains(t, string(body), "000.00.18.H39")
}

func TestOIDCSigninRefusesAForeignAnswer(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", map[string]any{"role": "reviewer", "agency": "000.00.18.H39"})
	srv := oidcSite(t, p)
	hc := browserClient(t)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := hc.Get(srv.URL + "/console/oidc/login")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	// An answer whose state is not the one this browser started with.
	res, err = hc.Get(srv.URL + "/console/oidc/callback?code=code-1&state=forged")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	for _, ck := range hc.Jar.Cookies(mustURL(t, srv.URL+"/console/")) {
		require.NotEqual(t, sessionCookie, ck.Name, "no session from a forged answer")
	}
}

func TestOIDCSigninRefusesAPersonWithoutARole(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", nil)
	srv := oidcSite(t, p)
	hc := browserClient(t)
	res, err := hc.Get(srv.URL + "/console/oidc/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Contains(t, string(body), "role")
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
