package api_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
)

// worktimeAgency keeps winter hours of 7 h (07:30–11:30, 13:00–16:00)
// from 2020 to 2040, and the procedure
// WT-CUTOFF-01 (three working days) has a 15:00 cut-off. Both are this
// test's own, so the shared catalog of the other tests is untouched.
const worktimeAgency = "000.00.98.H39"

func importWorktimeCatalog(t *testing.T, s *system) {
	t.Helper()
	shipped, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	var proc catalog.Procedure
	for _, p := range shipped.Procedures {
		if p.Code == "KH-HKD-01" {
			proc = p
		}
	}
	proc.Code, proc.IntakeAgency = "WT-CUTOFF-01", worktimeAgency
	proc.Duration = catalog.Duration{Unit: catalog.UnitWorkingDays, Counter: 3, Online: 3, Cutoff: "15:00"}
	for i := range proc.Steps {
		proc.Steps[i].Department, proc.Steps[i].Parallel = worktimeAgency, nil
	}
	cat := &catalog.Catalog{
		Agencies: []catalog.Agency{{Code: worktimeAgency, Name: "Phường thử giờ làm việc", Kind: "commune",
			Periods: []catalog.AgencyPeriod{{From: "2020-01-01", To: "2040-12-31", Windows: []string{"07:30-11:30", "13:00-16:00"}}}}},
		Procedures: []catalog.Procedure{proc},
	}
	for _, a := range shipped.Agencies {
		cat.Agencies = append(cat.Agencies, a)
	}
	_, err = s.store.ImportCatalog(context.Background(), cat)
	require.NoError(t, err)
}

// The appointment follows the agency's office hours of the date (its
// winter hours) and the procedure's cut-off, in the preview a portal shows
// and in a dossier received now through the API.
func TestCutoffAndSeasonalHoursThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	importWorktimeCatalog(t, s)
	preview := func(received string) string {
		d := s.must(200, "GET", "/v1/calendar/appointment?procedure_code=WT-CUTOFF-01&channel=counter&received_at="+url.QueryEscape(received), nil)
		return d["appointment_at"].(string)
	}
	// Tuesday 1 Dec 2026 14:59, before the cut-off: 1 h 59 m of its 7-hour
	// day gone (of 07:30–11:30 and 13:00–14:59), three such days later:
	// Friday 14:59.
	require.Equal(t, "2026-12-04T14:59:00+07:00", preview("2026-12-01T14:59:00+07:00"))
	// 15:30, after the cut-off: the count starts Wednesday 07:30, three
	// working days end Friday at closing, 16:00 (not the default 17:00).
	require.Equal(t, "2026-12-04T16:00:00+07:00", preview("2026-12-01T15:30:00+07:00"))
	// Friday after the cut-off: Monday's opening, due Wednesday 16:00.
	require.Equal(t, "2026-12-09T16:00:00+07:00", preview("2026-12-04T15:10:00+07:00"))

	// A dossier received now gets what the preview says for its receipt,
	// and its due times lie inside the winter hours.
	d := s.must(201, "POST", "/v1/dossiers", submission("WT-CUTOFF-01", "counter", "counter"))
	code := d["code"].(string)
	d = s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	received := parseTime(t, d["received_at"])
	appt := parseTime(t, d["appointment_at"])
	require.True(t, parseTime(t, preview(received.Format(time.RFC3339Nano))).Equal(appt), "preview and dossier agree: %v", d)
	clock := appt.In(dossier.Location).Sub(calendar.DateOf(appt).Midnight())
	require.True(t, clock >= 7*time.Hour+30*time.Minute && clock <= 16*time.Hour, "due inside 07:30–16:00: %s", appt)
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "refuse", "note": "kết thúc"})
}

// A procedure that collects its fee at filing: the payment request comes
// with the submission, intake cannot receive the dossier before it is paid,
// and nothing is asked again before the result.
func TestFeeAtFilingThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	shipped, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	var proc catalog.Procedure
	for _, p := range shipped.Procedures {
		if p.Code == "KH-HKD-01" {
			proc = p
		}
	}
	proc.Code, proc.FeeTiming = "FT-FILING-01", catalog.FeeAtFiling
	_, err = s.store.ImportCatalog(context.Background(), &catalog.Catalog{Agencies: shipped.Agencies, Procedures: []catalog.Procedure{proc}})
	require.NoError(t, err)

	code := s.must(201, "POST", "/v1/dossiers", submission("FT-FILING-01", "online", "electronic"))["code"].(string)
	path := "/v1/dossiers/" + code
	d := s.eventually(code, "a payment request at filing", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
	require.Equal(t, "submitted", d["status"], "still waiting for intake")
	res := s.call("POST", path+"/intake", map[string]any{"decision": "accept"})
	require.Equal(t, 409, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "at filing (fee_timing at_filing, the catalog)")
	s.simPost("/payment/v1/payment-requests/"+fee(d)["payment_ref"].(string)+"/pay", map[string]any{"outcome": "succeeded"})
	s.eventually(code, "the fee paid", func(d map[string]any) bool { return fee(d)["status"] == "paid" })
	s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", path+"/review", map[string]any{"decision": "approve"})
	s.must(200, "POST", path+"/approval", map[string]any{"decision": "approve"})
	s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
	require.Equal(t, []string{"submitted", "payment.requested", "payment.succeeded", "intake.accept", "review.approve",
		"approval.approve", "result.issued_electronically"}, s.actions(code))
	s.recordHistory(code, "decrees-fee-at-filing")
}
