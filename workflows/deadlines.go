package workflows

// Deadlines: one timer on the earliest pending deadline, warnings and
// escalations, apology letters and extensions.

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/dossier"
)

// ---- Deadlines -------------------------------------------------------------

// nextDeadline is the earliest deadline not yet acted on: a supplement's
// deadline; while the clock runs, the current step's warning and due time;
// until the result is ready, the apology deadline and the appointment.
func (r *run) nextDeadline() time.Time {
	next, _ := r.nextDeadlineNamed()
	return next
}

// deadlineLabel says what a deadline is, for the timer's summary in the
// Temporal UI. It is a value, turned into text only when a timer is armed:
// nextDeadline runs in the main loop's Await condition, i.e. on every pass
// of the workflow's dispatcher.
type deadlineLabel struct {
	text       string
	step, dept string // "step <step>[ due for <dept>]" before text
}

func (l deadlineLabel) String() string {
	switch {
	case l.dept != "":
		return "step " + l.step + " due for " + l.dept + l.text
	case l.step != "":
		return "step " + l.step + l.text
	}
	return l.text
}

// nextDeadlineNamed is nextDeadline with what that deadline is.
func (r *run) nextDeadlineNamed() (next time.Time, what deadlineLabel) {
	consider := func(t time.Time, name deadlineLabel) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next, what = t, name
		}
	}
	if !r.legalTime {
		if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue {
			consider(s.DueAt, deadlineLabel{step: s.Name, text: " due"})
		}
		if a := r.st.AppointmentAt; a != nil && !r.st.Overdue && r.st.FinishedAt == nil {
			consider(*a, deadlineLabel{text: deadlineAppointment})
		}
		return next, what
	}
	if sp := r.st.Supplement; sp != nil {
		consider(sp.DueAt, deadlineLabel{text: "supplement deadline: without the supplement the dossier is refused"})
	}
	if r.paymentWatch() {
		if !r.st.PaymentReminded && r.in.Rules.PaymentReminderBefore > 0 {
			consider(r.st.PaymentExpiresAt.Add(-r.in.Rules.PaymentReminderBefore), deadlineLabel{text: "payment reminder to the applicant"})
		}
		consider(r.st.PaymentExpiresAt, deadlineLabel{text: "online payment request expires (the counter remains)"})
	}
	if r.outageWatch() {
		if !r.st.OutageNotified {
			consider(r.st.ShipmentSince.Add(r.in.Rules.PostalOutageNotice), deadlineLabel{text: "postal outage: staff are told"})
		}
		consider(r.st.ShipmentSince.Add(r.in.Rules.PostalOutageFallback), deadlineLabel{text: "postal outage: counter pickup is offered"})
	}
	if r.st.PausedAt != nil || r.st.Status.Final() {
		return next, what // the legal clock is stopped
	}
	if s := r.st.CurrentStep; s != nil {
		if s.WarnAt != nil && !r.st.StepWarned && !r.st.StepOverdue {
			consider(*s.WarnAt, deadlineLabel{step: s.Name, text: " warning: most of its time is used"})
		}
		if !r.st.StepOverdue {
			consider(s.DueAt, deadlineLabel{step: s.Name, text: " due: escalated to the department's leader"})
		}
		if r.lifecycle && len(s.Branches) > 1 {
			for _, b := range s.Branches {
				if !b.Decided && !b.Escalated {
					consider(b.DueAt, deadlineLabel{step: s.Name, dept: b.Department, text: ": escalated to its leader"})
				}
			}
		}
	}
	if r.st.FinishedAt == nil {
		if r.apologyPending() {
			consider(r.st.ApologyBy, deadlineLabel{text: "apology deadline: a leader must issue an apology letter (form 04) with a new appointment"})
		}
		if a, ok := r.overdueAt(); ok && !r.st.Overdue {
			consider(a, deadlineLabel{text: deadlineAppointment})
		}
	}
	return next, what
}

// deadlineAppointment: the legal deadline of the whole dossier.
const deadlineAppointment = "appointment to return the result: the dossier becomes overdue"

// apologyPending: the apology deadline is still ahead of the dossier.
func (r *run) apologyPending() bool {
	return !r.st.ApologyBy.IsZero() && !r.st.ApologyRequired &&
		r.st.AppointmentResets < r.in.Rules.MaxAppointmentResets
}

