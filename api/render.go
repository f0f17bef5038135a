package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// The JSON shapes of the API. Nullable fields are always present, as null
// when unknown, so clients can rely on the keys.

type feeJSON struct {
	Amount     int64   `json:"amount"`
	Status     string  `json:"status"`
	PaymentRef *string `json:"payment_ref"`
	PayURL     *string `json:"pay_url"`
	// OnDelivery: the postman collects the fee on delivery (cash on
	// delivery); Method and PaidAt: how and when it was paid.
	OnDelivery bool       `json:"on_delivery"`
	Method     *string    `json:"method"`
	PaidAt     *time.Time `json:"paid_at"`
}

type shipmentJSON struct {
	Waybill string `json:"waybill"`
	Status  string `json:"status"`
}

type stepJSON struct {
	Name        string       `json:"name"`
	Departments []string     `json:"departments"`
	Pending     []string     `json:"pending_departments"`
	DueAt       *time.Time   `json:"due_at"`
	WarnAt      *time.Time   `json:"warn_at"`
	Escalated   bool         `json:"escalated"`
	Extended    bool         `json:"extended"`
	Branches    []branchView `json:"branches"`
}

type branchView struct {
	Department string    `json:"department"`
	DueAt      time.Time `json:"due_at"`
	Escalated  bool      `json:"escalated"`
	Decided    bool      `json:"decided"`
	Assignee   *string   `json:"assignee"`
}

type resultDocumentJSON struct {
	Name     string    `json:"name"`
	SHA256   string    `json:"sha256"`
	IssuedAt time.Time `json:"issued_at"`
	fileFields
}

// fileFields say whether a document's file is stored (on a single
// dossier's answers; absent in lists): status "stored" with its type and
// size, or "declared" (named by hash, file not received yet).
type fileFields struct {
	Status      string  `json:"status,omitempty"`
	ContentType *string `json:"content_type,omitempty"`
	Size        *int64  `json:"size,omitempty"`
}

// documentView is a document in a dossier's answer.
type documentView struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	fileFields
}

func renderResult(d *dossier.ResultDocument) *resultDocumentJSON {
	if d == nil {
		return nil
	}
	return &resultDocumentJSON{Name: d.Name, SHA256: d.SHA256, IssuedAt: d.IssuedAt.In(dossier.Location)}
}

type supplementJSON struct {
	RequestedAt time.Time `json:"requested_at"`
	DueAt       time.Time `json:"due_at"`
	Missing     []string  `json:"missing"`
}

type dossierJSON struct {
	Code          string          `json:"code"`
	ProcedureCode string          `json:"procedure_code"`
	AgencyCode    string          `json:"agency_code"`
	Channel       string          `json:"channel"`
	Documents     []documentView  `json:"documents"`
	Status        string          `json:"status"`
	StatusCode    int             `json:"status_code"`
	Stage         string          `json:"stage"`
	SubmittedAt   time.Time       `json:"submitted_at"`
	ReceivedAt    *time.Time      `json:"received_at"`
	AppointmentAt *time.Time      `json:"appointment_at"`
	FinishedAt    *time.Time      `json:"finished_at"`
	ReturnedAt    *time.Time      `json:"returned_at"`
	Overdue       bool            `json:"overdue"`
	Fee           feeJSON         `json:"fee"`
	ReturnMethod  string          `json:"return_method"`
	Shipment      json.RawMessage `json:"shipment,omitempty"`
	CurrentStep   *stepJSON       `json:"current_step"`

	OriginalAppointmentAt *time.Time          `json:"original_appointment_at"`
	AppointmentResets     int                 `json:"appointment_resets"`
	Verdict               *string             `json:"verdict"`
	ApologyRequired       bool                `json:"apology_required"`
	Supplement            *supplementJSON     `json:"supplement"`
	ResultDocument        *resultDocumentJSON `json:"result_document"`
	PostalReceipt         *string             `json:"postal_receipt"`
	Applicant             applicantView       `json:"applicant"`
	// Refund is the paying back of a paid fee (absent when none is owed).
	Refund *refundJSON `json:"refund,omitempty"`
}

type refundJSON struct {
	Amount    int64   `json:"amount"`
	Status    string  `json:"status"`
	RefundRef *string `json:"refund_ref"`
}

// applicantView is who the dossier is for. The identity number is masked
// (dossier.MaskIDNumber) unless the caller may see it in full.
type applicantView struct {
	FullName string `json:"full_name"`
	IDNumber string `json:"id_number"`
}

