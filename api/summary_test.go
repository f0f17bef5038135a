package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/rules"
)

// An operator opening a dossier's workflow in the Temporal UI reads which
// dossier, procedure and channel it is (static summary and details), and no
// personal data.
func TestWorkflowShowsDossierSummaryInTheUI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	sub := submission("HT-KS-01", "online", "electronic")
	d := s.must(201, "POST", "/v1/dossiers", sub)
	code := d["code"].(string)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := describe(ctx, s.temporal, code)
	require.NoError(t, err)
	meta := desc.GetExecutionConfig().GetUserMetadata()
	require.NotNil(t, meta, "the workflow has no user metadata")
	var summary, details string
	// Encrypted like every payload (package codec): decode with the key.
	dc := testenv.Codec().DataConverter()
	require.NoError(t, dc.FromPayload(meta.GetSummary(), &summary))
	require.NoError(t, dc.FromPayload(meta.GetDetails(), &details))
	require.Equal(t, "Hồ sơ "+code+" · HT-KS-01 · online", summary)
	require.Contains(t, details, "**Procedure**: HT-KS-01")
	require.Contains(t, details, "**Channel**: online; **result returned**: electronic")
	applicant := sub["applicant"].(map[string]any)
	require.NotContains(t, details, applicant["full_name"].(string))
	require.NotContains(t, details, applicant["id_number"].(string))
}

// The timer the workflow keeps on the earliest deadline says in the UI
// which legal deadline it enforces and when. Which deadline comes first
// depends on the instant of receipt (a same-day dossier received in the
// morning has no apology deadline: one working day before its appointment
// is already past), so the expectation is derived from the calendar at the
// instant the dossier was actually received.
func TestDeadlineTimerNamesItsDeadline(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))["code"].(string)
	d := s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var summaries []string
	for _, ev := range s.history(code) {
		if ev.GetEventType() != enums.EVENT_TYPE_TIMER_STARTED {
			continue
		}
		var sum string
		require.NoError(t, testenv.Codec().DataConverter().FromPayload(ev.GetUserMetadata().GetSummary(), &sum))
		if strings.HasPrefix(sum, "step intake ") {
			// The online submission's intake deadline, armed before the
			// acceptance that this test is about.
			continue
		}
		summaries = append(summaries, sum)
	}
	require.NotEmpty(t, summaries, "accepting starts the legal clock, so a deadline timer")
	for _, s := range summaries {
		require.Regexp(t, `^(step \S+ (warning|due)|apology deadline|appointment to return the result).* — \d\d:\d\d \d\d/\d\d/\d{4}$`, s)
	}

	// The earliest of the step's warning, its due time, the apology
	// deadline and the appointment, in the workflow's order of precedence.
	received, appt := parseTime(t, d["received_at"]), parseTime(t, d["appointment_at"])
	step := d["current_step"].(map[string]any)
	cal, err := activities.LoadAgencyCalendar(ctx, s.store, d["agency_code"].(string))
	require.NoError(t, err)
	rs, err := rules.Parse(data.Rules)
	require.NoError(t, err)
	apologyBy, err := cal.Add(appt, -rs.At(received).ApologyLeadTime)
	require.NoError(t, err)
	var want string
	var at time.Time
	consider := func(t time.Time, label string) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			want, at = label, t
		}
	}
	if step["warn_at"] != nil {
		consider(parseTime(t, step["warn_at"]), "step "+step["name"].(string)+" warning")
	}
	consider(parseTime(t, step["due_at"]), "step "+step["name"].(string)+" due")
	if apologyBy.After(received) {
		consider(apologyBy, "apology deadline")
	}
	consider(appt, "appointment to return the result")
	require.Truef(t, strings.HasPrefix(summaries[0], want), "received %s, appointment %s, apology by %s: want %q first, got %q",
		received.In(dossier.Location), appt.In(dossier.Location), apologyBy.In(dossier.Location), want, summaries[0])
	require.True(t, strings.HasSuffix(summaries[0], " — "+at.In(dossier.Location).Format("15:04 02/01/2006")), summaries[0])
}
