package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

// at is the offset from the harness's start to t, for h.send's cumulative
// offsets.
func at(h *harness, t time.Time) time.Duration { return t.Sub(start) - h.offset }

// TestOverdueFollowsTheDayRule: the overdue notice, the Overdue flag and
// the verdict follow one rule (dossier.OverdueFrom): due Thursday 09:01, the
// dossier is not overdue on Thursday afternoon, and is from Friday 00:00.
func TestOverdueFollowsTheDayRule(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	thursday := h.send(at(h, ict(2026, 11, 26, 15, 0)), workflows.UpdateAssignment, workflows.Assignment{Assignee: "an"})
	w := h.send(at(h, ict(2026, 11, 27, 10, 0)), workflows.UpdateWithdrawal, workflows.Withdrawal{Reason: "không còn nhu cầu"})
	h.run()

	due := ict(2026, 11, 26, 9, 1)
	st := ok(t, thursday)
	require.Equal(t, due, st.AppointmentAt.In(dossier.Location))
	require.Equal(t, due, st.DueAt.In(dossier.Location), "every transition carries the appointment judged against")
	require.False(t, st.Overdue, "Thursday 15:00 is on the appointment's day")
	require.Equal(t, dossier.OnTime, dossier.Timeliness(ict(2026, 11, 26, 15, 0), due), "and a result then would be on time")
	o := h.transition(dossier.ActionAppointmentOverdue)
	require.Equal(t, ict(2026, 11, 27, 0, 0), o.Event.At.In(dossier.Location))
	require.True(t, o.Progress.Overdue)

	// A withdrawal ends the dossier with its finishing time.
	st = ok(t, w)
	require.NotNil(t, st.FinishedAt, "a withdrawal sets the finishing time")
	require.Equal(t, ict(2026, 11, 27, 10, 0), st.FinishedAt.In(dossier.Location))
	require.Equal(t, ict(2026, 11, 27, 10, 0), h.transition(dossier.ActionWithdrawn).Progress.FinishedAt.In(dossier.Location))
}

func TestStopSetsTheFinishingTime(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["TP-LLTP-01"], dossier.ChannelOnline, dossier.ReturnCounter)
	h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	stop := h.send(time.Hour, workflows.UpdateStop, workflows.Stop{Reason: "hồ sơ giả mạo", Actor: "leader"})
	res := h.run()
	st := ok(t, stop)
	require.Equal(t, dossier.StatusStopped, res.Status)
	require.Equal(t, start.Add(time.Minute+time.Hour), st.FinishedAt.In(dossier.Location))
	require.Equal(t, st.FinishedAt, res.FinishedAt)
}

// TestIntakeDeadline: an online submission gets its intake step, due the
// rules' intake deadline after submission, warned and escalated like any
// step while nobody decides; a counter submission gets none.
func TestIntakeDeadline(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	acc := h.send(3*24*time.Hour, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateWithdrawal, workflows.Withdrawal{Reason: "x"})
	h.run()

	cal := calendar.Default()
	due, err := cal.Due(start, h.in.Rules.IntakeDeadline, calendar.DefaultSameDayCutoff)
	require.NoError(t, err)
	warn, err := cal.Add(start, time.Duration(float64(8*time.Hour)*h.in.Rules.WarningFraction))
	require.NoError(t, err)
	require.Equal(t, []string{dossier.ActionStepWarning, dossier.ActionStepOverdue, dossier.ActionIntakeAccept, dossier.ActionWithdrawn}, h.actions())
	w := h.transition(dossier.ActionStepWarning)
	require.Equal(t, "intake", w.Event.Step)
	require.True(t, w.Event.At.Equal(warn), "warned at %s, want %s", w.Event.At, warn)
	require.Equal(t, "department", w.Notifications[0].To)
	o := h.transition(dossier.ActionStepOverdue)
	require.Equal(t, "intake", o.Event.Step)
	require.True(t, o.Event.At.Equal(due), "escalated at %s, want %s", o.Event.At, due)
	require.Equal(t, dossier.ToLeader, o.Notifications[0].To)
	require.Equal(t, h.in.Procedure.IntakeAgency, o.Notifications[0].Agency)
	require.True(t, o.Progress.CurrentStep.DueAt.Equal(due))
	require.Equal(t, dossier.Late, h.transition(dossier.ActionIntakeAccept).Event.OnTime)
	require.Equal(t, "review", ok(t, acc).CurrentStep.Name)

	c := newHarness(t, procs["KH-HKD-01"], dossier.ChannelCounter, dossier.ReturnCounter)
	c.send(3*24*time.Hour, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "refuse", Note: "thiếu giấy tờ"})
	c.run()
	require.Equal(t, []string{dossier.ActionIntakeRefuse}, c.actions(), "no intake deadline at the counter")
}

// TestIntakeDeadlineFromInput: with VersionPerfEvents the intake step
// computed by the API at submission comes with the input, and the workflow
// warns and escalates at its times without computing its own (the input's
// due time here is an hour earlier than the calendar's, so an escalation at
// the calendar's time would mean the input was ignored).
func TestIntakeDeadlineFromInput(t *testing.T) {
	t.Parallel()
	procs := loadCatalog(t)
	h := newHarness(t, procs["KH-HKD-01"], dossier.ChannelOnline, dossier.ReturnElectronic)
	cal := calendar.Default()
	res, err := activities.IntakeClock(cal, activities.IntakeClockInput{From: start, Duration: h.in.Rules.IntakeDeadline,
		WarningFraction: h.in.Rules.WarningFraction, Agency: h.in.Procedure.IntakeAgency})
	require.NoError(t, err)
	res.DueAt = res.DueAt.Add(-time.Hour)
	h.in.IntakeStep = activities.IntakeStep(h.in.Procedure.IntakeAgency, res)
	h.send(3*24*time.Hour, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	h.send(time.Minute, workflows.UpdateWithdrawal, workflows.Withdrawal{Reason: "x"})
	h.run()

	require.Equal(t, []string{dossier.ActionStepWarning, dossier.ActionStepOverdue, dossier.ActionIntakeAccept, dossier.ActionWithdrawn}, h.actions())
	require.True(t, h.transition(dossier.ActionStepWarning).Event.At.Equal(res.WarnAt))
	o := h.transition(dossier.ActionStepOverdue)
	require.Equal(t, "intake", o.Event.Step)
	require.True(t, o.Event.At.Equal(res.DueAt), "escalated at %s, want the input's %s", o.Event.At, res.DueAt)
}
