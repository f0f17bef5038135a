package dossier

import "time"

// Event is one row of the processing control sheet (phiếu kiểm soát quá
// trình giải quyết hồ sơ, form 06): who did what, when, and from which stage
// and status to which. Seq numbers a dossier's events from 1 without gaps.
type Event struct {
	Seq        int       `json:"seq"`
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	FromStage  Stage     `json:"from_stage"`
	ToStage    Stage     `json:"to_stage"`
	FromStatus Status    `json:"from_status"`
	ToStatus   Status    `json:"to_status"`
	Step       string    `json:"step,omitempty"`
	Department string    `json:"department,omitempty"`
	Note       string    `json:"note,omitempty"`
	OnTime     string    `json:"on_time,omitempty"` // early | on_time | late, for step completions
}

// Actions recorded on the control sheet.
const (
	ActionSubmitted          = "submitted"
	ActionIntakeAccept       = "intake.accept"
	ActionIntakeRefuse       = "intake.refuse"
	ActionReviewApprove      = "review.approve"
	ActionReviewRefuse       = "review.refuse"
	ActionApprovalApprove    = "approval.approve"
	ActionApprovalReject     = "approval.reject"
	ActionPaymentRequested   = "payment.requested"
	ActionPaymentSucceeded   = "payment.succeeded"
	ActionPaymentFailed      = "payment.failed"
	ActionShipmentRequested  = "shipment.requested"
	ActionShipmentPickedUp   = "shipment.picked_up"
	ActionShipmentDelivered  = "shipment.delivered"
	ActionShipmentFailed     = "shipment.failed"
	ActionHandover           = "handover"
	ActionIssuedElectronic   = "result.issued_electronically"
	ActionStepOverdue        = "deadline.step_overdue"
	ActionAppointmentOverdue = "deadline.appointment_overdue"

	ActionIntakeSupplement  = "intake.request_supplement"
	ActionReviewSupplement  = "review.request_supplement"
	ActionSupplementIn      = "supplement.received"
	ActionSupplementExpired = "supplement.expired"
	ActionStepWarning       = "deadline.step_warning"
	ActionApologyRequired   = "deadline.apology_required"
	ActionApologyIssued     = "apology.issued"
	ActionStepExtended      = "step.extended"

	ActionReviewReturn   = "review.return"
	ActionApprovalReturn = "approval.return"
	ActionWithdrawn      = "withdrawn"
	ActionStopped        = "stopped"
	ActionPaymentCounter = "payment.counter"
	// ActionPaymentOnDelivery: the postman collected the fee on delivering
	// the result (cash on delivery), recorded before shipment.delivered.
	ActionPaymentOnDelivery = "payment.on_delivery"
	ActionShipmentDelayed   = "shipment.delayed"
	ActionCounterPickup     = "return.counter_pickup"
	ActionStepAssigned      = "step.assigned"
	ActionPaymentReminder   = "payment.reminder"
	ActionPaymentExpired    = "payment.expired"

	// ActionReturnMethodChanged: the applicant or the intake officer chose
	// another return method before the result was ready.
	ActionReturnMethodChanged = "return.method_changed"

	// Refunds of a paid fee, after the dossier ended without its result.
	ActionRefundRequested = "refund.requested"
	ActionRefundSucceeded = "refund.succeeded"
	ActionRefundFailed    = "refund.failed"

	// ActionPostalSuspended: the postal service is suspended in the area
	// the result goes to; the applicant is offered the other methods.
	ActionPostalSuspended = "return.postal_suspended"

	// Fee exemptions and reductions for one dossier (miễn, giảm phí).
	ActionFeeExempted = "fee.exempted"
	ActionFeeReduced  = "fee.reduced"

	// ActionShipmentNotPickedUp: the postal service accepted the shipment
	// but has not picked it up in time; the intake desk is warned.
	ActionShipmentNotPickedUp = "shipment.not_picked_up"
)

// Timeliness classes for reports and step completions.
const (
	Early  = "early"   // trước hạn
	OnTime = "on_time" // đúng hạn
	Late   = "late"    // quá hạn
)

