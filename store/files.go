package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// IssuedFile is a file motcua issued for a dossier: a form or the signed
// result.
type IssuedFile struct {
	DossierCode string
	Name        string
	Kind        string
	SHA256      string
	IssuedAt    time.Time
	// Content is the file. The record keeps it only for files issued
	// before the document storage held them (migration 00047); since, it
	// is nil here and the bytes are the dossier's document with SHA256.
	Content []byte
}

// PutIssuedFile records a file issued for a dossier, once: when a file of
// that name is already recorded, the first one stays (an issued file
// never changes) and is returned; otherwise the new one is. Either way
// the caller serves what is returned. The record holds the name, kind,
// SHA-256 (of f.Content) and instant; the content itself is stored in the
// document storage by the caller (api's issued-file store) before.
func (s *Store) PutIssuedFile(ctx context.Context, f IssuedFile) (IssuedFile, error) {
	sum := sha256.Sum256(f.Content)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO issued_files (dossier_code, name, kind, sha256, issued_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_code, name) DO NOTHING`,
		f.DossierCode, f.Name, f.Kind, hex.EncodeToString(sum[:]), f.IssuedAt)
	if err != nil {
		return IssuedFile{}, err
	}
	return s.IssuedFile(ctx, f.DossierCode, f.Name)
}

// IssuedFile returns a file's record by dossier and name (with its
// content only when the record still holds it); ENotFound if it was never
// issued.
func (s *Store) IssuedFile(ctx context.Context, code, name string) (IssuedFile, error) {
	f := IssuedFile{DossierCode: code, Name: name}
	err := s.pool.QueryRow(ctx, `SELECT kind, sha256, issued_at, content FROM issued_files
		WHERE dossier_code = $1 AND name = $2`, code, name).Scan(&f.Kind, &f.SHA256, &f.IssuedAt, &f.Content)
	if errors.Is(err, pgx.ErrNoRows) {
		return IssuedFile{}, dossier.Errorf(dossier.ENotFound, "%s was not issued for dossier %s", name, code)
	}
	return f, err
}

// IssuedFiles lists the files issued for a dossier, without their
// contents, in the order they were issued.
func (s *Store) IssuedFiles(ctx context.Context, code string) ([]IssuedFile, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, kind, sha256, issued_at FROM issued_files
		WHERE dossier_code = $1 ORDER BY issued_at, name`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []IssuedFile{}
	for rows.Next() {
		f := IssuedFile{DossierCode: code}
		if err := rows.Scan(&f.Name, &f.Kind, &f.SHA256, &f.IssuedAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// IssuedFileBySHA256 finds an issued file by its hash (the verification
// page's question: did this center issue these bytes?); ENotFound if none.
func (s *Store) IssuedFileBySHA256(ctx context.Context, sum string) (IssuedFile, error) {
	var f IssuedFile
	err := s.pool.QueryRow(ctx, `SELECT dossier_code, name, kind, sha256, issued_at FROM issued_files
		WHERE sha256 = $1 ORDER BY issued_at LIMIT 1`, sum).Scan(&f.DossierCode, &f.Name, &f.Kind, &f.SHA256, &f.IssuedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return IssuedFile{}, dossier.Errorf(dossier.ENotFound, "no file with this SHA-256 was issued here")
	}
	return f, err
}

// AgencyName returns an agency's name from the catalog; the code itself
// when the catalog does not have it.
func (s *Store) AgencyName(ctx context.Context, code string) (string, error) {
	var name string
	err := s.pool.QueryRow(ctx, `SELECT name FROM agencies WHERE code = $1`, code).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return code, nil
	}
	return name, err
}

// LogbookRow is one dossier of an agency's logbook (form 07).
type LogbookRow struct {
	Code          string
	Applicant     string
	ProcedureCode string
	ProcedureName string
	ReceivedAt    *time.Time
	AppointmentAt *time.Time
	ReturnedAt    *time.Time
	Status        dossier.Status
}

// Logbook lists the dossiers an agency received in [from, to), in the
// order it received them: the dossier logbook (sổ theo dõi hồ sơ, form 07).
// The procedure's name is the one of the version the dossier was filed
// under.
func (s *Store) Logbook(ctx context.Context, agency string, from, to time.Time) ([]LogbookRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT d.code, d.applicant->>'full_name', d.procedure_code,
			coalesce(nullif(p.document->>'name_vi', ''), p.document->>'name', d.procedure_code),
			d.received_at, d.appointment_at, d.returned_at, d.status
		FROM dossiers d
		LEFT JOIN procedure_versions p ON p.code = d.procedure_code AND p.version = d.procedure_version
		WHERE d.agency_code = $1 AND d.received_at >= $2 AND d.received_at < $3
		ORDER BY d.received_at, d.code`, agency, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LogbookRow{}
	for rows.Next() {
		var r LogbookRow
		if err := rows.Scan(&r.Code, &r.Applicant, &r.ProcedureCode, &r.ProcedureName,
			&r.ReceivedAt, &r.AppointmentAt, &r.ReturnedAt, &r.Status); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AgencyNames returns every agency's name by code.
func (s *Store) AgencyNames(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name FROM agencies`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			return nil, err
		}
		out[code] = name
	}
	return out, rows.Err()
}
