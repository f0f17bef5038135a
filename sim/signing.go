package sim

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/motcua/motcua/signing"
)

// SigningService simulates a CA's remote-signing service (the keys stay
// with the service; the client sends digests): the stand-in of what the
// signing package's Remote adapter talks to. It makes a development CA
// and one certificate per agency at start, in memory.
//
// Routes (relative to where it is mounted):
//
//	GET  /certificates                   every agency's chain, leaf first
//	POST /sign                           {"agency", "hash": "SHA-256", "digest"} → {"signature"}
//	POST /agencies/{code}                {"name", "expired": bool}: issue the agency a new
//	                                     certificate (an expired one to test refusals)
type SigningService struct {
	mux *chi.Mux
	ca  *signing.DevCA

	mu   sync.Mutex
	keys map[string]simKey
}

type simKey struct {
	signer crypto.Signer
	cert   *x509.Certificate
}

// NewSigningService returns the simulator with a certificate for each of
// agencies (code → name), valid for two years from now (real time: a
// certificate's validity is not business time).
func NewSigningService(agencies map[string]string) (*SigningService, error) {
	ca, err := signing.NewDevCA("motcua simulated remote-signing CA", time.Now())
	if err != nil {
		return nil, err
	}
	s := &SigningService{mux: chi.NewRouter(), ca: ca, keys: map[string]simKey{}}
	for code, name := range agencies {
		if err := s.issue(code, name, false); err != nil {
			return nil, err
		}
	}
	s.mux.Use(middleware.Recoverer)
	s.mux.NotFound(notFound)
	s.mux.MethodNotAllowed(methodNotAllowed)
	s.mux.Get("/certificates", s.certificates)
	s.mux.Post("/sign", s.sign)
	s.mux.Post("/agencies/{code}", s.agency)
	return s, nil
}

func (s *SigningService) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *SigningService) issue(code, name string, expired bool) error {
	now := time.Now() // certificates are valid in real time (signing.Sign)
	from, to := now.Add(-time.Hour), now.AddDate(2, 0, 0)
	if expired {
		from, to = now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1)
	}
	key, cert, err := s.ca.Issue(code, name, from, to)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.keys[code] = simKey{signer: key, cert: cert}
	s.mu.Unlock()
	return nil
}

type simChain struct {
	Chain []string `json:"chain"`
}

func (s *SigningService) certificates(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := map[string]simChain{}
	for code, k := range s.keys {
		out[code] = simChain{Chain: []string{base64.StdEncoding.EncodeToString(k.cert.Raw), base64.StdEncoding.EncodeToString(s.ca.Cert.Raw)}}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"agencies": out})
}

type simSignRequest struct {
	Agency string `json:"agency"`
	Hash   string `json:"hash"`
	Digest string `json:"digest"`
}

func (s *SigningService) sign(w http.ResponseWriter, r *http.Request) {
	var req simSignRequest
	if !readJSON(w, r, &req, false) {
		return
	}
	digest, err := base64.StdEncoding.DecodeString(req.Digest)
	if err != nil || req.Hash != "SHA-256" || len(digest) != sha256.Size {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid", "digest must be a base64 SHA-256 digest and hash SHA-256"))
		return
	}
	s.mu.Lock()
	k, ok := s.keys[req.Agency]
	s.mu.Unlock()
	if !ok {
		writeError(w, newHTTPError(http.StatusNotFound, "no_certificate", "no certificate for agency "+req.Agency))
		return
	}
	sig, err := k.signer.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		writeError(w, newHTTPError(http.StatusInternalServerError, "internal", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"signature": base64.StdEncoding.EncodeToString(sig)})
}

func (s *SigningService) agency(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name    string `json:"name"`
		Expired bool   `json:"expired"`
	}
	if !readJSON(w, r, &req, true) {
		return
	}
	code := chi.URLParam(r, "code")
	if req.Name == "" {
		req.Name = code
	}
	if err := s.issue(code, req.Name, req.Expired); err != nil {
		writeError(w, newHTTPError(http.StatusInternalServerError, "internal", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agency": code, "expired": req.Expired})
}
