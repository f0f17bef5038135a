package api_test

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// reportServer is the API over a database of its own holding a few
// dossiers written straight into the read model.
type reportServer struct {
	t   *testing.T
	url string
}

func newReportServer(t *testing.T) *reportServer {
	t.Helper()
	ctx := context.Background()
	dbURL := testenv.NewDatabase(t)
	st, err := store.Open(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	ict := time.FixedZone("ICT", 7*3600)
	day := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, ict) }
	for _, r := range []struct {
		code, agency, proc, channel, verdict string
		received                             time.Time
		finished                             *time.Time
		appointment                          time.Time
	}{
		// Carried over from February, resolved on time in March.
		{"R1", "A", "P1", "online", "on_time", day(2, 28, 23, 59), ptr(day(3, 5, 9, 0)), day(3, 6, 17, 0)},
		// Received at 23:59 on 31 March: new in March, pending.
		{"R2", "A", "P2", "counter", "", day(3, 31, 23, 59), nil, day(4, 10, 17, 0)},
		// 00:00 on 1 April: not March's.
		{"R3", "B", "P1", "postal", "", day(4, 1, 0, 0), nil, day(4, 3, 17, 0)},
		// Overdue at the end of March.
		{"R4", "B", "P1", "online", "", day(3, 2, 8, 0), nil, day(3, 20, 17, 0)},
		// Late in March.
		{"R5", "A", "P1", "online", "late", day(3, 1, 0, 0), ptr(day(3, 25, 8, 0)), day(3, 20, 17, 0)},
	} {
		var verdict any
		status := "processing"
		if r.verdict != "" {
			verdict, status = r.verdict, "result_ready"
		}
		_, err := conn.Exec(ctx, `INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel,
			status, stage, applicant, documents, return_method, submitted_at, received_at, appointment_at, finished_at,
			verdict, version) VALUES ($1, $2, 1, $3, $4, $5, 'processing', '{}', '[]', 'counter', $6, $6, $7, $8, $9, 1)`,
			r.code, r.proc, r.agency, r.channel, status, r.received, r.appointment, r.finished, verdict)
		require.NoError(t, err)
	}
	srv := httptest.NewServer(api.New(api.Options{Clock: testenv.Clock(), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner}).Handler())
	t.Cleanup(srv.Close)
	return &reportServer{t: t, url: srv.URL}
}

func ptr[T any](v T) *T { return &v }

func (s *reportServer) get(path string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", bearer(s.t, auth.Principal{Subject: "test-ops", Role: auth.RoleOps}))
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

func TestReportSummary(t *testing.T) {
	t.Parallel()
	s := newReportServer(t)
	got := s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31")
	require.Equal(t, map[string]any{
		"from": "2026-03-01", "to": "2026-03-31", "agency": nil, "procedure": nil,
		"received":     map[string]any{"carried_over": 1.0, "new": 3.0, "online": 2.0, "counter": 1.0, "postal": 0.0},
		"resolved":     map[string]any{"total": 2.0, "early": 0.0, "on_time": 1.0, "late": 1.0},
		"pending":      map[string]any{"total": 2.0, "not_due": 1.0, "overdue": 1.0},
		"on_time_rate": 0.5,
	}, got)

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&agency=B")
	require.Equal(t, "B", got["agency"])
	require.Equal(t, map[string]any{"total": 0.0, "early": 0.0, "on_time": 0.0, "late": 0.0}, got["resolved"])
	require.Nil(t, got["on_time_rate"])

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-04-30&group_by=procedure&procedure=P1")
	require.Equal(t, "procedure", got["group_by"])
	require.Nil(t, got["next_cursor"])
	items := got["items"].([]any)
	require.Len(t, items, 1)
	p1 := items[0].(map[string]any)
	require.Equal(t, "P1", p1["key"])
	require.Equal(t, map[string]any{"carried_over": 1.0, "new": 3.0, "online": 2.0, "counter": 0.0, "postal": 1.0}, p1["received"])

	got = s.must(200, "/v1/reports/summary?from=2026-03-01&to=2026-03-31&group_by=agency")
	items = got["items"].([]any)
	require.Len(t, items, 2)
	require.Equal(t, "A", items[0].(map[string]any)["key"])
	require.Equal(t, "B", items[1].(map[string]any)["key"])
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
		"resolved_late", "pending_total", "pending_not_due", "pending_overdue", "on_time_rate"}, rows[0])
	require.Equal(t, []string{"2026-03-01", "2026-03-31", "", "", "A", "1", "2", "1", "1", "0", "2", "0", "1", "1", "1", "1", "0", "0.5000"}, rows[1])
	require.Equal(t, []string{"2026-03-01", "2026-03-31", "", "", "B", "0", "1", "1", "0", "0", "0", "0", "0", "0", "1", "0", "1", ""}, rows[2])

	res = s.get("/v1/reports/summary.csv?from=2026-03-01&to=2026-03-31")
	require.Equal(t, 200, res.status)
	rows, err = csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Len(t, rows[1], 17)
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
	}
	feb, mar, apr, may := items[1].(map[string]any), items[2].(map[string]any), items[3].(map[string]any), items[4].(map[string]any)
	require.EqualValues(t, 1, feb["received"].(map[string]any)["new"])
	require.EqualValues(t, 3, mar["received"].(map[string]any)["new"])
	require.EqualValues(t, 2, apr["received"].(map[string]any)["carried_over"])
	require.EqualValues(t, 3, apr["pending"].(map[string]any)["overdue"])
	require.EqualValues(t, 3, may["received"].(map[string]any)["carried_over"])
	require.Equal(t, items[0].(map[string]any)["resolved"], map[string]any{"total": 0.0, "early": 0.0, "on_time": 0.0, "late": 0.0})

	got = s.must(200, "/v1/reports/monthly?year=2026&agency=A&procedure=P2")
	require.Equal(t, "A", got["agency"])
	require.Equal(t, "P2", got["procedure"])
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
	// Just under three years is allowed.
	s.must(200, "/v1/reports/summary?from=2023-03-02&to=2026-03-01")
}

func TestReportUnavailable(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), testenv.NewDatabase(t))
	require.NoError(t, err)
	srv := httptest.NewServer(api.New(api.Options{Clock: testenv.Clock(), Store: st, Log: slog.New(slog.DiscardHandler), Verifier: testSigner}).Handler())
	t.Cleanup(srv.Close)
	st.Close()
	s := &reportServer{t: t, url: srv.URL}
	for _, path := range []string{"/v1/reports/summary?from=2026-03-01&to=2026-03-31", "/v1/reports/summary.csv?from=2026-03-01&to=2026-03-31", "/v1/reports/monthly?year=2026"} {
		res := s.get(path)
		require.Equal(t, 503, res.status, path)
		require.Equal(t, "5", res.header.Get("Retry-After"))
	}
}
