package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// reportServer is the API over a database of its own (the shipped
// catalog and calendar) holding a few dossiers recorded the way workflows
// record them (store.ApplyTransition), with clocks the test chooses.
type reportServer struct {
	t         *testing.T
	url       string
	principal auth.Principal
}

// reportDossier is one dossier of the fixture: received, with an
// appointment, and perhaps ended by an action.
type reportDossier struct {
	proc, agency, review, channel string
	received, appointment         time.Time
	end                           *time.Time
	action                        string
}

func newReportServer(t *testing.T) *reportServer {
	t.Helper()
	ctx := context.Background()
	st := testenv.NewStore(t)
	ict := time.FixedZone("ICT", 7*3600)
	day := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, ict) }
	for _, r := range []reportDossier{
		// Carried over from February, resolved on time in March.
		{"KH-HKD-01", center, planning, "online", day(2, 28, 23, 59), day(3, 5, 17, 0), ptr(day(3, 5, 9, 0)), dossier.ActionApprovalApprove},
		// Received at 23:59 on 31 March: new in March, pending.
		{"HT-KS-01", commune, commune, "counter", day(3, 31, 23, 59), day(4, 10, 17, 0), nil, ""},
		// 00:00 on 1 April: not March's.
		{"KH-HKD-01", center, planning, "postal", day(4, 1, 0, 0), day(4, 3, 17, 0), nil, ""},
		// Overdue at the end of March.
		{"HT-KS-01", commune, commune, "online", day(3, 2, 8, 0), day(3, 20, 17, 0), nil, ""},
		// Late in March.
		{"KH-HKD-01", center, planning, "online", day(3, 1, 0, 0), day(3, 20, 17, 0), ptr(day(3, 25, 8, 0)), dossier.ActionApprovalApprove},
		// Withdrawn in March after receipt: resolved (withdrawn), on time.
		{"KH-HKD-01", center, planning, "counter", day(3, 3, 9, 0), day(3, 6, 17, 0), ptr(day(3, 4, 9, 0)), dossier.ActionWithdrawn},
	} {
		nd := store.NewDossier{ProcedureCode: r.proc, ProcedureVersion: 1, AgencyCode: r.agency, Channel: dossier.Channel(r.channel),
			Applicant: store.Applicant{FullName: "Nguyễn Văn A", IDNumber: "079123456789"}, Documents: []store.Document{{Name: "a.pdf", SHA256: "00"}},
			ReturnMethod: dossier.ReturnCounter, FeeUnits: 1, SubmittedAt: r.received.Add(-time.Hour), Actor: "test"}
		sub, err := st.CreateDossier(ctx, nd, "", nil)
		require.NoError(t, err)
		p := dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone},
			ReceivedAt: &r.received, AppointmentAt: &r.appointment, OriginalAppointmentAt: &r.appointment, DueAt: &r.appointment,
			CurrentStep: &dossier.CurrentStep{Name: "review", Departments: []string{r.review}, Pending: []string{r.review}, DueAt: r.appointment,
				Branches: []dossier.Branch{{Department: r.review, DueAt: r.appointment}}}}
		require.NoError(t, st.ApplyTransition(ctx, dossier.Transition{Code: sub.Code, Progress: p.Clone(),
			Event: dossier.Event{Seq: 2, At: r.received, Action: dossier.ActionIntakeAccept, Actor: "officer", ToStatus: p.Status, ToStage: p.Stage}}))
		if r.end == nil {
			continue
		}
		p.Version, p.FinishedAt, p.CurrentStep, p.Stage = 3, r.end, nil, dossier.StageDone
		ev := dossier.Event{Seq: 3, At: *r.end, Action: r.action, Actor: "someone"}
		switch r.action {
		case dossier.ActionApprovalApprove:
			p.Status, p.Stage, p.Verdict = dossier.StatusResultReady, dossier.StageReturn, dossier.Timeliness(*r.end, r.appointment)
			ev.Step, ev.Department, ev.OnTime = "review", r.review, p.Verdict
		case dossier.ActionWithdrawn:
			p.Status = dossier.StatusWithdrawn
		}
		ev.ToStatus, ev.ToStage = p.Status, p.Stage
		require.NoError(t, st.ApplyTransition(ctx, dossier.Transition{Code: sub.Code, Progress: p.Clone(), Event: ev}))
	}
	// Submitted online on 30 March, not yet decided: awaiting intake, not
	// received.
	_, err := st.CreateDossier(ctx, store.NewDossier{ProcedureCode: "KH-HKD-01", ProcedureVersion: 1, AgencyCode: center,
		Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "Trần Thị B", IDNumber: "079123456780"},
		Documents: []store.Document{{Name: "b.pdf", SHA256: "01"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
		SubmittedAt: day(3, 30, 10, 0), Actor: "portal"}, "", nil)
	require.NoError(t, err)
	// Reported as of 31 December 12:00.
	srv := httptest.NewServer(api.New(api.Options{Clock: clock.Starting(day(12, 31, 12, 0)), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner}).Handler())
	t.Cleanup(srv.Close)
	return &reportServer{t: t, url: srv.URL, principal: auth.Principal{Subject: "test-ops", Role: auth.RoleOps}}
}

