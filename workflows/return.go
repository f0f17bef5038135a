package workflows

// The return of the result (trả kết quả): by post, at the counter or
// electronically; the return method and postal suspensions.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/dossier"
)

// resultReadyNotice tells the applicant where the result waits once the
// return step begins (not while the fee is still owed: the please-pay
// notice comes first). It names the dossier only, no personal data.
func (r *run) resultReadyNotice() dossier.Transition {
	if r.st.Stage != dossier.StageReturn {
		return dossier.Transition{}
	}
	collect := ""
	if r.st.ReturnMethod == dossier.ReturnPostal && r.st.Fee.Status == dossier.FeeOnDelivery {
		collect = strconv.FormatInt(r.st.Fee.Amount, 10) // paid to the postman on delivery
	}
	return r.applicantNotice("result_ready", map[string]string{"return_method": string(r.st.ReturnMethod), "collect": collect})
}

// ---- Return ----------------------------------------------------------------

func (r *run) requestShipment(ctx workflow.Context) {
	r.shipmentBusy = true
	if r.lean {
		r.localAttempts++
	}
	if r.lifecycle {
		if r.st.ShipmentSince.IsZero() {
			r.st.ShipmentSince = r.now(ctx)
		}
		ctx, r.cancelShipment = workflow.WithCancel(ctx)
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.shipmentBusy = false }()
		var res activities.ShipmentResult
		in := activities.ShipmentInput{Code: r.in.Code}
		if r.st.Fee.Status == dossier.FeeOnDelivery {
			in.CollectAmount = r.st.Fee.Amount // the postman collects it on delivery
		}
		err := r.thirdParty(ctx, activities.NameRequestShipment, in, &res)
		if err != nil {
			if temporal.IsCanceledError(err) {
				return // the return fell back to the counter
			}
			r.logger.Error("shipment request failed", "error", err)
			_ = workflow.Sleep(ctx, retryAfterPermanentFailure)
			return
		}
		if r.st.Status.Final() || r.st.Shipment != nil || r.st.ReturnMethod != dossier.ReturnPostal {
			return
		}
		m := r.mark(ctx)
		r.st.Shipment = &dossier.Shipment{Waybill: res.Waybill, Status: dossier.ShipmentRequested}
		note, collect := "waybill "+res.Waybill, ""
		if in.CollectAmount > 0 {
			note += fmt.Sprintf("; %d VND to collect on delivery", in.CollectAmount)
			collect = strconv.FormatInt(in.CollectAmount, 10)
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentRequested, Note: note},
			r.applicantNotice("shipped", map[string]string{"waybill": res.Waybill, "collect": collect}))
	})
}

func (r *run) validatePostal(n PostalNotice) error {
	if r.st.Shipment == nil || r.st.Shipment.Waybill != n.Waybill {
		return r.conflict("waybill %s is not this dossier's shipment", n.Waybill)
	}
	var to dossier.ShipmentStatus
	switch n.Event {
	case "picked_up":
		to = dossier.ShipmentPickedUp
	case "delivered":
		to = dossier.ShipmentDelivered
	case "failed":
		to = dossier.ShipmentFailed
	default:
		return invalid("event must be picked_up, delivered or failed")
	}
	if r.st.Shipment.Status == to {
		return temporal.NewApplicationError("the shipment is already "+string(to), ErrDuplicate)
	}
	if r.st.Stage != dossier.StageReturn {
		return r.conflict("the result is not out for delivery")
	}
	return r.validateCollected(n)
}

