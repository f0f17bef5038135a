-- +goose Up
-- Collection on delivery (issue 18, Decision 45/2016/QĐ-TTg): whether the
-- applicant pays the postman when the result is delivered, and, for every
-- fee paid from now on, how (online, counter, cod) and when.
ALTER TABLE dossiers ADD COLUMN fee_on_delivery boolean NOT NULL DEFAULT false;
ALTER TABLE dossiers ADD COLUMN fee_method text;
ALTER TABLE dossiers ADD COLUMN fee_paid_at timestamptz;

-- +goose Down
ALTER TABLE dossiers DROP COLUMN fee_paid_at;
ALTER TABLE dossiers DROP COLUMN fee_method;
ALTER TABLE dossiers DROP COLUMN fee_on_delivery;
