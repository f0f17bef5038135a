-- +goose Up
-- The administrative area (ward/commune or district code, data/areas.yaml)
-- a result sent by post goes to, when the submission named it.
ALTER TABLE dossiers ADD COLUMN return_area text;
CREATE INDEX dossiers_return_area ON dossiers (return_area) WHERE return_area IS NOT NULL;

-- Postal service suspended for an area over a date range (both included):
-- dossiers returning by post there are offered counter or electronic pickup,
-- new submissions there are told.
CREATE TABLE postal_suspensions (
    id         bigserial PRIMARY KEY,
    area_code  text NOT NULL,
    from_date  date NOT NULL,
    to_date    date NOT NULL CHECK (to_date >= from_date),
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX postal_suspensions_area ON postal_suspensions (area_code, to_date);

-- When the intake desk was warned that the postal service had not picked a
-- requested shipment up in time (the pickup watch, once per shipment).
ALTER TABLE shipments ADD COLUMN pickup_warned_at timestamptz;

-- +goose Down
ALTER TABLE shipments DROP COLUMN pickup_warned_at;
DROP TABLE postal_suspensions;
ALTER TABLE dossiers DROP COLUMN return_area;
