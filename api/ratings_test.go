package api_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// The rating's rules through the public API: every bad input is a 400
// naming the field, an unknown code and a wrong key the same 404, a
// dossier still running 409, a second rating 409; the dossier shows its
// rating; the ending transition wrote the invitation notice.
func TestRatingRules(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	officer := as(t, auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: center})

	// A dossier still running, and one refused at intake (ended).
	// KH-HKD-01: TestRatingReport counts the other procedures' ratings.
	running := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "counter"), as(t, testPortal)...)
	ended := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "counter"), as(t, testPortal)...)
	code, key := ended["code"].(string), ended["lookup_key"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse", "note": "thiếu tờ khai"}, officer...)
	rate := func(c string, body map[string]any) response {
		return s.call("POST", "/v1/public/dossiers/"+c+"/rating", body)
	}

	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"no key":                        {map[string]any{"level": "satisfied"}, "lookup_key"},
		"no level":                      {map[string]any{"lookup_key": key}, "level"},
		"level off the scale":           {map[string]any{"lookup_key": key, "level": "5 stars"}, "level"},
		"reasons when satisfied":        {map[string]any{"lookup_key": key, "level": "satisfied", "reasons": []string{"late"}}, "reasons"},
		"comment when very satisfied":   {map[string]any{"lookup_key": key, "level": "very_satisfied", "comment": "tốt"}, "comment"},
		"not satisfied without reasons": {map[string]any{"lookup_key": key, "level": "not_satisfied"}, "reasons"},
		"a reason off the list":         {map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"weather"}}, "reasons"},
		"a reason twice":                {map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"late", "late"}}, "reasons"},
		"other without the text":        {map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"other"}}, "comment"},
		"text too long": {map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"late"},
			"comment": strings.Repeat("ầ", 1001)}, "comment"},
		"control characters": {map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"late"},
			"comment": "a\x00b"}, "comment"},
	} {
		res := rate(code, tc.body)
		require.Equal(t, 400, res.status, "%s: %s", name, res.body)
		require.Contains(t, string(res.body), `"field":"`+tc.field+`"`, "%s: %s", name, res.body)
	}
	require.Equal(t, 400, s.call("POST", "/v1/public/dossiers/"+code+"/rating", []byte(`{"level": "satisfied", "stars": 5}`)).status,
		"an unknown field")

	good := map[string]any{"lookup_key": key, "level": "not_satisfied", "reasons": []string{"late", "other"},
		"comment": "  Phải chờ lâu ở quầy  "}
	wrongKey := map[string]any{"lookup_key": "ZZZZZZZZZZ", "level": "satisfied"}
	unknown := rate("000.00.18.H39-990101-9999", good)
	require.Equal(t, 404, unknown.status, "%s", unknown.body)
	wrong := rate(code, wrongKey)
	require.Equal(t, 404, wrong.status, "%s", wrong.body)
	require.Equal(t, string(unknown.body[strings.Index(string(unknown.body), `"detail"`):strings.Index(string(unknown.body), `"instance"`)]),
		string(wrong.body[strings.Index(string(wrong.body), `"detail"`):strings.Index(string(wrong.body), `"instance"`)]),
		"an unknown code and a wrong key answer alike")
	early := rate(running["code"].(string), map[string]any{"lookup_key": running["lookup_key"], "level": "satisfied"})
	require.Equal(t, 409, early.status, "%s", early.body)
	require.Contains(t, string(early.body), "not ended")

	pub := s.must(200, "GET", "/v1/public/dossiers/"+code+"?key="+key, nil)
	require.Equal(t, true, pub["rateable"])
	require.NotContains(t, pub, "rating")

	got := s.must(201, "POST", "/v1/public/dossiers/"+code+"/rating", good)
	require.Equal(t, "not_satisfied", got["level"])
	require.Equal(t, []any{"late", "other"}, got["reasons"])
	require.Equal(t, "Phải chờ lâu ở quầy", got["comment"], "the text is trimmed")
	require.Equal(t, float64(1), got["reasons_version"])
	again := rate(code, map[string]any{"lookup_key": strings.ToLower(key), "level": "very_satisfied"})
	require.Equal(t, 409, again.status, "once per dossier: %s", again.body)
	require.Contains(t, string(again.body), "rated already")

	pub = s.must(200, "GET", "/v1/public/dossiers/"+code+"?key="+key, nil)
	require.Equal(t, false, pub["rateable"])
	require.Equal(t, "not_satisfied", pub["rating"].(map[string]any)["level"])

	reasons := s.must(200, "GET", "/v1/public/rating-reasons", nil)
	require.Len(t, reasons["levels"], 3)
	require.NotEmpty(t, reasons["reasons"])

	// The refusal invited the applicant to rate, with the /track link.
	ns, err := s.store.Notifications(ctx, code)
	require.NoError(t, err)
	var invitation *store.OutboxNotification
	for i := range ns {
		if ns[i].Template == "rating_invitation" {
			invitation = &ns[i]
		}
	}
	require.NotNil(t, invitation, "the ending transition writes the rating invitation")
	require.Equal(t, dossier.ToApplicant, invitation.To)
	require.Contains(t, invitation.Message, "/track?code="+code)
	require.Equal(t, 1, invitation.TemplateVersion)
	ns, err = s.store.Notifications(ctx, running["code"].(string))
	require.NoError(t, err)
	for _, n := range ns {
		require.NotEqual(t, "rating_invitation", n.Template, "a running dossier is not invited")
	}
}