func (r *run) onPostal(ctx workflow.Context, n PostalNotice) (State, error) {
	if n.PickedUpAt != nil && n.Event != "picked_up" && r.st.Shipment.Status == dossier.ShipmentRequested {
		// The pickup reached the API alone (PostalNotice.PickedUpAt): it
		// goes on the control sheet now, at its own time, before the
		// delivery or failure. Replay is unaffected: notices recorded
		// before this carry no PickedUpAt.
		r.st.Shipment.Status = dossier.ShipmentPickedUp
		pm := mark{at: *n.PickedUpAt, stage: r.st.Stage, status: r.st.Status}
		// VersionPerfEvents: written with the delivery or failure below,
		// in one local activity and one transaction.
		r.hold = r.perf
		err := r.commit(ctx, pm, dossier.Event{Action: dossier.ActionShipmentPickedUp, Actor: actorPostal,
			Note: "waybill " + n.Waybill})
		r.hold = false
		if err != nil {
			return State{}, err
		}
	}
	m := r.mark(ctx)
	ev := dossier.Event{Actor: actorPostal, Note: "waybill " + n.Waybill}
	if n.Reason != "" {
		ev.Note += ": " + n.Reason
	}
	switch n.Event {
	case "picked_up":
		ev.Action = dossier.ActionShipmentPickedUp
		r.st.Shipment.Status = dossier.ShipmentPickedUp
	case "failed":
		ev.Action = dossier.ActionShipmentFailed
		r.st.Shipment.Status = dossier.ShipmentFailed
		if r.lifecycle {
			// The parcel comes back: the applicant picks the result up.
			r.st.ReturnMethod = dossier.ReturnCounter
			ev.Note += "; the result is brought back to the counter for pickup"
			feeDue := ""
			if due := r.codNotCollected(); due != "" {
				ev.Note += due
				feeDue = strconv.FormatInt(r.st.Fee.Amount, 10)
			}
			err := r.commitWith(ctx, m, ev, notify(notice("counter_pickup", map[string]string{"cause": "delivery_failed", "fee_due": feeDue})))
			return r.snapshot(), err
		}
	case "delivered":
		if r.st.Fee.Status == dossier.FeeOnDelivery {
			if err := r.collectedOnDelivery(ctx, n); err != nil {
				return State{}, err
			}
			m = r.mark(ctx)
		}
		ev.Action = dossier.ActionShipmentDelivered
		r.st.Shipment.Status = dossier.ShipmentDelivered
		r.returned(m, &ev)
		err := r.commitWith(ctx, m, ev, r.applicantNotice("delivered", map[string]string{"waybill": n.Waybill}))
		return r.snapshot(), err
	}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

func (r *run) validateHandover(h Handover) error {
	if r.st.ReturnMethod != dossier.ReturnCounter {
		return r.conflict("the result goes back by %s, not at the counter", r.st.ReturnMethod)
	}
	if r.st.Stage != dossier.StageReturn || r.st.Status != dossier.StatusResultReady {
		return r.conflict("there is no result waiting at the counter")
	}
	if h.ReceivedBy == "" {
		return invalid("received_by is required: who took the result")
	}
	return nil
}

func (r *run) onHandover(ctx workflow.Context, h Handover) (State, error) {
	m := r.mark(ctx)
	ev := dossier.Event{Action: dossier.ActionHandover, Actor: h.Actor, Note: "received by " + h.ReceivedBy}
	r.returned(m, &ev)
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}

func (r *run) issueElectronically(ctx workflow.Context) {
	m := r.mark(ctx)
	ev := dossier.Event{Action: dossier.ActionIssuedElectronic}
	r.returned(m, &ev)
	_ = r.commit(ctx, m, ev)
}

// returned ends the dossier: the result reached the applicant.
func (r *run) returned(m mark, ev *dossier.Event) {
	if step := r.st.CurrentStep; step != nil {
		ev.Step, ev.Department = step.Name, step.Departments[0]
		ev.OnTime = dossier.Timeliness(m.at, step.DueAt)
	}
	r.st.Status, r.st.Stage = dossier.StatusReturned, dossier.StageDone
	r.st.ReturnedAt = &m.at
	r.st.CurrentStep = nil
}

// outageWatch: a postal return whose shipment request has not gone
// through yet is watched for an outage.
func (r *run) outageWatch() bool {
	return r.lifecycle && r.st.Stage == dossier.StageReturn && r.st.ReturnMethod == dossier.ReturnPostal &&
		r.st.Shipment == nil && !r.st.ShipmentSince.IsZero() && !r.st.Status.Final()
}

// ---- Return method ----------------------------------------------------------

func (r *run) validateReturnMethod(c ReturnMethodChange) error {
	if err := r.available(r.lifecycle, "changing the return method"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.FinishedAt != nil {
		return r.conflict("the result is ready: the return method can change only before it is")
	}
	if !c.Method.Valid() {
		return invalid("method must be postal, counter or electronic")
	}
	if c.PayOnDelivery {
		if c.Method != dossier.ReturnPostal {
			return invalid("pay_on_delivery goes with postal return only: the postman collects the fee")
		}
		if !r.in.Procedure.CashOnDelivery {
			return temporal.NewApplicationError(fmt.Sprintf("procedure %s (version %d, the catalog) does not let the postal service collect its fee on delivery (cash_on_delivery, Decision 45/2016/QĐ-TTg)",
				r.in.Procedure.Code, r.in.Procedure.Version), ErrNotAllowed)
		}
		if r.st.Fee.Amount <= 0 || r.st.Fee.Status != dossier.FeeNone {
			return r.conflict("there is no fee left to collect on delivery (%d VND, %s)", r.st.Fee.Amount, r.st.Fee.Status)
		}
	}
	if c.Method == r.st.ReturnMethod && c.PayOnDelivery == r.st.Fee.OnDelivery {
		return invalid("the result already goes back by %s", c.Method)
	}
	if !slices.Contains(r.in.Procedure.ReturnMethods, string(c.Method)) {
		return temporal.NewApplicationError(fmt.Sprintf("procedure %s (version %d, the catalog) returns its result by %s only, not by %s",
			r.in.Procedure.Code, r.in.Procedure.Version, strings.Join(r.in.Procedure.ReturnMethods, ", "), c.Method), ErrNotAllowed)
	}
	return nil
}

func (r *run) onReturnMethod(ctx workflow.Context, c ReturnMethodChange) (State, error) {
	m := r.mark(ctx)
	from := r.st.ReturnMethod
	r.st.ReturnMethod = c.Method
	r.st.Fee.OnDelivery = c.PayOnDelivery
	note := string(from) + " → " + string(c.Method)
	if c.PayOnDelivery {
		note += fmt.Sprintf(", the fee of %d VND paid to the postman on delivery", r.st.Fee.Amount)
	}
	if c.Reason != "" {
		note += ": " + c.Reason
	}
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionReturnMethodChanged, Actor: c.Actor, Note: note},
		notify(notice("return_method_changed", map[string]string{"return_method": string(c.Method)})))
	return r.snapshot(), err
}

