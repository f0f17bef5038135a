package store

import (
	"context"
	"fmt"
	"time"
)

// CountRateHit counts one request of client against the limit bucket in
// the fixed window that starts at windowStart, and returns the count so
// far in that window, this request included. Every API process counts in
// the same row, so a limit holds across replicas (migration 00041).
func (s *Store) CountRateHit(ctx context.Context, bucket, client string, windowStart time.Time) (int, error) {
	var hits int
	err := s.pool.QueryRow(ctx, `
		INSERT INTO rate_limit_windows (bucket, client, window_start, hits) VALUES ($1, $2, $3, 1)
		ON CONFLICT (bucket, client, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
		RETURNING hits`, bucket, client, windowStart).Scan(&hits)
	if err != nil {
		return 0, fmt.Errorf("count a request for rate limit %s: %w", bucket, err)
	}
	return hits, nil
}

// PurgeRateWindows deletes the rate-limit windows that started before
// before (finished ones: nothing reads them again) and says how many.
func (s *Store) PurgeRateWindows(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM rate_limit_windows WHERE window_start < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge rate-limit windows: %w", err)
	}
	return tag.RowsAffected(), nil
}
