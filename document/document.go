// Package document stores the files behind a dossier's documents: the
// scans an applicant submits, supplements, the result and the forms the
// center issues. A file is checked (declared SHA-256, type by content:
// PDF, JPEG or PNG, size limits), encrypted with AES-256-GCM under the
// payload key ring of package codec (so it rotates with
// MOTCUA_PAYLOAD_KEYS), and kept as an object in an Objects backend:
// PostgreSQL (Embedded, the default) or S3-compatible storage (NewS3). Its
// record (name, hash, type, size, key id, dossier) is a row in
// PostgreSQL; contents never enter Temporal.
//
// Files arrive two ways: uploaded first (Upload) and attached to a
// dossier by the request that names them (a submission, a supplement, an
// approval with its result), or stored straight into a dossier (Put: the
// forms the center issues, a declared document's file sent later). An
// upload never attached is removed after the retention (RemoveExpired).
package document

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the corruption check
	_ "image/png"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// Objects is where encrypted contents are kept, by key. Put replaces an
// object of the same key; Delete of a missing object is no error; Get of a
// missing one is an ENotFound dossier.Error.
type Objects interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// The kinds of stored files.
const (
	KindUpload     = store.KindUpload // uploaded, not attached yet
	KindSubmission = "submission"     // filed with the dossier (or sent later for a declared document)
	KindSupplement = "supplement"     // sent with a supplement
	KindResult     = "result"         // the result document of the approval
	KindForm       = "form"           // a form the center issued (01…07)
)

// The content types accepted.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// Default limits (config: MOTCUA_DOCUMENT_MAX_FILE_BYTES,
// MOTCUA_DOCUMENT_MAX_DOSSIER_BYTES, MOTCUA_UPLOAD_RETENTION).
const (
	DefaultMaxFileBytes    = 20 << 20
	DefaultMaxDossierBytes = 100 << 20
	DefaultRetention       = 24 * time.Hour
)

// Document is a stored file's record.
type Document struct {
	ID string
	// DossierCode is "" for an upload not attached yet.
	DossierCode string
	Kind        string
	Name        string
	SHA256      string
	ContentType string
	Size        int64
	CreatedAt   time.Time
	// ExpiresAt is when an unattached upload is removed (zero once attached).
	ExpiresAt time.Time
}

