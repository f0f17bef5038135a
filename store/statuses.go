package store

import "context"

// DossierStatuses returns every dossier's status by code (for reconcile).
func (s *Store) DossierStatuses(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, status FROM dossiers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, status string
		if err := rows.Scan(&code, &status); err != nil {
			return nil, err
		}
		out[code] = status
	}
	return out, rows.Err()
}
