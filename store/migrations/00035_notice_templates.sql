-- +goose Up
-- Applicant notices are rendered from versioned templates
-- (data/notices.yaml): the row keeps which version its text came from and
-- the facts the text used (and only those), which a Zalo ZNS message is
-- sent as. Rows written before have neither.
ALTER TABLE notifications
    ADD COLUMN template_version integer CHECK (template_version >= 1),
    ADD COLUMN facts            jsonb;

-- +goose Down
ALTER TABLE notifications DROP COLUMN template_version, DROP COLUMN facts;
