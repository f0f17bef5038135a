// Package signing signs result documents with the issuing agency's
// certificate (PAdES: a CMS signature embedded in the PDF, made with
// github.com/digitorus/pdfsign) and verifies that a PDF was signed by one of
// this center's agencies and not changed since.
//
// The keys come from a [Keys]: [Keystore] reads one PKCS#12 file per agency
// (production with the agencies' own certificates; `make dev` makes a
// development CA and one certificate per agency, [DevCertificates]);
// [Remote] asks a remote-signing service, which holds the keys itself (the
// Vietnamese CAs offer remote signing), for each signature — `motcua sim`
// runs a stand-in of such a service.
package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pdfsign/verify"
)

// Keys gives the signing key and certificate chain (leaf first) of an
// agency, and lists every agency's certificate for verification.
type Keys interface {
	// Key returns the agency's signer and chain; an error wrapping
	// ErrNoCertificate when the agency has none.
	Key(ctx context.Context, agency string) (crypto.Signer, []*x509.Certificate, error)
	// Certificates returns each agency's signing certificate (the leaf) by
	// agency code: what "issued by this center" is checked against.
	Certificates(ctx context.Context) (map[string]*x509.Certificate, error)
}

// ErrNoCertificate: the agency has no signing certificate configured.
var ErrNoCertificate = errors.New("no signing certificate")

// ExpiredError says the agency's certificate is not valid at the signing
// instant (expired, or not valid yet).
type ExpiredError struct {
	Agency    string
	NotBefore time.Time
	NotAfter  time.Time
	At        time.Time
}

func (e *ExpiredError) Error() string {
	if e.At.Before(e.NotBefore) {
		return fmt.Sprintf("the signing certificate of agency %s is valid only from %s", e.Agency, e.NotBefore.Format(time.RFC3339))
	}
	return fmt.Sprintf("the signing certificate of agency %s expired on %s", e.Agency, e.NotAfter.Format(time.RFC3339))
}

// Info is what a signature says about itself.
type Info struct {
	Name     string // the signer, as readers show it (the agency's name)
	Reason   string
	Location string
	At       time.Time // the signing instant
}

// Sign signs pdf with the agency's key as a PAdES approval signature. The
// certificate must be valid at info.At (*ExpiredError otherwise).
func Sign(ctx context.Context, keys Keys, agency string, in []byte, info Info) ([]byte, *x509.Certificate, error) {
	key, chain, err := keys.Key(ctx, agency)
	if err != nil {
		return nil, nil, err
	}
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("signing: agency %s: %w", agency, ErrNoCertificate)
	}
	leaf := chain[0]
	// A certificate is valid or not in real time, the time the PKCS#7
	// signature itself records (the library stamps the wall clock), not
	// in business time (info.At, the date the document shows), which
	// development and tests may shift (internal/clock).
	if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, nil, &ExpiredError{Agency: agency, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter, At: now}
	}
	// The PDF may be a leader's upload: the library trusts its offsets.
	if err := sane(in); err != nil {
		return nil, nil, err
	}
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: reading the PDF: %w", err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(in), &out, rdr, int64(len(in)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{Name: info.Name, Location: info.Location, Reason: info.Reason, Date: info.At},
			// An approval signature: the document is the result; the
			// verification still detects any change to the signed bytes.
			CertType:   sign.ApprovalSignature,
			DocMDPPerm: sign.DoNotAllowAnyChangesPerms,
		},
		Signer:            key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       leaf,
		CertificateChains: [][]*x509.Certificate{chain},
		// No revocation data or timestamp authority (none is reachable
		// from here): the signature time is the signer's.
	})
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	return out.Bytes(), leaf, nil
}

// Verdict is what a verification found.
type Verdict struct {
	// SHA256 is the digest of the whole file checked.
	SHA256 string
	// Signed: the file carries at least one signature.
	Signed bool
	// ValidSignature: every signature matches the bytes it covers.
	ValidSignature bool
	// Agency is the code of this center's agency whose certificate made
	// the signature ("" when it is no agency of this center's).
	Agency string
	// Signer is the signing certificate's subject.
	Signer string
	// SignedAt is the time the signature states.
	SignedAt *time.Time
	// CoversWholeFile: the last signature covers every byte of the file
	// (nothing was appended after it, an "incremental update").
	CoversWholeFile bool
}

// Fingerprint is a certificate's SHA-256, hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// Verify checks a PDF's signatures and whether one of this center's
// agencies (keys.Certificates) made them. A file that is not a PDF, or a
// PDF without signatures, is a Verdict with Signed false, not an error;
// the errors are ErrMalformed for a file whose structure points outside
// itself (not parsed: see sane), and keys that cannot be read.
func Verify(ctx context.Context, keys Keys, in []byte) (Verdict, error) {
	sum := sha256.Sum256(in)
	v := Verdict{SHA256: hex.EncodeToString(sum[:])}
	if err := sane(in); err != nil {
		return v, err
	}
	certs, err := keys.Certificates(ctx)
	if err != nil {
		return v, err
	}
	opts := verify.DefaultVerifyOptions()
	// Our own certificates are the trust anchors, checked below by
	// fingerprint; the library's chain building is not what decides.
	opts.AllowUntrustedRoots = true
	opts.TrustSignatureTime = true
	opts.RequiredEKUs = nil
	res, err := safeVerify(in, opts)
	if err != nil || res == nil || len(res.Signers) == 0 {
		return v, nil
	}
	v.Signed = true
	v.ValidSignature = true
	for _, s := range res.Signers {
		v.ValidSignature = v.ValidSignature && s.ValidSignature
	}
	last := res.Signers[len(res.Signers)-1]
	v.SignedAt = last.SignatureTime
	if len(last.Certificates) > 0 && last.Certificates[0].Certificate != nil {
		leaf := last.Certificates[0].Certificate
		v.Signer = leaf.Subject.String()
		fp := Fingerprint(leaf)
		for agency, c := range certs {
			if Fingerprint(c) == fp {
				v.Agency = agency
			}
		}
	}
	v.CoversWholeFile = coversWholeFile(in)
	return v, nil
}

// safeVerify runs the library's verification, turning a panic on a
// malformed file into "not signed" (the input is anyone's upload).
func safeVerify(in []byte, opts *verify.VerifyOptions) (res *verify.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("signing: unreadable PDF: %v", r)
		}
	}()
	return verify.VerifyWithOptions(bytes.NewReader(in), int64(len(in)), opts)
}

// coversWholeFile reports whether the last /ByteRange in the file ends at
// its last byte: a signature whose range stops short means bytes were
// appended after signing (which a reader may show as the document).
func coversWholeFile(in []byte) bool {
	i := bytes.LastIndex(in, []byte("/ByteRange"))
	if i < 0 {
		return false
	}
	var a, b, c, d int64
	rest := in[i+len("/ByteRange"):]
	if _, err := fmt.Sscanf(string(bytes.TrimLeft(rest[:min(len(rest), 80)], " [")), "%d %d %d %d", &a, &b, &c, &d); err != nil {
		return false
	}
	end := c + d
	// The file may end with a newline after %%EOF that the range leaves out.
	tail := bytes.TrimRight(in[min(int64(len(in)), end):], "\r\n")
	return end <= int64(len(in)) && len(tail) == 0
}