// as is the same server read by someone else.
func (s *reportServer) as(p auth.Principal) *reportServer {
	return &reportServer{t: s.t, url: s.url, principal: p}
}

func ptr[T any](v T) *T { return &v }

func (s *reportServer) get(path string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", bearer(s.t, s.principal))
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	out := response{status: res.StatusCode, header: res.Header, body: raw}
	requireDocumented(s.t, http.MethodGet, path, out)
	return out
}

func (s *reportServer) must(status int, path string) map[string]any {
	s.t.Helper()
	res := s.get(path)
	require.Equal(s.t, status, res.status, "%s: %s", path, res.body)
	return res.json(s.t)
}

// The agencies of the report fixture besides center.
const (
	commune  = "000.00.25.H39" // receives, reviews and approves HT-KS-01
	planning = "000.00.19.H39" // reviews KH-HKD-01
)

func TestReportSummary(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	got := s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31")
	require.Equal(t, map[string]any{
		"from": "2026-03-01", "to": "2026-03-31", "agency": nil, "procedure": nil,
		"received": map[string]any{"carried_over": 1.0, "new": 4.0, "online": 2.0, "counter": 2.0, "postal": 0.0},
		"resolved": map[string]any{"total": 3.0, "early": 0.0, "on_time": 2.0, "late": 1.0,
			"result": 2.0, "refused": 0.0, "withdrawn": 1.0, "stopped": 0.0},
		"pending":         map[string]any{"total": 2.0, "not_due": 1.0, "overdue": 1.0},
		"on_time_rate":    2.0 / 3.0,
		"awaiting_intake": map[string]any{"total": 2.0, "overdue": 0.0}, // and the postal one received on 1 April
	}, got)

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&agency="+commune)
	require.Equal(t, commune, got["agency"])
	require.Equal(t, map[string]any{"total": 0.0, "early": 0.0, "on_time": 0.0, "late": 0.0,
		"result": 0.0, "refused": 0.0, "withdrawn": 0.0, "stopped": 0.0}, got["resolved"])
	require.Nil(t, got["on_time_rate"])

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-04-30&group_by=procedure&procedure=KH-HKD-01")
	require.Equal(t, "procedure", got["group_by"])
	require.Nil(t, got["next_cursor"])
	items := got["items"].([]any)
	require.Len(t, items, 1)
	p1 := items[0].(map[string]any)
	require.Equal(t, "KH-HKD-01", p1["key"])
	require.Equal(t, map[string]any{"carried_over": 1.0, "new": 3.0, "online": 1.0, "counter": 1.0, "postal": 1.0}, p1["received"])

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=agency")
	items = got["items"].([]any)
	require.Len(t, items, 2)
	require.Equal(t, center, items[0].(map[string]any)["key"])
	require.Equal(t, commune, items[1].(map[string]any)["key"])

	// By sector (lĩnh vực, from the catalog) and with a sector filter.
	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=sector")
	items = got["items"].([]any)
	require.Equal(t, []any{"HT", "TLHKD"}, []any{items[0].(map[string]any)["key"], items[1].(map[string]any)["key"]})
	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&sector=HT")
	require.Equal(t, "HT", got["sector"])
	require.Equal(t, 2.0, got["pending"].(map[string]any)["total"])
}