// Timeliness compares a finishing instant with a due instant the way the
// official reports do: by the local calendar day. Finished before the due
// day is early, on the due day on time, after it late.
func Timeliness(done, due time.Time) string {
	dy, dm, dd := done.In(Location).Date()
	uy, um, ud := due.In(Location).Date()
	doneDay := time.Date(dy, dm, dd, 0, 0, 0, 0, Location)
	dueDay := time.Date(uy, um, ud, 0, 0, 0, 0, Location)
	switch {
	case doneDay.Before(dueDay):
		return Early
	case doneDay.Equal(dueDay):
		return OnTime
	}
	return Late
}

// Fee is the fee part of a dossier's progress.
type Fee struct {
	Amount     int64     `json:"amount"`
	Status     FeeStatus `json:"status"`
	PaymentRef string    `json:"payment_ref,omitempty"`
	PayURL     string    `json:"pay_url,omitempty"`
	// OnDelivery: the applicant chose to pay the postman on delivery of
	// the result, where the procedure allows it (cash_on_delivery).
	OnDelivery bool `json:"on_delivery,omitempty"`
	// Method is how the fee was paid (FeeMethodOnline, FeeMethodCounter,
	// FeeMethodCOD) and PaidAt when; empty for fees paid before they were
	// recorded.
	Method string     `json:"method,omitempty"`
	PaidAt *time.Time `json:"paid_at,omitempty"`
}

// Shipment is a result sent by post.
type Shipment struct {
	Waybill string         `json:"waybill"`
	Status  ShipmentStatus `json:"status"`
}

// CurrentStep is the step a dossier waits in: which departments work on it,
// which of them have not decided yet, and when it is due.
type CurrentStep struct {
	Name        string    `json:"name"`
	Departments []string  `json:"departments"`
	Pending     []string  `json:"pending_departments"`
	DueAt       time.Time `json:"due_at"`
	// WarnAt is when the step's departments are warned that its time is
	// running out (a configurable fraction of the step's share).
	WarnAt *time.Time `json:"warn_at,omitempty"`
	// Escalated is set when the step passed its due time and its
	// departments' leaders were notified.
	Escalated bool `json:"escalated,omitempty"`
	// Extended is set once a leader extended the step (once per step).
	Extended bool `json:"extended,omitempty"`
	// Branches are the step's departments, each with its own share of the
	// time: its own due time, escalation and assignee (một cửa liên thông).
	Branches []Branch `json:"branches,omitempty"`
}

// Branch is one department's part of the current step.
type Branch struct {
	Department string    `json:"department"`
	DueAt      time.Time `json:"due_at"`
	Escalated  bool      `json:"escalated,omitempty"`
	Decided    bool      `json:"decided,omitempty"`
	Assignee   string    `json:"assignee,omitempty"`
}

// ResultDocument is the record of the signed result: what an electronic
// return delivers.
type ResultDocument struct {
	Name     string    `json:"name"`
	SHA256   string    `json:"sha256"`
	IssuedAt time.Time `json:"issued_at"`
}

// Supplement is an outstanding request for missing documents (form 02).
// While it is outstanding the legal clock is paused.
type Supplement struct {
	RequestedAt time.Time `json:"requested_at"`
	DueAt       time.Time `json:"due_at"`
	Missing     []string  `json:"missing"`
}

// Document is a submitted document, by name and content hash.
type Document struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Recipients of notifications.
const (
	ToApplicant  = "applicant"  // the citizen or business (SMS, e-mail, Zalo)
	ToDepartment = "department" // the staff of an agency (e-mail, webhook)
	ToLeader     = "leader"     // the leaders of an agency
)

// Notification is a message the workflow asks to send. It is written to an
// outbox with the transition that caused it, so it is sent once however
// often the write is retried.
type Notification struct {
	To       string `json:"to"`               // applicant | department | leader
	Agency   string `json:"agency,omitempty"` // for staff: which agency
	Template string `json:"template"`         // e.g. supplement_requested, step_warning
	Message  string `json:"message"`
}

