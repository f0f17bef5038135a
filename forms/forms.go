package forms

import (
	"strconv"
	"time"

	"github.com/motcua/motcua/dossier"
)

// The forms' two-digit numbers, as the circular numbers them.
const (
	NumberReceipt      = "01" // giấy tiếp nhận hồ sơ và hẹn trả kết quả
	NumberSupplement   = "02" // phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
	NumberRefusal      = "03" // phiếu từ chối tiếp nhận giải quyết hồ sơ
	NumberApology      = "04" // phiếu xin lỗi và hẹn lại ngày trả kết quả
	NumberStopped      = "05" // thông báo dừng xử lý hồ sơ
	NumberControlSheet = "06" // phiếu kiểm soát quá trình giải quyết hồ sơ
	NumberLogbook      = "07" // sổ theo dõi hồ sơ
)

// Dossier is what every form of one dossier says about it.
type Dossier struct {
	Code string
	// Agency is the receiving agency's name, as the heading prints it.
	Agency    string
	Procedure string
	Applicant string
	Address   string
	Phone     string
}

// Receipt is form 01, the receipt with the appointment date the applicant
// leaves the counter with.
type Receipt struct {
	Dossier
	Documents     []string
	ReceivedAt    time.Time
	AppointmentAt time.Time
	// ReturnMethod is how the result reaches the applicant, in words.
	ReturnMethod string
	Fee          int64
	Officer      string
	// LookupKey is printed when given: the key is shown once, at
	// submission, and only its hash is kept, so a receipt printed later
	// carries it only if the officer has it.
	LookupKey string
	// TrackURL is the QR code's content: the tracking page for this
	// dossier, by code only (never the key).
	TrackURL string
}

// Receipt01 renders form 01.
func Receipt01(r Receipt) ([]byte, error) {
	d := newDoc("Giấy tiếp nhận hồ sơ và hẹn trả kết quả "+r.Code, r.ReceivedAt, false)
	d.header(r.Agency, r.Code+"/TNHS", r.ReceivedAt)
	d.title("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01")
	d.para("Bộ phận tiếp nhận và trả kết quả " + r.Agency + " đã tiếp nhận hồ sơ của:")
	d.dossier(r.Dossier)
	if r.LookupKey != "" {
		d.field("Mã tra cứu", r.LookupKey)
	} else {
		d.field("Mã tra cứu", "đã cấp khi nộp hồ sơ (không in lại)")
	}
	d.para("Thành phần hồ sơ nộp gồm:")
	d.list(r.Documents)
	d.field("Số lượng hồ sơ", strconv.Itoa(len(r.Documents))+" thành phần")
	d.field("Thời gian nhận hồ sơ", DateTime(r.ReceivedAt))
	d.field("Thời gian trả kết quả giải quyết hồ sơ", DateTime(r.AppointmentAt))
	d.field("Phí, lệ phí", Money(r.Fee))
	d.field("Hình thức nhận kết quả", r.ReturnMethod)
	d.para("Vào Sổ theo dõi hồ sơ (mẫu số 07) theo mã hồ sơ trên.")
	d.pdf.Ln(6)
	if r.TrackURL != "" {
		if err := d.qr(r.TrackURL, "Quét mã để tra cứu tình trạng hồ sơ (cần mã tra cứu)"); err != nil {
			return nil, err
		}
	}
	d.signature("NGƯỜI TIẾP NHẬN HỒ SƠ", r.Officer)
	return d.bytes()
}

// dossier writes the block every form opens with: the applicant, the
// procedure asked for and the dossier code.
func (d *doc) dossier(a Dossier) {
	d.field("Ông/Bà", a.Applicant)
	if a.Address != "" {
		d.field("Địa chỉ", a.Address)
	}
	if a.Phone != "" {
		d.field("Số điện thoại", a.Phone)
	}
	d.field("Nội dung yêu cầu giải quyết", a.Procedure)
	d.field("Mã hồ sơ", a.Code)
}

// SupplementRequest is form 02: what is missing and by when.
type SupplementRequest struct {
	Dossier
	RequestedAt time.Time
	DueAt       time.Time
	Missing     []string
	Note        string
	Officer     string
}

// Supplement02 renders form 02.
func Supplement02(s SupplementRequest) ([]byte, error) {
	d := newDoc("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ "+s.Code, s.RequestedAt, false)
	d.header(s.Agency, s.Code+"/BSHS", s.RequestedAt)
	d.title("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mẫu số 02")
	d.para("Bộ phận tiếp nhận và trả kết quả " + s.Agency + " đã tiếp nhận hồ sơ của:")
	d.dossier(s.Dossier)
	d.para("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")
	d.list(s.Missing)
	if s.Note != "" {
		d.field("Ghi chú", s.Note)
	}
	d.field("Hạn bổ sung", DateTime(s.DueAt))
	d.para("Quá thời hạn trên mà không bổ sung, hồ sơ sẽ không được tiếp tục giải quyết. Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ Bộ phận tiếp nhận và trả kết quả để được hướng dẫn.")
	d.signature("NGƯỜI HƯỚNG DẪN", s.Officer)
	return d.bytes()
}

