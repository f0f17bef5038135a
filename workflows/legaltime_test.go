package workflows_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

// official is the calendar with the shipped table of days off.
func official(t *testing.T) *calendar.Calendar {
	t.Helper()
	raw, err := os.ReadFile("../data/holidays-vn.yaml")
	require.NoError(t, err)
	table, err := calendar.ParseHolidays(raw)
	require.NoError(t, err)
	cal, err := calendar.New(calendar.DefaultWindows(), table)
	require.NoError(t, err)
	return cal
}

func ict(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, dossier.Location)
}

// transition returns the first recorded transition with the action.
func (h *harness) transition(action string) dossier.Transition {
	h.t.Helper()
	h.actions()
	for _, tr := range h.transitions {
		if tr.Event.Action == action {
			return tr
		}
	}
	h.t.Fatalf("no %s on the control sheet: %v", action, h.actions())
	return dossier.Transition{}
}

func (h *harness) notifications(template string) []dossier.Notification {
	var out []dossier.Notification
	for _, tr := range h.transitions {
		for _, n := range tr.Notifications {
			if n.Template == template {
				out = append(out, n)
			}
		}
	}
	return out
}

func TestOnTimePathStoresTheVerdict(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["HT-KS-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Hour, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "A"})
	h.run()
	// Same-day procedure received Monday 09:01: due Monday 17:00; ready 11:01.
	ready := h.transition(dossier.ActionApprovalApprove).Progress
	require.Equal(t, ict(2026, 11, 23, 17, 0), ready.AppointmentAt.In(dossier.Location))
	require.Equal(t, dossier.OnTime, ready.Verdict)
	require.NotContains(t, h.actions(), dossier.ActionStepOverdue)
	require.Len(t, h.notifications("received"), 1, "the applicant is told the appointment")
}

func TestSameDayCutoff(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	for _, tc := range []struct {
		received, want time.Time
	}{
		{ict(2026, 11, 23, 14, 0), ict(2026, 11, 23, 17, 0)},  // before 15:00: today
		{ict(2026, 11, 23, 15, 30), ict(2026, 11, 24, 17, 0)}, // after: the next working day
		{ict(2026, 11, 27, 16, 0), ict(2026, 11, 30, 17, 0)},  // Friday after the cutoff: Monday
	} {
		h2 := newHarnessAt(t, procs["HT-KS-01"], dossier.ChannelCounter, dossier.ReturnCounter, tc.received.Add(-time.Minute), official(t))
		acc := h2.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
		h2.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "end the test"})
		h2.run()
		st := ok(t, acc)
		require.Equal(t, tc.want, st.AppointmentAt.In(dossier.Location), "received %s", tc.received)
	}
}

func TestSlowStepIsWarnedThenEscalated(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// KH-HKD-01: review has 16 working hours from receipt + 2 h of intake.
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	late := h.send(3*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "C"})
	h.run()

	acts := h.actions()
	warn := slices.Index(acts, dossier.ActionStepWarning)
	over := slices.Index(acts, dossier.ActionStepOverdue)
	require.True(t, warn >= 0 && over > warn, "warning, then escalation: %v", acts)
	w := h.transition(dossier.ActionStepWarning)
	require.Equal(t, "review", w.Event.Step)
	// 75% of the review step's 16 h from its scheduled start (Mon 11:01,
	// after intake's 2 h): Mon 3 h 59 + Tue 8 h + Wed 0 h 01 = 12 h, so
	// Wednesday 07:01, four working hours before the step's due (11:01).
	require.Equal(t, ict(2026, 11, 25, 7, 1), w.Event.At.In(dossier.Location))
	require.Equal(t, []dossier.Notification{{To: dossier.ToDepartment, Agency: "000.00.19.H39", Template: "step_warning",
		Message: w.Notifications[0].Message}}, w.Notifications)
	o := h.transition(dossier.ActionStepOverdue)
	require.True(t, o.Progress.CurrentStep.Escalated, "the read model shows the step escalated")
	require.Equal(t, dossier.ToLeader, o.Notifications[0].To)
	require.Equal(t, "000.00.19.H39", o.Notifications[0].Agency)
	st := ok(t, late)
	require.Equal(t, dossier.Late, h.transition(dossier.ActionReviewApprove).Event.OnTime)
	// Decided on Thursday, the appointment's day (09:01): the step is late,
	// the dossier is not overdue (the rule for late goes by the day).
	require.False(t, st.Overdue, "due Thursday, decided Thursday")
}

