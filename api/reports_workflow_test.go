package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
)

// TestEndingsCountAsResolved: a dossier withdrawn or stopped after receipt
// ends with its finishing time and is counted as resolved, by its ending,
// never left pending (issue 16). Records the histories of both endings for
// the replay tests (v5: VersionReportRule).
func TestEndingsCountAsResolved(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ops := as(t, auth.Principal{Subject: "ops", Role: auth.RoleOps})
	period := func(d map[string]any) string {
		from, err := time.Parse(time.RFC3339, d["received_at"].(string))
		require.NoError(t, err)
		to, err := time.Parse(time.RFC3339, d["finished_at"].(string))
		require.NoError(t, err)
		return "from=" + from.In(dossier.Location).Format(time.DateOnly) + "&to=" + to.In(dossier.Location).Format(time.DateOnly)
	}
	resolved := func(q, ending string) float64 {
		got := s.must(200, "GET", "/v1/reports/summary?"+q, nil, ops...)
		return got["resolved"].(map[string]any)[ending].(float64)
	}
	for _, tc := range []struct{ action, body, status, ending, history string }{
		{"/withdrawal", "không còn nhu cầu", "withdrawn", "withdrawn", "withdrawn-after-receipt"},
		{"/stop", "giấy tờ giả mạo", "stopped", "stopped", "stopped-after-receipt"},
	} {
		d := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "electronic"))
		code := d["code"].(string)
		d = s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
		require.NotNil(t, d["received_at"])
		d["finished_at"] = d["received_at"]
		before := resolved(period(d), tc.ending)
		d = s.must(200, "POST", "/v1/dossiers/"+code+tc.action, map[string]any{"reason": tc.body})
		require.Equal(t, tc.status, d["status"])
		require.NotNil(t, d["finished_at"], "%s sets the finishing time", tc.status)
		// Counted as resolved by its ending (other tests share the
		// database, so the count is at least one more, never less).
		require.GreaterOrEqual(t, resolved(period(d), tc.ending), before+1, tc.status)
		// The applicant is told either way (withdrawn: VersionApplicantNotices).
		outbox, err := s.store.Notifications(context.Background(), code)
		require.NoError(t, err)
		// The ending's notice, then the invitation to rate the service.
		require.GreaterOrEqual(t, len(outbox), 2)
		ending, last := outbox[len(outbox)-2], outbox[len(outbox)-1]
		require.Equal(t, "applicant", string(ending.To))
		require.Equal(t, tc.status, ending.Template)
		require.Equal(t, "rating_invitation", last.Template)
		require.Equal(t, ending.Seq, last.Seq, "written with the transition that ended the dossier")
		s.recordHistory(code, tc.history)
	}
}
