// Package workflows is the dossier lifecycle as a durable Temporal workflow:
// intake → review (department steps) → approval → payment → return → done,
// with a timer on the earliest pending legal deadline.
//
// Everything here is deterministic: no I/O, no wall clock, no goroutines,
// no map iteration. What touches the world is in package activities.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rules"
)

// TaskQueue is the task queue dossier workflows and activities run on.
const TaskQueue = "dossiers"

// WorkflowName is the registered name of the dossier workflow type.
const WorkflowName = "Dossier"

// Update and query names. Human decisions and third-party callbacks reach a
// running dossier as updates; each has a validator that rejects what does not
// fit the dossier's current stage before anything is written to history.
const (
	UpdateIntake   = "intake"
	UpdateReview   = "review"
	UpdateApproval = "approval"
	UpdatePayment  = "payment"
	UpdatePostal   = "postal"
	UpdateHandover = "handover"
	// Legal-time updates.
	UpdateSupplement = "supplement"
	UpdateApology    = "apology"
	UpdateExtension  = "extension"
	// Lifecycle updates.
	UpdateWithdrawal     = "withdrawal"
	UpdateStop           = "stop"
	UpdateCounterPayment = "counter_payment"
	UpdateAssignment     = "assignment"
	// UpdateReturnMethod changes how the result reaches the applicant.
	UpdateReturnMethod = "return_method"
	// UpdateRefund is the gateway's word on a refund.
	UpdateRefund = "refund"
	// UpdatePostalSuspension tells a dossier returning by post that the
	// postal service is suspended in its area.
	UpdatePostalSuspension = "postal_suspension"
	// UpdateFeeExemption exempts a dossier from its fee or reduces it.
	UpdateFeeExemption = "fee_exemption"
	// UpdatePickupOverdue: the postal service has not picked up a shipment
	// it accepted within the rules' time (sent by the pickup watch).
	UpdatePickupOverdue = "pickup_overdue"
	QueryState          = "state"
)

// VersionLifecycle is the workflow.GetVersion change that added
// withdrawal, stop, returns for rework, counter payment and the fallback
// from postal to counter return.
const VersionLifecycle = "lifecycle"

// VersionLifecycleLean is version 2 of VersionLifecycle: fewer history
// events per dossier (a local first attempt for the payment and shipment
// requests; no TimerCanceled when the dossier ends). It is a new version of
// an existing change ID rather than a change ID of its own because every
// new change ID costs each new dossier two events (a marker and an upsert
// of TemporalChangeVersion); dossiers started at version 1 replay as before.
const VersionLifecycleLean workflow.Version = 2

// VersionLifecycleOneUpsert is version 3 of VersionLifecycle: the search
// attributes a workflow task changed are upserted once, when the task's
// work is done, instead of once per transition (an approval and the
// payment request it leads to were two upserts, so two visibility writes;
// docs/PERFORMANCE.md). What visibility shows after each workflow task is
// the same.
const VersionLifecycleOneUpsert workflow.Version = 3

// VersionLegalTime is the workflow.GetVersion change that added warnings,
// escalations, apology letters, paused clocks and extensions. Histories
// recorded before it replay without them.
const VersionLegalTime = "legal-time"

// VersionReportRule is the workflow.GetVersion change that made the
// workflow agree with the reports (issue 16): a withdrawal or a stop sets
// the finishing time; a supplement pause moves the original appointment
// too; the dossier becomes overdue by the one rule for late
// (dossier.OverdueFrom: from the day after the appointment the rules judge
// against, not at the latest appointment's instant); every transition
// carries that appointment (Progress.DueAt). Histories recorded before it
// replay without it.
const VersionReportRule = "report-rule"

// VersionRefund is the workflow.GetVersion change that pays a paid fee back
// through the gateway when a dossier ends without its result (withdrawn,
// stopped, declined), and keeps the workflow open until the refund settles.
// It is asked only when such a dossier ends with a fee paid online, so no
// other dossier's history carries it.
const VersionRefund = "refund"

// VersionFeeTiming is the workflow.GetVersion change that collects a fee
// at filing (before intake decides) or as a financial obligation (asked for
// when the review assesses it, the legal clock paused until it is paid),
// as the procedure's fee_timing says. It is asked only on those paths, which
// no procedure without a fee_timing takes.
const VersionFeeTiming = "fee-timing"

// VersionRefusalNotice is the workflow.GetVersion change that sends the
// refusal notice of a dossier declined after receipt by post, when its
// result was to go back by post (the return channel). Asked only then.
const VersionRefusalNotice = "refusal-notice"