// seesIdentityNumber: the full number on a single dossier only for whom
// auth.SeesIdentityNumber allows; no principal (no authentication
// configured) sees it masked.
func seesIdentityNumber(r *http.Request, d store.Dossier) bool {
	p, ok := auth.FromContext(r.Context())
	return ok && auth.SeesIdentityNumber(p, auth.Facts{ReceivingAgency: d.AgencyCode, SubmittedBy: d.SubmittedBy})
}

func local(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(dossier.Location)
	return &v
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// renderDossier shapes a dossier; fullID shows the applicant's identity
// number unmasked (never in lists, reports or callbacks).
func renderDossier(d store.Dossier, fullID bool) dossierJSON {
	id := d.Applicant.IDNumber
	if !fullID {
		id = dossier.MaskIDNumber(id)
	}
	out := dossierJSON{
		Applicant:     applicantView{FullName: d.Applicant.FullName, IDNumber: id},
		Code:          d.Code,
		ProcedureCode: d.ProcedureCode,
		AgencyCode:    d.AgencyCode,
		Channel:       string(d.Channel),
		Documents:     make([]documentView, len(d.Documents)),
		Status:        string(d.Status),
		StatusCode:    d.Status.Code(),
		Stage:         string(d.Stage),
		SubmittedAt:   d.SubmittedAt.In(dossier.Location),
		ReceivedAt:    local(d.ReceivedAt),
		AppointmentAt: local(d.AppointmentAt),
		FinishedAt:    local(d.FinishedAt),
		ReturnedAt:    local(d.ReturnedAt),
		Overdue:       d.Overdue,
		Fee: feeJSON{Amount: d.Fee.Amount, Status: string(d.Fee.Status),
			PaymentRef: optional(d.Fee.PaymentRef), PayURL: optional(d.Fee.PayURL),
			OnDelivery: d.Fee.OnDelivery, Method: optional(d.Fee.Method), PaidAt: local(d.Fee.PaidAt)},
		ReturnMethod:          string(d.ReturnMethod),
		OriginalAppointmentAt: local(d.OriginalAppointmentAt),
		AppointmentResets:     d.AppointmentResets,
		Verdict:               optional(d.Verdict),
		ApologyRequired:       d.ApologyRequired,
		ResultDocument:        renderResult(d.ResultDocument),
		PostalReceipt:         optional(d.PostalReceipt),
	}
	if rf := d.Refund; rf != nil {
		out.Refund = &refundJSON{Amount: rf.Amount, Status: rf.Status, RefundRef: optional(rf.RefundRef)}
	}
	if sp := d.Supplement; sp != nil {
		out.Supplement = &supplementJSON{RequestedAt: sp.RequestedAt.In(dossier.Location),
			DueAt: sp.DueAt.In(dossier.Location), Missing: sp.Missing}
	}
	if d.ReturnMethod == dossier.ReturnPostal {
		// Present for postal returns: null until a shipment is requested.
		out.Shipment = json.RawMessage("null")
		if d.Shipment != nil {
			out.Shipment, _ = json.Marshal(shipmentJSON{Waybill: d.Shipment.Waybill, Status: string(d.Shipment.Status)})
		}
	}
	if s := d.CurrentStep; s != nil {
		out.CurrentStep = &stepJSON{Name: s.Name, Departments: s.Departments, Pending: s.Pending, DueAt: local(&s.DueAt),
			WarnAt: local(s.WarnAt), Escalated: s.Escalated, Extended: s.Extended}
		if out.CurrentStep.Pending == nil {
			out.CurrentStep.Pending = []string{}
		}
		out.CurrentStep.Branches = []branchView{}
		for _, b := range s.Branches {
			out.CurrentStep.Branches = append(out.CurrentStep.Branches, branchView{Department: b.Department,
				DueAt: b.DueAt.In(dossier.Location), Escalated: b.Escalated, Decided: b.Decided, Assignee: optional(b.Assignee)})
		}
		if len(s.Branches) == 0 {
			// Dossiers from before branches existed: one, the step itself.
			for _, d := range s.Departments {
				out.CurrentStep.Branches = append(out.CurrentStep.Branches, branchView{Department: d,
					DueAt: s.DueAt.In(dossier.Location), Escalated: s.Escalated, Decided: !slices.Contains(s.Pending, d)})
			}
		}
	}
	for i, doc := range d.Documents {
		out.Documents[i] = documentView{Name: doc.Name, SHA256: doc.SHA256}
	}
	return out
}

type eventJSON struct {
	Seq        int       `json:"seq"`
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	FromStage  string    `json:"from_stage"`
	ToStage    string    `json:"to_stage"`
	FromStatus string    `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	Step       *string   `json:"step"`
	Department *string   `json:"department"`
	Note       *string   `json:"note"`
	OnTime     *string   `json:"on_time"`
}

func renderEvent(e dossier.Event) eventJSON {
	return eventJSON{
		Seq: e.Seq, At: e.At.In(dossier.Location), Action: e.Action, Actor: e.Actor,
		FromStage: string(e.FromStage), ToStage: string(e.ToStage),
		FromStatus: string(e.FromStatus), ToStatus: string(e.ToStatus),
		Step: optional(e.Step), Department: optional(e.Department), Note: optional(e.Note), OnTime: optional(e.OnTime),
	}
}

// list is the shape of every list answer.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type durationJSON struct {
	Unit    string  `json:"unit"`
	Counter *int    `json:"counter"`
	Online  *int    `json:"online"`
	Cutoff  *string `json:"cutoff"`
}

type branchJSON struct {
	Department string `json:"department"`
	Share      int    `json:"share"`
}

// procedureStepJSON is a procedure's step: one department with its share, or several in
// parallel, each with its own share.
type procedureStepJSON struct {
	Name       string       `json:"name"`
	Department string       `json:"department,omitempty"`
	Share      *int         `json:"share,omitempty"`
	Parallel   []branchJSON `json:"parallel,omitempty"`
}

type procedureFeeJSON struct {
	Kind         string  `json:"kind"`
	Amount       int64   `json:"amount"`
	OnlineAmount *int64  `json:"online_amount"`
	Unit         *string `json:"unit"`
	Note         *string `json:"note"`
}

type procedureJSON struct {
	Code string `json:"code"`
	// NationalCode is the national procedure database's code ("" omitted).
	NationalCode      string              `json:"national_code,omitempty"`
	Name              string              `json:"name"`
	NameVI            string              `json:"name_vi"`
	IntakeAgency      string              `json:"intake_agency"`
	OnlineLevel       string              `json:"online_level"`
	Duration          durationJSON        `json:"duration"`
	Steps             []procedureStepJSON `json:"steps"`
	Fee               procedureFeeJSON    `json:"fee"`
	ReturnMethods     []string            `json:"return_methods"`
	RequiredDocuments []string            `json:"required_documents"`
	CashOnDelivery    bool                `json:"cash_on_delivery"`
	Version           int                 `json:"version"`
	EffectiveFrom     *time.Time          `json:"effective_from"`
}

func renderProcedure(p catalog.Procedure) procedureJSON {
	out := procedureJSON{
		Code: p.Code, NationalCode: p.NationalCode, Name: p.Name, NameVI: p.NameVI, IntakeAgency: p.IntakeAgency, OnlineLevel: p.OnlineLevel,
		Duration: durationJSON{Unit: p.Duration.Unit, Cutoff: optional(p.Duration.Cutoff)},
		Fee: procedureFeeJSON{Kind: p.Fee.Kind, Amount: p.Fee.Amount, OnlineAmount: p.Fee.OnlineAmount,
			Unit: optional(p.Fee.Unit), Note: optional(p.Fee.Note)},
		ReturnMethods: p.ReturnMethods, RequiredDocuments: p.RequiredDocuments, Version: p.Version,
		CashOnDelivery: p.CashOnDelivery,
		EffectiveFrom:  local(p.EffectiveFrom),
	}
	if p.Duration.Unit != catalog.UnitSameDay {
		counter, online := p.Duration.Counter, p.Duration.For(dossier.ChannelOnline)
		out.Duration.Counter, out.Duration.Online = &counter, &online
	}
	if out.RequiredDocuments == nil {
		out.RequiredDocuments = []string{}
	}
	for _, s := range p.Steps {
		js := procedureStepJSON{Name: s.Name}
		if len(s.Parallel) == 0 {
			share := s.Share
			js.Department, js.Share = s.Department, &share
		}
		for _, b := range s.Parallel {
			js.Parallel = append(js.Parallel, branchJSON{Department: b.Department, Share: b.Share})
		}
		out.Steps = append(out.Steps, js)
	}
	return out
}
