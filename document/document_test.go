package document_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// samplePDF is a small well-formed PDF with a marker text in it.
func samplePDF(marker string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + marker + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// paddedPDF is a well-formed PDF of exactly size bytes.
func paddedPDF(size int, marker string) []byte {
	b := []byte("%PDF-1.4\n% " + marker + "\n")
	b = append(b, bytes.Repeat([]byte(" "), size-len(b)-7)...)
	return append(b, "\n%%EOF\n"...)
}

func samplePNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// hugePNG is a valid PNG header claiming 20000×20000 pixels, without the
// data: what a decompression bomb starts with.
func hugePNG(t *testing.T) []byte {
	b := samplePNG(t)
	out := bytes.Clone(b[:33]) // signature + IHDR chunk (length, type, 13 bytes, CRC)
	binary.BigEndian.PutUint32(out[16:], 20000)
	binary.BigEndian.PutUint32(out[20:], 20000)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return append(out, b[33:]...)
}

func sampleJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestSniff(t *testing.T) {
	pngData, jpegData := samplePNG(t), sampleJPEG(t)
	for _, c := range []struct {
		name    string
		content []byte
		want    string
		code    dossier.ErrorCode
	}{
		{"pdf", samplePDF("x"), document.TypePDF, ""},
		{"png", pngData, document.TypePNG, ""},
		{"jpeg", jpegData, document.TypeJPEG, ""},
		{"truncated pdf", samplePDF("x")[:30], "", dossier.EUnprocessable},
		{"truncated png", pngData[:len(pngData)/2], "", dossier.EUnprocessable},
		{"truncated jpeg", jpegData[:len(jpegData)/2], "", dossier.EUnprocessable},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", dossier.EUnsupported},
		{"text", []byte("just some text"), "", dossier.EUnsupported},
		{"zip (a .docx)", []byte("PK\x03\x04\x14\x00\x00\x00"), "", dossier.EUnsupported},
		{"empty", nil, "", dossier.EInvalid},
		{"huge png header", hugePNG(t), "", dossier.EUnprocessable},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := document.Sniff(c.content)
			if c.code == "" {
				require.NoError(t, err)
				require.Equal(t, c.want, got)
				return
			}
			require.Equal(t, c.code, dossier.ErrorCodeOf(err), "%v", err)
		})
	}
	_, err := document.Sniff(hugePNG(t))
	require.ErrorContains(t, err, "20000×20000 pixels, over the 80 megapixels", "refused by its header, before decoding")
}

// backend is one object storage under test, with a way to count what it
// holds (to check nothing half-stored is left) and to read raw objects.
type backend struct {
	objects document.Objects
	count   func(t *testing.T) int
}

// backends are both real backends: PostgreSQL (a database of the test's
// own, so counts are exact) and the S3-compatible server of `make test`.
func backends(t *testing.T) map[string]func(t *testing.T) (*store.Store, backend) {
	return map[string]func(t *testing.T) (*store.Store, backend){
		"embedded": func(t *testing.T) (*store.Store, backend) {
			st := testenv.NewStore(t)
			return st, backend{objects: document.Embedded(st), count: func(t *testing.T) int {
				n, err := st.CountBlobs(context.Background(), "")
				require.NoError(t, err)
				return n
			}}
		},
		"s3": func(t *testing.T) (*store.Store, backend) {
			s3, err := document.NewS3(testenv.S3(t))
			require.NoError(t, err)
			require.NoError(t, s3.Check(context.Background()))
			return testenv.NewStore(t), backend{objects: s3, count: func(t *testing.T) int {
				n, err := s3.Count(context.Background())
				require.NoError(t, err)
				return n
			}}
		},
	}
}