// The report counts seeded ratings by level and reason, per procedure,
// agency, department and month, in JSON and formula-safe CSV.
func TestRatingReport(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// Ended dossiers: refused at intake (no department step) and withdrawn
	// after intake (the review department had a step).
	end := func(proc string, withdraw bool) (string, string) {
		d := s.must(201, "POST", "/v1/dossiers", submission(proc, "online", "counter"), as(t, testPortal)...)
		code := d["code"].(string)
		if withdraw {
			s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
			s.must(200, "POST", "/v1/dossiers/"+code+"/withdrawal", map[string]any{"reason": "không còn nhu cầu"})
		} else {
			s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse", "note": "thiếu"})
		}
		return code, d["lookup_key"].(string)
	}
	type seeded struct {
		proc     string
		withdraw bool
		body     map[string]any
	}
	// The period runs from before the first rating to after the last: the
	// business clock may pass midnight meanwhile (make test-clock).
	first := testenv.Now().In(dossier.Location)
	var withdrawn, htMonth string
	for _, sd := range []seeded{
		{"TP-LLTP-01", false, map[string]any{"level": "very_satisfied"}},
		{"TP-LLTP-01", false, map[string]any{"level": "satisfied"}},
		{"TP-LLTP-01", true, map[string]any{"level": "not_satisfied", "reasons": []string{"late", "staff_attitude"}}},
		{"HT-KS-01", false, map[string]any{"level": "not_satisfied", "reasons": []string{"late"}}},
	} {
		code, key := end(sd.proc, sd.withdraw)
		if sd.withdraw {
			withdrawn = code
			s.recordHistory(code, "v7-notify-withdrawn-rating-invitation")
		}
		sd.body["lookup_key"] = key
		got := s.must(201, "POST", "/v1/public/dossiers/"+code+"/rating", sd.body)
		if sd.proc == "HT-KS-01" {
			at, err := time.Parse(time.RFC3339, got["rated_at"].(string))
			require.NoError(t, err)
			htMonth = at.In(dossier.Location).Format("2006-01")
		}
	}
	now := testenv.Now().In(dossier.Location)
	day := now.Format(time.DateOnly)
	q := "from=" + first.Format(time.DateOnly) + "&to=" + day

	// The database is shared: only this test rates TP-LLTP-01 and HT-KS-01
	// dossiers (the figures by every grouping are tested in package store).
	all := s.must(200, "GET", "/v1/reports/ratings?"+q+"&procedure=TP-LLTP-01", nil)
	require.Nil(t, all["group_by"])
	it := all["items"].([]any)
	require.Len(t, it, 1)
	total := it[0].(map[string]any)
	require.Equal(t, 3.0, total["total"])
	require.Equal(t, 1.0, total["very_satisfied"])
	require.Equal(t, 1.0, total["satisfied"])
	require.Equal(t, 1.0, total["not_satisfied"])
	require.InDelta(t, 2.0/3, total["satisfaction_rate"], 1e-9)
	require.Equal(t, map[string]any{"late": 1.0, "staff_attitude": 1.0}, total["reasons"])

	byProc := map[string]map[string]any{}
	for _, x := range s.must(200, "GET", "/v1/reports/ratings?"+q+"&group_by=procedure", nil)["items"].([]any) {
		byProc[x.(map[string]any)["key"].(string)] = x.(map[string]any)
	}
	require.Equal(t, 3.0, byProc["TP-LLTP-01"]["total"])
	require.InDelta(t, 2.0/3, byProc["TP-LLTP-01"]["satisfaction_rate"], 1e-9)
	require.Equal(t, 1.0, byProc["HT-KS-01"]["not_satisfied"])
	require.Equal(t, 0.0, byProc["HT-KS-01"]["satisfaction_rate"])

	months := s.must(200, "GET", "/v1/reports/ratings?"+q+"&group_by=month&procedure=HT-KS-01", nil)["items"].([]any)
	require.Len(t, months, 1)
	require.Equal(t, htMonth, months[0].(map[string]any)["key"], "the month the rating was given, Vietnam time")

	agencies := map[string]float64{}
	for _, a := range s.must(200, "GET", "/v1/reports/ratings?"+q+"&group_by=agency&procedure=HT-KS-01", nil)["items"].([]any) {
		agencies[a.(map[string]any)["key"].(string)] = a.(map[string]any)["total"].(float64)
	}
	require.Equal(t, map[string]float64{"000.00.25.H39": 1}, agencies)

	// Only the withdrawn dossier had a department's step (review).
	depts := s.must(200, "GET", "/v1/reports/ratings?"+q+"&group_by=department&procedure=TP-LLTP-01", nil)["items"].([]any)
	require.Len(t, depts, 1, "%v", depts)
	require.Equal(t, 1.0, depts[0].(map[string]any)["total"])
	require.Equal(t, 1.0, depts[0].(map[string]any)["not_satisfied"])
	require.Equal(t, "withdrawn", s.must(200, "GET", "/v1/dossiers/"+withdrawn, nil)["status"])

	yesterday := first.AddDate(0, 0, -1).Format(time.DateOnly)
	none := s.must(200, "GET", "/v1/reports/ratings?from="+yesterday+"&to="+yesterday+"&procedure=HT-KS-01", nil)["items"].([]any)
	require.Equal(t, 0.0, none[0].(map[string]any)["total"])
	require.Nil(t, none[0].(map[string]any)["satisfaction_rate"])

	res := s.call("GET", "/v1/reports/ratings.csv?"+q+"&group_by=procedure", nil)
	require.Equal(t, 200, res.status, "%s", res.body)
	recs, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"from", "to", "agency", "procedure", "department", "procedure", "total", "very_satisfied",
		"satisfied", "not_satisfied", "satisfaction_rate"}, recs[0][:11])
	require.Contains(t, recs[0], "reason_late")
	late := 0
	for i, h := range recs[0] {
		if h == "reason_late" {
			late = i
		}
	}
	seen := false
	for _, r := range recs[1:] {
		if r[5] == "TP-LLTP-01" {
			seen = true
			require.Equal(t, []string{"3", "1", "1", "1", "0.6667"}, r[6:11])
			require.Equal(t, "1", r[late])
		}
	}
	require.True(t, seen, "%v", recs)

	for _, bad := range []string{"from=2026-13-01&to=" + day, q + "&group_by=sector", q + "&agency=%3DHYPERLINK()",
		q + "&color=red", "from=" + day + "&to=" + yesterday} {
		r := s.call("GET", "/v1/reports/ratings?"+bad, nil)
		require.Equal(t, 400, r.status, "%s: %s", bad, r.body)
	}
	require.Equal(t, 403, s.call("GET", "/v1/reports/ratings?"+q, nil, as(t, testPortal)...).status)
}
