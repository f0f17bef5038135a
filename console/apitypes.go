package console

import (
	"time"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// The parts of the API's JSON the pages show. They are decoded from the
// API's answers, never read from the database.

type feeView struct {
	Amount     int64   `json:"amount"`
	Status     string  `json:"status"`
	PaymentRef *string `json:"payment_ref"`
	PayURL     *string `json:"pay_url"`
	// OnDelivery: the postman collects it; Method and PaidAt: how and
	// when it was paid.
	OnDelivery bool       `json:"on_delivery"`
	Method     *string    `json:"method"`
	PaidAt     *time.Time `json:"paid_at"`
}

type shipmentView struct {
	Waybill string `json:"waybill"`
	Status  string `json:"status"`
}

type branchView struct {
	Department string    `json:"department"`
	DueAt      time.Time `json:"due_at"`
	Escalated  bool      `json:"escalated"`
	Decided    bool      `json:"decided"`
	Assignee   *string   `json:"assignee"`
}

type stepView struct {
	Name        string       `json:"name"`
	Departments []string     `json:"departments"`
	Pending     []string     `json:"pending_departments"`
	DueAt       *time.Time   `json:"due_at"`
	WarnAt      *time.Time   `json:"warn_at"`
	Escalated   bool         `json:"escalated"`
	Extended    bool         `json:"extended"`
	Branches    []branchView `json:"branches"`
}

type documentView struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Status is stored (the file can be opened) or declared.
	Status string `json:"status"`
}

// applicantView is the applicant as the API returns it to this caller: the
// API masks the identity number (0792******34) for whoever may not see it
// in full (auth.SeesIdentityNumber), and the page shows what it got.
type applicantView struct {
	FullName string `json:"full_name"`
	IDNumber string `json:"id_number"`
}

type dossierView struct {
	Code          string         `json:"code"`
	ProcedureCode string         `json:"procedure_code"`
	AgencyCode    string         `json:"agency_code"`
	Channel       string         `json:"channel"`
	Status        string         `json:"status"`
	StatusCode    int            `json:"status_code"`
	Stage         string         `json:"stage"`
	SubmittedAt   time.Time      `json:"submitted_at"`
	ReceivedAt    *time.Time     `json:"received_at"`
	AppointmentAt *time.Time     `json:"appointment_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
	ReturnedAt    *time.Time     `json:"returned_at"`
	Overdue       bool           `json:"overdue"`
	Fee           feeView        `json:"fee"`
	ReturnMethod  string         `json:"return_method"`
	Shipment      *shipmentView  `json:"shipment"`
	CurrentStep   *stepView      `json:"current_step"`
	Verdict       *string        `json:"verdict"`
	Applicant     *applicantView `json:"applicant"`
	Documents     []documentView `json:"documents"`
	Supplement    *struct {
		RequestedAt time.Time `json:"requested_at"`
		DueAt       time.Time `json:"due_at"`
		Missing     []string  `json:"missing"`
	} `json:"supplement"`
	ResultDocument *struct {
		Name     string    `json:"name"`
		SHA256   string    `json:"sha256"`
		IssuedAt time.Time `json:"issued_at"`
		Status   string    `json:"status"`
	} `json:"result_document"`
	ApologyRequired bool `json:"apology_required"`
}

// State is the dossier's urgency as the inbox shows it, by colour and by
// word: overdue, warning (the step's warning time has passed), on_track,
// or "" when no step is running (nothing is due).
func (d dossierView) State(now time.Time) string {
	if d.Overdue {
		return "overdue"
	}
	if s := d.CurrentStep; s != nil {
		if s.DueAt != nil && now.After(*s.DueAt) {
			return "overdue"
		}
		if s.WarnAt != nil && now.After(*s.WarnAt) {
			return "warning"
		}
		return "on_track"
	}
	return ""
}

// StepDue is the current step's due time (nil when no step is running).
func (d dossierView) StepDue() *time.Time {
	if d.CurrentStep == nil {
		return nil
	}
	return d.CurrentStep.DueAt
}

// Final: nothing more can happen to the dossier.
func (d dossierView) Final() bool { return dossier.Status(d.Status).Final() }

type listView struct {
	Items      []dossierView `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

type eventView struct {
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

type procedureView struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	NameVI       string `json:"name_vi"`
	IntakeAgency string `json:"intake_agency"`
	Sector       *struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"sector"`
	Steps []catalog.Step `json:"steps"`
	// ReturnMethods are the ways the procedure may return its result.
	ReturnMethods []string `json:"return_methods"`
	// CashOnDelivery: the postman may collect the fee on delivery.
	CashOnDelivery bool `json:"cash_on_delivery"`
	Fee            struct {
		Kind   string `json:"kind"`
		Amount int64  `json:"amount"`
	} `json:"fee"`
}

// Departments are the agencies with a step in the procedure.
func (p procedureView) Departments() []string { return catalog.Procedure{Steps: p.Steps}.Departments() }

// ApprovalDepartment owns the procedure's approval step.
func (p procedureView) ApprovalDepartment() string {
	return catalog.Procedure{Steps: p.Steps}.ApprovalDepartment()
}

type figuresView struct {
	Received struct {
		CarriedOver int64 `json:"carried_over"`
		New         int64 `json:"new"`
		Online      int64 `json:"online"`
		Counter     int64 `json:"counter"`
		Postal      int64 `json:"postal"`
	} `json:"received"`
	Resolved struct {
		Total     int64 `json:"total"`
		Early     int64 `json:"early"`
		OnTime    int64 `json:"on_time"`
		Late      int64 `json:"late"`
		Result    int64 `json:"result"`
		Refused   int64 `json:"refused"`
		Withdrawn int64 `json:"withdrawn"`
		Stopped   int64 `json:"stopped"`
	} `json:"resolved"`
	Pending struct {
		Total   int64 `json:"total"`
		NotDue  int64 `json:"not_due"`
		Overdue int64 `json:"overdue"`
	} `json:"pending"`
	OnTimeRate *float64 `json:"on_time_rate"`
	// AwaitingIntake is in the ungrouped summary only.
	AwaitingIntake *struct {
		Total   int64 `json:"total"`
		Overdue int64 `json:"overdue"`
	} `json:"awaiting_intake"`
}

// groupedView is a summary with group_by: one row per key.
type groupedView struct {
	GroupBy string `json:"group_by"`
	Items   []struct {
		Key string `json:"key"`
		figuresView
	} `json:"items"`
}

type monthlyView struct {
	Year  int `json:"year"`
	Items []struct {
		Month string `json:"month"`
		figuresView
	} `json:"items"`
}

type publicView struct {
	Code          string     `json:"code"`
	ProcedureCode string     `json:"procedure_code"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	AppointmentAt *time.Time `json:"appointment_at"`
	Fee           struct {
		Amount int64   `json:"amount"`
		Status string  `json:"status"`
		PayURL *string `json:"pay_url"`
	} `json:"fee"`
	Shipment     *shipmentView `json:"shipment"`
	ReturnMethod string        `json:"return_method"`
	// ResultDocument is set once approved with a result; DownloadPath
	// once its file is stored.
	ResultDocument *struct {
		Name         string  `json:"name"`
		DownloadPath *string `json:"download_path"`
	} `json:"result_document"`
}