func TestLateDossierWithApologyGetsANewDate(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	// Appointment: Thursday 09:01 (3 working days from Monday 09:01). The
	// apology is due one working day before: Wednesday 09:01.
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	newDate := ict(2026, 12, 1, 16, 0)
	tooEarly := h.send(time.Hour, workflows.UpdateApology, workflows.Apology{NewAppointmentAt: ict(2026, 11, 25, 9, 0), Reason: "x"})
	apology := h.send(2*24*time.Hour+time.Hour, workflows.UpdateApology, workflows.Apology{NewAppointmentAt: newDate, Reason: "cần xác minh thêm", Actor: "leader"})
	second := h.send(time.Minute, workflows.UpdateApology, workflows.Apology{NewAppointmentAt: newDate.Add(24 * time.Hour), Reason: "again"})
	// Finished on Monday 30 Nov: after the original date, before the new one.
	h.send(4*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
	h.send(time.Minute, workflows.UpdateHandover, workflows.Handover{ReceivedBy: "D"})
	h.run()

	requireRejected(t, tooEarly, workflows.ErrInvalidDecision) // not after the current appointment
	st := ok(t, apology)
	require.Equal(t, newDate, st.AppointmentAt.In(dossier.Location))
	require.Equal(t, ict(2026, 11, 26, 9, 1), st.OriginalAppointmentAt.In(dossier.Location), "the original date is kept")
	require.Equal(t, 1, st.AppointmentResets)
	require.False(t, st.ApologyRequired)
	requireRejected(t, second, workflows.ErrStageConflict) // only one reset
	acts := h.actions()
	require.Less(t, slices.Index(acts, dossier.ActionApologyRequired), slices.Index(acts, dossier.ActionApologyIssued))
	// The apology moves the appointment given to the applicant, not the one
	// the rule for late judges against (verdict_against: original): the
	// dossier is overdue from the day after the original date, like its verdict.
	o := h.transition(dossier.ActionAppointmentOverdue)
	require.Equal(t, dossier.OverdueFrom(ict(2026, 11, 26, 9, 1)), o.Event.At.In(dossier.Location))
	require.Len(t, h.notifications("apology"), 1, "the applicant gets the letter")
	require.Equal(t, dossier.ToLeader, h.notifications("apology_required")[0].To)
	ready := h.transition(dossier.ActionApprovalApprove).Progress
	require.Equal(t, dossier.Late, ready.Verdict, "late against the original appointment (the default rule)")
	require.True(t, ready.Overdue, "overdue and late agree")
}

func TestLateWithoutApologyEscalatesToTheLeader(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	afterDate := h.send(4*24*time.Hour, workflows.UpdateApology, workflows.Apology{NewAppointmentAt: ict(2026, 12, 10, 9, 0), Reason: "late"})
	h.send(time.Minute, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "end"})
	h.run()
	requireRejected(t, afterDate, workflows.ErrStageConflict) // the old date has passed
	o := h.transition(dossier.ActionAppointmentOverdue)
	require.True(t, o.Progress.Overdue)
	require.Equal(t, []dossier.Notification{{To: dossier.ToLeader, Agency: "000.00.19.H39", Template: "appointment_overdue",
		Message: o.Notifications[0].Message}}, o.Notifications)
}

