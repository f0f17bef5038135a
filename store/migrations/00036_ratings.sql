-- +goose Up
-- Satisfaction ratings (issue 19 §2): one per dossier, given with the
-- lookup key after the dossier ended, on the national scale; reasons from
-- the fixed list in force (data/rating_reasons.yaml, its version kept) and
-- free text only when not satisfied. The agency and procedure are copied
-- from the dossier so the report reads one table; departments come from
-- the dossier's steps.
CREATE TABLE ratings (
    dossier_code    text PRIMARY KEY REFERENCES dossiers (code),
    level           text NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'not_satisfied')),
    reasons         text[] NOT NULL DEFAULT '{}',
    reasons_version integer NOT NULL CHECK (reasons_version >= 1),
    comment         text CHECK (char_length(comment) <= 1000),
    rated_at        timestamptz NOT NULL,
    agency_code     text NOT NULL,
    procedure_code  text NOT NULL,
    CHECK (level = 'not_satisfied' OR (cardinality(reasons) = 0 AND comment IS NULL))
);
CREATE INDEX ratings_rated_at ON ratings (rated_at);

-- +goose Down
DROP TABLE ratings;
