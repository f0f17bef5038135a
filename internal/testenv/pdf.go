package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/signing"
)

// PDFText reads a PDF as a person would: poppler's pdftotext extracts its
// text (in layout order), and pdftoppm must render its first page to a
// non-empty image. scripts/test.sh installs poppler-utils when missing.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "file.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", in, "-").CombinedOutput()
	require.NoError(t, err, "pdftotext: %s", out)
	msg, err := exec.Command("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", in, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, "pdftoppm: %s", msg)
	pages, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	require.NoError(t, err)
	require.Len(t, pages, 1, "pdftoppm renders page 1")
	st, err := os.Stat(pages[0])
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(1000), "page 1 is an image with something on it")
	return string(out)
}

var signingKeys = sync.OnceValues(func() (*signing.Keystore, error) {
	cat, err := catalog.Parse(data.Procedures)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "motcua-test-signing-")
	if err != nil {
		return nil, err
	}
	var agencies []signing.DevAgency
	for _, a := range cat.Agencies {
		agencies = append(agencies, signing.DevAgency{Code: a.Code, Name: a.Name})
	}
	if _, err := signing.DevCertificates(dir, "test", agencies, time.Now()); err != nil {
		return nil, err
	}
	return signing.OpenKeystore(dir, "test")
})

// SigningKeys are development signing keys, one per agency of the shipped
// catalog, made once per test binary in a temporary directory: what the
// API signs results with in tests (an electronic return needs one).
func SigningKeys(t testing.TB) *signing.Keystore {
	t.Helper()
	ks, err := signingKeys()
	require.NoError(t, err, "development signing keys")
	return ks
}

// DocumentPDF is a one-page PDF saying text, as an office suite would
// export a leader's result document: a real file a PDF library parses (the
// approval signs it), unlike a hand-written stub.
func DocumentPDF(t testing.TB, text string) []byte {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 14)
	pdf.Cell(0, 10, text)
	var b bytes.Buffer
	require.NoError(t, pdf.Output(&b))
	return b.Bytes()
}