// VersionCOD is the workflow.GetVersion change that lets the postman
// collect the fee on delivering the result (cash on delivery, Decision
// 45/2016/QĐ-TTg): a dossier whose applicant chose it goes from approval
// straight to the postal return, its shipment request carries the amount,
// and the delivery callback records the payment. Asked only when such a
// dossier's result is approved, so no other history carries it.
const VersionCOD = "cod"

// VersionApplicantNotices is the workflow.GetVersion change that tells the
// applicant of the milestones they were not told of (issue 19): please pay
// (amount, link, expiry), result ready (where and how), shipped (waybill),
// delivered, and withdrawn. Histories recorded before it replay without
// those notices.
const VersionApplicantNotices = "applicant-notices"

// VersionPerfEvents is the workflow.GetVersion change that makes a
// dossier's history shorter (issue 21, docs/PERFORMANCE.md). Version 1:
//   - it is the only change ID a new dossier asks at its start: at version 1
//     the dossier runs with VersionLegalTime, VersionLifecycle (at
//     VersionLifecycleOneUpsert), VersionReportRule and
//     VersionApplicantNotices on without asking them, so their four markers
//     and four TemporalChangeVersion upserts become one of each (-6 events;
//     TemporalChangeVersion reads ["perf-events-1"], which implies them);
//   - the intake step of an online or postal submission comes with the
//     input (DossierInput.IntakeStep, computed by the API) instead of a
//     local activity (-1);
//   - the deadline timer is first armed once the first workflow task's
//     decisions are recorded, so an intake decided in that task does not
//     start the intake deadline's timer only to cancel it (-2).
//
// Dossiers started before it ask the four change IDs as they did and replay
// unchanged.
const VersionPerfEvents = "perf-events"

// Error types of rejected updates, as temporal.ApplicationError types. The
// API maps them to HTTP statuses.
const (
	ErrStageConflict   = "StageConflict"   // does not fit the stage: 409
	ErrInvalidDecision = "InvalidDecision" // malformed decision: 400
	ErrAmountMismatch  = "AmountMismatch"  // paid amount differs from the fee: 422
	ErrDuplicate       = "Duplicate"       // a callback already applied: harmless
	ErrNotAllowed      = "NotAllowed"      // the procedure does not allow it: 422
)

// Search attributes the workflow upserts on every transition, so ops can
// filter dossiers in the Temporal UI. They must be registered on the
// namespace before a workflow upserts them (deploy/temporal/search-attributes).
var (
	SearchStatus        = temporal.NewSearchAttributeKeyKeyword("DossierStatus")
	SearchStage         = temporal.NewSearchAttributeKeyKeyword("DossierStage")
	SearchProcedureCode = temporal.NewSearchAttributeKeyKeyword("ProcedureCode")
	SearchAgencyCode    = temporal.NewSearchAttributeKeyKeyword("AgencyCode")
	SearchChannel       = temporal.NewSearchAttributeKeyKeyword("Channel")
	SearchAppointmentAt = temporal.NewSearchAttributeKeyTime("AppointmentAt")
	SearchOverdue       = temporal.NewSearchAttributeKeyBool("Overdue")
)

// SearchAttributeTypes lists every search attribute with its Temporal type
// name, as deploy/temporal/search-attributes must register them.
func SearchAttributeTypes() map[string]string {
	return map[string]string{
		SearchStatus.GetName():        "Keyword",
		SearchStage.GetName():         "Keyword",
		SearchProcedureCode.GetName(): "Keyword",
		SearchAgencyCode.GetName():    "Keyword",
		SearchChannel.GetName():       "Keyword",
		SearchAppointmentAt.GetName(): "Datetime",
		SearchOverdue.GetName():       "Bool",
	}
}

// InitialSearchAttributes are set when the workflow starts, so the first
// workflow task needs no upsert.
func InitialSearchAttributes(in DossierInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		SearchStatus.ValueSet(string(dossier.StatusSubmitted)),
		SearchStage.ValueSet(string(dossier.StageIntake)),
		SearchProcedureCode.ValueSet(in.Procedure.Code),
		SearchAgencyCode.ValueSet(in.Procedure.IntakeAgency),
		SearchChannel.ValueSet(string(in.Channel)),
		SearchOverdue.ValueSet(false),
	)
}

