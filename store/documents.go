package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// DocumentFile is the record of one stored file (package document keeps
// the content, encrypted, in its object storage under ID).
type DocumentFile struct {
	ID string
	// DossierCode is "" while the file is an upload not yet attached.
	DossierCode string
	// Kind is upload (not attached), submission, supplement, result or form.
	Kind        string
	Name        string
	SHA256      string
	ContentType string
	Size        int64
	// KeyID names the key of the payload key ring the content is sealed with.
	KeyID      string
	UploadedBy string
	CreatedAt  time.Time
	AttachedAt *time.Time
}

// KindUpload is the kind of a file uploaded and not yet attached.
const KindUpload = "upload"

// UploadRef names an upload to attach and the hash the request declared
// for it; Field is the request field it came from, for error messages.
type UploadRef struct {
	ID, SHA256, Field string
}

const documentFileColumns = `id, coalesce(dossier_code, ''), kind, name, sha256, content_type, size, key_id, uploaded_by, created_at, attached_at`

func scanDocumentFile(row pgx.Row) (DocumentFile, error) {
	var f DocumentFile
	err := row.Scan(&f.ID, &f.DossierCode, &f.Kind, &f.Name, &f.SHA256, &f.ContentType, &f.Size, &f.KeyID,
		&f.UploadedBy, &f.CreatedAt, &f.AttachedAt)
	return f, err
}

// InsertDocumentFile records a file whose content is stored already. A
// file for a dossier (DossierCode set) counts against maxDossierBytes, the
// total size of the dossier's files: over it, ETooLarge and nothing is
// written.
func (s *Store) InsertDocumentFile(ctx context.Context, f DocumentFile, maxDossierBytes int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if f.DossierCode != "" {
			if err := checkDossierBytes(ctx, tx, f.DossierCode, f.Size, maxDossierBytes); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO document_files (id, dossier_code, kind, name, sha256, content_type, size, key_id, uploaded_by, created_at, attached_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			f.ID, nullable(f.DossierCode), f.Kind, f.Name, f.SHA256, f.ContentType, f.Size, f.KeyID, f.UploadedBy, f.CreatedAt, f.AttachedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: insert document file: %w", err)
	}
	return nil
}

// checkDossierBytes serialises the files of one dossier (an advisory lock
// for the transaction, so the dossier's row stays free for its workflow's
// writes) and refuses adding more than maxBytes in all.
func checkDossierBytes(ctx context.Context, tx pgx.Tx, code string, adding, maxBytes int64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('document_files:' || $1, 0))`, code); err != nil {
		return err
	}
	var total int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM document_files WHERE dossier_code = $1`, code).Scan(&total); err != nil {
		return err
	}
	if maxBytes > 0 && total+adding > maxBytes {
		return dossier.Errorf(dossier.ETooLarge, "the files of dossier %s would total %d bytes, over the limit of %d bytes per dossier",
			code, total+adding, maxBytes)
	}
	return nil
}

// AttachUploads attaches uploads made by uploadedBy to the dossier as kind,
// all or none: each must exist, be unattached, be the uploader's and have
// the declared hash, and the dossier's files must stay within
// maxDossierBytes.
func (s *Store) AttachUploads(ctx context.Context, code, kind, uploadedBy string, refs []UploadRef, maxDossierBytes int64, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return attachUploads(ctx, tx, code, kind, uploadedBy, refs, maxDossierBytes, at)
	})
	if err != nil {
		return fmt.Errorf("store: attach uploads: %w", err)
	}
	return nil
}

func attachUploads(ctx context.Context, tx pgx.Tx, code, kind, uploadedBy string, refs []UploadRef, maxDossierBytes int64, at time.Time) error {
	if len(refs) == 0 {
		return nil // most submissions: no query at all
	}
	var adding int64
	var attach []UploadRef
	for _, ref := range refs {
		f, err := checkUpload(ctx, tx, code, uploadedBy, ref, true)
		if err != nil {
			return err
		}
		if f.DossierCode == code {
			continue // attached by an earlier try of the same request
		}
		adding += f.Size
		attach = append(attach, ref)
	}
	if len(attach) == 0 {
		return nil
	}
	if err := checkDossierBytes(ctx, tx, code, adding, maxDossierBytes); err != nil {
		return err
	}
	for _, ref := range attach {
		if _, err := tx.Exec(ctx, `UPDATE document_files SET dossier_code = $2, kind = $3, attached_at = $4 WHERE id = $1`,
			ref.ID, code, kind, at); err != nil {
			return err
		}
	}
	return nil
}

