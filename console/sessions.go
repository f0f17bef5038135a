package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/store"
)

// SessionStore keeps the console's server-side sessions: store.Store in
// `motcua api`, so every API process knows every session and a sign-out on
// one ends it on all.
type SessionStore interface {
	CreateConsoleSession(ctx context.Context, cs store.ConsoleSession) error
	ConsoleSession(ctx context.Context, idHash []byte, now time.Time) (store.ConsoleSession, error)
	RefreshConsoleSession(ctx context.Context, cs store.ConsoleSession) error
	DeleteConsoleSession(ctx context.Context, idHash []byte) error
	PurgeConsoleSessions(ctx context.Context, now time.Time) (int64, error)
}

// Sealer encrypts the session's tokens at rest (codec.Codec, the payload
// key ring: rotating the keys rotates these too).
type Sealer interface {
	Seal(plain, ad []byte) (keyID string, sealed []byte, err error)
	Open(keyID string, sealed, ad []byte) ([]byte, error)
}

// sessionTokens are what a session holds sealed: the bearer token every
// API call carries (the provider's ID token, or a development token) and
// the provider's refresh token, if it gave one.
type sessionTokens struct {
	Token   string `json:"t"`
	Refresh string `json:"r,omitempty"`
}

// refreshBefore is how long before the bearer token expires the console
// refreshes it: the next request after that point gets new tokens, so an
// officer in the middle of a form never meets an expired token.
const refreshBefore = 2 * time.Minute

// The session cookie holds a random identifier only (32 bytes, base64url);
// the tokens stay on the server.
const sessionCookie = "motcua_session"

func (c *Console) secure() bool { return strings.HasPrefix(c.o.PublicURL, "https://") }

// startSession stores a new session for token (and refresh, when the
// provider gave one) and hands the browser its identifier. Without a
// refresh token the session ends with the token; with one it lasts ttl.
// Sessions that already ended are purged on the way (every sign-in).
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, subject string, t sessionTokens, tokenExpires time.Time, ttl time.Duration) error {
	now := c.wallNow()
	expires := now.Add(ttl)
	if t.Refresh == "" && tokenExpires.Before(expires) {
		expires = tokenExpires
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	hash := sha256.Sum256(id)
	keyID, sealed, err := c.sealTokens(t, hash[:])
	if err != nil {
		return err
	}
	if n, err := c.sessions.PurgeConsoleSessions(r.Context(), now); err != nil {
		c.log.Warn("console: purge of ended sessions failed", "error", err)
	} else if n > 0 {
		c.log.Debug("console: ended sessions purged", "sessions", n)
	}
	if err := c.sessions.CreateConsoleSession(r.Context(), store.ConsoleSession{IDHash: hash[:], Subject: subject,
		KeyID: keyID, Tokens: sealed, TokenExpires: tokenExpires, Expires: expires}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(id), Path: "/console",
		MaxAge: int(expires.Sub(now) / time.Second), HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
	return nil
}

func (c *Console) sealTokens(t sessionTokens, ad []byte) (string, []byte, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return "", nil, err
	}
	return c.sealer.Seal(plain, ad)
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
	// The last applicant's lookup key does not outlive the officer's
	// session on a shared counter tablet.
	c.clearReceipt(w)
}

// sessionID is the hash of the cookie's identifier, false without a
// well-formed cookie.
func sessionID(r *http.Request) ([]byte, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	id, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(id) != 32 {
		return nil, false
	}
	hash := sha256.Sum256(id)
	return hash[:], true
}

// loadSession finds the request's session, refreshes its tokens when they
// are about to expire, and checks the bearer token as the API will.
func (c *Console) loadSession(r *http.Request) (session, error) {
	hash, ok := sessionID(r)
	if !ok {
		return session{}, store.ErrNoSession
	}
	now := c.wallNow()
	cs, err := c.sessions.ConsoleSession(r.Context(), hash, now)
	if err != nil {
		return session{}, err
	}
	plain, err := c.sealer.Open(cs.KeyID, cs.Tokens, hash)
	if err != nil {
		return session{}, fmt.Errorf("console session tokens: %w", err)
	}
	var t sessionTokens
	if err := json.Unmarshal(plain, &t); err != nil {
		return session{}, fmt.Errorf("console session tokens: %w", err)
	}
	if t.Refresh != "" && c.o.OIDC != nil && cs.TokenExpires.Sub(now) < refreshBefore {
		t, err = c.refreshSession(r.Context(), cs, t)
		if err != nil && !now.Before(cs.TokenExpires) {
			return session{}, err // no valid token left: sign in again
		}
		// A failed refresh with time left: the token still serves; the
		// next request tries again.
	}
	p, err := c.o.Verifier.Verify(r.Context(), t.Token)
	if err != nil {
		return session{}, err
	}
	return session{token: t.Token, who: p}, nil
}

// refreshSession trades the refresh token for new tokens at the provider
// and stores them; it returns the tokens to use now.
func (c *Console) refreshSession(ctx context.Context, cs store.ConsoleSession, t sessionTokens) (sessionTokens, error) {
	raw, refresh, expires, err := c.o.OIDC.refresh(ctx, t.Refresh)
	if err == nil {
		// The same check as at sign-in: a person whose role was taken away
		// at the provider loses the session at the next refresh.
		_, err = c.o.Verifier.Verify(ctx, raw)
	}
	if err != nil {
		c.log.Warn("console: token refresh failed", "subject", cs.Subject, "error", err)
		return t, err
	}
	nt := sessionTokens{Token: raw, Refresh: refresh}
	keyID, sealed, err := c.sealTokens(nt, cs.IDHash)
	if err != nil {
		return t, err
	}
	cs.KeyID, cs.Tokens, cs.TokenExpires = keyID, sealed, expires
	if err := c.sessions.RefreshConsoleSession(ctx, cs); err != nil {
		return t, err
	}
	return nt, nil
}

// endSession deletes the request's session (sign-out).
func (c *Console) endSession(w http.ResponseWriter, r *http.Request) {
	if hash, ok := sessionID(r); ok {
		if err := c.sessions.DeleteConsoleSession(r.Context(), hash); err != nil {
			c.log.Warn("console: sign-out could not delete the session", "error", err)
		}
	}
	c.clearSession(w)
}

// RunSessionPurge deletes ended sessions every interval until ctx ends
// (sign-ins purge too; this keeps the table small when nobody signs in).
func (c *Console) RunSessionPurge(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.sessions.PurgeConsoleSessions(ctx, c.wallNow()); err != nil && ctx.Err() == nil {
			c.log.Warn("console: purge of ended sessions failed", "error", err)
		}
	}
}

