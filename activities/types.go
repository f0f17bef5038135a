// Package activities is everything the dossier workflow does to the world:
// PostgreSQL writes, the calendar's look-ups, the payment gateway and the
// postal service. Every activity is idempotent: Temporal may run one more
// than once, and a retry must never create a second payment request,
// shipment or control-sheet row.
package activities

import (
	"time"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// Activity names, as registered with the worker and called by workflows.
const (
	// Local activities: short PostgreSQL and calendar work done inside the
	// workflow task that needs it (one marker event each, no round trip).
	NameComputeSchedule  = "ComputeSchedule"
	NameRecordTransition = "RecordTransition"
	// NameRecordTransitions records several transitions of one workflow
	// task in one transaction (VersionPerfEvents).
	NameRecordTransitions = "RecordTransitions"
	NameDueAfter          = "DueAfter"
	NameShiftInstants     = "ShiftInstants"
	NameStartIntakeClock  = "StartIntakeClock"
	// Regular activities: calls to third parties, with their own retries.
	NameRequestPayment  = "RequestPayment"
	NameRequestShipment = "RequestShipment"
	NameRequestRefund   = "RequestRefund"
)

// ScheduleInput asks for a dossier's appointment and step due times.
type ScheduleInput struct {
	ReceivedAt time.Time
	Procedure  catalog.Procedure
	Channel    dossier.Channel
	// WarningFraction of each step's share after which its departments are
	// warned; 0 computes no warnings.
	WarningFraction float64
	// ApologyLeadTime is the working time before the appointment by which
	// an apology letter is due; 0 computes no such deadline.
	ApologyLeadTime time.Duration
	// SupplementRequestWithin is the working time from receipt within which
	// a supplement may be requested; zero computes no such limit.
	SupplementRequestWithin calendar.Duration
}

// ScheduleResult is a dossier's legal schedule: the appointment (ngày hẹn
// trả) and the due time of every procedure step, indexed like
// Procedure.Steps.
type ScheduleResult struct {
	AppointmentAt time.Time
	StepDueAt     []time.Time
	// StepWarnAt is when each step's warning is due (zero: no warning, for
	// steps with no share of the time).
	StepWarnAt []time.Time
	// ApologyBy is when the dossier must have an apology letter if it is not
	// finished (zero: none).
	ApologyBy time.Time
	// BranchDueAt is, for every step, each department's due time, in the
	// order of Step.Departments(): in a parallel step each has its own share.
	BranchDueAt [][]time.Time
	// OverdueAtInstant: the calendar has no days (simulated business time),
	// so a dossier is overdue at its appointment's instant rather than
	// from the next local day (dossier.OverdueFrom).
	OverdueAtInstant bool `json:",omitempty"`
	// SupplementRequestBy is the last instant a supplement may be requested
	// (zero: no limit; schedules computed before the rule have none).
	SupplementRequestBy time.Time
}

// IntakeClockInput starts the intake deadline of an online or postal
// submission: decided within Duration of From, warned at WarningFraction.
type IntakeClockInput struct {
	Code            string
	From            time.Time
	Duration        calendar.Duration
	WarningFraction float64
	// Agency receives the dossier: its office hours count, its intake
	// officers decide.
	Agency string
}

// IntakeClockResult is the intake step's due and warning times (WarnAt
// zero: none).
type IntakeClockResult struct {
	DueAt, WarnAt time.Time
}

// DueAfterInput asks when a duration counted from an instant ends.
type DueAfterInput struct {
	From     time.Time
	Duration calendar.Duration
	// Agency whose office hours count ("" for the default hours).
	Agency string
}

// ShiftInput asks to move instants later by the working time between
// PausedAt and ResumedAt: the legal clock was stopped meanwhile.
type ShiftInput struct {
	PausedAt  time.Time
	ResumedAt time.Time
	Instants  []time.Time
	// Agency whose office hours count ("" for the default hours).
	Agency string
}

// ShiftResult is the paused working time and the moved instants (a zero
// instant stays zero).
type ShiftResult struct {
	Paused  time.Duration
	Shifted []time.Time
}

// PaymentInput asks the gateway for a payment request.
type PaymentInput struct {
	Code        string
	Amount      int64
	Description string
	// ExpiresAt closes the payment request (zero: the gateway's default).
	ExpiresAt time.Time
}

// PaymentResult is the gateway's payment request.
type PaymentResult struct {
	PaymentRef string
	PayURL     string
}

// RefundInput asks the gateway to pay a paid fee back.
type RefundInput struct {
	Code       string
	PaymentRef string
	Amount     int64
	Reason     string
}

// RefundResult is the gateway's refund, pending until its callback.
type RefundResult struct {
	RefundRef string
}

// ShipmentInput asks the postal service to pick up a result.
type ShipmentInput struct {
	Code string
	// Contents says what is sent; empty: the dossier's result.
	Contents string `json:",omitempty"`
	// CollectAmount is the fee the postman collects from the applicant on
	// delivery (cash on delivery), in VND; 0: nothing to collect.
	CollectAmount int64 `json:",omitempty"`
}

// ShipmentResult is the postal service's waybill.
type ShipmentResult struct {
	Waybill string
}
