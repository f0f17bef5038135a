package api_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/signing"
)

// electronicAtApproval submits an electronic-return dossier and takes it
// to the leader's approval.
func (s *system) electronicAtApproval() string {
	s.t.Helper()
	code := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
	return code
}

func (s *system) verify(pdf []byte) map[string]any {
	s.t.Helper()
	return s.must(200, "POST", "/v1/public/verify", pdf, "Content-Type", "application/pdf", "Authorization", "")
}

func TestElectronicResultIsSignedAndVerifies(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.electronicAtApproval()
	d := s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	doc := d["result_document"].(map[string]any)
	require.Equal(t, code+"-ket-qua.pdf", doc["name"])
	s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })

	res := s.call("GET", "/v1/dossiers/"+code+"/result.pdf", nil)
	require.Equal(t, 200, res.status, string(res.body))
	sum := sha256.Sum256(res.body)
	require.Equal(t, doc["sha256"], hex.EncodeToString(sum[:]), "the result document's record is the signed file's")
	text := testenv.PDFText(t, res.body)
	require.Contains(t, text, "THÔNG BÁO KẾT QUẢ GIẢI QUYẾT HỒ SƠ")
	require.Contains(t, text, code)

	v := s.verify(res.body)
	require.Equal(t, "valid", v["verdict"], "%v", v)
	require.Equal(t, true, v["issued_by_center"])
	require.Equal(t, true, v["unaltered"])
	require.Equal(t, code, v["dossier_code"])
	require.Equal(t, "000.00.25.H39", v["agency_code"], "signed by the approving agency")
	require.Contains(t, v["message_vi"], "nguyên vẹn")

	// Appended after signing: the signature still holds, the file is not
	// the one issued.
	appended := append(append([]byte(nil), res.body...), []byte("\n% appended\n")...)
	v = s.verify(appended)
	require.Equal(t, "altered", v["verdict"], "%v", v)
	require.Equal(t, false, v["unaltered"])
	// A byte changed inside the signed range breaks the signature.
	changed := append([]byte(nil), res.body...)
	changed[200] ^= 0x01
	v = s.verify(changed)
	require.Equal(t, false, v["unaltered"])
	require.NotEqual(t, "valid", v["verdict"])

	// A form the center printed is not signed; a non-PDF is refused.
	d = s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))
	s.must(200, "POST", "/v1/dossiers/"+d["code"].(string)+"/intake", map[string]any{"decision": "accept"})
	receipt, _ := s.form(d["code"].(string), "01", "")
	require.Equal(t, "unsigned", s.verify(receipt.body)["verdict"])
	forged := bytes.Replace(res.body, []byte("\nxref\n"), []byte("\nxref\n0 1\n0999999999 00000 n \n"), 1)
	bad := s.call("POST", "/v1/public/verify", forged, "Content-Type", "application/pdf", "Authorization", "")
	require.Equal(t, 400, bad.status, "a forged cross-reference is refused before parsing: %s", bad.body)
	for _, bad := range []string{"", "hello, not a pdf"} {
		res := s.call("POST", "/v1/public/verify", bad, "Content-Type", "application/pdf", "Authorization", "")
		require.Equal(t, 400, res.status, string(res.body))
	}
}

func TestElectronicApprovalNeedsASignature(t *testing.T) {
	t.Parallel()
	// No signing certificates at all: the approval is refused with the
	// reason, and nothing happened to the dossier.
	s := newSystemOptions(t, 0, func(o *api.Options) { o.Signing = nil })
	code := s.electronicAtApproval()
	res := s.call("POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	require.Equal(t, 409, res.status, string(res.body))
	require.Contains(t, string(res.body), "electronic return needs a signed result")
	require.Equal(t, "approval", s.must(200, "GET", "/v1/dossiers/"+code, nil)["stage"])
	// A counter return goes on unsigned.
	c := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "counter"))["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+c+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", "/v1/dossiers/"+c+"/review", map[string]any{"decision": "approve"})
	d := s.must(200, "POST", "/v1/dossiers/"+c+"/approval", map[string]any{"decision": "approve"})
	require.Nil(t, d["result_document"])
	require.Equal(t, 503, s.call("POST", "/v1/public/verify", "%PDF-1.4", "Content-Type", "application/pdf", "Authorization", "").status)

	// The agency's certificate has expired: refused, saying so.
	x := newSystemOptions(t, 0, func(o *api.Options) { o.Signing = expiredKeys(t) })
	code = x.electronicAtApproval()
	res = x.call("POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
	require.Equal(t, 409, res.status, string(res.body))
	require.Contains(t, string(res.body), "expired on")
	require.Equal(t, "approval", x.must(200, "GET", "/v1/dossiers/"+code, nil)["stage"])
}

// expiredKeys hold, for every agency, a certificate that expired yesterday.
type expiredKeysT struct {
	key   crypto.Signer
	chain []*x509.Certificate
}

func expiredKeys(t *testing.T) signing.Keys {
	t.Helper()
	now := time.Now() // certificates expire in real time
	ca, err := signing.NewDevCA("expired test CA", now.AddDate(-3, 0, 0))
	require.NoError(t, err)
	key, cert, err := ca.Issue("any", "Expired agency", now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1))
	require.NoError(t, err)
	return expiredKeysT{key: key, chain: []*x509.Certificate{cert, ca.Cert}}
}

func (k expiredKeysT) Key(context.Context, string) (crypto.Signer, []*x509.Certificate, error) {
	return k.key, k.chain, nil
}

func (k expiredKeysT) Certificates(context.Context) (map[string]*x509.Certificate, error) {
	return map[string]*x509.Certificate{"any": k.chain[0]}, nil
}