// TestReportForLeaders: a leader reads their own figures; a department's
// leader reads the steps their department worked on, not zeros.
func TestReportForLeaders(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	const march = "/v1/reports/summary?from=2026-03-01&to=2026-03-31"
	dept := s.as(auth.Principal{Subject: "truong-phong", Role: auth.RoleLeader, Agency: planning})
	got := dept.must(200, march)
	require.Equal(t, planning, got["department"])
	require.Equal(t, map[string]any{"carried_over": 1.0, "new": 2.0, "online": 1.0, "counter": 1.0, "postal": 0.0}, got["received"])
	require.Equal(t, 3.0, got["resolved"].(map[string]any)["total"], "two results and a withdrawal")
	dept.must(403, march+"&department=000.00.18.H39")
	require.Equal(t, got["resolved"], dept.must(200, march+"&agency="+planning)["resolved"], "its own code as agency names the department")

	centerLeader := s.as(auth.Principal{Subject: "giam-doc", Role: auth.RoleLeader, Agency: center})
	got = centerLeader.must(200, march)
	require.Equal(t, center, got["agency"])
	require.Equal(t, 3.0, got["resolved"].(map[string]any)["total"])
	centerLeader.must(403, march+"&agency="+commune)

	// Ops see any department.
	got = s.must(200, march+"&group_by=department")
	keys := []any{}
	for _, it := range got["items"].([]any) {
		keys = append(keys, it.(map[string]any)["key"])
	}
	require.Equal(t, []any{planning, commune}, keys)
}

func TestReportSummaryCSV(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	res := s.get("/v1/reports/summary.csv?from=2026-03-01&to=2026-03-31&group_by=agency")
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "text/csv; charset=utf-8", res.header.Get("Content-Type"))
	rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, []string{"from", "to", "agency", "procedure", "agency", "received_carried_over", "received_new",
		"received_online", "received_counter", "received_postal", "resolved_total", "resolved_early", "resolved_on_time",
		"resolved_late", "pending_total", "pending_not_due", "pending_overdue", "on_time_rate",
		"resolved_result", "resolved_refused", "resolved_withdrawn", "resolved_stopped"}, rows[0])
	require.Equal(t, []string{"2026-03-01", "2026-03-31", "", "", center, "1", "2", "1", "1", "0", "3", "0", "2", "1", "0", "0", "0", "0.6667",
		"2", "0", "1", "0"}, rows[1])
	require.Equal(t, []string{"2026-03-01", "2026-03-31", "", "", commune, "0", "2", "1", "1", "0", "0", "0", "0", "0", "2", "1", "1", "",
		"0", "0", "0", "0"}, rows[2])

	res = s.get("/v1/reports/summary.csv?from=2026-03-01&to=2026-03-31")
	require.Equal(t, 200, res.status)
	rows, err = csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Len(t, rows[1], 21)
}

