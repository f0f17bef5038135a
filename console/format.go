package console

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
)

// lang is the language of a page: Vietnamese unless the person chose
// English (a cookie set by the language switch).
type lang string

const (
	vi lang = "vi"
	en lang = "en"
)

const langCookie = "motcua_lang"

func (c *Console) lang(r *http.Request) lang {
	if ck, err := r.Cookie(langCookie); err == nil && ck.Value == string(en) {
		return en
	}
	return vi
}

// setLanguage remembers the choice for a year and goes back to the page
// the person was on (only ever a path of this site).
func (c *Console) setLanguage(w http.ResponseWriter, r *http.Request) {
	l := chi.URLParam(r, "lang")
	if l != string(vi) && l != string(en) {
		c.errorPage(w, r, http.StatusNotFound, c.lang(r).T("not_found"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath is next when it is a page of the console or the tracking page
// of this site, else the inbox. Browsers drop tabs and newlines inside a URL
// and read a backslash as a slash, so "/\t/evil.example" would leave the
// site: any control character or backslash is refused outright, and the
// redirect is rebuilt from the parsed path and query alone.
func localPath(next string) string {
	const home = "/console/inbox"
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	clean := path.Clean(u.Path)
	if clean != "/track" && !strings.HasPrefix(clean, "/console/") && !strings.HasPrefix(clean, "/track/") {
		return home
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if strings.HasPrefix(out, "//") {
		return home
	}
	return out
}

// T translates a message key; an unknown key shows as itself, so a missing
// translation is visible rather than blank.
func (l lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == en {
		return m[1]
	}
	return m[0]
}

// Date is dd/MM/yyyy in local time (+07:00), as forms at the center write it.
func (l lang) Date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.In(dossier.Location).Format("02/01/2006")
}

// DateTime is dd/MM/yyyy HH:mm in local time.
func (l lang) DateTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.In(dossier.Location).Format("02/01/2006 15:04")
}

// Money formats whole đồng: 200.000 ₫ in Vietnamese, 200,000 ₫ in English.
func (l lang) Money(amount int64) string {
	sep := "."
	if l == en {
		sep = ","
	}
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := strconv.FormatInt(amount, 10)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(ch)
	}
	out := b.String() + " ₫"
	if neg {
		out = "-" + out
	}
	return out
}

// Percent formats a rate from 0 to 1 (nil: no dossier resolved).
func (l lang) Percent(rate *float64) string {
	if rate == nil {
		return "—"
	}
	s := strconv.FormatFloat(*rate*100, 'f', 1, 64)
	if l == vi {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " %"
}

// Label translates a code of the API (a status, stage, channel, action…)
// through the messages, falling back to the code itself.
func (l lang) Label(kind, code string) string {
	if code == "" {
		return "—"
	}
	if _, ok := messages[kind+"."+code]; ok {
		return l.T(kind + "." + code)
	}
	return code
}

// workCalendar is the official calendar built into the binary, with the
// usual office hours: what "working time left" is counted in. An agency's
// own office hours may differ slightly; the due times themselves are the
// workflow's.
var workCalendar = func() *calendar.Calendar {
	table, err := calendar.ParseHolidays(data.Holidays)
	if err != nil {
		return calendar.Default()
	}
	c, err := calendar.New(calendar.DefaultWindows(), table)
	if err != nil {
		return calendar.Default()
	}
	return c
}()

// Left says how much working time remains until due, or how long it is
// overdue, in working days and hours (a working day is 8 hours).
func (l lang) Left(now time.Time, due *time.Time) string {
	if due == nil {
		return ""
	}
	if due.Before(now) {
		return l.T("overdue")
	}
	d, err := workCalendar.Between(now, *due)
	if err != nil {
		d = calendar.Default().WorkingTimeBetween(now, *due)
	}
	days := int(d / (8 * time.Hour))
	hours := int((d % (8 * time.Hour)) / time.Hour)
	mins := int((d % time.Hour) / time.Minute)
	switch {
	case days > 0:
		return strings.NewReplacer("{d}", strconv.Itoa(days), "{h}", strconv.Itoa(hours)).Replace(l.T("left_days"))
	case hours > 0:
		return strings.NewReplacer("{h}", strconv.Itoa(hours), "{m}", strconv.Itoa(mins)).Replace(l.T("left_hours"))
	}
	return strings.NewReplacer("{m}", strconv.Itoa(mins)).Replace(l.T("left_minutes"))
}

// messages: key → {Vietnamese, English}.
var messages = map[string][2]string{
	"app":                         {"Một cửa — bàn làm việc", "One-stop — staff console"},
	"track_title":                 {"Tra cứu hồ sơ", "Track your dossier"},
	"inbox":                       {"Hồ sơ cần xử lý", "Inbox"},
	"reports":                     {"Báo cáo", "Reports"},
	"dead_letters":                {"Thông báo không gửi được", "Undelivered notices"},
	"dead_letters_help":           {"Thông báo mà nhà cung cấp từ chối hẳn (số điện thoại sai, mẫu chưa duyệt) hoặc vẫn chưa gửi được sau 24 giờ. Hồ sơ không bị chặn; hãy liên hệ người nộp bằng cách khác.", "Notices a provider refused for good (a wrong number, a template not approved) or still unsent after 24 hours. The dossier is not held up; reach the applicant another way."},
	"no_dead_letters":             {"Không có thông báo nào bị kẹt.", "No undelivered notices."},
	"notice":                      {"Thông báo", "Notice"},
	"attempts":                    {"Số lần gửi", "Attempts"},
	"failed_at":                   {"Thời điểm", "When"},
	"notice_channel":              {"Kênh gửi", "Sent by"},
	"signin":                      {"Đăng nhập", "Sign in"},
	"signout":                     {"Đăng xuất", "Sign out"},
	"signed_in_as":                {"Đang đăng nhập", "Signed in as"},
	"language":                    {"Ngôn ngữ", "Language"},
	"not_found":                   {"Không tìm thấy trang này.", "This page does not exist."},
	"cross_site":                  {"Yêu cầu không đến từ trang này nên bị từ chối.", "The request did not come from this site and was refused."},
	"dev_signin":                  {"Đăng nhập thử (chỉ môi trường phát triển)", "Development sign-in (development only)"},
	"dev_signin_note":             {"Chọn vai trò và cơ quan; hệ thống cấp một mã thử có hiệu lực 10 giờ.", "Pick a role and an agency; a development token valid for 10 hours is issued."},
	"oidc_signin":                 {"Đăng nhập bằng tài khoản cơ quan", "Sign in with your organisation's account"},
	"no_signin":                   {"Chưa cấu hình cách đăng nhập (MOTCUA_OIDC_CLIENT_ID).", "No sign-in is configured (MOTCUA_OIDC_CLIENT_ID)."},
	"name":                        {"Họ tên", "Name"},
	"role":                        {"Vai trò", "Role"},
	"agency":                      {"Cơ quan", "Agency"},
	"all_agencies":                {"Tất cả cơ quan", "All agencies"},
	"role.portal":                 {"Cổng dịch vụ công", "Portal"},
	"role.intake_officer":         {"Cán bộ tiếp nhận", "Intake officer"},
	"role.reviewer":               {"Chuyên viên thụ lý", "Reviewer"},
	"role.leader":                 {"Lãnh đạo", "Leader"},
	"role.admin":                  {"Quản trị", "Administrator"},
	"role.ops":                    {"Vận hành", "Operations"},
	"code":                        {"Mã hồ sơ", "Dossier code"},
	"procedure":                   {"Thủ tục", "Procedure"},
	"stage":                       {"Bước", "Stage"},
	"status":                      {"Trạng thái", "Status"},
	"channel":                     {"Kênh nộp", "Channel"},
	"due":                         {"Hạn bước hiện tại", "Step due"},
	"appointment":                 {"Ngày hẹn trả", "Appointment"},
	"applicant":                   {"Người nộp", "Applicant"},
	"search":                      {"Tìm mã hồ sơ hoặc tên (không dấu)", "Search code or name (no diacritics)"},
	"filter":                      {"Lọc", "Filter"},
	"any":                         {"Tất cả", "Any"},
	"overdue_only":                {"Chỉ hồ sơ quá hạn", "Overdue only"},
	"due_week":                    {"Đến hạn trong tuần này", "Due this week"},
	"next_page":                   {"Trang sau", "Next page"},
	"first_page":                  {"Trang đầu", "First page"},
	"no_dossiers":                 {"Không có hồ sơ nào.", "No dossiers."},
	"overdue":                     {"Quá hạn", "Overdue"},
	"warning":                     {"Sắp đến hạn", "Due soon"},
	"on_track":                    {"Trong hạn", "On track"},
	"left_days":                   {"còn {d} ngày {h} giờ làm việc", "{d} working days {h} h left"},
	"left_hours":                  {"còn {h} giờ {m} phút làm việc", "{h} h {m} min of working time left"},
	"left_minutes":                {"còn {m} phút làm việc", "{m} min of working time left"},
	"documents":                   {"Thành phần hồ sơ", "Documents"},
	"timeline":                    {"Phiếu kiểm soát quá trình", "Control sheet"},
	"fee":                         {"Phí, lệ phí", "Fee"},
	"shipment":                    {"Bưu chính", "Shipment"},
	"current_step":                {"Bước hiện tại", "Current step"},
	"decisions":                   {"Quyết định", "Decisions"},
	"no_decisions":                {"Bạn không có quyết định nào cần đưa ra cho hồ sơ này lúc này.", "There is nothing for you to decide on this dossier now."},
	"refused_by_api":              {"Không thực hiện được", "Not done"},
	"done":                        {"Đã ghi nhận.", "Recorded."},
	"temporal_link":               {"Xem luồng xử lý trong Temporal UI", "Open the workflow in the Temporal UI"},
	"id_number":                   {"Số định danh", "Identity number"},
	"phone":                       {"Điện thoại", "Phone"},
	"address":                     {"Địa chỉ", "Address"},
	"supplement_missing":          {"Cần bổ sung", "To supplement"},
	"supplement_due":              {"Hạn bổ sung", "Supplement due"},
	"result_document":             {"Văn bản kết quả", "Result document"},
	"return_method":               {"Hình thức trả kết quả", "Return"},
	"received_at":                 {"Ngày tiếp nhận", "Received"},
	"submitted_at":                {"Ngày nộp", "Submitted"},
	"amount":                      {"Số tiền", "Amount"},
	"note":                        {"Ghi chú / lý do", "Note / reasons"},
	"reason":                      {"Lý do", "Reason"},
	"missing_items":               {"Giấy tờ cần bổ sung (mỗi dòng một mục)", "Missing items (one per line)"},
	"decision":                    {"Quyết định", "Decision"},
	"send":                        {"Gửi", "Send"},
	"form.intake":                 {"Tiếp nhận hồ sơ", "Intake"},
	"form.review":                 {"Thẩm định", "Review"},
	"form.approval":               {"Phê duyệt, ký", "Approve and sign"},
	"form.supplement":             {"Nhận hồ sơ bổ sung tại quầy", "Supplement received at the counter"},
	"form.payment":                {"Thu phí tại quầy", "Counter payment"},
	"form.handover":               {"Trả kết quả tại quầy", "Counter handover"},
	"form.apology":                {"Thư xin lỗi, hẹn lại ngày trả", "Apology letter with a new date"},
	"form.extension":              {"Gia hạn bước hiện tại", "Extend the current step"},
	"form.assignment":             {"Giao cho chuyên viên khác", "Assign to another reviewer"},
	"form.stop":                   {"Dừng xử lý (mẫu 05)", "Stop processing (form 05)"},
	"form.return-method":          {"Đổi hình thức trả kết quả", "Change the return method"},
	"form.fee-exemption":          {"Miễn, giảm phí, lệ phí", "Fee exemption or reduction"},
	"new_return_method":           {"Hình thức mới", "New method"},
	"return_address":              {"Địa chỉ nhận qua bưu chính (nếu chưa có)", "Postal address (if none on file)"},
	"fee_after":                   {"Số phí sau miễn, giảm (0: miễn)", "Fee after the reduction (0: exempt)"},
	"legal_basis":                 {"Căn cứ pháp lý", "Legal basis"},
	"suspensions":                 {"Tạm ngừng bưu chính", "Postal suspensions"},
	"suspensions_help":            {"Khi bưu chính tạm ngừng tại một địa bàn, hồ sơ trả kết quả qua bưu chính tại đó được đề nghị nhận tại quầy hoặc điện tử, và người nộp mới được báo ngay.", "While the postal service is suspended in an area, dossiers returning by post there are offered counter or electronic pickup, and new applicants there are told at once."},
	"no_suspensions":              {"Không có đợt tạm ngừng nào đang hoặc sắp áp dụng.", "No suspension now or ahead."},
	"area":                        {"Địa bàn (mã xã/phường hoặc quận/huyện)", "Area (ward/commune or district code)"},
	"suspend":                     {"Tạm ngừng", "Suspend"},
	"end_suspension":              {"Kết thúc", "End"},
	"new_suspension":              {"Tạm ngừng bưu chính tại một địa bàn", "Suspend the postal service in an area"},
	"notified":                    {"Hồ sơ đã được báo", "Dossiers told"},
	"decision.accept":             {"Tiếp nhận", "Accept"},
	"decision.request_supplement": {"Yêu cầu bổ sung", "Request a supplement"},
	"decision.refuse":             {"Từ chối", "Refuse"},
	"decision.approve":            {"Đồng ý", "Approve"},
	"decision.return":             {"Trả lại bước trước", "Return"},
	"decision.reject":             {"Không phê duyệt", "Reject"},
	"assessed_fee":                {"Phí thẩm định (nếu có)", "Assessed fee (if any)"},
	"result_file":                 {"Tệp văn bản kết quả đã ký (tùy chọn)", "Signed result document file (optional)"},
	"supplement_file":             {"Tệp giấy tờ bổ sung", "Supplement document file"},
	"receipt_number":              {"Số biên lai", "Receipt number"},
	"received_by":                 {"Người nhận kết quả", "Received by"},
	"new_appointment":             {"Ngày hẹn mới", "New appointment"},
	"new_due":                     {"Hạn mới của bước", "New step due time"},
	"assignee":                    {"Người được giao", "Assignee"},
	"period":                      {"Kỳ báo cáo", "Period"},
	"from":                        {"Từ ngày", "From"},
	"to":                          {"Đến ngày", "To"},
	"show":                        {"Xem", "Show"},
	"download_csv":                {"Tải CSV", "Download CSV"},
	"awaiting_intake":             {"Chờ tiếp nhận (trực tuyến, bưu chính; ngoài mẫu II.06a)", "Awaiting intake (online, postal; outside form II.06a)"},
	"download_xlsx":               {"Tải Excel (mẫu II.06a)", "Download Excel (form II.06a)"},
	"sector":                      {"Lĩnh vực", "Sector"},
	"all_sectors":                 {"Tất cả lĩnh vực", "All sectors"},
	"all_channels":                {"Tất cả kênh", "All channels"},
	"group_by":                    {"Chi tiết theo", "Rows by"},
	"no_grouping":                 {"Không", "None"},
	"group.agency":                {"Cơ quan tiếp nhận", "Receiving agency"},
	"group.sector":                {"Lĩnh vực", "Sector"},
	"group.procedure":             {"Thủ tục", "Procedure"},
	"group.channel":               {"Kênh nộp", "Channel"},
	"group.department":            {"Đơn vị giải quyết", "Processing department"},
	"ending.result":               {"Có kết quả", "With a result"},
	"ending.refused":              {"Từ chối", "Refused"},
	"ending.withdrawn":            {"Rút hồ sơ", "Withdrawn"},
	"ending.stopped":              {"Dừng xử lý", "Stopped"},
	"print_logbook":               {"In sổ theo dõi hồ sơ (mẫu 07)", "Print the dossier logbook (form 07)"},
	"logbook_agency":              {"Chọn một cơ quan để in sổ theo dõi hồ sơ", "Choose an agency to print its dossier logbook"},
	"print_forms":                 {"In biểu mẫu", "Print forms"},
	"verify_title":                {"Xác thực văn bản điện tử", "Verify an electronic document"},
	"verify_intro":                {"Chọn tệp PDF kết quả đã nhận để kiểm tra: có đúng do Trung tâm phát hành, do cơ quan nào ký, và có bị sửa đổi không.", "Choose the result PDF you received to check whether this center issued it, which agency signed it, and whether it was changed."},
	"verify_file":                 {"Tệp PDF cần xác thực", "PDF file to verify"},
	"verify_submit":               {"Xác thực", "Verify"},
	"verify_agency":               {"Cơ quan ký", "Signed by"},
	"verify_signed_at":            {"Thời điểm ký", "Signed at"},
	"verdict.valid":               {"Văn bản hợp lệ", "Valid document"},
	"verdict.altered":             {"Văn bản đã bị thay đổi", "The document was changed"},
	"verdict.not_issued_here":     {"Không do Trung tâm phát hành", "Not issued by this center"},
	"verdict.unsigned":            {"Văn bản không có chữ ký số", "The document is not signed"},
	"print.01":                    {"Mẫu 01 · Giấy tiếp nhận và hẹn trả kết quả", "Form 01 · Receipt and appointment"},
	"print.02":                    {"Mẫu 02 · Phiếu yêu cầu bổ sung", "Form 02 · Supplement request"},
	"print.03":                    {"Mẫu 03 · Phiếu từ chối", "Form 03 · Refusal"},
	"print.04":                    {"Mẫu 04 · Phiếu xin lỗi và hẹn lại", "Form 04 · Apology and new appointment"},
	"print.05":                    {"Mẫu 05 · Thông báo dừng xử lý", "Form 05 · Notice of stopped processing"},
	"print.06":                    {"Mẫu 06 · Phiếu kiểm soát quá trình", "Form 06 · Processing control sheet"},
	"summary":                     {"Tổng hợp II.06a", "Summary II.06a"},
	"received_total":              {"Tiếp nhận", "Received"},
	"carried_over":                {"Kỳ trước chuyển qua", "Carried over"},
	"new":                         {"Mới tiếp nhận", "New"},
	"online":                      {"Trực tuyến", "Online"},
	"counter":                     {"Trực tiếp", "At the counter"},
	"postal":                      {"Bưu chính", "By post"},
	"resolved":                    {"Đã giải quyết", "Resolved"},
	"early":                       {"Trước hạn", "Early"},
	"on_time":                     {"Đúng hạn", "On time"},
	"late":                        {"Quá hạn", "Late"},
	"pending":                     {"Đang giải quyết", "Pending"},
	"not_due":                     {"Chưa đến hạn", "Not due"},
	"on_time_rate":                {"Tỷ lệ đúng hạn", "On-time rate"},
	"monthly_rate":                {"Tỷ lệ đúng hạn theo tháng, năm", "Monthly on-time rate,"},
	"month":                       {"Tháng", "Month"},
	"download_result":             {"Tải kết quả", "Download the result"},
	"document_declared":           {"chưa nộp tệp", "file not sent yet"},
	"track_intro":                 {"Nhập mã hồ sơ và mã tra cứu in trên giấy tiếp nhận.", "Enter the dossier code and the lookup key printed on your receipt."},
	"lookup_key":                  {"Mã tra cứu", "Lookup key"},
	"look_up":                     {"Tra cứu", "Look up"},
	"next_step":                   {"Việc cần làm tiếp", "What to do next"},
	"next.supplement":             {"Hồ sơ cần bổ sung: vui lòng nộp bổ sung giấy tờ theo thông báo trước hạn bổ sung.", "Your dossier needs a supplement: send the missing documents named in the notice before the deadline."},
	"next.pay":                    {"Vui lòng nộp phí, lệ phí.", "Please pay the fee."},
	"next.pay_link":               {"Thanh toán trực tuyến", "Pay online"},
	"next.collect":                {"Kết quả đã có: mời đến bộ phận một cửa nhận kết quả, mang theo giấy tiếp nhận.", "Your result is ready: collect it at the one-stop counter with your receipt."},
	"next.postal":                 {"Kết quả được gửi qua bưu chính.", "Your result is on its way by post."},
	"next.electronic":             {"Kết quả được trả điện tử.", "Your result is issued electronically."},
	"next.wait":                   {"Hồ sơ đang được xử lý; không cần làm gì thêm.", "Your dossier is being processed; nothing to do."},
	"next.closed":                 {"Hồ sơ đã kết thúc.", "Your dossier is closed."},
	"bad_input":                   {"Dữ liệu nhập không hợp lệ", "Invalid input"},
	"stage.intake":                {"Tiếp nhận", "Intake"},
	"stage.review":                {"Thẩm định", "Review"},
	"stage.approval":              {"Phê duyệt", "Approval"},
	"stage.payment":               {"Thu phí", "Payment"},
	"stage.return":                {"Trả kết quả", "Return"},
	"stage.done":                  {"Hoàn tất", "Done"},
	"status.submitted":            {"Mới đăng ký", "Submitted"},
	"status.received":             {"Được tiếp nhận", "Received"},
	"status.refused":              {"Không được tiếp nhận", "Refused"},
	"status.declined":             {"Từ chối giải quyết", "Declined after receipt"},
	"status.processing":           {"Đang xử lý", "Processing"},
	"status.supplement_requested": {"Yêu cầu bổ sung", "Supplement requested"},
	"status.awaiting_payment":     {"Chờ nộp phí", "Awaiting payment"},
	"status.withdrawn":            {"Rút hồ sơ", "Withdrawn"},
	"status.stopped":              {"Dừng xử lý", "Stopped"},
	"status.result_ready":         {"Đã có kết quả", "Result ready"},
	"status.returned":             {"Đã trả kết quả", "Returned"},
	"channel.online":              {"Trực tuyến", "Online"},
	"channel.counter":             {"Trực tiếp", "Counter"},
	"channel.postal":              {"Bưu chính", "Post"},
	"return.counter":              {"Tại quầy", "At the counter"},
	"return.postal":               {"Qua bưu chính", "By post"},
	"return.electronic":           {"Điện tử", "Electronic"},
	"fee.none":                    {"Không thu phí", "No fee"},
	"fee.not_yet":                 {"chưa đến bước thu phí", "not requested yet"},
	"fee.awaiting_payment":        {"Chờ nộp", "Awaiting payment"},
	"fee.paid":                    {"Đã nộp", "Paid"},
	"fee.refund_due":              {"Phải hoàn trả", "Refund due"},
	"fee.on_delivery":             {"Bưu điện thu khi phát", "Collected on delivery"},
	"fee.pay_postman":             {"nộp cho bưu tá khi nhận kết quả", "paid to the postman on delivery"},
	"fee_method.online":           {"trực tuyến", "online"},
	"fee_method.counter":          {"tại quầy", "at the counter"},
	"fee_method.cod":              {"bưu điện thu hộ", "collected by the post office"},
	"pay_on_delivery":             {"Nộp phí cho bưu tá khi nhận (bưu điện thu hộ)", "Pay the fee to the postman on delivery"},
	"shipment.requested":          {"Đã yêu cầu gửi", "Requested"},
	"shipment.picked_up":          {"Bưu tá đã nhận", "Picked up"},
	"shipment.delivered":          {"Đã phát", "Delivered"},
	"shipment.failed":             {"Phát không thành công", "Delivery failed"},
}
