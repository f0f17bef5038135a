package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/notify"
)

// Every version of every shipped template renders its sample facts, uses
// every one of them, and needs no fact the sample lacks.
func TestEveryShippedTemplateRendersItsSample(t *testing.T) {
	ts, err := notify.DefaultTemplates()
	require.NoError(t, err)
	names := ts.Names()
	for _, want := range []string{"received", "supplement_requested", "payment_requested", "result_ready", "shipped",
		"delivered", "counter_pickup", "apology", "refused", "declined", "withdrawn", "stopped", "refunded",
		"rating_invitation"} {
		require.Contains(t, names, want, "the issue's milestones each have a notice")
	}
	for _, name := range names {
		for _, v := range ts.Versions(name) {
			require.ElementsMatch(t, v.Fields(), keys(v.Sample), "%s v%d: the sample is exactly the facts the text uses", name, v.Version)
			r, err := ts.Render(name, v.EffectiveFrom, v.Sample)
			require.NoError(t, err, "%s v%d", name, v.Version)
			require.Equal(t, v.Version, r.Version)
			require.NotContains(t, r.Text, "<no value>", "%s v%d", name, v.Version)
			require.NotContains(t, r.Text, "{{", "%s v%d", name, v.Version)
			require.Contains(t, r.Text, v.Sample["code"], "%s v%d names the dossier", name, v.Version)
			for _, f := range v.Fields() {
				// Drop each fact in turn: the text cannot render without
				// it, unless the sample's branch does not use it — a missing
				// fact never silently changes a text.
				partial := map[string]string{}
				for k, x := range v.Sample {
					if k != f {
						partial[k] = x
					}
				}
				got, err := ts.Render(name, v.EffectiveFrom, partial)
				if err != nil {
					require.ErrorContains(t, err, f, "%s v%d without %s", name, v.Version, f)
				} else {
					require.Equal(t, r.Text, got.Text, "%s v%d without %s", name, v.Version, f)
				}
			}
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

const twoVersions = `
templates:
  - name: received
    version: 1
    effective_from: 2025-01-01
    text: "Hồ sơ {{.code}} hẹn {{.appointment}}"
    zns_params: {ma_ho_so: code, ngay_hen: appointment}
    sample: {code: A, appointment: B}
  - name: received
    version: 2
    effective_from: 2026-07-01
    text: "Hồ sơ {{.code}} đã tiếp nhận, hẹn trả {{.appointment}} ({{money .fee}} đồng)"
    sample: {code: A, appointment: B, fee: "1250000"}
`

func TestTheVersionInForceRendersAndOnlyItsFactsAreKept(t *testing.T) {
	ts, err := notify.ParseTemplates([]byte(twoVersions))
	require.NoError(t, err)
	facts := map[string]string{"code": "X-1", "appointment": "16:00 21/12/2026", "fee": "1250000",
		"applicant_name": "Nguyễn Văn A"}

	r, err := ts.Render("received", time.Date(2026, 6, 30, 23, 0, 0, 0, dossier.Location), facts)
	require.NoError(t, err)
	require.Equal(t, 1, r.Version)
	require.Equal(t, "Hồ sơ X-1 hẹn 16:00 21/12/2026", r.Text)
	require.Equal(t, map[string]string{"code": "X-1", "appointment": "16:00 21/12/2026"}, r.Facts,
		"a fact the text does not use is not kept")

	r, err = ts.Render("received", time.Date(2026, 7, 1, 0, 0, 0, 0, dossier.Location), facts)
	require.NoError(t, err)
	require.Equal(t, 2, r.Version)
	require.Equal(t, "Hồ sơ X-1 đã tiếp nhận, hẹn trả 16:00 21/12/2026 (1.250.000 đồng)", r.Text)
	require.NotContains(t, r.Facts, "applicant_name")

	_, err = ts.Render("received", time.Date(2024, 1, 1, 0, 0, 0, 0, dossier.Location), facts)
	require.ErrorContains(t, err, "none in force")
	_, err = ts.Render("no_such", time.Now(), facts)
	require.ErrorContains(t, err, "no_such")

	require.Equal(t, map[string]string{"ma_ho_so": "X-1", "ngay_hen": "B"},
		ts.ZNSParams("received", 1, map[string]string{"code": "X-1", "appointment": "B"}), "ZNS parameters by the mapping")
	require.Equal(t, map[string]string{"code": "X-1", "appointment": "B", "fee": "5"},
		ts.ZNSParams("received", 2, map[string]string{"code": "X-1", "appointment": "B", "fee": "5"}), "no mapping: the facts")
}

func TestTemplatesFileMistakesAreRefused(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"sample misses a fact": {`
templates:
  - {name: a, version: 1, effective_from: 2025-01-01, text: "{{.code}} {{.due}}", sample: {code: X}}`, "due"},
		"sample has a fact the text does not use": {`
templates:
  - {name: a, version: 1, effective_from: 2025-01-01, text: "{{.code}}", sample: {code: X, name: Y}}`, "not used"},
		"zns parameter names no fact": {`
templates:
  - {name: a, version: 1, effective_from: 2025-01-01, text: "{{.code}}", zns_params: {ten: name}, sample: {code: X}}`, "zns_params"},
		"versions go back": {`
templates:
  - {name: a, version: 2, effective_from: 2025-01-01, text: "{{.code}}", sample: {code: X}}
  - {name: a, version: 1, effective_from: 2026-01-01, text: "{{.code}}", sample: {code: X}}`, "versions must go up"},
		"text does not parse": {`
templates:
  - {name: a, version: 1, effective_from: 2025-01-01, text: "{{.code", sample: {code: X}}`, "a v1"},
		"unknown key": {`
templates:
  - {name: a, version: 1, effective_from: 2025-01-01, txt: "{{.code}}"}`, "txt"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := notify.ParseTemplates([]byte(tc.yaml))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRenderNoticesFillsTheTextVersionAndFacts(t *testing.T) {
	ts, err := notify.DefaultTemplates()
	require.NoError(t, err)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, dossier.Location)
	in := []dossier.Notification{
		{To: dossier.ToApplicant, Template: "received", Facts: map[string]string{"appointment": "16:00 21/12/2026", "phone": "0912345678"}},
		{To: dossier.ToLeader, Agency: "A", Template: "step_overdue", Message: "quá hạn"},
		{To: dossier.ToApplicant, Template: "rating_invitation"},
		{To: dossier.ToApplicant, Template: "shipped", Facts: map[string]string{}},
		{To: dossier.ToApplicant, Template: "not_a_template", Facts: map[string]string{"x": "y"}},
	}
	tr := dossier.Transition{Code: "000.00.18.H39-261207-0001", Event: dossier.Event{Seq: 3, At: at}, Notifications: in}
	ts.RenderNotices(&tr, "https://motcua.example/")
	n := tr.Notifications
	require.Empty(t, in[0].Message, "the workflow's slice is not written to")

	require.Equal(t, "Hồ sơ 000.00.18.H39-261207-0001 đã được tiếp nhận; hẹn trả kết quả 16:00 21/12/2026. "+
		"Tra cứu: https://motcua.example/track?code=000.00.18.H39-261207-0001", n[0].Message)
	require.Equal(t, 1, n[0].TemplateVersion)
	require.NotContains(t, n[0].Facts, "phone", "only the facts the text uses are kept")
	require.Equal(t, "quá hạn", n[1].Message, "a notice with a text is left as it is")
	require.Zero(t, n[1].TemplateVersion)
	require.True(t, strings.HasSuffix(n[2].Message, "(dùng mã tra cứu trên giấy tiếp nhận hồ sơ)"))
	require.Contains(t, n[2].Message, "https://motcua.example/track?code=000.00.18.H39-261207-0001")
	require.Empty(t, n[3].Message)
	require.Contains(t, n[3].RenderError, "waybill", "a missing fact is named")
	require.Nil(t, n[3].Facts)
	require.Contains(t, n[4].RenderError, "not_a_template")
}
