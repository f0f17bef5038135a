package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
	"github.com/motcua/motcua/internal/testenv"
)

func init() {
	// The contract test reads PDF answers as opaque files.
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
}

// form fetches a form and checks it is a PDF whose ETag is its SHA-256.
func (s *system) form(code, number string, query string) (response, string) {
	s.t.Helper()
	res := s.call("GET", "/v1/dossiers/"+code+"/forms/"+number+query, nil)
	require.Equal(s.t, 200, res.status, "form %s of %s: %s", number, code, res.body)
	require.Equal(s.t, "application/pdf", res.header.Get("Content-Type"))
	return res, testenv.PDFText(s.t, res.body)
}

// localDate is how the forms print the date of an instant the API gave.
func localDate(t *testing.T, v any) string {
	return parseTime(t, v).In(dossier.Location).Format("02/01/2006")
}

func TestFormsThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	created := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	code, key := created["code"].(string), created["lookup_key"].(string)
	path := "/v1/dossiers/" + code

	// Nothing received yet: no receipt; the control sheet exists already.
	res := s.call("GET", path+"/forms/01", nil)
	require.Equal(t, 409, res.status, string(res.body))
	require.Contains(t, string(res.body), "received at intake")
	_, text := s.form(code, "06", "")
	require.Contains(t, text, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
	require.Contains(t, text, "Nộp hồ sơ")

	// Form 02: the missing items and the deadline.
	d := s.must(200, "POST", path+"/intake", map[string]any{"decision": "request_supplement",
		"missing": []string{"Tờ khai có chữ ký của người yêu cầu", "Bản sao căn cước"}})
	due := d["supplement"].(map[string]any)["due_at"]
	_, text = s.form(code, "02", "")
	require.Contains(t, text, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
	require.Contains(t, text, "Tờ khai có chữ ký của người yêu cầu")
	require.Contains(t, text, "Bản sao căn cước")
	require.Contains(t, text, localDate(t, due))
	require.Contains(t, text, "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "the procedure's Vietnamese name, diacritics intact")
	s.must(200, "POST", path+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "tờ-khai-đã-ký.pdf", "sha256": strings.Repeat("cd", 32)}}})

	// Form 01 once received: dates dd/MM/yyyy, the fee, the QR's URL.
	d = s.must(200, "POST", path+"/intake", map[string]any{"decision": "accept"})
	res, text = s.form(code, "01", "")
	require.Contains(t, text, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
	require.Contains(t, text, code)
	require.Contains(t, text, "Nguyễn Văn A")
	require.Contains(t, text, localDate(t, d["received_at"]))
	require.Contains(t, text, localDate(t, d["appointment_at"]))
	require.Contains(t, text, "200.000 ₫")
	require.Contains(t, text, "tờ-khai-đã-ký.pdf")
	require.NotContains(t, text, key, "the kept receipt never holds the lookup key")
	sum := sha256.Sum256(res.body)
	require.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, res.header.Get("ETag"))
	again, _ := s.form(code, "01", "")
	require.Equal(t, res.body, again.body, "an issued form is the same bytes every time")
	if dir := os.Getenv("MOTCUA_FORMS_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "form-01.pdf"), res.body, 0o644))
	}

	// The lookup key is printed for whoever has it, checked, never kept.
	res = s.call("GET", path+"/forms/01?lookup_key=WRONG-KEY", nil)
	require.Equal(t, 400, res.status, string(res.body))
	keyed, text := s.form(code, "01", "?lookup_key="+key)
	require.Contains(t, text, key)
	require.Equal(t, "no-store", keyed.header.Get("Cache-Control"))
	require.Equal(t, 400, s.call("GET", path+"/forms/02?lookup_key="+key, nil).status)

	// Form 04: the apology with the new appointment.
	newAppt := parseTime(t, d["appointment_at"]).Add(72 * time.Hour)
	s.must(200, "POST", path+"/apology", map[string]any{"new_appointment_at": newAppt.Format(time.RFC3339), "reason": "Cần xác minh tại địa phương"})
	_, text = s.form(code, "04", "")
	require.Contains(t, text, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
	require.Contains(t, text, "Cần xác minh tại địa phương")
	require.Contains(t, text, newAppt.In(dossier.Location).Format("15:04")+" ngày "+newAppt.In(dossier.Location).Format("02/01/2006"))

	// Form 05: stopped by a leader.
	s.must(200, "POST", path+"/stop", map[string]any{"reason": "Phát hiện giấy tờ giả mạo"})
	_, text = s.form(code, "05", "")
	require.Contains(t, text, "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ")
	require.Contains(t, text, "Phát hiện giấy tờ giả mạo")

	// Form 06 lists every hand-over and the forms issued with their hash.
	_, text = s.form(code, "06", "")
	for _, w := range []string{"Tiếp nhận hồ sơ", "Yêu cầu bổ sung (tiếp nhận)", "Thư xin lỗi, hẹn lại", "Dừng xử lý", "Mẫu số 01", hex.EncodeToString(sum[:])} {
		require.Contains(t, text, w)
	}
	// An earlier supplement request is still printable by its event.
	_, text = s.form(code, "02", "?seq=2")
	require.Contains(t, text, "Bản sao căn cước")
	res = s.call("GET", path+"/forms/02?seq=1", nil)
	require.Equal(t, 409, res.status, "event 1 (submission) issues no supplement request: %s", res.body)

	// Form 03: a refusal, with its reasons; and what no dossier has.
	ref := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))["code"].(string)
	res = s.call("GET", "/v1/dossiers/"+ref+"/forms/03", nil)
	require.Equal(t, 409, res.status, "not refused yet: %s", res.body)
	s.must(200, "POST", "/v1/dossiers/"+ref+"/intake", map[string]any{"decision": "refuse", "note": "Không thuộc thẩm quyền giải quyết"})
	_, text = s.form(ref, "03", "")
	require.Contains(t, text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
	require.Contains(t, text, "Không thuộc thẩm quyền giải quyết")
	for _, bad := range []struct {
		path   string
		status int
	}{{"/forms/07", 404}, {"/forms/08", 404}, {"/forms/1", 404}, {"/forms/01?seq=abc", 400}, {"/forms/01", 409}} {
		res := s.call("GET", "/v1/dossiers/"+ref+bad.path, nil)
		require.Equal(t, bad.status, res.status, "%s: %s", bad.path, res.body)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
	}
	require.Equal(t, 404, s.call("GET", "/v1/dossiers/NO-SUCH-CODE/forms/01", nil).status)

	// Form 07: the agency's logbook for the day the dossier was received.
	agency := d["agency_code"].(string)
	day := parseTime(t, d["received_at"]).In(dossier.Location).Format(time.DateOnly)
	res = s.call("GET", "/v1/agencies/"+agency+"/logbook?from="+day+"&to="+day, nil)
	require.Equal(t, 200, res.status, string(res.body))
	text = testenv.PDFText(t, res.body)
	require.Contains(t, text, "SỔ THEO DÕI HỒ SƠ")
	require.Contains(t, text, code)
	require.Contains(t, text, forms.StatusWords(string(dossier.StatusStopped)))
	require.NotContains(t, text, ref, "a dossier refused at intake was never received")
	other := auth.Principal{Subject: "test-leader", Role: auth.RoleLeader, Agency: "000.00.25.H39"}
	require.Equal(t, 403, s.call("GET", "/v1/agencies/"+agency+"/logbook?from="+day+"&to="+day, nil, as(t, other)...).status)
	require.Equal(t, 400, s.call("GET", "/v1/agencies/"+agency+"/logbook?from="+day, nil).status)
	require.Equal(t, 400, s.call("GET", "/v1/agencies/"+agency+"/logbook?from=2026-01-01&to=2027-06-01", nil).status)
	require.Equal(t, 404, s.call("GET", "/v1/agencies/NO-SUCH-AGENCY/logbook?from="+day+"&to="+day, nil).status)
}