func TestSupplementPausesTheClockAcrossTet(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	// KH-HKD-01 received Monday 2026-02-09 09:00: 3 working days → Thursday
	// 2026-02-12 09:00.
	h := newHarnessAt(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic, ict(2026, 2, 9, 8, 59), official(t))
	acc := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	// Tuesday 09:00 the department asks for a supplement: the clock stops.
	noList := h.send(24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "request_supplement"})
	req := h.send(0, workflows.UpdateReview, workflows.ReviewDecision{Decision: "request_supplement", Missing: []string{"bản sao CCCD"}})
	blocked := h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	// Monday 2026-02-23 09:00, after Tết (16–20 Feb), the applicant supplements.
	in := h.send(ict(2026, 2, 23, 9, 0).Sub(ict(2026, 2, 10, 10, 0)), workflows.UpdateSupplement,
		workflows.SupplementIn{Documents: []dossier.Document{{Name: "cccd.pdf", SHA256: "ab"}}, Note: "đã bổ sung"})
	h.send(time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"})
	h.send(time.Hour, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "approve"})
	h.send(time.Minute, workflows.UpdatePayment, workflows.PaymentNotice{PaymentRef: "PAY-" + h.in.Code, TransactionID: "T", Amount: 100000, Status: "succeeded"})
	h.run()

	require.Equal(t, ict(2026, 2, 12, 9, 0), ok(t, acc).AppointmentAt.In(dossier.Location))
	requireRejected(t, noList, workflows.ErrInvalidDecision)
	st := ok(t, req)
	require.Equal(t, dossier.StatusSupplementRequested, st.Status)
	require.Equal(t, float64(5), float64(st.Status.Code()))
	// Ten working days from Tuesday 10 Feb 09:00: 11, 12, 13 Feb, (Tết 16–20
	// Feb off), 23, 24, 25, 26, 27 Feb, 2 and 3 Mar → Tuesday 3 Mar 09:00.
	require.Equal(t, ict(2026, 3, 3, 9, 0), st.Supplement.DueAt.In(dossier.Location))
	requireRejected(t, blocked, workflows.ErrStageConflict)
	st = ok(t, in)
	// Paused Tue 10 Feb 09:00 → Mon 23 Feb 09:00 = 6 h + 8 + 8 + 8 (Fri 13) + 2 h
	// = 32 working hours; Thu 12 Feb 09:00 + 32 h = Wed 25 Feb 09:00.
	require.Equal(t, ict(2026, 2, 25, 9, 0), st.AppointmentAt.In(dossier.Location))
	// The paused time is not counted against the agency: the appointment
	// the verdict judges against moves too.
	require.Equal(t, ict(2026, 2, 25, 9, 0), st.OriginalAppointmentAt.In(dossier.Location))
	require.Equal(t, ict(2026, 2, 25, 9, 0), st.DueAt.In(dossier.Location))
	require.Equal(t, dossier.StatusReceived, st.Status, "back to where it was")
	require.Nil(t, st.Supplement)
	require.NotContains(t, h.actions(), dossier.ActionStepOverdue, "no deadline fired while the clock was stopped")
	require.Equal(t, []dossier.Document{{Name: "cccd.pdf", SHA256: "ab"}}, h.transition(dossier.ActionSupplementIn).Documents)
	require.Len(t, h.notifications("supplement_requested"), 1)
}

func TestSupplementDeadlineExpiryRefuses(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelOnline, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "request_supplement", Missing: []string{"tờ khai"}})
	res := h.run() // nobody supplements: ten working days later it ends
	require.Equal(t, dossier.StatusRefused, res.Status)
	e := h.transition(dossier.ActionSupplementExpired)
	require.Equal(t, dossier.StageIntake, e.Event.FromStage)
	require.Equal(t, dossier.StatusSupplementRequested, e.Event.FromStatus)
	// Requested Monday 23 Nov 09:01; ten working days later: Monday 7 Dec 09:01.
	require.Equal(t, ict(2026, 12, 7, 9, 1), e.Event.At.In(dossier.Location))
	require.Equal(t, "refused", h.notifications("refused")[0].Template)
}

func TestExtensionOncePerStep(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	newDue := ict(2026, 11, 27, 16, 0)
	ext := h.send(time.Hour, workflows.UpdateExtension, workflows.Extension{NewDueAt: newDue, Reason: "chờ xác minh"})
	again := h.send(time.Minute, workflows.UpdateExtension, workflows.Extension{NewDueAt: newDue.Add(time.Hour), Reason: "again"})
	h.send(3*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "approve"}) // Thursday: within the extension
	h.send(time.Minute, workflows.UpdateApproval, workflows.ApprovalDecision{Decision: "reject", Note: "end"})
	h.run()
	st := ok(t, ext)
	require.Equal(t, newDue, st.CurrentStep.DueAt.In(dossier.Location))
	require.True(t, st.CurrentStep.Extended)
	requireRejected(t, again, workflows.ErrStageConflict)
	for _, tr := range h.transitions {
		if tr.Event.Action == dossier.ActionStepOverdue {
			require.NotEqual(t, "review", tr.Event.Step, "the extended review step was not overdue")
		}
	}
	// Decided Thursday, before the extended due day (Friday): early.
	require.Equal(t, dossier.Early, h.transition(dossier.ActionReviewApprove).Event.OnTime)
}