// armDeadline keeps exactly one timer, on the earliest pending deadline;
// it replaces the timer only when that deadline changes. One timer on the
// earliest of all deadlines does what a timer per step and one per dossier
// would, with fewer history events for a dossier that waits for months.
func (r *run) armDeadline(ctx workflow.Context) {
	next, what := r.nextDeadlineNamed()
	if next.Equal(r.armedAt) {
		return
	}
	if r.cancelTimer != nil {
		r.cancelTimer()
		r.cancelTimer = nil
	}
	r.armedAt = next
	if next.IsZero() {
		return
	}
	wait := next.Sub(r.now(ctx))
	if wait <= 0 {
		r.deadlineFired = true
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	r.cancelTimer = cancel
	// The summary (shown on the timer in the Temporal UI) is not part of
	// command matching on replay (the SDK matches a timer by its ID), so
	// histories recorded without it replay unchanged: no GetVersion.
	timer := workflow.NewTimerWithOptions(tctx, wait, workflow.TimerOptions{
		Summary: what.String() + " — " + formatLocal(next),
	})
	workflow.Go(ctx, func(gctx workflow.Context) {
		if err := timer.Get(gctx, nil); err == nil {
			r.deadlineFired = true
		}
	})
}

// handleDeadlines acts on every deadline that has passed: it records it on
// the control sheet and notifies who must act.
func (r *run) handleDeadlines(ctx workflow.Context) {
	// The timer that fired is spent: arm afresh afterwards.
	r.armedAt = time.Time{}
	r.cancelTimer = nil
	now := r.now(ctx)
	if r.paymentWatch() {
		if !r.st.PaymentReminded && r.in.Rules.PaymentReminderBefore > 0 &&
			!r.st.PaymentExpiresAt.Add(-r.in.Rules.PaymentReminderBefore).After(now) {
			m := r.mark(ctx)
			r.st.PaymentReminded = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentReminder,
				Note: "the payment request closes at " + formatLocal(r.st.PaymentExpiresAt)},
				notify(dossier.Notification{To: dossier.ToApplicant, Template: "payment_reminder",
					Message: fmt.Sprintf("Hồ sơ %s: vui lòng nộp phí %d đồng trước %s", r.in.Code, r.st.Fee.Amount, formatLocal(r.st.PaymentExpiresAt))}))
		}
		if !r.st.PaymentExpiresAt.After(now) {
			m := r.mark(ctx)
			r.st.PaymentExpired = true
			extra := r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "payment_expired",
				"Hồ sơ "+r.in.Code+": yêu cầu thanh toán đã hết hạn")
			extra.Notifications = append(extra.Notifications, dossier.Notification{To: dossier.ToApplicant, Template: "payment_expired",
				Message: "Hồ sơ " + r.in.Code + ": yêu cầu thanh toán trực tuyến đã hết hạn; có thể nộp phí tại bộ phận một cửa"})
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionPaymentExpired,
				Note: "the dossier keeps waiting: the fee can be paid at the counter"}, extra)
		}
	}
	if r.lifecycle && r.st.PausedAt == nil && !r.st.Status.Final() {
		if s := r.st.CurrentStep; s != nil && len(s.Branches) > 1 {
			for i := range s.Branches {
				b := &s.Branches[i]
				if b.Decided || b.Escalated || b.DueAt.After(now) {
					continue
				}
				// Each department of a parallel step is escalated on its own.
				m := r.mark(ctx)
				b.Escalated = true
				_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepOverdue, Step: s.Name, Department: b.Department,
					Note: "department's part due at " + b.DueAt.In(dossier.Location).Format(time.RFC3339)},
					r.toAgencies([]string{b.Department}, dossier.ToLeader, "step_overdue",
						"Hồ sơ "+r.in.Code+": phần việc của đơn vị ở bước "+s.Name+" đã quá hạn ("+formatLocal(b.DueAt)+")"))
			}
		}
	}
	if r.outageWatch() {
		if !r.st.OutageNotified && !r.st.ShipmentSince.Add(r.in.Rules.PostalOutageNotice).After(now) {
			m := r.mark(ctx)
			r.st.OutageNotified = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionShipmentDelayed,
				Note: "the postal service has not accepted the shipment since " + formatLocal(r.st.ShipmentSince)},
				r.toAgencies([]string{r.in.Procedure.IntakeAgency}, dossier.ToDepartment, "postal_outage",
					"Bưu điện chưa nhận chuyển phát hồ sơ "+r.in.Code+" từ "+formatLocal(r.st.ShipmentSince)))
		}
		if !r.st.ShipmentSince.Add(r.in.Rules.PostalOutageFallback).After(now) {
			m := r.mark(ctx)
			r.st.ReturnMethod = dossier.ReturnCounter
			if r.cancelShipment != nil {
				r.cancelShipment()
			}
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionCounterPickup,
				Note: "postal service unavailable since " + formatLocal(r.st.ShipmentSince) + "; the result waits at the counter" + r.codNotCollected()},
				notify(dossier.Notification{To: dossier.ToApplicant, Template: "counter_pickup",
					Message: "Bưu điện tạm ngừng: mời nhận kết quả hồ sơ " + r.in.Code + " tại bộ phận một cửa"}))
		}
	}
	if r.legalTime {
		if sp := r.st.Supplement; sp != nil && !sp.DueAt.After(now) {
			r.expireSupplement(ctx)
			return
		}
		if r.st.PausedAt != nil || r.st.Status.Final() {
			return
		}
		if s := r.st.CurrentStep; s != nil && s.WarnAt != nil && !r.st.StepWarned && !s.WarnAt.After(now) && s.DueAt.After(now) {
			// (A step already past its due time is escalated instead.)
			m := r.mark(ctx)
			r.st.StepWarned = true
			_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepWarning, Step: s.Name,
				Note: "step due at " + formatLocal(s.DueAt)},
				r.toAgencies(s.Pending, dossier.ToDepartment, "step_warning",
					"Hồ sơ "+r.in.Code+": bước "+s.Name+" sắp đến hạn ("+formatLocal(s.DueAt)+")"))
		}
	}
	if s := r.st.CurrentStep; s != nil && !r.st.StepOverdue && !s.DueAt.After(now) {
		m := r.mark(ctx)
		r.st.StepOverdue = true
		var extra dossier.Transition
		if r.legalTime {
			// Escalate: the step is late; its departments' leaders are told.
			s.Escalated = true
			extra = r.toAgencies(s.Pending, dossier.ToLeader, "step_overdue",
				"Hồ sơ "+r.in.Code+": bước "+s.Name+" đã quá hạn ("+formatLocal(s.DueAt)+")")
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionStepOverdue, Step: s.Name,
			Note: "step due at " + s.DueAt.In(dossier.Location).Format(time.RFC3339)}, extra)
	}
	if r.legalTime && r.st.FinishedAt == nil && r.apologyPending() && !r.st.ApologyBy.After(now) {
		m := r.mark(ctx)
		r.st.ApologyRequired = true
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionApologyRequired,
			Note: "appointment " + formatLocal(*r.st.AppointmentAt) + " will be missed: an apology letter (form 04) is required"},
			r.toAgencies([]string{r.approvalDepartment()}, dossier.ToLeader, "apology_required",
				"Hồ sơ "+r.in.Code+" sẽ trễ hẹn "+formatLocal(*r.st.AppointmentAt)+": cần thư xin lỗi và hẹn lại"))
	}
	if at, ok := r.overdueAt(); ok && !r.st.Overdue && r.st.FinishedAt == nil && !at.After(now) {
		a := r.st.AppointmentAt
		if r.reportRule {
			a = r.due()
		}
		m := r.mark(ctx)
		r.st.Overdue = true
		note := "appointment was " + a.In(dossier.Location).Format(time.RFC3339)
		var extra dossier.Transition
		if r.legalTime {
			if r.st.AppointmentResets > 0 {
				note += " (the appointment set by an apology letter passed too)"
			}
			extra = r.toAgencies([]string{r.approvalDepartment()}, dossier.ToLeader, "appointment_overdue",
				"Hồ sơ "+r.in.Code+" đã quá hạn hẹn trả "+formatLocal(*a))
		}
		_ = r.commitWith(ctx, m, dossier.Event{Action: dossier.ActionAppointmentOverdue, Note: note}, extra)
	}
}