// CheckUploads checks, without attaching them, that the uploads could be
// attached to the dossier by uploadedBy (AttachUploads' checks, the
// dossier's total included).
func (s *Store) CheckUploads(ctx context.Context, code, uploadedBy string, refs []UploadRef, maxDossierBytes int64) error {
	if len(refs) == 0 {
		return nil
	}
	var adding int64
	for _, ref := range refs {
		f, err := checkUpload(ctx, s.pool, code, uploadedBy, ref, false)
		if err != nil {
			return err
		}
		if f.DossierCode != code {
			adding += f.Size
		}
	}
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM document_files WHERE dossier_code = $1`, code).Scan(&total); err != nil {
		return fmt.Errorf("store: check uploads: %w", err)
	}
	if maxDossierBytes > 0 && total+adding > maxDossierBytes {
		return dossier.Errorf(dossier.ETooLarge, "the files of dossier %s would total %d bytes, over the limit of %d bytes per dossier",
			code, total+adding, maxDossierBytes)
	}
	return nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// checkUpload reads the upload ref names (locking it when lock) and says
// what is wrong with attaching it to dossier code: unknown and someone
// else's look alike. One attached to code already is fine (a retry).
func checkUpload(ctx context.Context, q querier, code, uploadedBy string, ref UploadRef, lock bool) (DocumentFile, error) {
	sql := `SELECT ` + documentFileColumns + ` FROM document_files WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	f, err := scanDocumentFile(q.QueryRow(ctx, sql, ref.ID))
	field := ref.Field + ".upload_id"
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && f.UploadedBy != uploadedBy):
		return f, &dossier.Error{Code: dossier.EInvalid,
			Message: fmt.Sprintf("%s %q is not an upload of yours: unknown, or removed because it was not attached within its retention; upload the file again (POST /v1/uploads)", field, ref.ID),
			Fields:  []dossier.FieldError{{Field: field, Reason: "is not an upload of yours"}}}
	case err != nil:
		return f, err
	case f.DossierCode != "" && f.DossierCode != code:
		return f, &dossier.Error{Code: dossier.EConflict,
			Message: fmt.Sprintf("%s %q is attached to a dossier already; upload the file again to attach it elsewhere", field, ref.ID),
			Fields:  []dossier.FieldError{{Field: field, Reason: "is attached already"}}}
	case f.SHA256 != ref.SHA256:
		return f, &dossier.Error{Code: dossier.EUnprocessable,
			Message: fmt.Sprintf("%s.sha256 %s is not the SHA-256 of upload %q, which is %s", ref.Field, ref.SHA256, ref.ID, f.SHA256),
			Fields:  []dossier.FieldError{{Field: ref.Field + ".sha256", Reason: "does not match the uploaded file"}}}
	}
	return f, nil
}

// DocumentFileByID is one file's record.
func (s *Store) DocumentFileByID(ctx context.Context, id string) (DocumentFile, error) {
	f, err := scanDocumentFile(s.pool.QueryRow(ctx, `SELECT `+documentFileColumns+` FROM document_files WHERE id = $1`, id))
	if err != nil {
		return DocumentFile{}, notFound(err, "no stored file %s", id)
	}
	return f, nil
}

// DossierFile is the dossier's file with that hash, of the given kinds
// (none: any); the first attached when several have it.
func (s *Store) DossierFile(ctx context.Context, code, sha256 string, kinds ...string) (DocumentFile, error) {
	f, err := scanDocumentFile(s.pool.QueryRow(ctx, `SELECT `+documentFileColumns+` FROM document_files
		WHERE dossier_code = $1 AND sha256 = $2 AND (coalesce(cardinality($3::text[]), 0) = 0 OR kind = ANY($3))
		ORDER BY attached_at, id LIMIT 1`, code, sha256, kinds))
	if err != nil {
		return DocumentFile{}, notFound(err, "dossier %s has no stored file with SHA-256 %s", code, sha256)
	}
	return f, nil
}