// Progress is the part of a dossier that its workflow owns: everything that
// changes after submission. The workflow sends a copy with every control
// sheet event; the store applies it to the read model only if Version is
// newer than what the read model holds.
type Progress struct {
	Version       int          `json:"version"`
	Status        Status       `json:"status"`
	Stage         Stage        `json:"stage"`
	ReceivedAt    *time.Time   `json:"received_at,omitempty"`
	AppointmentAt *time.Time   `json:"appointment_at,omitempty"`
	FinishedAt    *time.Time   `json:"finished_at,omitempty"`
	ReturnedAt    *time.Time   `json:"returned_at,omitempty"`
	Overdue       bool         `json:"overdue"`
	Fee           Fee          `json:"fee"`
	Shipment      *Shipment    `json:"shipment,omitempty"`
	CurrentStep   *CurrentStep `json:"current_step,omitempty"`

	// OriginalAppointmentAt is the first appointment given; an apology
	// letter (form 04) moves AppointmentAt but never this.
	OriginalAppointmentAt *time.Time  `json:"original_appointment_at,omitempty"`
	AppointmentResets     int         `json:"appointment_resets,omitempty"`
	ApologyRequired       bool        `json:"apology_required,omitempty"`
	Supplement            *Supplement `json:"supplement,omitempty"`
	// DueAt is the appointment the rule for late compares with
	// (OverdueFrom): the original appointment moved later by supplement
	// pauses, or the latest one when the rules version says so. Workflows
	// before VersionReportRule leave it nil; readers then use
	// OriginalAppointmentAt (see ReportDue).
	DueAt *time.Time `json:"due_at,omitempty"`
	// Verdict is early, on_time or late, decided when the result is ready.
	Verdict string `json:"verdict,omitempty"`
	// ReturnMethod is how the result will reach the applicant: it can turn
	// from postal to counter when the postal service fails.
	ReturnMethod ReturnMethod `json:"return_method,omitempty"`
	// ResultDocument is set when the leader approves with one.
	ResultDocument *ResultDocument `json:"result_document,omitempty"`
	// Refund is the paying back of a fee paid for a dossier that ended
	// without its result (withdrawn, stopped, declined).
	Refund *Refund `json:"refund,omitempty"`
}

// Refund is a paid fee being paid back.
type Refund struct {
	Amount    int64  `json:"amount"`
	Status    string `json:"status"` // pending | succeeded | failed | at_counter
	RefundRef string `json:"refund_ref,omitempty"`
}

// Clone returns a deep copy, so a snapshot handed to an activity never
// changes under it when the workflow moves on.
func (p Progress) Clone() Progress {
	c := p
	c.ReceivedAt = cloneTime(p.ReceivedAt)
	c.AppointmentAt = cloneTime(p.AppointmentAt)
	c.FinishedAt = cloneTime(p.FinishedAt)
	c.ReturnedAt = cloneTime(p.ReturnedAt)
	c.Fee.PaidAt = cloneTime(p.Fee.PaidAt)
	if p.Shipment != nil {
		s := *p.Shipment
		c.Shipment = &s
	}
	if p.CurrentStep != nil {
		s := *p.CurrentStep
		s.Departments = append([]string(nil), p.CurrentStep.Departments...)
		s.Pending = append([]string(nil), p.CurrentStep.Pending...)
		s.WarnAt = cloneTime(p.CurrentStep.WarnAt)
		s.Branches = append([]Branch(nil), p.CurrentStep.Branches...)
		c.CurrentStep = &s
	}
	c.OriginalAppointmentAt = cloneTime(p.OriginalAppointmentAt)
	c.DueAt = cloneTime(p.DueAt)
	if p.ResultDocument != nil {
		d := *p.ResultDocument
		c.ResultDocument = &d
	}
	if p.Refund != nil {
		r := *p.Refund
		c.Refund = &r
	}
	if p.Supplement != nil {
		s := *p.Supplement
		s.Missing = append([]string(nil), p.Supplement.Missing...)
		c.Supplement = &s
	}
	return c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

// Transition is what a workflow records at each step: one control-sheet
// event and the progress after it, written together.
type Transition struct {
	Code     string   `json:"code"`
	Event    Event    `json:"event"`
	Progress Progress `json:"progress"`
	// Documents are added to the dossier's documents (a supplement).
	Documents []Document `json:"documents,omitempty"`
	// Notifications go to the outbox in the same transaction.
	Notifications []Notification `json:"notifications,omitempty"`
}
