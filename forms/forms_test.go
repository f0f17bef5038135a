package forms_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
	"github.com/motcua/motcua/internal/testenv"
)

// ict is a fixed local instant: the forms are tested at fixed instants,
// never the wall clock.
func ict(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, dossier.Location)
}

var sample = forms.Dossier{Code: "UBND-XA-AN-KHANH-260209-0007", Agency: "Ủy ban nhân dân xã An Khánh",
	Procedure: "Đăng ký khai sinh", Applicant: "Nguyễn Thị Hương", Address: "Số 12 đường Lê Lợi, phường Bến Nghé", Phone: "0901234567"}

func pdfText(t *testing.T, pdf []byte) string { return testenv.PDFText(t, pdf) }

func TestReceiptPrintsDatesAmountsAndDiacritics(t *testing.T) {
	r := forms.Receipt{Dossier: sample, Documents: []string{"Tờ khai đăng ký khai sinh", "Giấy chứng sinh"},
		ReceivedAt: ict(2026, 2, 9, 8, 59), AppointmentAt: ict(2026, 2, 10, 16, 30), ReturnMethod: "Nhận tại Bộ phận một cửa",
		Fee: 200000, Officer: "cán bộ Trần Văn Bình", TrackURL: "https://motcua.example/track?code=" + sample.Code}
	pdf, err := forms.Receipt01(r)
	require.NoError(t, err)
	text := pdfText(t, pdf)
	for _, want := range []string{"GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Nguyễn Thị Hương", "Đăng ký khai sinh",
		"Tờ khai đăng ký khai sinh", "09/02/2026", "16:30 ngày 10/02/2026", "200.000 ₫", "Ủy ban nhân dân xã An Khánh",
		sample.Code, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, "1N3M-KEY")

	// The same data is the same bytes: an issued form is immutable.
	again, err := forms.Receipt01(r)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(pdf), sha256.Sum256(again))

	// The lookup key, when the officer has it, is printed; the QR code
	// holds the tracking URL only, so the PDF's bytes differ only by it.
	r.LookupKey = "1N3M-KEY"
	keyed, err := forms.Receipt01(r)
	require.NoError(t, err)
	require.Contains(t, pdfText(t, keyed), "1N3M-KEY")
	if dir := os.Getenv("MOTCUA_FORMS_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "form-01.pdf"), pdf, 0o644))
	}
}

func TestSupplementRefusalApologyStopForms(t *testing.T) {
	at := ict(2026, 3, 2, 14, 5)
	cases := []struct {
		name  string
		make  func() ([]byte, error)
		wants []string
	}{
		{"02", func() ([]byte, error) {
			return forms.Supplement02(forms.SupplementRequest{Dossier: sample, RequestedAt: at, DueAt: ict(2026, 3, 9, 14, 5),
				Missing: []string{"Bản sao giấy chứng nhận kết hôn", "Ảnh chân dung 4×6"}, Officer: "Lê Thị Thu"})
		}, []string{"PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Bản sao giấy chứng nhận kết hôn", "14:05 ngày 09/03/2026", "Lê Thị Thu"}},
		{"03", func() ([]byte, error) {
			return forms.Refusal03(forms.Refusal{Dossier: sample, At: at, Reasons: "Người nộp không thuộc thẩm quyền giải quyết của xã", Officer: "Lê Thị Thu"})
		}, []string{"PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "không thuộc thẩm quyền", "02/03/2026"}},
		{"04", func() ([]byte, error) {
			return forms.Apology04(forms.Apology{Dossier: sample, At: at, OldAppointment: ict(2026, 3, 1, 16, 0),
				NewAppointment: ict(2026, 3, 6, 10, 0), Reason: "Chờ ý kiến của cơ quan phối hợp", Signer: "Phạm Quốc Việt"})
		}, []string{"PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "10:00 ngày 06/03/2026", "16:00 ngày 01/03/2026", "Chờ ý kiến của cơ quan phối hợp"}},
		{"05", func() ([]byte, error) {
			return forms.Stopped05(forms.StopNotice{Dossier: sample, At: at, Reason: "Có tranh chấp về quyền sử dụng đất", Signer: "Phạm Quốc Việt"})
		}, []string{"THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ", "Có tranh chấp về quyền sử dụng đất", "14:05 ngày 02/03/2026"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pdf, err := c.make()
			require.NoError(t, err)
			text := pdfText(t, pdf)
			require.Contains(t, text, "Mẫu số "+c.name)
			for _, w := range c.wants {
				require.Contains(t, text, w)
			}
		})
	}
}

func TestControlSheetAndLogbook(t *testing.T) {
	recv, appt := ict(2026, 2, 9, 9, 0), ict(2026, 2, 12, 16, 0)
	sheet, err := forms.Control06(forms.ControlSheet{Dossier: sample, ReceivedAt: &recv, AppointmentAt: &appt, AsOf: ict(2026, 2, 11, 10, 0),
		Rows: []forms.ControlRow{
			{At: recv, Action: "Tiếp nhận hồ sơ", From: "Bộ phận một cửa", To: "Phòng Tư pháp", Timeliness: dossier.Early},
			{At: ict(2026, 2, 11, 10, 0), Action: "Thẩm định", From: "Phòng Tư pháp", To: "Lãnh đạo UBND", Timeliness: dossier.Late},
		},
		Forms: []forms.IssuedForm{{Number: "01", IssuedAt: recv, SHA256: strings.Repeat("ab", 32)}}})
	require.NoError(t, err)
	text := pdfText(t, sheet)
	for _, w := range []string{"PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Trước hạn", "Quá hạn", "Phòng Tư pháp", "Mẫu số 01", strings.Repeat("ab", 32)[:40]} {
		require.Contains(t, text, w)
	}

	rows := make([]forms.LogbookRow, 60) // more than one page
	for i := range rows {
		rows[i] = forms.LogbookRow{Code: sample.Code, Applicant: "Đỗ Văn Hải", Procedure: "Đăng ký khai sinh", ReceivedAt: &recv, Status: "Đang xử lý"}
	}
	book, err := forms.Logbook07(forms.Logbook{Agency: "Ủy ban nhân dân xã An Khánh", From: ict(2026, 2, 1, 0, 0), To: ict(2026, 2, 28, 23, 59), IssuedAt: ict(2026, 2, 28, 23, 59), Rows: rows})
	require.NoError(t, err)
	text = pdfText(t, book)
	require.Contains(t, text, "SỔ THEO DÕI HỒ SƠ")
	require.Contains(t, text, "từ ngày 01/02/2026 đến ngày 28/02/2026")
	require.Contains(t, text, "Tổng số hồ sơ: 60")
	require.Contains(t, text, "Trang 2/")
}

func TestMoney(t *testing.T) {
	require.Equal(t, "200.000 ₫", forms.Money(200000))
	require.Equal(t, "0 ₫", forms.Money(0))
	require.Equal(t, "1.234.567 ₫", forms.Money(1234567))
	require.Equal(t, "-5.000 ₫", forms.Money(-5000))
}