// DossierInput starts a dossier. It carries references and the procedure
// version in force at submission, never the applicant's personal data,
// which stays in PostgreSQL.
type DossierInput struct {
	Code         string
	Procedure    catalog.Procedure
	Channel      dossier.Channel
	ReturnMethod dossier.ReturnMethod
	// FeeAmount is the fee known at submission (0 for free and assessed fees).
	FeeAmount   int64
	SubmittedAt time.Time
	// Rules are the processing rules in force at submission.
	Rules rules.Rules
	// ClockOffset is business time minus the server's time (internal/clock):
	// zero in production; in development and tests the API that starts the
	// workflow hands over its own offset, so both agree on "now". Histories
	// recorded without it read zero, which is what they ran with.
	ClockOffset time.Duration `json:",omitempty"`
	// IntakeStep is the intake step of an online or postal submission (its
	// decision deadline and warning), computed by the API at submission and
	// written with the submitted row (VersionPerfEvents): the workflow
	// starts with it instead of computing it in a local activity. Nil for
	// a counter submission, for histories recorded before it, and when the
	// API could not compute it (the workflow then computes it as before).
	IntakeStep *dossier.CurrentStep `json:",omitempty"`
	// PayOnDelivery: the applicant chose, at submission, to pay the fee to
	// the postman on delivery of the result (Procedure.CashOnDelivery).
	PayOnDelivery bool `json:",omitempty"`
	// Features is the level of workflow behaviour the dossier starts with
	// (FeaturesPerfEvents, …, up to FeaturesMax), chosen by the API that
	// starts it (MOTCUA_WORKFLOW_FEATURES). The input never changes, so a
	// level decided here is replayed without a GetVersion marker and its
	// TemporalChangeVersion upsert (2 history events and a visibility
	// write per change). 0 for histories recorded before it: they decide
	// by GetVersion as they did.
	Features int `json:",omitempty"`
}

// Workflow feature levels (DossierInput.Features). A level is for changes
// a dossier takes from its start: a change that must reach dossiers
// already running still needs workflow.GetVersion.
const (
	// FeaturesPerfEvents: the VersionPerfEvents behaviour without asking
	// VersionPerfEvents (-2 events: its marker and its upsert).
	FeaturesPerfEvents = 1
	// FeaturesMax is the highest level this build knows. A worker given a
	// higher one (a newer API ahead of its workers) fails the workflow
	// task, which Temporal retries until a worker that knows it takes it,
	// rather than run the dossier on a path its history will not match.
	FeaturesMax = FeaturesPerfEvents
)

// DossierResult is how a dossier ended.
type DossierResult struct {
	Status     dossier.Status
	FinishedAt *time.Time
	ReturnedAt *time.Time
}

// State is the dossier as its workflow sees it; the state query returns it.
type State struct {
	Code string
	dossier.Progress
	// StepIndex is the current step's index in Procedure.Steps.
	StepIndex int
	// StepDueAt is the due time of every procedure step, fixed at intake so
	// a replay or a later change of the holiday table never moves it.
	StepDueAt []time.Time
	// StepOverdue is set once the current step's due time has passed.
	StepOverdue bool
	// Transactions are the payment transactions already handled.
	Transactions []string

	// StepWarnAt is when each step's warning is due; StepWarned is set once
	// the current step's warning went out.
	StepWarnAt []time.Time
	StepWarned bool
	// ApologyBy is when an unfinished dossier needs an apology letter.
	ApologyBy time.Time
	// PausedAt is when the legal clock stopped (supplement, payment); nil
	// while it runs.
	PausedAt *time.Time
	// ResumeStatus is the status to return to when a supplement arrives.
	ResumeStatus dossier.Status

	// ShipmentSince is when the first shipment request began; the postal
	// outage notice and the counter fallback count from it.
	ShipmentSince  time.Time
	OutageNotified bool

	// StepBranchDueAt is each step's departments' due times (parallel
	// steps give each department its own share).
	StepBranchDueAt [][]time.Time
	// The payment request's expiry, and what was done about it.
	PaymentExpiresAt time.Time
	PaymentReminded  bool
	PaymentExpired   bool

	// SupplementRequests are the written supplement requests sent so far;
	// the rules allow each agency a limited number (one).
	SupplementRequests []SupplementRequest
	// SupplementRequestBy is the last instant a supplement may be requested
	// after receipt (zero: no limit, as for dossiers received before it).
	SupplementRequestBy time.Time

	// PickupWarned is set once the intake desk was warned that the postal
	// service has not picked the result up.
	PickupWarned bool
	// ObligationNext is the step a dossier goes on to once its financial
	// obligation is paid (0: none outstanding).
	ObligationNext int
}