// ---- Postal suspension --------------------------------------------------------

func (r *run) validatePostalSuspension(p PostalSuspension) error {
	if err := r.available(r.lifecycle, "a postal suspension notice"); err != nil {
		return err
	}
	if r.st.Status.Final() {
		return r.conflict("the dossier is finished")
	}
	if r.st.ReturnMethod != dossier.ReturnPostal {
		return r.conflict("the result goes back by %s, not by post", r.st.ReturnMethod)
	}
	if sh := r.st.Shipment; sh != nil && sh.Status != dossier.ShipmentRequested {
		return r.conflict("the postal service already has the result (shipment %s)", sh.Status)
	}
	return nil
}

// onPostalSuspension offers the applicant the procedure's other return
// methods: the dossier keeps postal return until they (or the intake
// officer) choose one (return_method), and the intake desk is told.
func (r *run) onPostalSuspension(ctx workflow.Context, p PostalSuspension) (State, error) {
	m := r.mark(ctx)
	var others []string
	for _, x := range r.in.Procedure.ReturnMethods {
		if x != string(dossier.ReturnPostal) {
			others = append(others, x)
		}
	}
	note := "postal service suspended in " + p.Area + " from " + p.From + " to " + p.To + ": " + p.Reason
	if len(others) > 0 {
		note += "; offered: " + strings.Join(others, ", ")
	}
	extra := notify(notice("postal_suspended", map[string]string{"area": p.Area, "from": p.From, "to": p.To,
		"offered": strings.Join(others, ",")}))
	extra.Notifications = append(extra.Notifications, r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment,
		"postal_suspended", "Hồ sơ "+r.in.Code+": bưu chính tại "+p.Area+" tạm ngừng; đã đề nghị người nộp đổi cách nhận").Notifications...)
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPostalSuspended, Actor: p.Actor, Note: note}, extra)
	return r.snapshot(), err
}

// ---- Shipments not picked up -------------------------------------------------

func (r *run) validatePickupOverdue(p PickupOverdue) error {
	if r.st.Status.Final() || r.st.Stage != dossier.StageReturn {
		return r.conflict("the result is not out for delivery")
	}
	if r.st.Shipment == nil || r.st.Shipment.Waybill != p.Waybill || r.st.Shipment.Status != dossier.ShipmentRequested {
		return r.conflict("waybill %s is not a shipment of this dossier waiting for pickup", p.Waybill)
	}
	if r.st.PickupWarned {
		return temporal.NewApplicationError("the intake desk was already warned", ErrDuplicate)
	}
	return nil
}

func (r *run) onPickupOverdue(ctx workflow.Context, p PickupOverdue) (State, error) {
	m := r.mark(ctx)
	r.st.PickupWarned = true
	err := r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentNotPickedUp, Actor: actorSystem,
		Note: "waybill " + p.Waybill + " requested " + formatLocal(p.RequestedAt) + ", not picked up by " + formatLocal(p.Due) + " (" + p.Rule + ")"},
		r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "pickup_overdue",
			"Hồ sơ "+r.in.Code+": bưu điện chưa đến nhận kết quả (vận đơn "+p.Waybill+", yêu cầu lúc "+formatLocal(p.RequestedAt)+")"))
	return r.snapshot(), err
}
