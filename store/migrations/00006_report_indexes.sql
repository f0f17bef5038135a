-- +goose Up
-- Reports (store/reports.go) read the dossiers whose [received_at,
-- finished_at] interval overlaps the period: a GiST index on that interval
-- finds them without scanning the whole read model. (A finished_at before
-- received_at, which should not happen, is clamped so no row can fail.)
CREATE INDEX dossiers_report_span ON dossiers
    USING gist ((tstzrange(received_at, CASE WHEN finished_at < received_at THEN received_at ELSE finished_at END, '[]')))
    WHERE received_at IS NOT NULL;

-- +goose Down
DROP INDEX dossiers_report_span;