// due is the appointment the rule for late judges against: the original
// one or the latest one, as the rules say (dossier.OverdueFrom).
func (r *run) due() *time.Time {
	against := r.st.OriginalAppointmentAt
	if r.in.Rules.VerdictAgainst == "latest" || against == nil {
		against = r.st.AppointmentAt
	}
	return against
}

// overdueAt is when the unfinished dossier becomes overdue: by the one rule
// for late from VersionReportRule, before it at the latest appointment's
// instant; ok is false before receipt.
func (r *run) overdueAt() (time.Time, bool) {
	if !r.reportRule {
		if a := r.st.AppointmentAt; a != nil {
			return *a, true
		}
		return time.Time{}, false
	}
	due := r.due()
	if due == nil {
		return time.Time{}, false
	}
	if r.overdueAtInstant {
		return *due, true
	}
	return dossier.OverdueFrom(*due), true
}

// ---- Apology letters and extensions ----------------------------------------

func (r *run) validateApology(ctx workflow.Context, a Apology) error {
	if err := r.available(r.legalTime, "an apology letter"); err != nil {
		return err
	}
	if r.st.Status.Final() || r.st.FinishedAt != nil || r.st.AppointmentAt == nil {
		return r.conflict("the dossier has no pending appointment to move")
	}
	if r.st.AppointmentResets >= r.in.Rules.MaxAppointmentResets {
		return r.conflict("the appointment was already moved %d time(s); the rules allow %d",
			r.st.AppointmentResets, r.in.Rules.MaxAppointmentResets)
	}
	if !r.now(ctx).Before(*r.st.AppointmentAt) {
		return r.conflict("the appointment of %s has passed: an apology letter must be issued before it, at least %s of working time before (%s)",
			formatLocal(*r.st.AppointmentAt), r.in.Rules.ApologyLeadTime, r.in.Rules.Cite())
	}
	if strings.TrimSpace(a.Reason) == "" {
		return invalid("reason is required: the apology letter tells the applicant why")
	}
	if !a.NewAppointmentAt.After(*r.st.AppointmentAt) {
		return invalid("new_appointment_at must be after the current appointment %s", formatLocal(*r.st.AppointmentAt))
	}
	return nil
}

