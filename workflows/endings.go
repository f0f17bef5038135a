package workflows

// Endings without a result: declined after receipt, withdrawn, stopped.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/dossier"
)

// end closes the dossier in a terminal status at `at`: timers stop, an owed
// supplement or a paused clock no longer matters, a paid fee is owed back;
// the finishing time is set unless the result was ready before
// (VersionReportRule).
func (r *run) end(status dossier.Status, at time.Time) {
	r.st.Status, r.st.Stage = status, dossier.StageDone
	if r.reportRule && r.st.FinishedAt == nil {
		r.st.FinishedAt = &at
	}
	r.st.CurrentStep, r.st.Supplement, r.st.PausedAt, r.st.ResumeStatus = nil, nil, nil, ""
	if r.st.Fee.Status == dossier.FeePaid {
		r.st.Fee.Status = dossier.FeeRefundDue
	}
	if r.cancelShipment != nil {
		r.cancelShipment()
	}
	if r.cancelPayment != nil {
		r.cancelPayment()
	}
}

// decline ends a received dossier that will not be resolved (từ chối giải
// quyết): its own status, not "not received"; the applicant is told the
// reasons through the dossier's return channel; a paid fee is owed back
// (end). The refusal notice travels as the applicant's notification: by
// the return method's channel, electronic, at the counter or by post.
func (r *run) decline(ctx workflow.Context, m mark, ev dossier.Event, reasons string) (State, error) {
	r.end(dossier.StatusDeclined, m.at)
	r.planRefund(ctx)
	if r.st.ReturnMethod == dossier.ReturnPostal {
		// The main loop asks the postal service to carry it.
		r.shipNotice = r.lifecycle && r.st.Shipment == nil &&
			workflow.GetVersion(ctx, VersionRefusalNotice, workflow.DefaultVersion, 1) >= 1
	}
	if ev.Note != "" {
		ev.Note += " — "
	}
	ev.Note += "refusal notice returned by " + string(r.st.ReturnMethod)
	if r.st.Fee.Status == dossier.FeeRefundDue {
		ev.Note += fmt.Sprintf("; the fee of %d VND is owed back", r.st.Fee.Amount)
	}
	err := r.commitWith(ctx, m, ev, notify(notice("declined", map[string]string{"reason": reasons,
		"return_method": string(r.st.ReturnMethod)})))
	return r.snapshot(), err
}

func (r *run) validateWithdrawal(w Withdrawal) error {
	if err := r.available(r.lifecycle, "withdrawal"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.FinishedAt != nil {
		return r.conflict("the result is ready; the dossier can no longer be withdrawn")
	}
	if strings.TrimSpace(w.Reason) == "" {
		return invalid("reason is required")
	}
	return nil
}

func (r *run) onWithdrawal(ctx workflow.Context, w Withdrawal) (State, error) {
	m := r.mark(ctx)
	var extra dossier.Transition
	if s := r.st.CurrentStep; s != nil {
		extra = r.toAgencies(s.Departments, dossier.ToDepartment, "withdrawn", "Hồ sơ "+r.in.Code+" đã được rút: "+w.Reason)
	}
	r.end(dossier.StatusWithdrawn, m.at)
	r.planRefund(ctx)
	if r.notices {
		refund := ""
		if r.refund > 0 {
			refund = strconv.Itoa(r.refund)
		}
		extra.Notifications = append(extra.Notifications, notice("withdrawn", map[string]string{"refund": refund}))
	}
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionWithdrawn, Actor: w.Actor, Note: w.Reason}, extra)
	return r.snapshot(), err
}

func (r *run) validateStop(st Stop) error {
	if err := r.available(r.lifecycle, "stopping"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if strings.TrimSpace(st.Reason) == "" {
		return invalid("reason is required: the notice (form 05) tells the applicant why")
	}
	return nil
}

func (r *run) onStop(ctx workflow.Context, st Stop) (State, error) {
	m := r.mark(ctx)
	r.end(dossier.StatusStopped, m.at)
	r.planRefund(ctx)
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStopped, Actor: st.Actor, Note: st.Reason},
		notify(notice("stopped", map[string]string{"reason": st.Reason})))
	return r.snapshot(), err
}

// shipRefusalNotice asks the postal service to carry a declined dossier's
// refusal notice (form 03) to the applicant, the dossier's return channel;
// the workflow closes once the shipment is recorded. Its later postal
// callbacks find the dossier closed and change nothing.
func (r *run) shipRefusalNotice(ctx workflow.Context) {
	r.shipmentBusy = true
	if r.lean {
		r.localAttempts++
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.shipmentBusy = false }()
		var res activities.ShipmentResult
		err := r.thirdParty(ctx, activities.NameRequestShipment, activities.ShipmentInput{Code: r.in.Code,
			Contents: "Thông báo từ chối giải quyết hồ sơ " + r.in.Code}, &res)
		if err != nil {
			// Refused outright: the applicant has the notification.
			r.logger.Error("refusal notice shipment refused", "error", err)
			r.shipNotice = false
			return
		}
		m := r.mark(ctx)
		r.st.Shipment = &dossier.Shipment{Waybill: res.Waybill, Status: dossier.ShipmentRequested}
		_ = r.commit(ctx, m, dossier.Event{Action: dossier.ActionShipmentRequested,
			Note: "refusal notice (form 03), waybill " + res.Waybill})
	})
}
