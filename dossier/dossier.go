// Package dossier holds the domain vocabulary of a one-stop center: the
// statuses, stages, channels and return methods a dossier (hồ sơ) moves
// through, and the application error type every layer uses.
//
// It has no dependencies on Temporal, PostgreSQL or HTTP, so workflow code,
// activities, the store and the API all speak the same words.
package dossier

import (
	"fmt"
	"time"
)

// Status is a dossier's status as portals exchange it (the national status
// codes 1–10, and 11 for a refusal after receipt).
type Status string

// The statuses, in the order of their portal codes.
const (
	StatusSubmitted           Status = "submitted"            // 1 mới đăng ký
	StatusReceived            Status = "received"             // 2 được tiếp nhận
	StatusRefused             Status = "refused"              // 3 không được tiếp nhận
	StatusProcessing          Status = "processing"           // 4 đang xử lý
	StatusSupplementRequested Status = "supplement_requested" // 5 yêu cầu bổ sung
	StatusAwaitingPayment     Status = "awaiting_payment"     // 6 nghĩa vụ tài chính
	StatusWithdrawn           Status = "withdrawn"            // 7 rút / trả lại
	StatusStopped             Status = "stopped"              // 8 dừng xử lý
	StatusResultReady         Status = "result_ready"         // 9 đã xử lý xong
	StatusReturned            Status = "returned"             // 10 đã trả kết quả
	// StatusDeclined: received, then refused (a department's refusal, a
	// leader's rejection, a supplement that never came): từ chối giải quyết,
	// distinct from "not received" (3), which is the intake desk's refusal.
	StatusDeclined Status = "declined" // 11 từ chối giải quyết
)

var statusCodes = map[Status]int{
	StatusSubmitted:           1,
	StatusReceived:            2,
	StatusRefused:             3,
	StatusProcessing:          4,
	StatusSupplementRequested: 5,
	StatusAwaitingPayment:     6,
	StatusWithdrawn:           7,
	StatusStopped:             8,
	StatusResultReady:         9,
	StatusReturned:            10,
	StatusDeclined:            11,
}

// Code is the numeric status code (1–11) portals exchange; 0 if unknown.
func (s Status) Code() int { return statusCodes[s] }

// Final reports whether no further transition can follow.
func (s Status) Final() bool {
	switch s {
	case StatusRefused, StatusDeclined, StatusWithdrawn, StatusStopped, StatusReturned:
		return true
	}
	return false
}

// Stage is where in the lifecycle a dossier is.
type Stage string

// The stages, in order.
const (
	StageIntake   Stage = "intake"
	StageReview   Stage = "review"
	StageApproval Stage = "approval"
	StagePayment  Stage = "payment"
	StageReturn   Stage = "return"
	StageDone     Stage = "done"
)

// Channel is how a dossier was filed.
type Channel string

// The channels.
const (
	ChannelOnline  Channel = "online"
	ChannelCounter Channel = "counter"
	ChannelPostal  Channel = "postal"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == ChannelOnline || c == ChannelCounter || c == ChannelPostal
}

// ReturnMethod is how the result reaches the applicant.
type ReturnMethod string

// The return methods.
const (
	ReturnPostal     ReturnMethod = "postal"
	ReturnCounter    ReturnMethod = "counter"
	ReturnElectronic ReturnMethod = "electronic"
)

// Valid reports whether m is a known return method.
func (m ReturnMethod) Valid() bool {
	return m == ReturnPostal || m == ReturnCounter || m == ReturnElectronic
}

// FeeStatus says whether the applicant owes or has paid a fee.
type FeeStatus string

// The fee statuses.
const (
	FeeNone            FeeStatus = "none"
	FeeAwaitingPayment FeeStatus = "awaiting_payment"
	FeePaid            FeeStatus = "paid"
	// FeeRefundDue: the fee was paid but the dossier was withdrawn or
	// stopped; the center owes it back.
	FeeRefundDue FeeStatus = "refund_due"
	// FeeRefunded: the gateway paid the fee back (refund.status succeeded).
	FeeRefunded FeeStatus = "refunded"
	// FeeOnDelivery: the result is on its way by post and the postman
	// collects the fee when he delivers it (Decision 45/2016/QĐ-TTg).
	FeeOnDelivery FeeStatus = "on_delivery"
)

// How a paid fee was paid (Fee.Method).
const (
	FeeMethodOnline  = "online"  // through the payment gateway
	FeeMethodCounter = "counter" // at the counter, against a receipt
	FeeMethodCOD     = "cod"     // to the postman, on delivery of the result
)

// Refund statuses (Progress.Refund.Status).
const (
	RefundPending   = "pending"    // asked of the gateway, not settled yet
	RefundSucceeded = "succeeded"  // paid back
	RefundFailed    = "failed"     // the gateway could not pay it back: staff take over
	RefundAtCounter = "at_counter" // paid at the counter: paid back there
)

// ShipmentStatus is the postal service's view of a result sent by post.
type ShipmentStatus string

// The shipment statuses.
const (
	ShipmentRequested ShipmentStatus = "requested"
	ShipmentPickedUp  ShipmentStatus = "picked_up"
	ShipmentDelivered ShipmentStatus = "delivered"
	ShipmentFailed    ShipmentStatus = "failed"
)

// Location is the time zone all legal time is counted in: Asia/Ho_Chi_Minh,
// UTC+7 with no daylight saving. A fixed zone keeps workflow code and tests
// independent of the machine's tzdata.
var Location = time.FixedZone("ICT", 7*60*60)

// FormatCode renders a dossier code: {agency}-{yyMMdd}-{NNNN}. The counter is
// zero-padded to four digits and grows past them after 9,999 in a day.
func FormatCode(agency string, day time.Time, n int) string {
	return fmt.Sprintf("%s-%s-%04d", agency, day.In(Location).Format("060102"), n)
}
