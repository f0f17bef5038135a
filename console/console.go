// Package console is the staff console (/console) and the applicant's
// tracking page (/track): server-rendered pages in Vietnamese (English on
// request) for the people at the center, who do not write API clients.
//
// The console has no data or rules of its own. Every read and every
// decision is a request to the API's own http.Handler, served in-process
// with the signed-in person's bearer token, so authentication, the
// authorization policy, validation and the workflow updates are exactly
// the API's, and a refused decision shows the API's reason.
package console

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the console.
type Options struct {
	// API is the API's handler (api.Server.Handler()); every read and
	// action goes through it.
	API http.Handler
	// Verifier checks the session's token, as the API does, to know who is
	// signed in (what the pages offer); the API checks it again on every
	// call.
	Verifier auth.Verifier
	// DevTokens mints development tokens for the sign-in page that lets
	// you pick a role and an agency. Nil (production): that page does not
	// exist.
	DevTokens *auth.HS256
	// OIDC signs staff in at the OpenID Connect provider (production). Nil:
	// no provider sign-in.
	OIDC *OIDCLogin
	// PublicURL is where browsers reach the binary; an https URL makes the
	// session cookie Secure.
	PublicURL string
	// TemporalUIURL and Namespace make ops' link to a dossier's workflow.
	TemporalUIURL string
	Namespace     string
	Log           *slog.Logger
	// Now is the clock (time.Now by default); tests may fix it.
	Now func() time.Time
}

// Console serves the pages.
type Console struct {
	o     Options
	pages *pageSet
	log   *slog.Logger
}

// sessionTTL is how long a development sign-in lasts: a working day.
const sessionTTL = 10 * time.Hour

// New returns a console.
func New(o Options) (*Console, error) {
	if o.API == nil || o.Verifier == nil {
		return nil, errors.New("console: Options.API and Options.Verifier are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.TemporalUIURL = strings.TrimRight(o.TemporalUIURL, "/")
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Console{o: o, pages: pages, log: o.Log}, nil
}

// Wrap serves the console's paths (/console…, /track) with the console and
// everything else with api, so one listener serves both.
func Wrap(api http.Handler, c *Console) http.Handler {
	h := c.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/console" || strings.HasPrefix(p, "/console/") || p == "/track" || p == "/track/result" || p == "/verify" {
			h.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// Handler returns the console's routes.
func (c *Console) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(c.securityHeaders, c.sameOrigin)
	static, _ := fs.Sub(staticFS, "static")
	r.Handle("/console/static/*", http.StripPrefix("/console/static/", http.FileServer(http.FS(static))))
	r.Get("/console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/inbox", http.StatusSeeOther)
	})
	r.Get("/console/lang/{lang}", c.setLanguage)
	r.Get("/console/signin", c.signinPage)
	if c.o.DevTokens != nil {
		// Development only: without a minter these routes do not exist (404).
		r.Post("/console/signin/dev", c.devSignin)
	}
	if c.o.OIDC != nil {
		r.Get("/console/oidc/login", c.oidcLogin)
		r.Get("/console/oidc/callback", c.oidcCallback)
	}
	r.Post("/console/signout", c.signout)
	r.Group(func(r chi.Router) {
		r.Use(c.requireSession)
		r.Get("/console/inbox", c.inbox)
		r.Get("/console/dossiers/{code}", c.dossierPage)
		r.Get("/console/dossiers/{code}/documents/{sha256}", c.documentFile)
		r.Post("/console/dossiers/{code}/{action}", c.decide)
		r.Get("/console/dossiers/{code}/forms/{number}", c.form)
		r.Get("/console/logbook", c.logbook)
		r.Get("/console/reports", c.reports)
		r.Get("/console/notifications", c.deadLetters)
		r.Get("/console/postal-suspensions", c.suspensionsPage)
		r.Post("/console/postal-suspensions", c.createSuspension)
		r.Post("/console/postal-suspensions/{id}/end", c.endSuspension)
		r.Get("/console/reports.csv", c.reportsCSV)
		r.Get("/console/reports.xlsx", c.reportsXLSX)
	})
	r.Get("/track", c.trackPage)
	r.Post("/track", c.track)
	r.Post("/track/result", c.trackResult)
	r.Get("/verify", c.verifyPage)
	r.Post("/verify", c.verify)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, http.StatusNotFound, c.lang(r).T("not_found"))
	})
	return r
}