func TestReportSummaryXLSX(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	res := s.get("/v1/reports/summary.xlsx?from=2026-03-01&to=2026-03-31")
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", res.header.Get("Content-Type"))
	f, err := excelize.OpenReader(bytes.NewReader(res.body))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows("II.06a")
	require.NoError(t, err)
	require.Contains(t, rows[0][0], "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
	require.Equal(t, "Kỳ báo cáo: từ ngày 01/03/2026 đến ngày 31/03/2026", rows[1][0])
	require.Equal(t, []string{"STT", "Lĩnh vực giải quyết", "Số hồ sơ nhận giải quyết", "", "", "", "Kết quả giải quyết"}, rows[4][:7])
	require.Equal(t, "Số hồ sơ đã giải quyết", rows[5][6])
	require.Equal(t, "Số hồ sơ đang giải quyết", rows[5][10])
	require.Equal(t, []string{"", "", "", "", "Trực tuyến", "Trực tiếp và qua dịch vụ bưu chính", "Tổng số", "Trả trước hạn",
		"Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn"}, rows[6])
	require.Equal(t, "(13)", rows[7][12])
	// One row per sector, then the totals.
	require.Equal(t, []string{"1", "HT – Hộ tịch", "2", "0", "1", "1", "0", "0", "0", "0", "2", "1", "1"}, rows[8])
	require.Equal(t, []string{"2", "TLHKD – Thành lập và hoạt động của hộ kinh doanh", "3", "1", "1", "1", "3", "0", "2", "1", "0", "0", "0"}, rows[9])
	require.Equal(t, []string{"", "Tổng cộng", "5", "1", "2", "2", "3", "0", "2", "1", "2", "1", "1"}, rows[10])
	ends, err := f.GetRows("Kết thúc")
	require.NoError(t, err)
	require.Equal(t, []string{"", "Tổng cộng", "3", "2", "0", "1", "0"}, ends[3])

	res = s.get("/v1/reports/summary.xlsx?from=2026-03-01&to=2026-03-31&group_by=agency")
	require.Equal(t, 200, res.status)
	f2, err := excelize.OpenReader(bytes.NewReader(res.body))
	require.NoError(t, err)
	defer f2.Close()
	rows, err = f2.GetRows("II.06a")
	require.NoError(t, err)
	require.Equal(t, "Cơ quan, đơn vị tiếp nhận", rows[4][1])
	require.Equal(t, center, rows[8][1])
}

func TestReportMonthly(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	got := s.must(200, "/v1/reports/monthly?year=2026")
	require.EqualValues(t, 2026, got["year"])
	items := got["items"].([]any)
	require.Len(t, items, 12)
	for i, it := range items {
		require.Equal(t, time.Date(2026, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), it.(map[string]any)["month"])
		f := it.(map[string]any)
		rec, res, pen := f["received"].(map[string]any), f["resolved"].(map[string]any), f["pending"].(map[string]any)
		require.Equal(t, rec["carried_over"].(float64)+rec["new"].(float64), res["total"].(float64)+pen["total"].(float64), "month %d balances", i+1)
	}
	feb, mar, apr, may := items[1].(map[string]any), items[2].(map[string]any), items[3].(map[string]any), items[4].(map[string]any)
	require.EqualValues(t, 1, feb["received"].(map[string]any)["new"])
	require.EqualValues(t, 4, mar["received"].(map[string]any)["new"])
	require.EqualValues(t, 2, apr["received"].(map[string]any)["carried_over"])
	require.EqualValues(t, 3, apr["pending"].(map[string]any)["overdue"])
	require.EqualValues(t, 3, may["received"].(map[string]any)["carried_over"])

	got = s.must(200, "/v1/reports/monthly?year=2026&agency="+center+"&procedure=KH-HKD-01&sector=TLHKD")
	require.Equal(t, center, got["agency"])
	require.Equal(t, "KH-HKD-01", got["procedure"])
	require.Equal(t, "TLHKD", got["sector"])
}

func TestReportBadParameters(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	for path, fields := range map[string][]string{
		"/v1/reports/summary":                                                                 {"from", "to"},
		"/v1/reports/summary?from=2026-3-1&to=2026-03-31":                                     {"from"},
		"/v1/reports/summary?from=2026-02-30&to=2026-03-31":                                   {"from"},
		"/v1/reports/summary?from=2026-03-31&to=2026-03-01":                                   {"to"},
		"/v1/reports/summary?from=2023-03-01&to=2026-03-01":                                   {"to"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=x":                        {"group_by"},
		"/v1/reports/summary.csv?from=2026-03-01":                                             {"to"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&agency=" + strings.Repeat("x", 65): {"agency"},
		"/v1/reports/monthly":                                                                 {"year"},
		"/v1/reports/monthly?year=1999":                                                       {"year"},
		"/v1/reports/monthly?year=02026":                                                      {"year"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&agency=000.00.99.H39":              {"agency"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&procedure=NOPE-01":                 {"procedure"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&sector=NOPE":                       {"sector"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&department=x":                      {"department"},
		"/v1/reports/summary?from=2026-03-01&to=2026-03-31&channel=fax":                       {"channel"},
		"/v1/reports/summary?from=2001-03-01&to=2001-03-31":                                   {"from"},
		"/v1/reports/summary.xlsx?from=2026-03-31&to=2026-03-01":                              {"to"},
		"/v1/reports/monthly?year=2099":                                                       {"from"},
	} {
		res := s.get(path)
		require.Equal(t, 400, res.status, path)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), path)
		var names []string
		for _, e := range res.json(t)["errors"].([]any) {
			names = append(names, e.(map[string]any)["field"].(string))
		}
		require.Equal(t, fields, names, path)
	}
	// Just under three years is allowed, within the calendar table.
	s.must(200, "/v1/reports/summary?from=2024-03-02&to=2027-03-01")
}

func TestReportUnavailable(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), testenv.NewDatabase(t))
	require.NoError(t, err)
	srv := httptest.NewServer(api.New(api.Options{Clock: testenv.Clock(), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner}).Handler())
	t.Cleanup(srv.Close)
	st.Close()
	s := &reportServer{t: t, url: srv.URL, principal: auth.Principal{Subject: "test-ops", Role: auth.RoleOps}}
	for _, path := range []string{"/v1/reports/summary?from=2026-03-01&to=2026-03-31", "/v1/reports/summary.csv?from=2026-03-01&to=2026-03-31",
		"/v1/reports/summary.xlsx?from=2026-03-01&to=2026-03-31", "/v1/reports/monthly?year=2026"} {
		res := s.get(path)
		require.Equal(t, 503, res.status, path)
		require.Equal(t, "5", res.header.Get("Retry-After"))
	}
}