func TestStorage(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, be := open(t)
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, dossier.Location)
			clock := func() time.Time { return now }
			svc := document.New(document.Options{Store: st, Objects: be.objects, Keys: codec.Development(),
				MaxFileBytes: 4096, MaxDossierBytes: 6000, Now: func() time.Time { return clock() }})

			// An upload, then attached to a dossier; read back as sent and
			// stored encrypted.
			pdf := samplePDF("marker-of-the-applicant-scan")
			up, err := svc.Upload(ctx, "portal-1", "đơn đề nghị.pdf", sum(pdf), pdf)
			require.NoError(t, err)
			require.Equal(t, document.KindUpload, up.Kind)
			require.Equal(t, document.TypePDF, up.ContentType)
			require.Equal(t, now.Add(24*time.Hour), up.ExpiresAt)
			require.Equal(t, 1, be.count(t))
			raw, err := be.objects.Get(ctx, up.ID)
			require.NoError(t, err)
			require.NotContains(t, string(raw), "marker-of-the-applicant-scan", "contents are encrypted at rest")

			refs := []store.UploadRef{{ID: up.ID, SHA256: up.SHA256, Field: "documents[0]"}}
			require.Equal(t, dossier.EInvalid, dossier.ErrorCodeOf(svc.Attach(ctx, "D-1", document.KindSubmission, "portal-2", refs)),
				"someone else's upload is not theirs to attach")
			bad := []store.UploadRef{{ID: up.ID, SHA256: sum([]byte("other")), Field: "documents[0]"}}
			require.Equal(t, dossier.EUnprocessable, dossier.ErrorCodeOf(svc.Attach(ctx, "D-1", document.KindSubmission, "portal-1", bad)))
			require.NoError(t, svc.Attach(ctx, "D-1", document.KindSubmission, "portal-1", refs))
			require.NoError(t, svc.Attach(ctx, "D-1", document.KindSubmission, "portal-1", refs), "a retry is no error")
			require.Equal(t, dossier.EConflict, dossier.ErrorCodeOf(svc.Attach(ctx, "D-2", document.KindSubmission, "portal-1", refs)),
				"attached to one dossier, not to another")
			doc, content, err := svc.Get(ctx, "D-1", up.SHA256)
			require.NoError(t, err)
			require.Equal(t, pdf, content)
			require.Equal(t, "đơn đề nghị.pdf", doc.Name)
			require.Equal(t, document.KindSubmission, doc.Kind)
			_, _, err = svc.Get(ctx, "D-2", up.SHA256)
			require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))

			// Put (the forms): stored straight into the dossier; the same
			// content twice is stored once.
			form := samplePDF("form 01")
			f1, err := svc.Put(ctx, "D-1", document.KindForm, "01-giay-tiep-nhan.pdf", form)
			require.NoError(t, err)
			f2, err := svc.Put(ctx, "D-1", document.KindForm, "01-giay-tiep-nhan.pdf", form)
			require.NoError(t, err)
			require.Equal(t, f1.ID, f2.ID)
			files, err := svc.Files(ctx, "D-1")
			require.NoError(t, err)
			require.Len(t, files, 2)
			require.Equal(t, 2, be.count(t))

			// Refused files leave neither a record nor an object.
			png := samplePNG(t)
			for _, c := range []struct {
				what     string
				content  []byte
				declared string
				code     dossier.ErrorCode
			}{
				{"hash mismatch", png, sum([]byte("something else")), dossier.EUnprocessable},
				{"oversized", append(samplePDF("big"), bytes.Repeat([]byte(" "), 5000)...), "", dossier.ETooLarge},
				{"foreign type", []byte("<html>hello</html>"), "", dossier.EUnsupported},
				{"corrupt", png[:len(png)-10], "", dossier.EUnprocessable},
			} {
				_, err := svc.Upload(ctx, "portal-1", "x.png", c.declared, c.content)
				require.Equal(t, c.code, dossier.ErrorCodeOf(err), "%s: %v", c.what, err)
			}
			// Over the dossier's total: the object written first is removed.
			_, err = svc.Put(ctx, "D-1", document.KindForm, "big-1.pdf", paddedPDF(4000, "1"))
			require.NoError(t, err)
			_, err = svc.Put(ctx, "D-1", document.KindForm, "big-2.pdf", paddedPDF(4000, "2"))
			require.Equal(t, dossier.ETooLarge, dossier.ErrorCodeOf(err), "%v", err)
			require.Equal(t, 3, be.count(t), "nothing half-stored")
			files, err = svc.Files(ctx, "D-1")
			require.NoError(t, err)
			require.Len(t, files, 3)

			// Uploads never attached are removed after the retention, with
			// their objects; attached files stay.
			stale, err := svc.Upload(ctx, "portal-1", "scan.png", "", png)
			require.NoError(t, err)
			require.Equal(t, 4, be.count(t))
			n, err := svc.RemoveExpired(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "not expired yet")
			later := now.Add(24*time.Hour + time.Minute)
			clock = func() time.Time { return later }
			n, err = svc.RemoveExpired(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			require.Equal(t, 3, be.count(t))
			_, err = st.DocumentFileByID(ctx, stale.ID)
			require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))
			require.Equal(t, dossier.EInvalid, dossier.ErrorCodeOf(svc.Attach(ctx, "D-1", document.KindSupplement, "portal-1",
				[]store.UploadRef{{ID: stale.ID, SHA256: stale.SHA256, Field: "documents[0]"}})), "an expired upload cannot be attached")
			_, content, err = svc.Get(ctx, "D-1", up.SHA256)
			require.NoError(t, err)
			require.Equal(t, pdf, content)
		})
	}
}

