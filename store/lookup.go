package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// ErrLookupNotFound is the one answer of PublicDossier to an unknown code
// and to a wrong key alike, so the answer tells nothing about which.
var ErrLookupNotFound = dossier.Errorf(dossier.ENotFound,
	"no dossier matches this code and lookup key; check both on the submission receipt")

// HashLookupKey is what the dossiers row keeps of a public lookup key.
func HashLookupKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// PublicDossier returns the dossier whose code is code and whose lookup key
// hashes to keyHash, comparing the hashes in constant time; otherwise
// ErrLookupNotFound, for an unknown code, a wrong key, or a dossier that
// has no key (submitted before keys existed).
func (s *Store) PublicDossier(ctx context.Context, code string, keyHash []byte) (Dossier, error) {
	var stored []byte
	d, err := scanDossierWith(s.pool.QueryRow(ctx, `SELECT `+dossierColumns+`, lookup_key_hash FROM dossiers WHERE code = $1`, code), &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		// Compare anyway, so an unknown code costs what a wrong key does.
		dummy := make([]byte, sha256.Size)
		subtle.ConstantTimeCompare(dummy, keyHash)
		return Dossier{}, ErrLookupNotFound
	}
	if err != nil {
		return Dossier{}, err
	}
	if len(stored) != sha256.Size || subtle.ConstantTimeCompare(stored, keyHash) != 1 {
		return Dossier{}, ErrLookupNotFound
	}
	return d, nil
}
