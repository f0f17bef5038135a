package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/motcua/motcua/internal/testenv"
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
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, code, "")
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
// which legal deadline it enforces and when.
func TestDeadlineTimerNamesItsDeadline(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("HT-KS-01", "online", "electronic"))["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var summaries []string
	it := s.temporal.GetWorkflowHistory(ctx, code, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() != enums.EVENT_TYPE_TIMER_STARTED {
			continue
		}
		var sum string
		require.NoError(t, testenv.Codec().DataConverter().FromPayload(ev.GetUserMetadata().GetSummary(), &sum))
		summaries = append(summaries, sum)
	}
	require.NotEmpty(t, summaries, "accepting starts the legal clock, so a deadline timer")
	// Each timer names the legal deadline it enforces and the local time it
	// fires: an online submission's intake deadline (when the intake clock
	// started before the decision), then the legal clock's earliest
	// deadline (which one depends on the hour: a step's, the apology's).
	for _, s := range summaries {
		require.Regexp(t, `^(step \S+ (warning|due)|apology deadline|appointment to return the result).* — \d\d:\d\d \d\d/\d\d/\d{4}$`, s)
	}
}