func (r *run) onApology(ctx workflow.Context, a Apology) (State, error) {
	m := r.mark(ctx)
	old := *r.st.AppointmentAt
	late, lateNote := r.apologyLate(m.at)
	appt := a.NewAppointmentAt
	r.st.AppointmentAt = &appt
	r.st.AppointmentResets++
	r.st.ApologyRequired = false
	// A further letter, where the rules allow one, is the leader's call:
	// the workflow reminds only before the first.
	r.st.ApologyBy = time.Time{}
	ev := dossier.Event{Action: dossier.ActionApologyIssued, Actor: a.Actor,
		Note: a.Reason + " — appointment moved from " + formatLocal(old) + " to " + formatLocal(appt) + lateNote}
	if late != "" {
		// Reports count the letters issued late (apology.issued, on_time late).
		ev.OnTime = late
	}
	err := r.commitWith(ctx, m, ev, notify(dossier.Notification{To: dossier.ToApplicant, Template: "apology",
		Message: "Thư xin lỗi: hồ sơ " + r.in.Code + " được hẹn lại " + formatLocal(appt) + ". Lý do: " + a.Reason}))
	return r.snapshot(), err
}

// apologyLate judges a first apology letter issued at `at` against its
// deadline, the rules' lead time before the appointment (computed at
// receipt, moved by paused clocks): on_time, or late with what the rule
// says for the control sheet. A letter after the appointment is refused
// instead. A further letter, where the rules allow one, has no deadline
// of its own and is not judged ("").
func (r *run) apologyLate(at time.Time) (verdict, note string) {
	if !r.legalTime || r.in.Rules.ApologyLeadTime <= 0 || r.st.AppointmentResets > 0 {
		return "", ""
	}
	by := r.st.ApologyBy
	if !r.st.ApologyRequired && !by.IsZero() && at.Before(by) {
		return dossier.OnTime, ""
	}
	due := "before receipt (the processing time is shorter than the lead time)"
	if !by.IsZero() {
		due = formatLocal(by)
	}
	return dossier.Late, fmt.Sprintf(" — issued late: due by %s, %s of working time before the appointment (%s)",
		due, r.in.Rules.ApologyLeadTime, r.in.Rules.Cite())
}

func (r *run) validateExtension(ctx workflow.Context, e Extension) error {
	if err := r.available(r.legalTime, "an extension"); err != nil {
		return err
	}
	s := r.st.CurrentStep
	if s == nil || (r.st.Stage != dossier.StageReview && r.st.Stage != dossier.StageApproval) {
		return r.conflict("no department step is open")
	}
	if s.Extended {
		return r.conflict("step %s was already extended once", s.Name)
	}
	if strings.TrimSpace(e.Reason) == "" {
		return invalid("reason is required")
	}
	if !e.NewDueAt.After(s.DueAt) || !e.NewDueAt.After(r.now(ctx)) {
		return invalid("new_due_at must be after the step's due time %s and in the future", formatLocal(s.DueAt))
	}
	return nil
}

func (r *run) onExtension(ctx workflow.Context, e Extension) (State, error) {
	m := r.mark(ctx)
	s := r.st.CurrentStep
	old := s.DueAt
	s.DueAt, s.Extended = e.NewDueAt, true
	r.st.StepDueAt[r.st.StepIndex] = e.NewDueAt
	r.st.StepOverdue = false
	ev := dossier.Event{Action: dossier.ActionStepExtended, Actor: e.Actor, Step: s.Name,
		Note: e.Reason + " — due " + formatLocal(old) + " → " + formatLocal(e.NewDueAt)}
	err := r.commit(ctx, m, ev)
	return r.snapshot(), err
}
