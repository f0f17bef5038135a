-- +goose Up

-- Agencies: the center, departments and communes, by identifier code.
CREATE TABLE agencies (
    code text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL
);

-- Procedures are versioned: a new version is added when the published
-- procedure changes; a dossier keeps the version it was received under
-- (the workflow carries a copy of it in its input).
CREATE TABLE procedure_versions (
    code        text NOT NULL,
    version     int  NOT NULL,
    document    jsonb NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);

-- The official table of days off and make-up working days, per year.
CREATE TABLE calendar_days (
    day         date PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('day_off', 'make_up')),
    name        text NOT NULL,
    year_status text NOT NULL
);

-- Per-agency, per-day counters for dossier codes. A row is only ever
-- incremented, so a code is never handed out twice.
CREATE TABLE dossier_code_counters (
    agency_code text NOT NULL,
    day         date NOT NULL,
    last_value  int  NOT NULL,
    PRIMARY KEY (agency_code, day)
);

-- The read model: one row per dossier, what lists, lookups and reports read.
-- The workflow owns every column after submission and writes it through
-- idempotent activities; version is the control-sheet sequence number of the
-- last event applied, so a late or retried write never overwrites a newer one.
CREATE TABLE dossiers (
    code              text PRIMARY KEY,
    procedure_code    text NOT NULL,
    procedure_version int  NOT NULL,
    agency_code       text NOT NULL,
    channel           text NOT NULL,
    status            text NOT NULL,
    stage             text NOT NULL,
    applicant         jsonb NOT NULL,
    documents         jsonb NOT NULL,
    return_method     text NOT NULL,
    return_address    text,
    postal_receipt    text,
    fee_units         int  NOT NULL DEFAULT 1,
    submitted_at      timestamptz NOT NULL,
    received_at       timestamptz,
    appointment_at    timestamptz,
    finished_at       timestamptz,
    returned_at       timestamptz,
    overdue           boolean NOT NULL DEFAULT false,
    fee_amount        bigint NOT NULL DEFAULT 0,
    fee_status        text NOT NULL DEFAULT 'none',
    payment_ref       text,
    pay_url           text,
    waybill           text,
    shipment_status   text,
    current_step      jsonb,
    version           int  NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_inbox ON dossiers (agency_code, stage, status);
CREATE INDEX dossiers_received ON dossiers (agency_code, received_at);
CREATE INDEX dossiers_payment_ref ON dossiers (payment_ref) WHERE payment_ref IS NOT NULL;
CREATE INDEX dossiers_waybill ON dossiers (waybill) WHERE waybill IS NOT NULL;

-- The processing control sheet (phiếu kiểm soát, form 06): append-only.
-- (dossier_code, seq) is unique, so a retried activity inserts nothing new.
CREATE TABLE dossier_events (
    dossier_code text NOT NULL REFERENCES dossiers (code),
    seq          int  NOT NULL,
    at           timestamptz NOT NULL,
    action       text NOT NULL,
    actor        text NOT NULL,
    from_stage   text NOT NULL,
    to_stage     text NOT NULL,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    step         text,
    department   text,
    note         text,
    on_time      text,
    PRIMARY KEY (dossier_code, seq)
);

-- Idempotency keys of submissions: the same key with the same body returns
-- the same dossier; with another body it is a conflict.
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    request_hash bytea NOT NULL,
    dossier_code text NOT NULL REFERENCES dossiers (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Payment requests made to the gateway, one per dossier (the dossier code is
-- the idempotency key the gateway sees).
CREATE TABLE payments (
    dossier_code   text PRIMARY KEY REFERENCES dossiers (code),
    payment_ref    text NOT NULL UNIQUE,
    amount         bigint NOT NULL,
    pay_url        text,
    status         text NOT NULL DEFAULT 'pending',
    transaction_id text,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    paid_at        timestamptz
);

-- Every callback the gateway sent, by transaction: the gateway may repeat,
-- delay or reorder them. outcome says what we did with it.
CREATE TABLE payment_notifications (
    transaction_id text PRIMARY KEY,
    payment_ref    text NOT NULL,
    amount         bigint NOT NULL,
    status         text NOT NULL,
    reason         text,
    outcome        text NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_notifications_ref ON payment_notifications (payment_ref);

-- Shipments requested from the postal service, one per dossier.
CREATE TABLE shipments (
    dossier_code text PRIMARY KEY REFERENCES dossiers (code),
    waybill      text NOT NULL UNIQUE,
    status       text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE shipments;
DROP TABLE payment_notifications;
DROP TABLE payments;
DROP TABLE idempotency_keys;
DROP TABLE dossier_events;
DROP TABLE dossiers;
DROP TABLE dossier_code_counters;
DROP TABLE calendar_days;
DROP TABLE procedure_versions;
DROP TABLE agencies;