// securityHeaders: the pages load nothing from elsewhere and are never
// framed (clickjacking) or cached (they show personal data).
func (c *Console) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/console/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a POST from another site, the defence against
// cross-site request forgery beside the SameSite=Strict cookie. Go's
// http.CrossOriginProtection decides first, from the browser's
// Sec-Fetch-Site (or, from older browsers, Origin against Host). A request
// it lets through without Sec-Fetch-Site must also name this site in
// Origin or Referer: a POST with neither header is refused, as before.
func (c *Console) sameOrigin(next http.Handler) http.Handler {
	forbidden := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, http.StatusForbidden, c.lang(r).T("cross_site"))
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(forbidden)
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Header.Get("Sec-Fetch-Site") != "" {
			next.ServeHTTP(w, r)
			return
		}
		from := r.Header.Get("Origin")
		if from == "" || from == "null" {
			from = r.Header.Get("Referer")
		}
		u, err := url.Parse(from)
		if from == "" || err != nil || u.Host != r.Host {
			forbidden(w, r)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// The session is the bearer token itself, in a cookie scripts cannot read
// and other sites' requests do not carry.
const sessionCookie = "motcua_session"

func (c *Console) secure() bool { return strings.HasPrefix(c.o.PublicURL, "https://") }

func (c *Console) setSession(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/console", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteStrictMode})
}

type sessionKey struct{}

type session struct {
	token string
	who   auth.Principal
}

// requireSession sends whoever has no valid session to the sign-in page.
func (c *Console) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(sessionCookie)
		var p auth.Principal
		if err == nil {
			p, err = c.o.Verifier.Verify(r.Context(), ck.Value)
		}
		if err != nil {
			c.clearSession(w)
			http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, session{token: ck.Value, who: p})))
	})
}

func sessionOf(r *http.Request) session {
	s, _ := r.Context().Value(sessionKey{}).(session)
	return s
}

// problem is the API's problem+json answer.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// Error is the API's own words, shown to the person as they are (the
// detail already names the fields at fault).
func (p *problem) Error() string { return p.Detail }

// recorder is the smallest http.ResponseWriter that keeps an answer.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// pdfFile is a PDF sent as the raw body of a call.
type pdfFile []byte

// call serves one API request in-process as the signed-in person (token
// "" for the public lookup) from the browser's address (so per-IP rate
// limits count the browser), and decodes a 2xx JSON answer into out. An
// API error comes back as a *problem with the API's detail.
func (c *Console) call(r *http.Request, token, method, path string, body, out any) (*recorder, error) {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte: // a file (POST /v1/uploads): the raw bytes
		rd, contentType = bytes.NewReader(b), "application/octet-stream"
	case pdfFile: // a PDF to verify (POST /v1/public/verify)
		rd, contentType = bytes.NewReader(b), "application/pdf"
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	// The console's own routing state must not leak into the API's router
	// (chi would take the inner request for a sub-route of the outer one).
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, nil)
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := &recorder{header: http.Header{}}
	c.o.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		p := &problem{Status: rec.status}
		if json.Unmarshal(rec.body.Bytes(), p) != nil || p.Detail == "" {
			p.Detail = http.StatusText(rec.status)
		}
		return rec, p
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec, fmt.Errorf("console: %s %s: %w", method, path, err)
		}
	}
	return rec, nil
}

// get is call for a GET as the signed-in person.
func (c *Console) get(r *http.Request, path string, out any) error {
	_, err := c.call(r, sessionOf(r).token, http.MethodGet, path, nil, out)
	return err
}
