package signing_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/signing"
)

// at is a fixed signing instant: the tests never depend on the wall clock
// except through the certificates' validity, which they set around it.
var at = time.Date(2026, 3, 2, 10, 0, 0, 0, dossier.Location)

func resultPDF(t testing.TB) []byte {
	t.Helper()
	pdf, err := forms.Result(forms.ResultNotice{Dossier: forms.Dossier{Code: "A-260302-0001", Agency: "Sở Tư pháp",
		Procedure: "Cấp Phiếu lý lịch tư pháp", Applicant: "Nguyễn Văn An"}, At: at, Signer: "Lãnh đạo Sở"})
	require.NoError(t, err)
	return pdf
}

func devKeys(t testing.TB) *signing.Keystore { return devKeysIssued(t, time.Now()) }

// devKeysIssued makes development certificates issued at issued, valid two
// years. Certificates live in real time (the PKCS#7 signature records the
// wall clock), so the tests issue them from the wall clock; the documents
// they sign keep their fixed dates (at).
func devKeysIssued(t testing.TB, issued time.Time) *signing.Keystore {
	t.Helper()
	dir := t.TempDir()
	made, err := signing.DevCertificates(dir, "pw", []signing.DevAgency{{Code: "000.00.18.H39", Name: "Sở Tư pháp"}, {Code: "B", Name: "Other"}}, issued)
	require.NoError(t, err)
	require.Equal(t, []string{"000.00.18.H39", "B"}, made)
	again, err := signing.DevCertificates(dir, "pw", []signing.DevAgency{{Code: "000.00.18.H39", Name: "Sở Tư pháp"}}, issued)
	require.NoError(t, err)
	require.Empty(t, again, "certificates still valid are kept")
	ks, err := signing.OpenKeystore(dir, "pw")
	require.NoError(t, err)
	require.Equal(t, []string{"000.00.18.H39", "B"}, ks.Agencies())
	_, err = signing.OpenKeystore(dir, "wrong password")
	require.Error(t, err)
	return ks
}

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ks := devKeys(t)
	in := resultPDF(t)
	signed, cert, err := signing.Sign(ctx, ks, "000.00.18.H39", in, signing.Info{Name: "Sở Tư pháp", Reason: "Kết quả giải quyết hồ sơ", At: at})
	require.NoError(t, err)
	require.Contains(t, cert.Subject.CommonName, "Sở Tư pháp")
	require.Contains(t, testenv.PDFText(t, signed), "Nguyễn Văn An", "the signed PDF still opens")

	v, err := signing.Verify(ctx, ks, signed)
	require.NoError(t, err)
	require.True(t, v.Signed)
	require.True(t, v.ValidSignature)
	require.True(t, v.CoversWholeFile)
	require.Equal(t, "000.00.18.H39", v.Agency)
	require.NotNil(t, v.SignedAt)
	require.True(t, v.SignedAt.Equal(at), "signed at %v", v.SignedAt)

	// One byte changed inside the signed range: the signature fails.
	tampered := bytes.Clone(signed)
	tampered[100] ^= 0x01
	v, err = signing.Verify(ctx, ks, tampered)
	require.NoError(t, err)
	require.False(t, v.Signed && v.ValidSignature, "a changed byte breaks the signature")

	// Bytes appended after the signature: still "valid", not the whole file.
	appended := append(bytes.Clone(signed), []byte("\n1 0 obj (x) endobj\n%%EOF\n")...)
	v, err = signing.Verify(ctx, ks, appended)
	require.NoError(t, err)
	require.False(t, v.CoversWholeFile)

	// A forged cross-reference offset (which made the PDF library
	// allocate gigabytes) is refused before parsing.
	forged := bytes.Replace(signed, []byte("\nxref\n"), []byte("\nxref\n0 1\n0999999999 00000 n \n"), 1)
	_, err = signing.Verify(ctx, ks, forged)
	require.ErrorIs(t, err, signing.ErrMalformed)
	forged = bytes.Replace(signed, []byte("/Size "), []byte("/Size 99999999"), 1)
	_, err = signing.Verify(ctx, ks, forged)
	require.ErrorIs(t, err, signing.ErrMalformed)

	// An unsigned PDF and something that is no PDF at all.
	for _, b := range [][]byte{in, []byte("hello"), {}} {
		v, err = signing.Verify(ctx, ks, b)
		require.NoError(t, err)
		require.False(t, v.Signed)
	}

	// Signed by a key this center does not hold: valid, but not ours.
	other := devKeys(t)
	v, err = signing.Verify(ctx, other, signed)
	require.NoError(t, err)
	require.True(t, v.ValidSignature)
	require.Empty(t, v.Agency)
}

func TestExpiredOrMissingCertificate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Issued three years ago for two years: expired now.
	ks := devKeysIssued(t, time.Now().AddDate(-3, 0, 0))
	_, _, err := signing.Sign(ctx, ks, "000.00.18.H39", resultPDF(t), signing.Info{At: at})
	var expired *signing.ExpiredError
	require.ErrorAs(t, err, &expired)
	require.Contains(t, err.Error(), "expired on")
	_, _, err = signing.Sign(ctx, ks, "NO-SUCH", resultPDF(t), signing.Info{At: at})
	require.True(t, errors.Is(err, signing.ErrNoCertificate), "%v", err)
}

// FuzzVerify: whatever file is uploaded for verification, Verify answers
// (signed or not, valid or not, or ErrMalformed) and never panics. The
// seeds are small: with a whole signed result as a seed the fuzzing engine
// itself crawls (TestSignAndVerify covers the real files).
func FuzzVerify(f *testing.F) {
	ks := devKeys(f)
	f.Add([]byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer <</Size 1>>\nstartxref\n9\n%%EOF"))
	f.Add([]byte("%PDF-1.7\n1 0 obj <</Type /Sig /ByteRange [0 10 20 30] /Contents <3082>>> endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer <</Size 2 /Root 1 0 R>>\nstartxref\n80\n%%EOF"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := signing.Verify(context.Background(), ks, b)
		if errors.Is(err, signing.ErrMalformed) {
			return
		}
		require.NoError(t, err)
		if v.ValidSignature && v.Agency != "" && v.CoversWholeFile {
			require.True(t, bytes.Contains(b, []byte("/ByteRange")))
		}
	})
}

// BenchmarkResultSigned is what an approval costs the API in CPU: the
// result notice rendered and signed (docs/PERFORMANCE.md, issue 21).
func BenchmarkResultSigned(b *testing.B) {
	ctx := context.Background()
	ks := devKeys(b)
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			resultPDF(b)
		}
	})
	in := resultPDF(b)
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := signing.Sign(ctx, ks, "000.00.18.H39", in, signing.Info{Name: "Sở Tư pháp", At: at}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Logf("result PDF: %d bytes", len(in))
}
