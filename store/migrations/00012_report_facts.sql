-- +goose Up
-- Reports (form II.06a) that do not move after the fact (store/reports.go).
--
-- 1. Each control-sheet event records the appointment the rule for late
--    compares with, as it stood after the event (dossier.OverdueFrom): a
--    past period's pending-overdue count reads the appointment of its end,
--    not today's. Events recorded before this migration have none; reports
--    fall back to the row's original appointment for them. (Adding a
--    column fires no UPDATE trigger: the control sheet stays append-only.)
ALTER TABLE dossier_events ADD COLUMN due_at timestamptz;

-- 2. How and when a received dossier ended, written once by the recorder
--    from the ending event (dossier.EndingOf) and never changed: result,
--    refused, withdrawn or stopped, and where it counts among early /
--    on time / late (dossier.EndingVerdict).
ALTER TABLE dossiers
    ADD COLUMN ended_at    timestamptz,
    ADD COLUMN ending      text,
    ADD COLUMN end_verdict text;

-- Existing installations: fill them from the control sheet (the first
-- ending event after receipt), the same classification as
-- dossier.EndingVerdict, by the local (+07:00) calendar day.
WITH firsts AS (
    SELECT DISTINCT ON (e.dossier_code) e.dossier_code, e.at, e.action
    FROM dossier_events e
    WHERE e.action IN ('approval.approve', 'review.refuse', 'approval.reject', 'supplement.expired', 'withdrawn', 'stopped')
    ORDER BY e.dossier_code, e.seq
)
UPDATE dossiers d SET
    ended_at = f.at,
    ending = CASE f.action WHEN 'approval.approve' THEN 'result' WHEN 'withdrawn' THEN 'withdrawn'
        WHEN 'stopped' THEN 'stopped' ELSE 'refused' END,
    end_verdict = CASE
        WHEN f.action = 'approval.approve' AND d.verdict IS NOT NULL THEN d.verdict
        WHEN f.action IN ('withdrawn', 'supplement.expired') THEN 'on_time'
        WHEN coalesce(d.original_appointment_at, d.appointment_at) IS NULL THEN 'on_time'
        WHEN (f.at AT TIME ZONE INTERVAL '+07:00')::date
            < (coalesce(d.original_appointment_at, d.appointment_at) AT TIME ZONE INTERVAL '+07:00')::date THEN 'early'
        WHEN (f.at AT TIME ZONE INTERVAL '+07:00')::date
            = (coalesce(d.original_appointment_at, d.appointment_at) AT TIME ZONE INTERVAL '+07:00')::date THEN 'on_time'
        ELSE 'late' END
FROM firsts f
WHERE f.dossier_code = d.code AND d.received_at IS NOT NULL AND f.at >= d.received_at;

-- Withdrawn and stopped dossiers of the old workflows never had their
-- finishing time written: take it from the control sheet.
UPDATE dossiers SET finished_at = ended_at
WHERE finished_at IS NULL AND ended_at IS NOT NULL AND status IN ('withdrawn', 'stopped');

-- 2b. When the intake decision was made (accepted, refused, or the dossier
--     withdrawn or stopped before it): online and postal submissions not
--     yet decided are reported apart, as awaiting intake.
ALTER TABLE dossiers ADD COLUMN intake_closed_at timestamptz;
UPDATE dossiers d SET intake_closed_at = f.at
FROM (SELECT DISTINCT ON (e.dossier_code) e.dossier_code, e.at
      FROM dossier_events e
      WHERE e.action IN ('intake.accept', 'intake.refuse', 'withdrawn', 'stopped')
      ORDER BY e.dossier_code, e.seq) f
WHERE f.dossier_code = d.code;
CREATE INDEX dossiers_awaiting_intake ON dossiers (agency_code, submitted_at)
    WHERE intake_closed_at IS NULL AND channel IN ('online', 'postal');
CREATE INDEX dossiers_intake_closed ON dossiers (intake_closed_at)
    WHERE channel IN ('online', 'postal');

-- Reports read the dossiers whose [received_at, ended_at] interval
-- overlaps the period (replaces 00006's index on finished_at).
DROP INDEX dossiers_report_span;
CREATE INDEX dossiers_report_span ON dossiers
    USING gist ((tstzrange(received_at, CASE WHEN ended_at < received_at THEN received_at ELSE ended_at END, '[]')))
    WHERE received_at IS NOT NULL;

-- 3. Department figures: each department's part of each step a dossier
--    entered (received), finished (resolved, against the step's due time)
--    or left open (pending). Written by the recorder from each transition;
--    a step re-entered after a return for rework is a new row.
CREATE TABLE dossier_steps (
    dossier_code text NOT NULL REFERENCES dossiers (code),
    entered_seq  int  NOT NULL,
    step         text NOT NULL,
    department   text NOT NULL,
    entered_at   timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    finished_at  timestamptz,
    -- result: the department decided (or the step's work was done);
    -- otherwise how the dossier ended while the step was open.
    ending       text,
    verdict      text,
    PRIMARY KEY (dossier_code, entered_seq, department)
);
CREATE UNIQUE INDEX dossier_steps_open ON dossier_steps (dossier_code, department) WHERE finished_at IS NULL;
CREATE INDEX dossier_steps_department ON dossier_steps (department, entered_at);
-- All departments at once (group_by=department): the steps whose
-- [entered_at, finished_at] overlaps the period, as for dossiers.
CREATE INDEX dossier_steps_span ON dossier_steps USING gist ((tstzrange(entered_at, CASE WHEN finished_at < entered_at THEN entered_at ELSE finished_at END, '[]')));

-- Steps open now (installations upgraded with dossiers in flight): from the
-- read model's current step, entered at the last event recorded.
INSERT INTO dossier_steps (dossier_code, entered_seq, step, department, entered_at, due_at)
SELECT d.code, d.version, d.current_step->>'name', b->>'department',
    (SELECT max(e.at) FROM dossier_events e WHERE e.dossier_code = d.code),
    (b->>'due_at')::timestamptz
FROM dossiers d, jsonb_array_elements(coalesce(d.current_step->'branches', '[]'::jsonb)) b
WHERE d.current_step IS NOT NULL AND jsonb_typeof(d.current_step) = 'object'
    AND d.received_at IS NOT NULL AND d.ended_at IS NULL
    AND NOT coalesce((b->>'decided')::boolean, false)
ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE dossier_steps;
DROP INDEX dossiers_report_span;
CREATE INDEX dossiers_report_span ON dossiers
    USING gist ((tstzrange(received_at, CASE WHEN finished_at < received_at THEN received_at ELSE finished_at END, '[]')))
    WHERE received_at IS NOT NULL;
ALTER TABLE dossiers DROP COLUMN ended_at, DROP COLUMN ending, DROP COLUMN end_verdict, DROP COLUMN intake_closed_at;
ALTER TABLE dossier_events DROP COLUMN due_at;
