package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRealTimerEscalates runs business time 14,400 times faster (a working
// day in two seconds) so the real Temporal server's timers fire a warning,
// an escalation and the overdue appointment while the test watches.
func TestRealTimerEscalates(t *testing.T) {
	t.Parallel()
	s := newSystemWith(t, 14400)
	d := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "counter", "counter"))
	code := d["code"].(string)
	d = s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	step := d["current_step"].(map[string]any)
	require.NotNil(t, step["warn_at"], "the review step has a warning time")
	require.Equal(t, false, step["escalated"])

	// Review (16 h of 24) is due 4.5 s after receipt, the appointment at 6 s.
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Contains(s.actions(code), "deadline.appointment_overdue") {
		require.True(t, time.Now().Before(deadline), "no escalation within 30 s: %v", s.actions(code))
		time.Sleep(200 * time.Millisecond)
	}
	acts := s.actions(code)
	require.Less(t, slices.Index(acts, "deadline.step_warning"), slices.Index(acts, "deadline.step_overdue"), acts)
	require.Contains(t, acts, "deadline.apology_required")
	d = s.must(200, "GET", "/v1/dossiers/"+code, nil)
	require.Equal(t, true, d["overdue"])
	require.Equal(t, true, d["apology_required"])
	require.Equal(t, true, d["current_step"].(map[string]any)["escalated"])

	// The notifications are in the outbox, addressed to who must act.
	ns, err := s.store.Notifications(context.Background(), code)
	require.NoError(t, err)
	got := map[string]string{}
	for _, n := range ns {
		got[n.Template] = n.To + " " + n.Agency
	}
	require.Equal(t, "department 000.00.19.H39", got["step_warning"])
	require.Equal(t, "leader 000.00.19.H39", got["step_overdue"])
	require.Equal(t, "leader 000.00.19.H39", got["appointment_overdue"])
	require.Equal(t, "applicant ", got["received"])

	// And ops see it in Temporal: the Overdue search attribute is set.
	desc, err := describe(context.Background(), s.temporal, code)
	require.NoError(t, err)
	require.Equal(t, "true", string(desc.WorkflowExecutionInfo.SearchAttributes.IndexedFields["Overdue"].Data))
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "refuse", "note": "kết thúc"})
}

func TestSupplementExtensionAndApologyThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	code := d["code"].(string)
	path := "/v1/dossiers/" + code

	res := s.call("POST", path+"/intake", map[string]any{"decision": "request_supplement"})
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, string(res.body), "missing")
	d = s.must(200, "POST", path+"/intake", map[string]any{"decision": "request_supplement", "missing": []string{"tờ khai có chữ ký"}})
	require.Equal(t, "supplement_requested", d["status"])
	require.Equal(t, float64(5), d["status_code"])
	require.Equal(t, []any{"tờ khai có chữ ký"}, d["supplement"].(map[string]any)["missing"])
	res = s.call("POST", path+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, 409, res.status, "no intake decision while the supplement is outstanding")
	d = s.must(200, "POST", path+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "to-khai-ky.pdf", "sha256": strings.Repeat("cd", 32)}}, "note": "đã ký"})
	require.Equal(t, "submitted", d["status"])
	require.Nil(t, d["supplement"])
	res = s.call("POST", path+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "again.pdf", "sha256": strings.Repeat("cd", 32)}}})
	require.Equal(t, 409, res.status, "no supplement is outstanding")

	d = s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	original := d["appointment_at"].(string)
	require.Equal(t, original, d["original_appointment_at"])
	due := parseTime(t, d["current_step"].(map[string]any)["due_at"])

	// A leader extends the review step once.
	d = s.must(200, "POST", path+"/extension", map[string]any{
		"new_due_at": due.Add(24 * time.Hour).Format(time.RFC3339), "reason": "chờ kết quả xác minh"})
	require.Equal(t, true, d["current_step"].(map[string]any)["extended"])
	res = s.call("POST", path+"/extension", map[string]any{"new_due_at": due.Add(48 * time.Hour).Format(time.RFC3339), "reason": "x"})
	require.Equal(t, 409, res.status, string(res.body))

	// An apology letter moves the appointment once; the original stays.
	// Whole seconds, as the request carries it (RFC 3339 without a
	// fraction): the original appointment has the fraction of a second of
	// the receipt when it was received inside office hours.
	newAppt := parseTime(t, original).Add(72 * time.Hour).Truncate(time.Second)
	res = s.call("POST", path+"/apology", map[string]any{"new_appointment_at": newAppt.Format(time.RFC3339)})
	require.Equal(t, 400, res.status, "a reason is required")
	d = s.must(200, "POST", path+"/apology", map[string]any{"new_appointment_at": newAppt.Format(time.RFC3339), "reason": "cần xác minh tại địa phương"})
	require.Equal(t, float64(1), d["appointment_resets"])
	require.Equal(t, original, d["original_appointment_at"])
	require.True(t, parseTime(t, d["appointment_at"]).Equal(newAppt), "appointment %v, asked %s, original %s", d["appointment_at"], newAppt, original)
	res = s.call("POST", path+"/apology", map[string]any{"new_appointment_at": newAppt.Add(time.Hour).Format(time.RFC3339), "reason": "again"})
	require.Equal(t, 409, res.status, "only one reset")

	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	d = s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	require.Contains(t, []any{"early", "on_time"}, d["verdict"])
	// Let the payment request settle before the test's worker stops.
	s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })

	require.Equal(t, []string{"submitted", "intake.request_supplement", "supplement.received", "intake.accept",
		"step.extended", "apology.issued", "review.approve", "approval.approve"}, s.actions(code)[:8])
	got, err := s.store.Dossier(context.Background(), code)
	require.NoError(t, err)
	require.Len(t, got.Documents, 2, "the supplemented document joined the dossier")
	s.recordHistory(code, "legal-time-supplement-extension-apology-until-result")
}