// Options configure a Service.
type Options struct {
	Store   *store.Store
	Objects Objects
	// Keys encrypt the contents (the payload key ring: codec.FromConfig).
	Keys *codec.Codec
	// MaxFileBytes and MaxDossierBytes bound one file and the files of one
	// dossier (0: the defaults, 20 MiB and 100 MiB).
	MaxFileBytes, MaxDossierBytes int64
	// Retention is how long an upload waits to be attached (0: 24 hours).
	Retention time.Duration
	// Now is the clock of records and of the retention (nil: time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Service stores and reads documents.
type Service struct {
	o Options
}

// New returns a Service; Store, Objects and Keys are required.
func New(o Options) *Service {
	if o.Store == nil || o.Objects == nil || o.Keys == nil {
		panic("document.New: Store, Objects and Keys are required")
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxDossierBytes <= 0 {
		o.MaxDossierBytes = DefaultMaxDossierBytes
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{o: o}
}

// MaxFileBytes is the largest file accepted.
func (s *Service) MaxFileBytes() int64 { return s.o.MaxFileBytes }

// MaxDossierBytes is the most all files of one dossier may total.
func (s *Service) MaxDossierBytes() int64 { return s.o.MaxDossierBytes }

// Upload checks and stores a file not yet attached to any dossier, for
// uploadedBy (a token subject) to attach within the retention. declared
// is the SHA-256 the client says the file has ("": not checked).
func (s *Service) Upload(ctx context.Context, uploadedBy, name, declared string, content []byte) (Document, error) {
	return s.store(ctx, store.DocumentFile{Kind: KindUpload, Name: name, UploadedBy: uploadedBy}, declared, content)
}

// Put stores a file straight into a dossier as kind (KindForm for the
// forms the center issues), by the system, and returns its record. The
// same content already stored for the dossier as the same kind is not
// stored twice: its record is returned.
func (s *Service) Put(ctx context.Context, dossierCode, kind, name string, content []byte) (Document, error) {
	return s.PutAs(ctx, dossierCode, kind, name, "motcua", "", content)
}

// PutAs is Put by uploadedBy, checked against the declared SHA-256 ("":
// not checked).
func (s *Service) PutAs(ctx context.Context, dossierCode, kind, name, uploadedBy, declared string, content []byte) (Document, error) {
	if dossierCode == "" || kind == KindUpload {
		return Document{}, fmt.Errorf("document: Put needs a dossier and a kind other than %q", KindUpload)
	}
	sum := hexSHA256(content)
	if f, err := s.o.Store.DossierFile(ctx, dossierCode, sum, kind); err == nil {
		if err := checkDeclared(declared, sum); err != nil {
			return Document{}, err
		}
		return s.document(f), nil
	} else if dossier.ErrorCodeOf(err) != dossier.ENotFound {
		return Document{}, err
	}
	return s.store(ctx, store.DocumentFile{DossierCode: dossierCode, Kind: kind, Name: name, UploadedBy: uploadedBy}, declared, content)
}

// store checks content, encrypts and stores it, then records f: nothing
// half-stored (a record is written only after its object, and the object
// is deleted when the record cannot be written).
func (s *Service) store(ctx context.Context, f store.DocumentFile, declared string, content []byte) (Document, error) {
	if err := checkName(f.Name); err != nil {
		return Document{}, err
	}
	if len(content) == 0 {
		return Document{}, dossier.Errorf(dossier.EInvalid, "the file is empty")
	}
	if int64(len(content)) > s.o.MaxFileBytes {
		return Document{}, dossier.Errorf(dossier.ETooLarge, "the file is %d bytes, over the limit of %d bytes per file", len(content), s.o.MaxFileBytes)
	}
	f.SHA256 = hexSHA256(content)
	if err := checkDeclared(declared, f.SHA256); err != nil {
		return Document{}, err
	}
	ct, err := Sniff(content)
	if err != nil {
		return Document{}, err
	}
	f.ContentType, f.Size = ct, int64(len(content))
	f.ID = newID()
	f.CreatedAt = s.o.Now()
	if f.DossierCode != "" {
		at := f.CreatedAt
		f.AttachedAt = &at
	}
	keyID, sealed, err := s.seal(f.ID, content)
	if err != nil {
		return Document{}, err
	}
	f.KeyID = keyID
	if err := s.o.Objects.Put(ctx, f.ID, sealed); err != nil {
		return Document{}, fmt.Errorf("document: store object: %w", err)
	}
	if err := s.o.Store.InsertDocumentFile(ctx, f, s.o.MaxDossierBytes); err != nil {
		// Without its record the object is unreachable: remove it, on a
		// context of its own (the request's may be what failed).
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if derr := s.o.Objects.Delete(dctx, f.ID); derr != nil {
			s.o.Log.Error("document: an object without a record is left behind", "object", f.ID, "error", derr)
		}
		return Document{}, err
	}
	return s.document(f), nil
}

// Get reads a dossier's file by its SHA-256 (of the given kinds; none:
// any) and decrypts it.
func (s *Service) Get(ctx context.Context, dossierCode, sha256 string, kinds ...string) (Document, []byte, error) {
	f, err := s.o.Store.DossierFile(ctx, dossierCode, strings.ToLower(sha256), kinds...)
	if err != nil {
		return Document{}, nil, err
	}
	plain, _, err := s.read(ctx, f.ID)
	if err != nil {
		return Document{}, nil, err
	}
	if hexSHA256(plain) != f.SHA256 {
		return Document{}, nil, fmt.Errorf("document %s: the stored content does not have its recorded SHA-256", f.ID)
	}
	return s.document(f), plain, nil
}

// Uploaded reads an upload that uploadedBy made and has not attached yet
// (the approval signs the leader's result file before attaching it):
// ENotFound for another's upload or one already attached.
func (s *Service) Uploaded(ctx context.Context, uploadedBy, id string) (Document, []byte, error) {
	f, err := s.o.Store.DocumentFileByID(ctx, id)
	if err == nil && (f.Kind != KindUpload || f.UploadedBy != uploadedBy) {
		err = dossier.Errorf(dossier.ENotFound, "no upload %s of yours waits to be attached", id)
	}
	if err != nil {
		return Document{}, nil, err
	}
	plain, _, err := s.read(ctx, f.ID)
	if err != nil {
		return Document{}, nil, err
	}
	if hexSHA256(plain) != f.SHA256 {
		return Document{}, nil, fmt.Errorf("document %s: the stored content does not have its recorded SHA-256", f.ID)
	}
	return s.document(f), plain, nil
}

// An object is the key id's length (one byte), the key id, then what
// codec.Seal made of the content with the object's id as additional data:
// an object says which key opens it, so re-encrypting one (Rekey) never
// leaves it unreadable, whatever happens to its record meanwhile.

func (s *Service) seal(id string, content []byte) (string, []byte, error) {
	keyID, sealed, err := s.o.Keys.Seal(content, []byte(id))
	if err != nil {
		return "", nil, err
	}
	return keyID, append(append([]byte{byte(len(keyID))}, keyID...), sealed...), nil
}

// read reads and decrypts the object id; it returns the key id it was
// sealed with.
func (s *Service) read(ctx context.Context, id string) ([]byte, string, error) {
	obj, err := s.o.Objects.Get(ctx, id)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		// The record exists: a missing object is the storage's fault, not
		// the client's (never a 404 that hides it).
		return nil, "", fmt.Errorf("document: the object of stored file %s is missing from the object storage", id)
	}
	if err != nil {
		return nil, "", fmt.Errorf("document: read object %s: %w", id, err)
	}
	if len(obj) == 0 || len(obj) < 1+int(obj[0]) {
		return nil, "", fmt.Errorf("document: object %s is not a sealed document", id)
	}
	keyID := string(obj[1 : 1+int(obj[0])])
	plain, err := s.o.Keys.Open(keyID, obj[1+int(obj[0]):], []byte(id))
	if err != nil {
		return nil, keyID, fmt.Errorf("document %s: %w", id, err)
	}
	return plain, keyID, nil
}

// Rekey re-encrypts every stored file sealed with a key other than the
// active one, so that retired keys can leave the ring; it returns how many
// it re-encrypted. Safe to interrupt and to run again, beside a running
// API.
func (s *Service) Rekey(ctx context.Context) (int, error) {
	active := s.o.Keys.ActiveKeyID()
	n := 0
	for {
		ids, err := s.o.Store.DocumentFilesNotSealedWith(ctx, active, 100)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			plain, keyID, err := s.read(ctx, id)
			if err != nil {
				return n, err
			}
			if keyID != active {
				_, sealed, err := s.seal(id, plain)
				if err != nil {
					return n, err
				}
				if err := s.o.Objects.Put(ctx, id, sealed); err != nil {
					return n, fmt.Errorf("document: rewrite object %s: %w", id, err)
				}
				n++
			}
			if err := s.o.Store.SetDocumentFileKey(ctx, id, active); err != nil {
				return n, err
			}
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}

// Files are the records of a dossier's stored files.
func (s *Service) Files(ctx context.Context, dossierCode string) ([]Document, error) {
	fs, err := s.o.Store.DossierFiles(ctx, dossierCode)
	if err != nil {
		return nil, err
	}
	out := make([]Document, len(fs))
	for i, f := range fs {
		out[i] = s.document(f)
	}
	return out, nil
}

// Check says whether uploadedBy could attach the uploads to the dossier
// (see store.CheckUploads), without attaching them.
func (s *Service) Check(ctx context.Context, dossierCode, uploadedBy string, refs []store.UploadRef) error {
	return s.o.Store.CheckUploads(ctx, dossierCode, uploadedBy, refs, s.o.MaxDossierBytes)
}

// Attach attaches uploads of uploadedBy to a dossier as kind, all or none.
func (s *Service) Attach(ctx context.Context, dossierCode, kind, uploadedBy string, refs []store.UploadRef) error {
	return s.o.Store.AttachUploads(ctx, dossierCode, kind, uploadedBy, refs, s.o.MaxDossierBytes, s.o.Now())
}

// RemoveExpired deletes the uploads older than the retention that were
// never attached, contents first, and returns how many it removed. Several
// processes may run it at once: each upload is removed by one of them.
func (s *Service) RemoveExpired(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := s.o.Store.ExpiredUploads(ctx, s.o.Now().Add(-s.o.Retention), 100)
		if err != nil {
			return n, err
		}
		progress := false
		for _, id := range ids {
			removed, err := s.o.Store.RemoveUpload(ctx, id, func() error { return s.o.Objects.Delete(ctx, id) })
			if err != nil {
				return n, err
			}
			if removed {
				n++
				progress = true
			}
		}
		if len(ids) < 100 || !progress {
			return n, nil
		}
	}
}

// RunCleanup calls RemoveExpired every interval until ctx ends (the API
// runs it: see cmd/motcua).
func (s *Service) RunCleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.RemoveExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.o.Log.Warn("document cleanup failed; retrying at the next interval", "error", err)
		case n > 0:
			s.o.Log.Info("removed uploads never attached to a dossier", "count", n, "retention", s.o.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) document(f store.DocumentFile) Document {
	d := Document{ID: f.ID, DossierCode: f.DossierCode, Kind: f.Kind, Name: f.Name, SHA256: f.SHA256,
		ContentType: f.ContentType, Size: f.Size, CreatedAt: f.CreatedAt}
	if f.DossierCode == "" {
		d.ExpiresAt = f.CreatedAt.Add(s.o.Retention)
	}
	return d
}

// Sniff returns the content type of a file, judged by its content: PDF,
// JPEG or PNG, which must also be intact (a PDF with its end-of-file
// marker, an image that decodes). Anything else is an EUnsupported or
// EUnprocessable dossier.Error that says what was found.
func Sniff(content []byte) (string, error) {
	if len(content) == 0 {
		return "", dossier.Errorf(dossier.EInvalid, "the file is empty")
	}
	ct := http.DetectContentType(content)
	switch ct {
	case TypePDF:
		// A PDF ends with %%EOF (perhaps followed by a line end and
		// padding); a truncated upload does not.
		tail := content[max(0, len(content)-1024):]
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return "", dossier.Errorf(dossier.EUnprocessable, "the PDF is truncated or corrupt: it has no %%%%EOF marker at its end")
		}
	case TypeJPEG, TypePNG:
		// The header first: a small file can claim a huge image, whose
		// decoding would take gigabytes.
		cfg, _, err := image.DecodeConfig(bytes.NewReader(content))
		if err != nil {
			return "", dossier.Errorf(dossier.EUnprocessable, "the %s image is corrupt: %v", strings.TrimPrefix(ct, "image/"), err)
		}
		if cfg.Width*cfg.Height > maxPixels {
			return "", dossier.Errorf(dossier.EUnprocessable, "the image is %d×%d pixels, over the %d megapixels accepted; scan at a lower resolution (300 dpi is plenty)",
				cfg.Width, cfg.Height, maxPixels/1_000_000)
		}
		if _, _, err := image.Decode(bytes.NewReader(content)); err != nil {
			return "", dossier.Errorf(dossier.EUnprocessable, "the %s image is truncated or corrupt: %v", strings.TrimPrefix(ct, "image/"), err)
		}
	default:
		return "", dossier.Errorf(dossier.EUnsupported, "the file's content is %s; only PDF, JPEG and PNG files are accepted", strings.Split(ct, ";")[0])
	}
	return ct, nil
}

// maxPixels bounds a scan's size in pixels: an A4 page at 600 dpi is 35
// megapixels.
const maxPixels = 80_000_000

// checkDeclared compares the declared SHA-256 (if any) with the content's.
func checkDeclared(declared, actual string) error {
	if declared == "" || strings.EqualFold(declared, actual) {
		return nil
	}
	return &dossier.Error{Code: dossier.EUnprocessable,
		Message: fmt.Sprintf("the file's SHA-256 is %s, not the declared %s: the file is not the one declared, or it was damaged on the way", actual, strings.ToLower(declared)),
		Fields:  []dossier.FieldError{{Field: "sha256", Reason: "does not match the file"}}}
}

// checkName refuses empty names and names over 255 characters.
func checkName(name string) error {
	if strings.TrimSpace(name) == "" || len([]rune(name)) > 255 || strings.ContainsAny(name, "\x00\r\n") {
		return &dossier.Error{Code: dossier.EInvalid, Message: "name is required: the file's name, at most 255 characters on one line",
			Fields: []dossier.FieldError{{Field: "name", Reason: "is required (at most 255 characters, one line)"}}}
	}
	return nil
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newID is a random object id: 128 bits, hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "doc-" + hex.EncodeToString(b)
}