// SupplementRequest is one written supplement request (form 02): which
// agency sent it, when.
type SupplementRequest struct {
	Agency string
	At     time.Time
}

// IntakeDecision is the intake officer's decision (tiếp nhận).
type IntakeDecision struct {
	Decision string // accept | refuse | request_supplement
	Note     string
	// Missing lists what the applicant must supplement (form 02).
	Missing []string
	Actor   string
}

// ReviewDecision is a department's decision on its step.
type ReviewDecision struct {
	Decision string // approve | refuse | request_supplement
	Note     string
	// Missing lists what the applicant must supplement (form 02).
	Missing []string
	// Department decides; required only when several departments review
	// the step in parallel.
	Department string
	// AssessedFee is the fee set during review, for assessed fees.
	AssessedFee *int64
	Actor       string
}

// ApprovalDecision is the leader's decision: sign the result or reject.
type ApprovalDecision struct {
	Decision string // approve | reject | return
	Note     string
	// ResultDocument is the signed result's record (name and hash).
	ResultDocument *dossier.Document
	Actor          string
}

// PaymentNotice is the payment gateway's word on a payment.
type PaymentNotice struct {
	PaymentRef    string
	TransactionID string
	Amount        int64
	Status        string // succeeded | failed
	Reason        string
}

// PostalNotice is the postal service's word on a shipment.
type PostalNotice struct {
	Waybill string
	Event   string // picked_up | delivered | failed
	Reason  string
	At      time.Time
	// PickedUpAt, on a delivery or a failure, is when the postal service
	// reported picking the result up. The API keeps a pickup with the
	// shipment rather than sending it as an update of its own (it changes
	// neither status nor stage; one workflow task and five history events
	// fewer per postal return), and the workflow records it here, before
	// what followed it. Absent from notices sent before that change.
	PickedUpAt *time.Time `json:",omitempty"`
	// Collected is the fee the postman collected on delivery (cash on
	// delivery), in VND; 0 otherwise.
	Collected int64 `json:",omitempty"`
}

// RefundNotice is the payment gateway's word on a refund.
type RefundNotice struct {
	RefundRef string
	Amount    int64
	Status    string // succeeded | failed
	Reason    string
}

// PostalSuspension is postal service suspended in the area a dossier's
// result goes to, from one date to another (both included, local dates).
type PostalSuspension struct {
	Area   string // the area's name and code
	From   string // 2026-07-28
	To     string
	Reason string
	Actor  string
}

// FeeExemption is the intake officer's exemption (Amount 0) or reduction
// of one dossier's fee, with the reason and its legal basis, before the fee
// is asked for.
type FeeExemption struct {
	Amount     int64
	Reason     string
	LegalBasis string
	Actor      string
}

// PickupOverdue says a shipment was requested at RequestedAt and not
// picked up by Due (the rules' shipment_pickup_warning).
type PickupOverdue struct {
	Waybill     string
	RequestedAt time.Time
	Due         time.Time
	Rule        string // what the rule says, and its source
}

// Handover records the result handed over at the counter.
type Handover struct {
	ReceivedBy string
	Actor      string
}

// SupplementIn is the applicant's supplement: it resumes the legal clock.
type SupplementIn struct {
	Documents []dossier.Document
	Note      string
	Actor     string
}

// Apology is a leader's apology letter (form 04) with a new appointment.
type Apology struct {
	NewAppointmentAt time.Time
	Reason           string
	Actor            string
}

// Extension is a leader's extension of the current step, once per step.
type Extension struct {
	NewDueAt time.Time
	Reason   string
	Actor    string
}

// Withdrawal is the applicant's withdrawal, before the result is ready.
type Withdrawal struct {
	Reason string
	Actor  string
}

// Stop is a leader's notice of stopped processing (form 05).
type Stop struct {
	Reason string
	Actor  string
}

// CounterPayment is a fee paid at the counter, recorded by an officer.
type CounterPayment struct {
	ReceiptNumber string
	Amount        int64
	Actor         string
}

// ReturnMethodChange is the applicant's (through the portal) or the intake
// officer's change of how the result reaches the applicant, before it is
// ready, among the methods the procedure allows.
type ReturnMethodChange struct {
	Method dossier.ReturnMethod
	Reason string
	Actor  string
	// PayOnDelivery: with postal return, the applicant pays the fee to the
	// postman on delivery (where the procedure allows it).
	PayOnDelivery bool `json:",omitempty"`
}

// Assignment gives the current step (a department's part of it) to another
// reviewer of that department.
type Assignment struct {
	Assignee   string
	Department string
	Actor      string
}
