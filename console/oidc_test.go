package console

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
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

	ttl time.Duration // of the ID tokens (default an hour)
	// refreshTTL, when set, is the life of the ID tokens a refresh gives.
	refreshTTL time.Duration

	mu            sync.Mutex
	nonce         map[string]string // code → nonce
	challenge     map[string]string // code → PKCE code_challenge (S256)
	methods       []string          // the code_challenge_method of each sign-in
	refreshes     int               // refresh grants answered
	refuseRefresh bool              // answer refresh grants with invalid_grant
	refreshTokens map[string]bool   // refresh tokens given out and still valid
}

// idToken signs an ID token with the provider's claims (nonce "" for a
// refresh, which carries none).
func (p *fakeProvider) idToken(t *testing.T, nonce string) string {
	ttl := p.ttl
	if ttl == 0 {
		ttl = time.Hour
	}
	if nonce == "" && p.refreshTTL != 0 {
		ttl = p.refreshTTL
	}
	c := jwt.MapClaims{"iss": p.srv.URL, "sub": "nguyen.thi.b", "aud": p.clientID,
		"iat": time.Now().Unix(), "exp": time.Now().Add(ttl).Unix()}
	if nonce != "" {
		c["nonce"] = nonce
	}
	for k, v := range p.claims {
		c[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(p.key)
	require.NoError(t, err)
	return signed
}

func newFakeProvider(t *testing.T, clientID string, claims map[string]any) *fakeProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p := &fakeProvider{key: key, clientID: clientID, claims: claims, nonce: map[string]string{},
		challenge: map[string]string{}, refreshTokens: map[string]bool{}}
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
		p.challenge["code-1"] = q.Get("code_challenge")
		p.methods = append(p.methods, q.Get("code_challenge_method"))
		p.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {"code-1"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		p.mu.Lock()
		defer p.mu.Unlock()
		answer := func(idToken string) {
			p.refreshTokens["rt-"+strconv.Itoa(len(p.refreshTokens)+1)] = true
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer",
				"expires_in": 3600, "id_token": idToken, "refresh_token": "rt-" + strconv.Itoa(len(p.refreshTokens))})
		}
		if r.PostForm.Get("grant_type") == "refresh_token" {
			rt := r.PostForm.Get("refresh_token")
			if p.refuseRefresh || !p.refreshTokens[rt] {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			delete(p.refreshTokens, rt) // rotated: each refresh token serves once
			p.refreshes++
			answer(p.idToken(t, ""))
			return
		}
		code := r.PostForm.Get("code")
		nonce, ok := p.nonce[code]
		// PKCE: the verifier must hash to the challenge the sign-in sent.
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || p.challenge[code] == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge[code] {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		delete(p.nonce, code) // a code serves once
		answer(p.idToken(t, nonce))
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// oidcSite is the console with provider sign-in only (production), in
// front of an API stub that answers every list with nothing.
func oidcSite(t *testing.T, p *fakeProvider) *httptest.Server {
	srv, _ := oidcConsole(t, p)
	return srv
}

// oidcConsole is oidcSite with its console, whose clock a test may move.
func oidcConsole(t *testing.T, p *fakeProvider) (*httptest.Server, *Console) {
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
	return srv, c
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

// signIn runs the provider sign-in in hc and returns the session cookie.
func signIn(t *testing.T, hc *http.Client, srv *httptest.Server) *http.Cookie {
	t.Helper()
	res, err := hc.Get(srv.URL + "/console/oidc/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.Equal(t, "/console/inbox", res.Request.URL.Path)
	for _, ck := range hc.Jar.Cookies(mustURL(t, srv.URL+"/console/")) {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("no session cookie after sign-in")
	return nil
}

// inbox asks for the inbox with only the given cookie and returns where
// the console sent the browser (the inbox, or the sign-in page).
func inbox(t *testing.T, srv *httptest.Server, ck *http.Cookie) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/console/inbox", nil)
	require.NoError(t, err)
	req.AddCookie(ck)
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return "/console/inbox"
	}
	return res.Header.Get("Location")
}

func TestOIDCSigninUsesPKCE(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", map[string]any{"role": "reviewer", "agency": "000.00.18.H39"})
	srv := oidcSite(t, p)
	signIn(t, browserClient(t), srv)
	p.mu.Lock()
	require.Equal(t, []string{"S256"}, p.methods, "the authorization request carries an S256 code challenge")
	require.Empty(t, p.nonce, "the code was exchanged with the verifier that matches its challenge")
	// A code exchanged without the verifier is refused by the provider,
	// so a code intercepted on its way back is of no use.
	p.nonce["code-2"], p.challenge["code-2"] = "n", "some-challenge"
	p.mu.Unlock()
	res, err := http.PostForm(p.srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {"code-2"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
}

// The cookie names a session kept on the server; signing out deletes it,
// so a copy of the cookie signs nobody in afterwards.
func TestOIDCSessionIsServerSideAndSignoutEndsIt(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", map[string]any{"role": "reviewer", "agency": "000.00.18.H39"})
	srv := oidcSite(t, p)
	hc := browserClient(t)
	ck := signIn(t, hc, srv)
	require.NotContains(t, ck.Value, ".", "the cookie is not a token (JWTs have dots)")
	require.Len(t, ck.Value, 43, "32 random bytes, base64url")
	stolen := *ck
	require.Equal(t, "/console/inbox", inbox(t, srv, &stolen), "the copy works while the session lives")

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/console/signout", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", srv.URL)
	res, err := hc.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/console/signin", inbox(t, srv, &stolen), "after sign-out the same cookie is refused")
}

// Shortly before the ID token expires, the next request refreshes it at
// the provider; when the provider refuses and the token has expired, the
// session ends. Ended sessions are purged at the next sign-in.
func TestOIDCSessionRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	p := newFakeProvider(t, "motcua-console", map[string]any{"role": "reviewer", "agency": "000.00.18.H39"})
	p.ttl, p.refreshTTL = 10*time.Minute, 12*time.Minute
	srv, c := oidcConsole(t, p)
	ck := signIn(t, browserClient(t), srv)
	require.Equal(t, "/console/inbox", inbox(t, srv, ck))
	p.mu.Lock()
	require.Zero(t, p.refreshes, "nothing to refresh with ten minutes left")
	p.mu.Unlock()

	mem := c.sessions.(*memorySessions)
	expiry := func() time.Time {
		mem.mu.Lock()
		defer mem.mu.Unlock()
		for _, cs := range mem.m {
			return cs.TokenExpires
		}
		return time.Time{}
	}
	first := expiry()

	// Nine minutes later: one minute left, inside refreshBefore.
	start := time.Now()
	c.wallNow = func() time.Time { return start.Add(9 * time.Minute) }
	require.Equal(t, "/console/inbox", inbox(t, srv, ck))
	p.mu.Lock()
	require.Equal(t, 1, p.refreshes, "refreshed before expiry")
	p.refuseRefresh = true
	p.mu.Unlock()
	require.True(t, expiry().After(first), "the session holds the new token and its later expiry")

	// Past the new token's expiry (12 minutes) with the provider refusing:
	// signed out.
	c.wallNow = func() time.Time { return start.Add(25 * time.Minute) }
	require.Equal(t, "/console/signin", inbox(t, srv, ck))

	// Past the session's end, a sign-in purges it.
	mem.mu.Lock()
	before := len(mem.m)
	mem.mu.Unlock()
	require.Equal(t, 1, before)
	c.wallNow = func() time.Time { return start.Add(sessionTTL + time.Minute) }
	p.mu.Lock()
	p.refuseRefresh = false
	p.mu.Unlock()
	signIn(t, browserClient(t), srv)
	mem.mu.Lock()
	defer mem.mu.Unlock()
	require.Len(t, mem.m, 1, "the ended session was purged; only the new one is left")
}
