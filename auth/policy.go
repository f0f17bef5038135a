package auth

import (
	"fmt"
	"slices"

	"github.com/motcua/motcua/dossier"
)

// Action is something a principal asks to do. The README's authorization
// table lists the same actions, role by role; TestPolicyTable and the API's
// cell-by-cell test keep the three in step.
type Action string

// The actions.
const (
	Submit         Action = "submit"          // POST /v1/dossiers
	Intake         Action = "intake"          // intake decision
	Review         Action = "review"          // a department's review decision
	Approval       Action = "approval"        // the leader's approval
	Handover       Action = "handover"        // result handed over at the counter
	CounterPayment Action = "counter_payment" // fee taken at the counter
	Supplement     Action = "supplement"      // the applicant's supplement
	Withdrawal     Action = "withdrawal"      // the applicant withdraws
	ReturnMethod   Action = "return_method"   // change how the result is returned
	SuspendPostal  Action = "suspend_postal"  // suspend postal service for an area
	FeeExemption   Action = "fee_exemption"   // exempt or reduce one dossier's fee
	Apology        Action = "apology"         // apology letter with a new appointment
	Extension      Action = "extension"       // extend the current step
	Stop           Action = "stop"            // stop processing (form 05)
	Assignment     Action = "assignment"      // give the current step to someone else
	ReadDossier    Action = "read_dossier"    // one dossier, its events and result
	ListDossiers   Action = "list_dossiers"   // the list / inbox
	ReadReports    Action = "read_reports"    // reports
	ReadCatalog    Action = "read_catalog"    // procedures, calendar, appointment calculator
	WriteCatalog   Action = "write_catalog"   // publish procedures
	WriteCalendar  Action = "write_calendar"  // replace a year of the calendar
	DecodePayloads Action = "decode_payloads" // the Temporal UI's codec endpoint
	// ReadNotifications lists notifications by delivery state (the dead
	// letters): GET /v1/notifications.
	ReadNotifications Action = "read_notifications"
	// ReadPortalSync lists the status sync to the national portal by
	// state (dead letters, lagging items): GET /v1/portal-sync.
	ReadPortalSync Action = "read_portal_sync"
)

// Actions lists every action, in the README table's order.
var Actions = []Action{Submit, Intake, Review, Approval, Handover, CounterPayment, FeeExemption, Supplement, Withdrawal,
	ReturnMethod, Apology, Extension, Stop, Assignment, ReadDossier, ListDossiers, ReadReports, ReadCatalog,
	WriteCatalog, WriteCalendar, SuspendPostal, DecodePayloads, ReadNotifications, ReadPortalSync}

// Facts are what the policy needs to know about the dossier acted on (the
// zero value for actions on no dossier).
type Facts struct {
	// ReceivingAgency is the agency that took the dossier in (the
	// procedure's intake agency).
	ReceivingAgency string
	// SubmittedBy is the subject of the portal that submitted the dossier
	// ("" when staff entered it at the counter).
	SubmittedBy string
	// StepDepartments are the departments that own the current step.
	StepDepartments []string
	// ApprovalDepartment owns the procedure's approval step.
	ApprovalDepartment string
	// Departments are all agencies with a step in the procedure.
	Departments []string
}

