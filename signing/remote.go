package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Remote is the adapter of a remote-signing service: the agencies' keys
// stay with the service, which signs the digests it is sent. The protocol
// (JSON over HTTP):
//
//	GET  {base}/certificates -> {"agencies": {"<code>": {"chain": ["<base64 DER>", …]}}}
//	POST {base}/sign  {"agency": "<code>", "hash": "SHA-256", "digest": "<base64>"}
//	                 -> {"signature": "<base64>"}   (404: no key for the agency)
//
// The chain is the agency's certificate first, then its issuers.
type Remote struct {
	base string
	http *http.Client
}

// NewRemote returns the adapter of the service at base.
func NewRemote(base string, hc *http.Client) *Remote {
	return &Remote{base: strings.TrimRight(base, "/"), http: hc}
}

type remoteChains struct {
	Agencies map[string]struct {
		Chain []string `json:"chain"`
	} `json:"agencies"`
}

// RemoteSignRequest is the body of POST {base}/sign.
type RemoteSignRequest struct {
	Agency string `json:"agency"`
	Hash   string `json:"hash"`
	Digest string `json:"digest"`
}

// RemoteSignResponse is its answer.
type RemoteSignResponse struct {
	Signature string `json:"signature"`
}

func (r *Remote) chains(ctx context.Context) (map[string][]*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/certificates", nil)
	if err != nil {
		return nil, err
	}
	var out remoteChains
	if err := r.do(req, &out); err != nil {
		return nil, err
	}
	res := make(map[string][]*x509.Certificate, len(out.Agencies))
	for agency, c := range out.Agencies {
		for _, b64 := range c.Chain {
			der, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("signing: remote: agency %s: a certificate is not base64: %w", agency, err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("signing: remote: agency %s: %w", agency, err)
			}
			res[agency] = append(res[agency], cert)
		}
	}
	return res, nil
}

// Key implements Keys: the signer asks the service for each signature.
func (r *Remote) Key(ctx context.Context, agency string) (crypto.Signer, []*x509.Certificate, error) {
	all, err := r.chains(ctx)
	if err != nil {
		return nil, nil, err
	}
	chain := all[agency]
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("signing: remote: agency %s: %w", agency, ErrNoCertificate)
	}
	return &remoteSigner{ctx: ctx, r: r, agency: agency, pub: chain[0].PublicKey}, chain, nil
}

// Certificates implements Keys.
func (r *Remote) Certificates(ctx context.Context) (map[string]*x509.Certificate, error) {
	all, err := r.chains(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*x509.Certificate, len(all))
	for a, c := range all {
		if len(c) > 0 {
			out[a] = c[0]
		}
	}
	return out, nil
}

// remoteSigner is a crypto.Signer whose key is at the service.
type remoteSigner struct {
	ctx    context.Context
	r      *Remote
	agency string
	pub    crypto.PublicKey
}

func (s *remoteSigner) Public() crypto.PublicKey { return s.pub }

func (s *remoteSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 {
		return nil, fmt.Errorf("signing: remote: only SHA-256 digests are signed, not %v", opts.HashFunc())
	}
	body, _ := json.Marshal(RemoteSignRequest{Agency: s.agency, Hash: "SHA-256", Digest: base64.StdEncoding.EncodeToString(digest)})
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.r.base+"/sign", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	var out RemoteSignResponse
	if err := s.r.do(req, &out); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(out.Signature)
}

func (r *Remote) do(req *http.Request, out any) error {
	res, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("signing: remote: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("signing: remote: %w", err)
	}
	switch {
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("signing: remote %s: %w", (&url.URL{Path: req.URL.Path}).String(), ErrNoCertificate)
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("signing: remote %s answered %d: %s", req.URL.Path, res.StatusCode, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("signing: remote: %w", err)
	}
	return nil
}
