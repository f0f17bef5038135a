-- +goose Up
-- The paying back of a fee paid for a dossier that ended without its result:
-- {"amount": 100000, "status": "pending|succeeded|failed|at_counter", "refund_ref": "..."}.
ALTER TABLE dossiers ADD COLUMN refund jsonb;

-- +goose Down
ALTER TABLE dossiers DROP COLUMN refund;
