package forms

import "github.com/motcua/motcua/dossier"

// words looks a code up in a table, falling back to the code itself.
func words(table map[string]string, code string) string {
	if w, ok := table[code]; ok {
		return w
	}
	return code
}

var actionWords = map[string]string{
	dossier.ActionSubmitted:          "Nộp hồ sơ",
	dossier.ActionIntakeAccept:       "Tiếp nhận hồ sơ",
	dossier.ActionIntakeRefuse:       "Từ chối tiếp nhận",
	dossier.ActionIntakeSupplement:   "Yêu cầu bổ sung (tiếp nhận)",
	dossier.ActionReviewApprove:      "Thẩm định: đạt",
	dossier.ActionReviewRefuse:       "Thẩm định: không đạt",
	dossier.ActionReviewSupplement:   "Yêu cầu bổ sung (thẩm định)",
	dossier.ActionReviewReturn:       "Trả lại bước trước (thẩm định)",
	dossier.ActionApprovalApprove:    "Phê duyệt",
	dossier.ActionApprovalReject:     "Không phê duyệt",
	dossier.ActionApprovalReturn:     "Trả lại bước trước (phê duyệt)",
	dossier.ActionSupplementIn:       "Nhận hồ sơ bổ sung",
	dossier.ActionSupplementExpired:  "Quá hạn bổ sung",
	dossier.ActionPaymentRequested:   "Yêu cầu nộp phí",
	dossier.ActionPaymentSucceeded:   "Đã nộp phí",
	dossier.ActionPaymentFailed:      "Nộp phí không thành công",
	dossier.ActionPaymentCounter:     "Nộp phí tại quầy",
	dossier.ActionPaymentOnDelivery:  "Bưu điện thu hộ phí khi phát",
	dossier.ActionPaymentReminder:    "Nhắc nộp phí",
	dossier.ActionPaymentExpired:     "Quá hạn nộp phí",
	dossier.ActionShipmentRequested:  "Gửi kết quả qua bưu chính",
	dossier.ActionShipmentPickedUp:   "Bưu tá đã nhận",
	dossier.ActionShipmentDelivered:  "Đã phát kết quả",
	dossier.ActionShipmentFailed:     "Phát không thành công",
	dossier.ActionShipmentDelayed:    "Bưu chính chậm",
	dossier.ActionHandover:           "Trả kết quả tại quầy",
	dossier.ActionCounterPickup:      "Chuyển sang trả tại quầy",
	dossier.ActionIssuedElectronic:   "Trả kết quả điện tử",
	dossier.ActionStepWarning:        "Cảnh báo sắp đến hạn",
	dossier.ActionStepOverdue:        "Quá hạn bước xử lý",
	dossier.ActionAppointmentOverdue: "Quá hẹn trả kết quả",
	dossier.ActionApologyRequired:    "Cần thư xin lỗi",
	dossier.ActionApologyIssued:      "Thư xin lỗi, hẹn lại",
	dossier.ActionStepExtended:       "Gia hạn bước xử lý",
	dossier.ActionStepAssigned:       "Phân công xử lý",
	dossier.ActionWithdrawn:          "Rút hồ sơ",
	dossier.ActionStopped:            "Dừng xử lý",
}

// ActionWords names a control-sheet action in Vietnamese.
func ActionWords(action string) string { return words(actionWords, action) }

var stageWords = map[string]string{
	string(dossier.StageIntake):   "Tiếp nhận",
	string(dossier.StageReview):   "Thẩm định",
	string(dossier.StageApproval): "Phê duyệt",
	string(dossier.StagePayment):  "Thu phí",
	string(dossier.StageReturn):   "Trả kết quả",
	string(dossier.StageDone):     "Hoàn tất",
}

// StageWords names a stage in Vietnamese.
func StageWords(stage string) string { return words(stageWords, stage) }

var statusWords = map[string]string{
	string(dossier.StatusSubmitted):           "Mới đăng ký",
	string(dossier.StatusReceived):            "Được tiếp nhận",
	string(dossier.StatusRefused):             "Không được tiếp nhận",
	string(dossier.StatusProcessing):          "Đang xử lý",
	string(dossier.StatusSupplementRequested): "Yêu cầu bổ sung",
	string(dossier.StatusAwaitingPayment):     "Chờ nộp phí",
	string(dossier.StatusWithdrawn):           "Rút hồ sơ",
	string(dossier.StatusStopped):             "Dừng xử lý",
	string(dossier.StatusResultReady):         "Đã có kết quả",
	string(dossier.StatusReturned):            "Đã trả kết quả",
}

// StatusWords names a status in Vietnamese.
func StatusWords(status string) string { return words(statusWords, status) }

var returnWords = map[string]string{
	string(dossier.ReturnCounter):    "Nhận trực tiếp tại Bộ phận tiếp nhận và trả kết quả",
	string(dossier.ReturnPostal):     "Qua dịch vụ bưu chính công ích",
	string(dossier.ReturnElectronic): "Trực tuyến (bản điện tử có chữ ký số)",
}

// ReturnWords names a return method in Vietnamese.
func ReturnWords(method string) string { return words(returnWords, method) }
