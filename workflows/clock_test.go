package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

// A dossier started with a clock offset lives in business time: the server
// says Saturday noon, the API's clock (and so the dossier) Monday 09:00.
// Receipt, the appointment and the deadline timers all follow business
// time, and a timer fires when business time reaches its instant.
func TestClockOffsetIsBusinessTime(t *testing.T) {
	t.Parallel()
	server := time.Date(2026, 11, 28, 12, 0, 0, 0, dossier.Location) // a Saturday
	business := start                                                // Monday 2026-11-23 09:00
	proc := loadCatalog(t)["KH-HKD-01"]
	cal := calendar.Default()
	h := newHarnessAt(t, proc, dossier.ChannelCounter, dossier.ReturnCounter, server, cal)
	h.in.ClockOffset = business.Sub(server)
	h.in.SubmittedAt = business
	intake := h.send(time.Minute, workflows.UpdateIntake, workflows.IntakeDecision{Decision: "accept"})
	// Nobody decides the review: the warning, the step's due time and the
	// appointment pass, each at its own business instant.
	h.send(40*24*time.Hour, workflows.UpdateReview, workflows.ReviewDecision{Decision: "refuse", Note: "end of test"})
	h.run()

	st := ok(t, intake)
	received := business.Add(time.Minute)
	require.True(t, st.ReceivedAt.Equal(received), "received at %s, want business time %s", st.ReceivedAt, received)
	due, err := cal.Due(received, calendar.Duration{Unit: calendar.Unit(proc.Duration.Unit), N: proc.Duration.For(dossier.ChannelCounter)},
		calendar.DefaultSameDayCutoff)
	require.NoError(t, err)
	require.True(t, st.AppointmentAt.Equal(due), "appointment %s, want %s", st.AppointmentAt, due)

	fired := map[string]time.Time{}
	for _, tr := range h.transitions {
		fired[tr.Event.Action] = tr.Event.At
	}
	require.Contains(t, fired, "deadline.step_warning")
	require.True(t, fired["deadline.step_warning"].Equal(*st.CurrentStep.WarnAt),
		"the warning fired at %s, want its business instant %s", fired["deadline.step_warning"], st.CurrentStep.WarnAt)
	require.True(t, fired["deadline.appointment_overdue"].Equal(due),
		"overdue at %s, want the appointment %s", fired["deadline.appointment_overdue"], due)
}