// Files sealed with a key that was rotated out of the active position
// still open; files sealed with a key dropped from the ring do not.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.NewStore(t) // of its own: it counts every file by key
	objects := document.Embedded(st)
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	ring := func(active string, keys map[string][]byte) *codec.Codec {
		c, err := codec.New(keys, active)
		require.NoError(t, err)
		return c
	}
	code := "ROT-" + testenv.RandomSuffix()
	old := document.New(document.Options{Store: st, Objects: objects, Keys: ring("k1", map[string][]byte{"k1": k1})})
	pdf := samplePDF("rotation " + code)
	_, err := old.Put(ctx, code, document.KindForm, "a.pdf", pdf)
	require.NoError(t, err)

	rotated := document.New(document.Options{Store: st, Objects: objects, Keys: ring("k2", map[string][]byte{"k1": k1, "k2": k2})})
	_, got, err := rotated.Get(ctx, code, sum(pdf))
	require.NoError(t, err)
	require.Equal(t, pdf, got)
	png := samplePNG(t)
	_, err = rotated.Put(ctx, code, document.KindForm, "b.png", png)
	require.NoError(t, err)

	dropped := document.New(document.Options{Store: st, Objects: objects, Keys: ring("k2", map[string][]byte{"k2": k2})})
	_, got, err = dropped.Get(ctx, code, sum(png))
	require.NoError(t, err)
	require.Equal(t, png, got)
	_, _, err = dropped.Get(ctx, code, sum(pdf))
	require.ErrorContains(t, err, `"k1", which is not in MOTCUA_PAYLOAD_KEYS`)

	// Re-encrypted with the active key, the old one can leave the ring.
	use, err := st.DocumentKeyUse(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, use["k1"])
	n, err := rotated.Rekey(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = rotated.Rekey(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to re-encrypt")
	use, err = st.DocumentKeyUse(ctx)
	require.NoError(t, err)
	require.Zero(t, use["k1"])
	_, got, err = dropped.Get(ctx, code, sum(pdf))
	require.NoError(t, err)
	require.Equal(t, pdf, got)
}

// The cleanup loop the API runs removes expired uploads by itself.
func TestRunCleanup(t *testing.T) {
	t.Parallel()
	st := testenv.NewStore(t) // of its own: the short retention would remove other tests' uploads
	svc := document.New(document.Options{Store: st, Objects: document.Embedded(st), Keys: codec.Development(),
		Retention: 200 * time.Millisecond})
	up, err := svc.Upload(context.Background(), "cleanup-"+testenv.RandomSuffix(), "a.png", "", samplePNG(t))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.RunCleanup(ctx, 50*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	_, err = st.DocumentFileByID(context.Background(), up.ID)
	require.NoError(t, err, "not expired at once")
	require.Eventually(t, func() bool {
		_, err := st.DocumentFileByID(context.Background(), up.ID)
		return dossier.ErrorCodeOf(err) == dossier.ENotFound
	}, 10*time.Second, 50*time.Millisecond)
	_, err = st.GetBlob(context.Background(), up.ID)
	require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err), "its content is gone too")
}

// FuzzSniff: whatever bytes arrive, the type check answers a type or a
// client error (4xx), never a panic.
func FuzzSniff(f *testing.F) {
	f.Add(samplePDF("x"))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, content []byte) {
		ct, err := document.Sniff(content)
		if err == nil {
			require.Contains(t, []string{document.TypePDF, document.TypeJPEG, document.TypePNG}, ct)
			return
		}
		require.Contains(t, []dossier.ErrorCode{dossier.EInvalid, dossier.EUnsupported, dossier.EUnprocessable}, dossier.ErrorCodeOf(err), "%v", err)
	})
}
