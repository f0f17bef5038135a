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

// The leader's uploaded PDF is itself the signed result: the file the
// applicant downloads is the leader's bytes followed by the agency's
// signature, it verifies as issued here, and the unsigned upload is not
// attached beside it. A PDF the signing library cannot read is refused
// (422) with nothing recorded; a scan (PNG) cannot carry a signature, so
// the signed notice names it.
func TestUploadedResultPDFIsItselfSigned(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.electronicAtApproval()
	D := "/v1/dossiers/" + code
	leader := s.actorFor("POST", D+"/approval", nil)
	approve := func(name string, content []byte) response {
		up := s.upload(leader, name, content, hexSum(content))
		require.Equal(t, 201, up.status, string(up.body))
		return s.call("POST", D+"/approval", map[string]any{"decision": "approve",
			"result_document": map[string]any{"name": name, "sha256": hexSum(content), "upload_id": up.json(t)["id"]}},
			as(t, leader)...)
	}

	// A damaged PDF: 422 naming the field, and the dossier still waits.
	damaged := testenv.DocumentPDF(t, "HONG "+code)
	damaged = bytes.Replace(damaged, []byte("\nxref\n"), []byte("\nxref\n0 1\n0999999999 00000 n \n"), 1)
	res := approve("hong.pdf", damaged)
	require.Equal(t, 422, res.status, string(res.body))
	require.Equal(t, "result_document", res.json(t)["errors"].([]any)[0].(map[string]any)["field"], "%s", res.body)
	require.Equal(t, "approval", s.must(200, "GET", D, nil)["stage"])
	_, err := s.store.IssuedFile(context.Background(), code, code+"-ket-qua-"+hexSum(damaged)[:12]+".pdf")
	require.Error(t, err, "nothing kept for the refused approval")

	result := testenv.DocumentPDF(t, "QUYET DINH "+code)
	res = approve("quyet-dinh.pdf", result)
	require.Equal(t, 200, res.status, string(res.body))
	doc := res.json(t)["result_document"].(map[string]any)
	require.Equal(t, "quyet-dinh.pdf", doc["name"], "the leader's name for it")
	s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })

	signed := s.call("GET", D+"/result.pdf", nil)
	require.Equal(t, 200, signed.status, string(signed.body))
	require.Equal(t, doc["sha256"], hexSum(signed.body))
	require.True(t, bytes.HasPrefix(signed.body, result), "the leader's bytes, then the signature")
	require.Greater(t, len(signed.body), len(result))
	require.Contains(t, testenv.PDFText(t, signed.body), "QUYET DINH "+code)
	v := s.verify(signed.body)
	require.Equal(t, "valid", v["verdict"], "%v", v)
	require.Equal(t, code, v["dossier_code"])
	require.Equal(t, "unsigned", s.verify(result)["verdict"], "the leader's file as uploaded carries no signature")

	for _, d := range s.must(200, "GET", D, nil)["documents"].([]any) {
		require.NotEqual(t, hexSum(result), d.(map[string]any)["sha256"], "the unsigned upload is not attached")
	}
	// Kept once: the issued-file record has no bytes of its own; they are
	// the dossier's result document (encrypted in the document storage).
	kept, err := s.store.IssuedFile(context.Background(), code, code+"-ket-qua-"+hexSum(result)[:12]+".pdf")
	require.NoError(t, err)
	require.Nil(t, kept.Content)
	f, err := s.store.DossierFile(context.Background(), code, kept.SHA256, "result")
	require.NoError(t, err)
	require.Equal(t, int64(len(signed.body)), f.Size)

	// A scan: the signed notice names it and its SHA-256.
	code = s.electronicAtApproval()
	D = "/v1/dossiers/" + code
	scan := pngFile(t, 16)
	res = approve("ban-chup.png", scan)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, hexSum(scan), res.json(t)["result_document"].(map[string]any)["sha256"])
	notice := s.call("GET", D+"/result.pdf", nil)
	require.Equal(t, 200, notice.status, string(notice.body))
	require.Contains(t, testenv.PDFText(t, notice.body), hexSum(scan)[:16])
	require.Equal(t, "valid", s.verify(notice.body)["verdict"])
}

// Forms are kept in the document storage, once: the issued-file record
// holds no bytes, the dossier's document of kind form does, and asking
// again serves the same file.
func TestIssuedFormsLiveInTheDocumentStorage(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse", "note": "Thiếu tờ khai"})
	first, _ := s.form(code, "03", "")
	again, _ := s.form(code, "03", "")
	require.Equal(t, first.body, again.body)
	ctx := context.Background()
	issued, err := s.store.IssuedFiles(ctx, code)
	require.NoError(t, err)
	require.Len(t, issued, 1)
	kept, err := s.store.IssuedFile(ctx, code, issued[0].Name)
	require.NoError(t, err)
	require.Nil(t, kept.Content, "the record keeps no copy")
	require.Equal(t, hexSum(first.body), kept.SHA256)
	f, err := s.store.DossierFile(ctx, code, kept.SHA256, "form")
	require.NoError(t, err)
	require.Equal(t, "application/pdf", f.ContentType)
}
