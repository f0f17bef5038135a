-- +goose Up
-- The inbox finds an applicant by any part of the name without diacritics
-- (search_name LIKE '%nguyen van%'): a trigram index serves such substring
-- matches; without it a million dossiers are scanned (453 ms measured).
-- pg_trgm ships with PostgreSQL (contrib); creating it needs a role allowed
-- to create extensions (see docs/PERFORMANCE.md).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX dossiers_search_name_trgm ON dossiers USING gin (search_name gin_trgm_ops);

-- +goose Down
DROP INDEX dossiers_search_name_trgm;
