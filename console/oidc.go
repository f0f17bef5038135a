package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCLogin signs staff in at the OpenID Connect provider with the
// authorization-code flow and PKCE (S256: a code intercepted on its way
// back is useless without the verifier this browser's sign-in kept). The
// server-side session then holds the provider's ID token, which the API
// accepts when its audience (the client ID) is the one the API is
// configured for (MOTCUA_OIDC_AUDIENCE), and the refresh token, traded for
// new tokens shortly before the ID token expires.
type OIDCLogin struct {
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDCLogin discovers the provider at issuer; the provider must allow
// redirectURL (MOTCUA_PUBLIC_URL/console/oidc/callback) for clientID.
func NewOIDCLogin(ctx context.Context, issuer, clientID, clientSecret, redirectURL string) (*OIDCLogin, error) {
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect discovery at %s: %w", issuer, err)
	}
	return &OIDCLogin{
		config: oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: p.Endpoint(),
			RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
	}, nil
}

// The state, nonce and PKCE verifier of a sign-in in progress, in a
// short-lived cookie bound to the browser that started it.
const oidcCookie = "motcua_oidc"

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Console) oidcLogin(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	// Lax, not Strict: the provider's redirect back is a cross-site
	// top-level navigation, which must carry this cookie.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state + "." + nonce + "." + verifier, Path: "/console/oidc", MaxAge: 600,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, c.o.OIDC.config.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// refresh trades a refresh token for new tokens: the new ID token (checked
// as at sign-in, but for the nonce, which refreshed tokens do not carry),
// the refresh token to keep (the provider's new one, or the same), and the
// ID token's expiry.
func (o *OIDCLogin) refresh(ctx context.Context, refreshToken string) (idToken, newRefresh string, expires time.Time, err error) {
	tok, err := o.config.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("refresh at the provider: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", time.Time{}, errors.New("the provider's refresh answer has no ID token")
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return raw, tok.RefreshToken, id.Expiry, nil
}

func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	l := c.lang(r)
	ck, err := r.Cookie(oidcCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/console/oidc", MaxAge: -1, HttpOnly: true, Secure: c.secure()})
	var parts []string
	if err == nil {
		parts = strings.Split(ck.Value, ".")
	}
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		c.errorPage(w, r, http.StatusBadRequest, l.T("oidc_signin")+": the sign-in expired or was not started here; start again")
		return
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	if e := r.URL.Query().Get("error"); e != "" {
		c.errorPage(w, r, http.StatusUnauthorized, l.T("oidc_signin")+": "+e+" "+r.URL.Query().Get("error_description"))
		return
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		c.errorPage(w, r, http.StatusBadRequest, l.T("oidc_signin")+": the answer does not belong to this sign-in (state); start again")
		return
	}
	tok, err := c.o.OIDC.config.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		c.log.Warn("console: OpenID Connect code exchange", "error", err)
		c.errorPage(w, r, http.StatusBadGateway, l.T("oidc_signin")+": the provider did not exchange the code")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := c.o.OIDC.verifier.Verify(r.Context(), raw)
	if err == nil && subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		err = errors.New("the ID token's nonce does not match")
	}
	if err == nil {
		// The same check as on every API call: a person without a valid
		// role and agency never gets a session.
		_, err = c.o.Verifier.Verify(r.Context(), raw)
	}
	if err != nil {
		c.errorPage(w, r, http.StatusUnauthorized, l.T("oidc_signin")+": "+err.Error())
		return
	}
	// A working day at most; without a refresh token, until the ID token
	// expires.
	if err := c.startSession(w, r, id.Subject, sessionTokens{Token: raw, Refresh: tok.RefreshToken}, id.Expiry, sessionTTL); err != nil {
		c.log.Error("console: could not store the session", "error", err)
		c.errorPage(w, r, http.StatusServiceUnavailable, l.T("oidc_signin")+": the session could not be stored; try again in a moment")
		return
	}
	http.Redirect(w, r, "/console/inbox", http.StatusSeeOther)
}
