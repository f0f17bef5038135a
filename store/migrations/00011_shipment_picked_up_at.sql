-- +goose Up
-- When the postal service reported picking the result up. The API keeps
-- the pickup with the shipment instead of waking the dossier's workflow
-- (it changes neither status nor stage: docs/PERFORMANCE.md); the workflow
-- puts it on the control sheet, at this time, with the delivery or the
-- failure that follows it.
ALTER TABLE shipments ADD COLUMN picked_up_at timestamptz;

-- +goose Down
ALTER TABLE shipments DROP COLUMN picked_up_at;