// DossierFiles are the files attached to a dossier, in the order attached.
func (s *Store) DossierFiles(ctx context.Context, code string) ([]DocumentFile, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentFileColumns+` FROM document_files
		WHERE dossier_code = $1 ORDER BY attached_at, id`, code)
	if err != nil {
		return nil, fmt.Errorf("store: dossier files: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DocumentFile, error) { return scanDocumentFile(r) })
	if err != nil {
		return nil, fmt.Errorf("store: dossier files: %w", err)
	}
	return out, nil
}

// ExpiredUploads lists up to limit uploads never attached and created
// before before, oldest first.
func (s *Store) ExpiredUploads(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM document_files WHERE dossier_code IS NULL AND created_at < $1
		ORDER BY created_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: expired uploads: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: expired uploads: %w", err)
	}
	return ids, nil
}

// RemoveUpload deletes the record of an upload that is still unattached,
// after remove (which deletes its content) succeeded, in one transaction
// that holds the row: an attachment racing with it waits, then finds the
// upload gone. It reports false when the upload was attached or taken by
// another remover meanwhile.
func (s *Store) RemoveUpload(ctx context.Context, id string, remove func() error) (bool, error) {
	removed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var got string
		err := tx.QueryRow(ctx, `SELECT id FROM document_files WHERE id = $1 AND dossier_code IS NULL FOR UPDATE SKIP LOCKED`, id).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := remove(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM document_files WHERE id = $1`, id); err != nil {
			return err
		}
		removed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: remove upload %s: %w", id, err)
	}
	return removed, nil
}

// DeleteDocumentFile deletes a file's record (an upload whose content
// could not be kept).
func (s *Store) DeleteDocumentFile(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM document_files WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete document file: %w", err)
	}
	return nil
}

// DocumentFilesNotSealedWith lists up to limit files whose record names a
// key other than keyID (the files a key rotation must re-encrypt).
func (s *Store) DocumentFilesNotSealedWith(ctx context.Context, keyID string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM document_files WHERE key_id <> $1 ORDER BY id LIMIT $2`, keyID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: files to re-encrypt: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: files to re-encrypt: %w", err)
	}
	return ids, nil
}

// SetDocumentFileKey records the key a file is now sealed with.
func (s *Store) SetDocumentFileKey(ctx context.Context, id, keyID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE document_files SET key_id = $2 WHERE id = $1`, id, keyID); err != nil {
		return fmt.Errorf("store: set document key: %w", err)
	}
	return nil
}

// DocumentKeyUse counts stored files by the key they are sealed with.
func (s *Store) DocumentKeyUse(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT key_id, count(*) FROM document_files GROUP BY key_id`)
	if err != nil {
		return nil, fmt.Errorf("store: document keys: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("store: document keys: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// PutBlob stores an object of the embedded object storage (package
// document's default backend), replacing one of the same key.
func (s *Store) PutBlob(ctx context.Context, key string, data []byte) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO document_blobs (key, data) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data`, key, data); err != nil {
		return fmt.Errorf("store: put blob: %w", err)
	}
	return nil
}

// GetBlob reads an object of the embedded object storage.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	if err := s.pool.QueryRow(ctx, `SELECT data FROM document_blobs WHERE key = $1`, key).Scan(&data); err != nil {
		return nil, notFound(err, "no stored object %s", key)
	}
	return data, nil
}

// DeleteBlob deletes an object of the embedded object storage; a missing
// one is no error.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM document_blobs WHERE key = $1`, key); err != nil {
		return fmt.Errorf("store: delete blob: %w", err)
	}
	return nil
}

// CountBlobs is the number of objects of the embedded object storage whose
// key starts with prefix (tests check nothing is left behind).
func (s *Store) CountBlobs(ctx context.Context, prefix string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM document_blobs WHERE starts_with(key, $1)`, prefix).Scan(&n)
	return n, err
}