type sessionKey struct{}

type session struct {
	token string
	who   auth.Principal
}

// requireSession sends whoever has no valid session to the sign-in page.
func (c *Console) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.loadSession(r)
		if err != nil {
			if !errors.Is(err, store.ErrNoSession) {
				c.log.Info("console: session refused", "error", err)
			}
			c.clearSession(w)
			http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

func sessionOf(r *http.Request) session {
	s, _ := r.Context().Value(sessionKey{}).(session)
	return s
}

// memorySessions is the SessionStore of a console given none: one
// process's memory (tests, and a single development process).
type memorySessions struct {
	mu sync.Mutex
	m  map[string]store.ConsoleSession
}

func newMemorySessions() *memorySessions {
	return &memorySessions{m: map[string]store.ConsoleSession{}}
}

func (m *memorySessions) CreateConsoleSession(_ context.Context, cs store.ConsoleSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[string(cs.IDHash)] = cs
	return nil
}

func (m *memorySessions) ConsoleSession(_ context.Context, idHash []byte, now time.Time) (store.ConsoleSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs, ok := m.m[string(idHash)]
	if !ok || !cs.Expires.After(now) {
		return store.ConsoleSession{}, store.ErrNoSession
	}
	return cs, nil
}

func (m *memorySessions) RefreshConsoleSession(_ context.Context, cs store.ConsoleSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.m[string(cs.IDHash)]
	if !ok {
		return store.ErrNoSession
	}
	old.KeyID, old.Tokens, old.TokenExpires = cs.KeyID, cs.Tokens, cs.TokenExpires
	m.m[string(cs.IDHash)] = old
	return nil
}

func (m *memorySessions) DeleteConsoleSession(_ context.Context, idHash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, string(idHash))
	return nil
}

func (m *memorySessions) PurgeConsoleSessions(_ context.Context, now time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, cs := range m.m {
		if !cs.Expires.After(now) {
			delete(m.m, k)
			n++
		}
	}
	return n, nil
}