// Refusal is form 03: the reasons a dossier is refused.
type Refusal struct {
	Dossier
	At      time.Time
	Reasons string
	Officer string
}

// Refusal03 renders form 03.
func Refusal03(r Refusal) ([]byte, error) {
	d := newDoc("Phiếu từ chối tiếp nhận giải quyết hồ sơ "+r.Code, r.At, false)
	d.header(r.Agency, r.Code+"/TCHS", r.At)
	d.title("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Mẫu số 03")
	d.para("Bộ phận tiếp nhận và trả kết quả " + r.Agency + " xin thông báo:")
	d.dossier(r.Dossier)
	d.para("Hồ sơ không đủ điều kiện để giải quyết. Lý do:")
	d.para(r.Reasons)
	d.field("Thời điểm từ chối", DateTime(r.At))
	d.para("Xin thông báo cho ông/bà được biết và thực hiện.")
	d.signature("NGƯỜI TIẾP NHẬN HỒ SƠ", r.Officer)
	return d.bytes()
}

// Apology is form 04: the letter that apologizes for a late result and
// gives a new appointment.
type Apology struct {
	Dossier
	At             time.Time
	OldAppointment time.Time
	NewAppointment time.Time
	Reason         string
	Signer         string
}

// Apology04 renders form 04.
func Apology04(a Apology) ([]byte, error) {
	d := newDoc("Phiếu xin lỗi và hẹn lại ngày trả kết quả "+a.Code, a.At, false)
	d.header(a.Agency, a.Code+"/XL", a.At)
	d.title("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Mẫu số 04")
	d.para(a.Agency + " đã tiếp nhận hồ sơ của:")
	d.dossier(a.Dossier)
	if !a.OldAppointment.IsZero() {
		d.field("Thời gian hẹn trả kết quả", DateTime(a.OldAppointment))
	}
	d.para("Tuy nhiên đến nay, chúng tôi chưa trả kết quả giải quyết hồ sơ cho ông/bà đúng hẹn. Lý do:")
	d.para(a.Reason)
	d.para("Sự chậm trễ này đã gây phiền hà cho ông/bà. Chúng tôi xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào:")
	d.field("Thời gian hẹn lại", DateTime(a.NewAppointment))
	d.para("Mong nhận được sự thông cảm của ông/bà.")
	d.signature("THỦ TRƯỞNG CƠ QUAN", a.Signer)
	return d.bytes()
}

// StopNotice is form 05: the notice that processing has stopped.
type StopNotice struct {
	Dossier
	At     time.Time
	Reason string
	Signer string
}

// Stopped05 renders form 05.
func Stopped05(s StopNotice) ([]byte, error) {
	d := newDoc("Thông báo dừng xử lý hồ sơ "+s.Code, s.At, false)
	d.header(s.Agency, s.Code+"/DXL", s.At)
	d.title("THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ", "Mẫu số 05")
	d.para(s.Agency + " thông báo dừng xử lý hồ sơ của:")
	d.dossier(s.Dossier)
	d.field("Thời điểm dừng xử lý", DateTime(s.At))
	d.para("Lý do dừng xử lý:")
	d.para(s.Reason)
	d.para("Phí, lệ phí đã nộp (nếu có) được hoàn trả theo quy định.")
	d.signature("THỦ TRƯỞNG CƠ QUAN", s.Signer)
	return d.bytes()
}

// ControlSheet is form 06: every hand-over of the dossier, who to whom,
// when, and whether the step was early, on time or late.
type ControlSheet struct {
	Dossier
	ReceivedAt    *time.Time
	AppointmentAt *time.Time
	// AsOf is the instant of the last event the sheet shows: a sheet is
	// issued per event, and each issue is immutable.
	AsOf time.Time
	Rows []ControlRow
	// Forms are the forms issued for the dossier, with their SHA-256.
	Forms []IssuedForm
}

// ControlRow is one hand-over on the control sheet.
type ControlRow struct {
	At     time.Time
	Action string // in words
	From   string
	To     string
	// Timeliness is dossier.Early, dossier.OnTime, dossier.Late or "".
	Timeliness string
	Note       string
}

// IssuedForm is a form issued for a dossier, as the control sheet lists it.
type IssuedForm struct {
	Number   string
	IssuedAt time.Time
	SHA256   string
}

// Timeliness in the control sheet's words.
func timelinessWords(t string) string {
	switch t {
	case dossier.Early:
		return "Trước hạn"
	case dossier.OnTime:
		return "Đúng hạn"
	case dossier.Late:
		return "Quá hạn"
	}
	return ""
}