// Authorize decides whether p may do a with the dossier described by f.
// nil: allowed; otherwise an EForbidden error whose message says why.
// This is the one place the rules live; handlers call it and nothing else.
func Authorize(p Principal, a Action, f Facts) error {
	deny := func(format string, args ...any) error {
		return &dossier.Error{Code: dossier.EForbidden, Message: fmt.Sprintf(format, args...)}
	}
	role := func(allowed ...Role) bool { return slices.Contains(allowed, p.Role) }
	ofReceiving := p.Agency != "" && p.Agency == f.ReceivingAgency
	submitter := p.Role == RolePortal && f.SubmittedBy != "" && p.Subject == f.SubmittedBy
	ownsStep := p.Agency != "" && slices.Contains(f.StepDepartments, p.Agency)

	switch a {
	case Submit:
		switch {
		case p.Role == RolePortal && (p.Agency == "" || p.Agency == f.ReceivingAgency):
			return nil
		case p.Role == RolePortal:
			return deny("this portal submits to agency %s only; the procedure is received by %s", p.Agency, f.ReceivingAgency)
		case p.Role == RoleIntakeOfficer && ofReceiving:
			return nil
		case p.Role == RoleIntakeOfficer:
			return deny("the procedure is received by %s, not by your agency %s", f.ReceivingAgency, p.Agency)
		}
		return deny("only portals and intake officers of the receiving agency submit dossiers")

	case Intake, Handover, CounterPayment, FeeExemption:
		if !role(RoleIntakeOfficer) {
			return deny("only intake officers of the receiving agency may do %s", a)
		}
		if !ofReceiving {
			return deny("this dossier was received by %s, not by your agency %s", f.ReceivingAgency, p.Agency)
		}
		return nil

	case Review:
		if !role(RoleReviewer) {
			return deny("only reviewers of the department that owns the current step decide it")
		}
		if !ownsStep {
			return deny("the current step is owned by %s, not by your agency %s", owners(f.StepDepartments), p.Agency)
		}
		return nil

	case Assignment:
		if !role(RoleReviewer, RoleLeader) {
			return deny("only reviewers and leaders of the department that owns the current step assign it")
		}
		if !ownsStep {
			return deny("the current step is owned by %s, not by your agency %s", owners(f.StepDepartments), p.Agency)
		}
		return nil

	case Approval, Apology, Extension, Stop:
		if !role(RoleLeader) {
			return deny("only leaders of the department that owns the approval step may do %s", a)
		}
		if p.Agency != f.ApprovalDepartment {
			return deny("the approval step is owned by %s, not by your agency %s", f.ApprovalDepartment, p.Agency)
		}
		return nil

	case Supplement, Withdrawal, ReturnMethod:
		switch {
		case submitter:
			return nil
		case p.Role == RolePortal:
			return deny("a portal acts only on dossiers it submitted")
		case p.Role == RoleIntakeOfficer && ofReceiving:
			return nil // the applicant came to the counter
		case p.Role == RoleIntakeOfficer:
			return deny("this dossier was received by %s, not by your agency %s", f.ReceivingAgency, p.Agency)
		}
		return deny("only the portal that submitted the dossier, or an intake officer of the receiving agency for an applicant at the counter, may do %s", a)

	case ReadDossier:
		switch {
		case role(RoleOps, RoleAdmin), submitter:
			return nil
		case p.Role == RolePortal:
			return deny("a portal reads only dossiers it submitted")
		case ofReceiving || slices.Contains(f.Departments, p.Agency):
			return nil
		}
		return deny("your agency %s has no step in this dossier", p.Agency)

	case ListDossiers:
		// Staff see their own agency's dossiers and portals their own: the
		// handler narrows the query (Scope).
		return nil

	case ReadReports:
		if role(RoleOps, RoleAdmin, RoleLeader) {
			return nil
		}
		return deny("reports are for leaders, ops and admins")

	case ReadCatalog:
		return nil

	case WriteCatalog, WriteCalendar:
		if role(RoleAdmin) {
			return nil
		}
		return deny("only admins change the catalog and the calendar")

	case SuspendPostal:
		if role(RoleOps, RoleAdmin) {
			return nil
		}
		return deny("only ops and admins suspend postal service for an area")

	case DecodePayloads:
		if role(RoleOps) {
			return nil
		}
		return deny("only ops may decode workflow payloads")

	case ReadNotifications:
		if role(RoleOps, RoleAdmin) {
			return nil
		}
		return deny("the notification delivery lists are for ops and admins")

	case ReadPortalSync:
		if role(RoleOps, RoleAdmin) {
			return nil
		}
		return deny("the national portal sync lists are for ops and admins")
	}
	return deny("unknown action %q", a)
}

func owners(deps []string) string {
	if len(deps) == 0 {
		return "no department (the dossier is not waiting in a department's step)"
	}
	if len(deps) == 1 {
		return deps[0]
	}
	return fmt.Sprint(deps)
}

// Scope narrows what a principal's list and report queries may see:
// AllAgencies for ops, admins and portals without an agency (portals are
// narrowed by SubmittedBy instead), otherwise one agency.
type Scope struct {
	AllAgencies bool
	Agency      string
	// SubmittedBy, when set, limits a list to the dossiers that subject
	// submitted (portals).
	SubmittedBy string
}

// ScopeOf returns p's scope for lists and reports.
func ScopeOf(p Principal) Scope {
	switch p.Role {
	case RoleOps, RoleAdmin:
		return Scope{AllAgencies: true}
	case RolePortal:
		return Scope{AllAgencies: true, SubmittedBy: p.Subject}
	}
	return Scope{Agency: p.Agency}
}
