package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Keystore holds the agencies' keys read from PKCS#12 files, one per
// agency, named after the agency's code: <dir>/<agency code>.p12.
type Keystore struct {
	keys map[string]keyEntry
}

type keyEntry struct {
	signer crypto.Signer
	chain  []*x509.Certificate
}

// OpenKeystore reads every *.p12 file in dir with password. A file that
// does not decode is an error naming it: a center that configured signing
// wants to know at start-up, not at the first approval.
func OpenKeystore(dir, password string) (*Keystore, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.p12"))
	if err != nil {
		return nil, err
	}
	ks := &Keystore{keys: map[string]keyEntry{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		key, cert, cas, err := pkcs12.DecodeChain(raw, password)
		if err != nil {
			return nil, fmt.Errorf("signing: %s: %w", f, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("signing: %s: the private key cannot sign", f)
		}
		agency := strings.TrimSuffix(filepath.Base(f), ".p12")
		ks.keys[agency] = keyEntry{signer: signer, chain: append([]*x509.Certificate{cert}, cas...)}
	}
	return ks, nil
}

// Agencies lists the agencies that have a key, sorted.
func (k *Keystore) Agencies() []string {
	out := make([]string, 0, len(k.keys))
	for a := range k.keys {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Key implements Keys.
func (k *Keystore) Key(_ context.Context, agency string) (crypto.Signer, []*x509.Certificate, error) {
	e, ok := k.keys[agency]
	if !ok {
		return nil, nil, fmt.Errorf("signing: agency %s: %w", agency, ErrNoCertificate)
	}
	return e.signer, e.chain, nil
}

// Certificates implements Keys.
func (k *Keystore) Certificates(context.Context) (map[string]*x509.Certificate, error) {
	out := make(map[string]*x509.Certificate, len(k.keys))
	for a, e := range k.keys {
		out[a] = e.chain[0]
	}
	return out, nil
}

// oidDocumentSigning is the extended key usage of document signing (RFC 9336).
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// DevCA is a development certificate authority.
type DevCA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewDevCA makes a development CA valid from now for ten years.
func NewDevCA(name string, now time.Time) (*DevCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"motcua development"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return &DevCA{Cert: cert, Key: key}, err
}

// Issue makes a document-signing key and certificate for an agency, valid
// from notBefore to notAfter.
func (ca *DevCA) Issue(agency, name string, notBefore, notAfter time.Time) (crypto.Signer, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial(),
		Subject:            pkix.Name{CommonName: name, Organization: []string{"motcua development"}, SerialNumber: agency},
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// DevAgency is an agency DevCertificates makes a certificate for.
type DevAgency struct{ Code, Name string }

// DevCertificates makes, in dir, a development CA (ca.pem, ca-key.pem)
// when there is none, and a PKCS#12 file per agency (<code>.p12, with
// password) when the agency has none or its certificate expires within a
// month: what `make dev` signs results with. Never for production: the key
// of the CA is a plain file.
func DevCertificates(dir, password string, agencies []DevAgency, now time.Time) (made []string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := loadOrMakeCA(dir, now)
	if err != nil {
		return nil, err
	}
	for _, a := range agencies {
		file := filepath.Join(dir, a.Code+".p12")
		if raw, err := os.ReadFile(file); err == nil {
			if _, cert, _, err := pkcs12.DecodeChain(raw, password); err == nil && cert.NotAfter.After(now.AddDate(0, 1, 0)) {
				continue
			}
		}
		key, cert, err := ca.Issue(a.Code, a.Name, now.Add(-time.Hour), now.AddDate(2, 0, 0))
		if err != nil {
			return made, err
		}
		raw, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca.Cert}, password)
		if err != nil {
			return made, err
		}
		if err := writeAtomic(file, raw, 0o600); err != nil {
			return made, err
		}
		made = append(made, a.Code)
	}
	return made, nil
}

func loadOrMakeCA(dir string, now time.Time) (*DevCA, error) {
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	certPEM, err1 := os.ReadFile(certFile)
	keyPEM, err2 := os.ReadFile(keyFile)
	if err1 == nil && err2 == nil {
		cb, _ := pem.Decode(certPEM)
		kb, _ := pem.Decode(keyPEM)
		if cb == nil || kb == nil {
			return nil, errors.New("signing: " + dir + ": ca.pem or ca-key.pem is not PEM; remove both to make a new CA")
		}
		cert, err := x509.ParseCertificate(cb.Bytes)
		if err != nil {
			return nil, err
		}
		key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, errors.New("signing: ca-key.pem cannot sign")
		}
		return &DevCA{Cert: cert, Key: signer}, nil
	}
	ca, err := NewDevCA("motcua development CA", now)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	return ca, writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644)
}

// writeAtomic writes a file whole or not at all (two development APIs
// starting together both make certificates; neither reads half a file).
func writeAtomic(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
