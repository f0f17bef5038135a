package workflows

import "testing"

// A deadline's label becomes the timer's summary only when a timer is armed;
// the text is what it was when it was built by concatenation.
func TestDeadlineLabelText(t *testing.T) {
	for _, tc := range []struct {
		l    deadlineLabel
		want string
	}{
		{deadlineLabel{text: deadlineAppointment}, deadlineAppointment},
		{deadlineLabel{step: "review", text: " due"}, "step review due"},
		{deadlineLabel{step: "review", text: " warning: most of its time is used"}, "step review warning: most of its time is used"},
		{deadlineLabel{step: "review", dept: "STP", text: ": escalated to its leader"}, "step review due for STP: escalated to its leader"},
	} {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.l, got, tc.want)
		}
	}
}
