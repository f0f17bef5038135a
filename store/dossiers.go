package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// Applicant is the citizen or business a dossier is filed for. It stays in
// PostgreSQL only: workflow histories carry the dossier code, never these.
type Applicant struct {
	FullName string `json:"full_name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	Address  string `json:"address,omitempty"`
	// Notify is the applicant's choice of notice channels and consent,
	// given at submission (nil: none given).
	Notify *NotifyChoice `json:"notify,omitempty"`
}

// NotifyChoice is how the applicant agreed to be notified: the channels in
// order of preference (sms, zalo, email) and their consent to receive
// notices on them.
type NotifyChoice struct {
	Channels []string `json:"channels,omitempty"`
	Consent  bool     `json:"consent"`
}

// Document is a submitted document, by name and content hash.
type Document struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// NewDossier is what a submission writes before its workflow starts.
type NewDossier struct {
	ProcedureCode    string
	ProcedureVersion int
	AgencyCode       string
	Channel          dossier.Channel
	Applicant        Applicant
	Documents        []Document
	ReturnMethod     dossier.ReturnMethod
	ReturnAddress    string
	PostalReceipt    string
	FeeUnits         int
	FeeAmount        int64
	// FeeOnDelivery: the applicant pays the postman on delivery.
	FeeOnDelivery bool
	SubmittedAt   time.Time
	Actor         string
	// SubmittedBy is the subject of the token that submitted the dossier.
	SubmittedBy string
	// LookupKeyHash is the SHA-256 of the public lookup key (HashLookupKey);
	// nil: the dossier cannot be looked up publicly.
	LookupKeyHash []byte
	// Uploads are files uploaded by SubmittedBy to attach to the dossier as
	// its submitted documents, in the same transaction (AttachUploads'
	// checks; a refused one creates no dossier). MaxDocumentBytes bounds
	// the total size of the dossier's files (0: no bound).
	Uploads          []UploadRef
	MaxDocumentBytes int64
	// IntakeStep is an online or postal submission's intake step (its
	// decision deadline), shown in the intake officers' inbox from the
	// start; nil: none yet (the workflow sets it, SetIntakeStep).
	IntakeStep *dossier.CurrentStep
}

// Dossier is a row of the read model.
type Dossier struct {
	Code             string
	ProcedureCode    string
	ProcedureVersion int
	AgencyCode       string
	Channel          dossier.Channel
	Applicant        Applicant
	Documents        []Document
	ReturnMethod     dossier.ReturnMethod
	ReturnAddress    string
	PostalReceipt    string
	FeeUnits         int
	SubmittedAt      time.Time
	// SubmittedBy is the subject of the token that submitted the dossier
	// ("" for dossiers from before authentication).
	SubmittedBy string
	dossier.Progress
}

// Submission is the outcome of CreateDossier.
type Submission struct {
	Code string
	// Created is false when an earlier request with the same idempotency
	// key and the same body already created the dossier.
	Created bool
}

// CreateDossier allocates the dossier's code, writes its read-model row and
// its first control-sheet event ("submitted"), and records the idempotency
// key with the request's hash — all in one transaction. The same key with
// the same hash returns the earlier dossier; with another hash, EConflict.
func (s *Store) CreateDossier(ctx context.Context, d NewDossier, idemKey string, requestHash []byte) (Submission, error) {
	for attempt := 0; ; attempt++ {
		sub, err := s.createDossier(ctx, d, idemKey, requestHash)
		// Two concurrent requests with one new key: the loser's insert of
		// the key fails; on the retry it finds the winner's dossier.
		if err != nil && isUniqueViolation(err) && idemKey != "" && attempt < 3 {
			continue
		}
		return sub, err
	}
}

func (s *Store) createDossier(ctx context.Context, d NewDossier, idemKey string, requestHash []byte) (Submission, error) {
	var sub Submission
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if idemKey != "" {
			var hash []byte
			var code string
			err := tx.QueryRow(ctx, `SELECT request_hash, dossier_code FROM idempotency_keys WHERE key = $1`, idemKey).Scan(&hash, &code)
			switch {
			case err == nil && bytes.Equal(hash, requestHash):
				sub = Submission{Code: code}
				return nil
			case err == nil:
				return dossier.Errorf(dossier.EConflict, "the Idempotency-Key %q was already used for a different request body; use a new key for a new dossier", idemKey)
			case err != pgx.ErrNoRows:
				return err
			}
		}
		day := d.SubmittedAt.In(dossier.Location)
		var n int
		err := tx.QueryRow(ctx, `
			INSERT INTO dossier_code_counters (agency_code, day, last_value) VALUES ($1, $2, 1)
			ON CONFLICT (agency_code, day) DO UPDATE SET last_value = dossier_code_counters.last_value + 1
			RETURNING last_value`, d.AgencyCode, day.Format(time.DateOnly)).Scan(&n)
		if err != nil {
			return err
		}
		code := dossier.FormatCode(d.AgencyCode, day, n)
		applicant, err := json.Marshal(d.Applicant)
		if err != nil {
			return err
		}
		docs, err := json.Marshal(d.Documents)
		if err != nil {
			return err
		}
		step, err := jsonOrNil(d.IntakeStep)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
				applicant, documents, return_method, return_address, postal_receipt, fee_units, fee_amount,
				submitted_at, version, search_name, lookup_key_hash, submitted_by, fee_on_delivery, current_step)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $17, $18, $19, $20)`,
			code, d.ProcedureCode, d.ProcedureVersion, d.AgencyCode, d.Channel, dossier.StatusSubmitted, dossier.StageIntake,
			applicant, docs, d.ReturnMethod, nullable(d.ReturnAddress), nullable(d.PostalReceipt), d.FeeUnits, d.FeeAmount,
			d.SubmittedAt, SearchName(d.Applicant.FullName), d.LookupKeyHash, nullable(d.SubmittedBy), d.FeeOnDelivery, step)
		if err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, code, dossier.Event{
			Seq: 1, At: d.SubmittedAt, Action: dossier.ActionSubmitted, Actor: d.Actor,
			FromStage: dossier.StageIntake, ToStage: dossier.StageIntake,
			FromStatus: dossier.StatusSubmitted, ToStatus: dossier.StatusSubmitted,
			Note: "channel " + string(d.Channel),
		}); err != nil {
			return err
		}
		if err := enqueuePortalSync(ctx, tx, code, dossier.Event{Seq: 1, At: d.SubmittedAt},
			dossier.Progress{Version: 1, Status: dossier.StatusSubmitted}); err != nil {
			return err
		}
		if err := attachUploads(ctx, tx, code, "submission", d.SubmittedBy, d.Uploads, d.MaxDocumentBytes, d.SubmittedAt); err != nil {
			return err
		}
		if idemKey != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, request_hash, dossier_code) VALUES ($1, $2, $3)`,
				idemKey, requestHash, code); err != nil {
				return err
			}
		}
		sub = Submission{Code: code, Created: true}
		return nil
	})
	if err != nil {
		return Submission{}, fmt.Errorf("store: create dossier: %w", err)
	}
	return sub, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func insertEvent(ctx context.Context, tx pgx.Tx, code string, e dossier.Event) error {
	_, err := insertEventReporting(ctx, tx, code, e, nil)
	return err
}

// insertEventReporting appends an event and reports whether it was new.
// due is the appointment the rule for late compares with after the event
// (dossier.Progress.ReportDue), nil before receipt.
func insertEventReporting(ctx context.Context, tx pgx.Tx, code string, e dossier.Event, due *time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `
		INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status,
			step, department, note, on_time, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (dossier_code, seq) DO NOTHING`,
		code, e.Seq, e.At, e.Action, e.Actor, e.FromStage, e.ToStage, e.FromStatus, e.ToStatus,
		nullable(e.Step), nullable(e.Department), nullable(e.Note), nullable(e.OnTime), due)
	return tag.RowsAffected() == 1, err
}

// ApplyTransition appends the transition's event to the control sheet and
// applies its progress to the read model, in one transaction. Both are
// idempotent: an event already recorded is not recorded again, and progress
// older than what the row holds is ignored, so activities may retry freely
// and finish in any order.
func (s *Store) ApplyTransition(ctx context.Context, t dossier.Transition) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return applyTransition(ctx, tx, t) })
}

// ApplyTransitions is ApplyTransition for transitions of one dossier made
// in one workflow task (a pickup reported with the delivery), in order, in
// one transaction (issue 21: one transaction per task, not per event).
func (s *Store) ApplyTransitions(ctx context.Context, ts []dossier.Transition) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, t := range ts {
			if err := applyTransition(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyTransition writes one transition in tx: every status write of the
// read model (and the portal's outbox row beside it) goes through it.
func applyTransition(ctx context.Context, tx pgx.Tx, t dossier.Transition) error {
	step, err := jsonOrNil(t.Progress.CurrentStep)
	if err != nil {
		return err
	}
	p := t.Progress
	var waybill, shipmentStatus *string
	if p.Shipment != nil {
		waybill, shipmentStatus = &p.Shipment.Waybill, (*string)(&p.Shipment.Status)
	}
	var supplement, result, refund []byte
	if p.Refund != nil {
		if refund, err = json.Marshal(p.Refund); err != nil {
			return err
		}
	}
	if p.Supplement != nil {
		if supplement, err = json.Marshal(p.Supplement); err != nil {
			return err
		}
	}
	if p.ResultDocument != nil {
		if result, err = json.Marshal(p.ResultDocument); err != nil {
			return err
		}
	}
	inserted, err := insertEventReporting(ctx, tx, t.Code, t.Event, p.ReportDue())
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		UPDATE dossiers SET status = $2, stage = $3, received_at = $4, appointment_at = $5, finished_at = $6,
			returned_at = $7, overdue = $8, fee_amount = $9, fee_status = $10, payment_ref = $11, pay_url = $12,
			waybill = $13, shipment_status = $14, current_step = $15, version = $16,
			original_appointment_at = $17, appointment_resets = $18, apology_required = $19, supplement = $20,
			verdict = $21, return_method = coalesce($22, return_method), result_document = $23, refund = $24,
			fee_on_delivery = $25, fee_method = $26, fee_paid_at = $27,
			updated_at = now()
		WHERE code = $1 AND version < $16`,
		t.Code, p.Status, p.Stage, p.ReceivedAt, p.AppointmentAt, p.FinishedAt, p.ReturnedAt, p.Overdue,
		p.Fee.Amount, p.Fee.Status, nullable(p.Fee.PaymentRef), nullable(p.Fee.PayURL),
		waybill, shipmentStatus, step, p.Version,
		p.OriginalAppointmentAt, p.AppointmentResets, p.ApologyRequired, supplement, nullable(p.Verdict),
		nullable(string(p.ReturnMethod)), result, refund, p.Fee.OnDelivery, nullable(p.Fee.Method), p.Fee.PaidAt)
	if err != nil || !inserted {
		// A retried write: its documents and notifications are in already.
		return err
	}
	if err := recordReportFacts(ctx, tx, t); err != nil {
		return err
	}
	if err := enqueuePortalSync(ctx, tx, t.Code, t.Event, p); err != nil {
		return err
	}
	if len(t.Documents) > 0 {
		docs, err := json.Marshal(t.Documents)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dossiers SET documents = documents || $2::jsonb WHERE code = $1`, t.Code, docs); err != nil {
			return err
		}
	}
	for i, n := range t.Notifications {
		var facts []byte
		if n.Facts != nil {
			if facts, err = json.Marshal(n.Facts); err != nil {
				return err
			}
		}
		// A notice whose template could not be rendered is a dead
		// letter from the start, with the reason: never sent blank.
		if _, err := tx.Exec(ctx, `
			INSERT INTO notifications (dossier_code, seq, idx, recipient, agency, template, message,
				template_version, facts, status, failed_at, last_error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, 0), $9,
				CASE WHEN $10 = '' THEN 'pending' ELSE 'failed' END,
				CASE WHEN $10 = '' THEN NULL ELSE $11::timestamptz END, nullif($10, ''))
			ON CONFLICT DO NOTHING`,
			t.Code, t.Event.Seq, i, n.To, nullable(n.Agency), n.Template, n.Message,
			n.TemplateVersion, facts, n.RenderError, t.Event.At); err != nil {
			return err
		}
	}
	return nil
}

func jsonOrNil(v *dossier.CurrentStep) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// dossierColumns are a dossier's columns, in scanDossier's order. The row
// is the workflow's; the one thing it learns late is a postal pickup, which
// reaches only the API (store.RecordPickup sets shipments.picked_up_at) and
// the workflow with the delivery: until then a "requested" shipment that
// was picked up reads as picked_up.
const dossierColumns = `code, procedure_code, procedure_version, agency_code, channel, applicant, documents,
	return_method, coalesce(return_address, ''), coalesce(postal_receipt, ''), fee_units, submitted_at,
	version, status, stage, received_at, appointment_at, finished_at, returned_at, overdue,
	fee_amount, fee_status, coalesce(payment_ref, ''), coalesce(pay_url, ''), waybill,
	CASE WHEN shipment_status = 'requested' AND EXISTS (SELECT 1 FROM shipments s
		WHERE s.dossier_code = dossiers.code AND s.picked_up_at IS NOT NULL) THEN 'picked_up' ELSE shipment_status END,
	current_step,
	original_appointment_at, appointment_resets, apology_required, supplement, coalesce(verdict, ''), result_document,
	coalesce(submitted_by, ''), refund, fee_on_delivery, coalesce(fee_method, ''), fee_paid_at`

func scanDossier(row pgx.Row) (Dossier, error) {
	var d Dossier
	var applicant, docs, step, supplement, result, refund []byte
	var waybill, shipmentStatus *string
	err := row.Scan(&d.Code, &d.ProcedureCode, &d.ProcedureVersion, &d.AgencyCode, &d.Channel, &applicant, &docs,
		&d.ReturnMethod, &d.ReturnAddress, &d.PostalReceipt, &d.FeeUnits, &d.SubmittedAt,
		&d.Version, &d.Status, &d.Stage, &d.ReceivedAt, &d.AppointmentAt, &d.FinishedAt, &d.ReturnedAt, &d.Overdue,
		&d.Fee.Amount, &d.Fee.Status, &d.Fee.PaymentRef, &d.Fee.PayURL, &waybill, &shipmentStatus, &step,
		&d.OriginalAppointmentAt, &d.AppointmentResets, &d.ApologyRequired, &supplement, &d.Verdict, &result,
		&d.SubmittedBy, &refund, &d.Fee.OnDelivery, &d.Fee.Method, &d.Fee.PaidAt)
	if err != nil {
		return Dossier{}, err
	}
	if err := json.Unmarshal(applicant, &d.Applicant); err != nil {
		return Dossier{}, err
	}
	if err := json.Unmarshal(docs, &d.Documents); err != nil {
		return Dossier{}, err
	}
	if waybill != nil {
		d.Shipment = &dossier.Shipment{Waybill: *waybill, Status: dossier.ShipmentStatus(*shipmentStatus)}
	}
	if result != nil {
		d.ResultDocument = new(dossier.ResultDocument)
		if err := json.Unmarshal(result, d.ResultDocument); err != nil {
			return Dossier{}, err
		}
	}
	if refund != nil {
		d.Refund = new(dossier.Refund)
		if err := json.Unmarshal(refund, d.Refund); err != nil {
			return Dossier{}, err
		}
	}
	if supplement != nil {
		d.Supplement = new(dossier.Supplement)
		if err := json.Unmarshal(supplement, d.Supplement); err != nil {
			return Dossier{}, err
		}
	}
	if step != nil {
		d.CurrentStep = new(dossier.CurrentStep)
		if err := json.Unmarshal(step, d.CurrentStep); err != nil {
			return Dossier{}, err
		}
	}
	return d, nil
}

// Dossier returns one dossier from the read model; ENotFound if unknown.
func (s *Store) Dossier(ctx context.Context, code string) (Dossier, error) {
	d, err := scanDossier(s.pool.QueryRow(ctx, `SELECT `+dossierColumns+` FROM dossiers WHERE code = $1`, code))
	if err != nil {
		return Dossier{}, notFound(err, "no dossier has the code %s", code)
	}
	return d, nil
}

// Events returns a dossier's control sheet, oldest first.
func (s *Store) Events(ctx context.Context, code string) ([]dossier.Event, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT seq, at, action, actor, from_stage, to_stage, from_status, to_status,
			coalesce(step, ''), coalesce(department, ''), coalesce(note, ''), coalesce(on_time, '')
		FROM dossier_events WHERE dossier_code = $1 ORDER BY seq`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []dossier.Event{}
	for rows.Next() {
		var e dossier.Event
		if err := rows.Scan(&e.Seq, &e.At, &e.Action, &e.Actor, &e.FromStage, &e.ToStage, &e.FromStatus, &e.ToStatus,
			&e.Step, &e.Department, &e.Note, &e.OnTime); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetReturnAddress records where a result sent by post goes, after the
// applicant switched to postal return.
func (s *Store) SetReturnAddress(ctx context.Context, code, address string) error {
	_, err := s.pool.Exec(ctx, `UPDATE dossiers SET return_address = $2, updated_at = now() WHERE code = $1`, code, address)
	return err
}