// Control06 renders form 06.
func Control06(c ControlSheet) ([]byte, error) {
	d := newDoc("Phiếu kiểm soát quá trình giải quyết hồ sơ "+c.Code, c.AsOf, true)
	d.header(c.Agency, c.Code+"/KSGQ", c.AsOf)
	d.title("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mẫu số 06")
	d.field("Mã hồ sơ", c.Code)
	d.field("Người nộp", c.Applicant)
	d.field("Nội dung yêu cầu giải quyết", c.Procedure)
	d.field("Ngày nhận hồ sơ", optDateTime(c.ReceivedAt))
	d.field("Ngày hẹn trả kết quả", optDateTime(c.AppointmentAt))
	d.pdf.Ln(2)
	rows := make([][]string, len(c.Rows))
	for i, r := range c.Rows {
		rows[i] = []string{DateTime(r.At), r.Action, r.From, r.To, timelinessWords(r.Timeliness), r.Note}
	}
	d.table([]float64{34, 46, 52, 44, 22, 59},
		[]string{"Thời gian", "Nội dung", "Bên giao", "Bên nhận", "Kết quả", "Ghi chú"}, rows)
	if len(c.Forms) > 0 {
		d.pdf.SetFont(family, "B", bodySize)
		d.pdf.CellFormat(0, lineH, "Biểu mẫu đã cấp", "", 1, "L", false, 0, "")
		frows := make([][]string, len(c.Forms))
		for i, f := range c.Forms {
			frows[i] = []string{"Mẫu số " + f.Number, DateTime(f.IssuedAt), f.SHA256}
		}
		d.table([]float64{30, 40, 187}, []string{"Biểu mẫu", "Thời điểm cấp", "SHA-256"}, frows)
	}
	return d.bytes()
}

// Logbook is form 07: an agency's dossiers received in a period.
type Logbook struct {
	Agency string
	From   time.Time
	To     time.Time
	// IssuedAt is the PDF's creation date: the end of the period, or the
	// last change the book shows when the period is still running.
	IssuedAt time.Time
	Rows     []LogbookRow
}

// LogbookRow is one dossier in the logbook.
type LogbookRow struct {
	Code          string
	Applicant     string
	Procedure     string
	ReceivedAt    *time.Time
	AppointmentAt *time.Time
	ReturnedAt    *time.Time
	Status        string // in words
}

// Logbook07 renders form 07.
func Logbook07(l Logbook) ([]byte, error) {
	d := newDoc("Sổ theo dõi hồ sơ "+l.Agency, l.IssuedAt, true)
	d.header(l.Agency, "07/STDHS", l.IssuedAt)
	d.title("SỔ THEO DÕI HỒ SƠ", "Mẫu số 07 — từ ngày "+Date(l.From)+" đến ngày "+Date(l.To))
	rows := make([][]string, len(l.Rows))
	for i, r := range l.Rows {
		rows[i] = []string{strconv.Itoa(i + 1), r.Code, r.Applicant, r.Procedure,
			optDateTime(r.ReceivedAt), optDateTime(r.AppointmentAt), optDateTime(r.ReturnedAt), r.Status}
	}
	d.table([]float64{10, 48, 36, 50, 28, 28, 28, 29},
		[]string{"STT", "Mã hồ sơ", "Tổ chức, cá nhân", "Thủ tục", "Ngày nhận", "Hẹn trả", "Ngày trả", "Tình trạng"}, rows)
	d.field("Tổng số hồ sơ", strconv.Itoa(len(l.Rows)))
	return d.bytes()
}

// ResultNotice is the result notice (thông báo kết quả giải quyết hồ sơ)
// the system issues when a leader approves: the document signed with the
// agency's certificate and returned electronically. When the leader
// approved with a result document of their own, the notice names it and
// its SHA-256, so the signature vouches for that file too.
type ResultNotice struct {
	Dossier
	At           time.Time
	Signer       string
	Note         string
	ResultName   string
	ResultSHA256 string
	// VerifyURL is the public verification page.
	VerifyURL string
}

// Result renders the result notice.
func Result(n ResultNotice) ([]byte, error) {
	d := newDoc("Thông báo kết quả giải quyết hồ sơ "+n.Code, n.At, false)
	d.header(n.Agency, n.Code+"/KQ", n.At)
	d.title("THÔNG BÁO KẾT QUẢ GIẢI QUYẾT HỒ SƠ", "")
	d.para(n.Agency + " thông báo kết quả giải quyết hồ sơ của:")
	d.dossier(n.Dossier)
	d.field("Kết quả", "Hồ sơ đã được giải quyết và phê duyệt")
	d.field("Thời điểm phê duyệt", DateTime(n.At))
	if n.ResultName != "" {
		d.field("Văn bản kết quả", n.ResultName)
		d.field("Mã băm SHA-256", n.ResultSHA256)
	}
	if n.Note != "" {
		d.field("Ghi chú", n.Note)
	}
	d.para("Văn bản này được ký số bằng chứng thư số của cơ quan. Kiểm tra tính toàn vẹn và nguồn gốc tại trang xác thực văn bản của Trung tâm: " + n.VerifyURL)
	d.signature("THỦ TRƯỞNG CƠ QUAN", n.Signer)
	return d.bytes()
}
