package dossier

import "time"

// The rule for late, written once (README, "Reports (form II.06a)").
//
// Source: Circular 01/2018/TT-VPCP (form II.06a, kept by Circular
// 03/2025/TT-VPCP under Decree 118/2025/ND-CP, which replaced Decree
// 61/2018/ND-CP as amended by 107/2021/ND-CP) counts a dossier resolved
// "trước hạn", "đúng hạn" or "quá hạn" by comparing the date its result was
// ready with the date of the appointment on the receipt (giấy tiếp nhận và
// hẹn trả kết quả). The comparison is by the local calendar day, so:
//
//   - finished before the appointment's day: early; on that day: on time;
//     after it: late (Timeliness);
//   - an unfinished dossier becomes overdue at the first instant of the day
//     after the appointment's day (OverdueFrom) — the same instant the
//     verdict turns to late, so the overdue notice, the Overdue search
//     attribute, the pending-overdue count and the verdict always agree;
//   - the appointment compared with is the one on the receipt, moved later
//     by the working time the clock was stopped waiting for a supplement
//     (that time is not counted against the agency); an apology letter
//     (form 04) does not move it unless the rules version says
//     verdict_against: latest (data/rules.yaml; default original: the
//     decree requires the apology precisely because the dossier is late);
//   - a dossier waiting for a supplement is not due while it waits.

// OverdueFrom is the first instant a dossier due at due is overdue: local
// midnight (+07:00) after the appointment's day.
func OverdueFrom(due time.Time) time.Time {
	y, m, d := due.In(Location).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, Location)
}

// IsOverdue reports whether a dossier due at due and not finished is
// overdue at now (the rule above; Timeliness(now, due) == Late).
func IsOverdue(due, now time.Time) bool {
	return !now.Before(OverdueFrom(due))
}

// Ending is how a received dossier ended, for reports: with a result, or
// without one (refused after receipt, withdrawn, stopped).
type Ending string

// The endings, as the report breaks resolved dossiers down.
const (
	EndingResult    Ending = "result"
	EndingRefused   Ending = "refused"
	EndingWithdrawn Ending = "withdrawn"
	EndingStopped   Ending = "stopped"
)

// EndingOf classifies a control-sheet action: the actions that end a
// received dossier and how. The report reads actions, not status codes,
// so a new status for refusals after receipt changes nothing here.
// Intake refusals are not endings: the dossier was never received.
func EndingOf(action string) (Ending, bool) {
	switch action {
	case ActionApprovalApprove:
		return EndingResult, true
	case ActionReviewRefuse, ActionApprovalReject, ActionSupplementExpired:
		return EndingRefused, true
	case ActionWithdrawn:
		return EndingWithdrawn, true
	case ActionStopped:
		return EndingStopped, true
	}
	return "", false
}

// EndingVerdict is where a dossier that ended at `at` with action counts
// among early / on time / late, against its appointment due (zero: none).
//
// Chosen rule (README, "Reports"): a result, a refusal with a written
// reason after review or approval, and a stop (form 05) are the agency's
// acts and are classified like a result, by the day they happened against
// the appointment (form II.06a counts a dossier as resolved, "đã giải
// quyết", by the day the agency concluded, whatever it concluded). A
// withdrawal and a supplement not provided in time end on the applicant's
// side, the legal clock stopped or moot: on time, as provincial systems
// report withdrawn and returned dossiers.
func EndingVerdict(action string, at, due time.Time) string {
	switch action {
	case ActionWithdrawn, ActionSupplementExpired:
		return OnTime
	}
	if due.IsZero() {
		return OnTime
	}
	return Timeliness(at, due)
}

// ReportDue is the appointment a progress is judged against (the rule
// above): DueAt, or for progress recorded before it existed the original
// appointment, else the latest; nil before receipt.
func (p Progress) ReportDue() *time.Time {
	switch {
	case p.DueAt != nil:
		return p.DueAt
	case p.OriginalAppointmentAt != nil:
		return p.OriginalAppointmentAt
	}
	return p.AppointmentAt
}
