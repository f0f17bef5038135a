package activities

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/store"
)

// Activities holds what the activities need. Register its methods with the
// worker under the Name* constants (package worker does).
type Activities struct {
	Store    *store.Store
	Payments *payment.Client
	Postal   *postal.Client
	// PublicURL is where the gateway and the postal service reach our
	// callbacks, e.g. https://motcua.example.gov.vn.
	PublicURL string
	Log       *slog.Logger
	// Notices are the applicant notices' templates (nil: the ones in
	// data/notices.yaml).
	Notices *notify.Templates
	// SimulationSpeed, when above 0, replaces the official calendar with
	// Simulated business time (development and load tests only).
	SimulationSpeed float64
	// Calendars keeps the agencies' calendars between activities (nil:
	// read from PostgreSQL every time).
	Calendars *CalendarCache
}

// workingTime is the official calendar from the database with the office
// hours of the given agency, or simulated business time when configured.
func (a *Activities) workingTime(ctx context.Context, agency string) (WorkingTime, error) {
	if a.SimulationSpeed > 0 {
		return Simulated{Speed: a.SimulationSpeed}, nil
	}
	return a.Calendars.Load(ctx, a.Store, agency)
}

// RecordTransition appends a control-sheet event and applies the progress
// to the read model (store.ApplyTransition: idempotent, order-proof). The
// applicant notices come as a template's name and facts: it renders them
// (data/notices.yaml, the version in force at the event) before they are
// written, so the outbox keeps the text, the version and only the facts
// the text used.
func (a *Activities) RecordTransition(ctx context.Context, t dossier.Transition) error {
	if err := a.renderNotices(&t); err != nil {
		return err
	}
	return a.Store.ApplyTransition(ctx, t)
}

// RecordTransitions is RecordTransition for several transitions of one
// dossier, in order, in one transaction (store.ApplyTransitions).
func (a *Activities) RecordTransitions(ctx context.Context, ts []dossier.Transition) error {
	for i := range ts {
		if err := a.renderNotices(&ts[i]); err != nil {
			return err
		}
	}
	return a.Store.ApplyTransitions(ctx, ts)
}

// renderNotices renders t's applicant notices from their templates; a
// notice that cannot be rendered carries the reason and is dead-lettered.
func (a *Activities) renderNotices(t *dossier.Transition) error {
	ts := a.Notices
	if ts == nil {
		var err error
		if ts, err = notify.DefaultTemplates(); err != nil {
			return err
		}
	}
	ts.RenderNotices(t, a.PublicURL)
	for _, n := range t.Notifications {
		if n.RenderError != "" && a.Log != nil {
			a.Log.Error("notice template not rendered: the notice is dead-lettered", "dossier", t.Code,
				"template", n.Template, "error", n.RenderError)
		}
	}
	return nil
}

// LoadCalendar builds the working-time calendar from the official table of
// days off and make-up days in PostgreSQL, with the default office hours.
func LoadCalendar(ctx context.Context, s *store.Store) (*calendar.Calendar, error) {
	return LoadAgencyCalendar(ctx, s, "")
}

// LoadAgencyCalendar is LoadCalendar with the office hours of an agency
// (the default hours when it has none of its own, or agency is "").
func LoadAgencyCalendar(ctx context.Context, s *store.Store, agency string) (*calendar.Calendar, error) {
	windows := calendar.DefaultWindows()
	var periods []calendar.Period
	if agency != "" {
		own, err := s.AgencyWindows(ctx, agency)
		if err != nil {
			return nil, err
		}
		if len(own) > 0 {
			if windows, err = catalog.ParseWindows(own); err != nil {
				return nil, fmt.Errorf("agency %s: %w", agency, err)
			}
		}
		raw, err := s.AgencyPeriods(ctx, agency)
		if err != nil {
			return nil, err
		}
		if periods, err = catalog.ParsePeriods(raw); err != nil {
			return nil, fmt.Errorf("agency %s: %w", agency, err)
		}
	}
	days, err := s.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	byYear := map[int]*calendar.Year{}
	var years []calendar.Year
	order := []int{}
	for _, d := range days {
		y := d.Day.Year()
		if byYear[y] == nil {
			byYear[y] = &calendar.Year{Year: y, Status: d.YearStatus}
			order = append(order, y)
		}
		day := calendar.Day{Date: calendar.DateOf(d.Day), Name: d.Name}
		if d.Kind == "make_up" {
			byYear[y].MakeUpDays = append(byYear[y].MakeUpDays, day)
		} else {
			byYear[y].DaysOff = append(byYear[y].DaysOff, day)
		}
	}
	for _, y := range order {
		years = append(years, *byYear[y])
	}
	table, err := calendar.NewTable(years)
	if err != nil {
		return nil, fmt.Errorf("the holiday table in the database is inconsistent: %w", err)
	}
	return calendar.NewWithPeriods(windows, periods, table)
}

// ComputeSchedule computes a dossier's appointment and each step's due time
// from the moment it was received, in working time. The procedure's step
// shares run back to back from receipt; no step is due after the
// appointment.
func (a *Activities) ComputeSchedule(ctx context.Context, in ScheduleInput) (ScheduleResult, error) {
	// Deadlines follow the receiving agency's office hours.
	cal, err := a.workingTime(ctx, in.Procedure.IntakeAgency)
	if err != nil {
		return ScheduleResult{}, err
	}
	return Schedule(cal, in)
}

// Schedule is ComputeSchedule's arithmetic, without I/O.
func Schedule(cal WorkingTime, in ScheduleInput) (ScheduleResult, error) {
	p := in.Procedure
	cutoff := calendar.DefaultSameDayCutoff
	if p.Duration.Cutoff != "" {
		t, err := time.Parse("15:04", p.Duration.Cutoff)
		if err != nil {
			return ScheduleResult{}, temporal.NewNonRetryableApplicationError("bad same-day cutoff", "InvalidProcedure", err)
		}
		cutoff = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	d := calendar.Duration{Unit: calendar.Unit(p.Duration.Unit), N: p.Duration.For(in.Channel)}
	if d.Unit == calendar.UnitSameDay {
		d.N = 0
	}
	// After the procedure's cut-off the count starts the next working day
	// (same_day applies its cut-off itself, 15:00 unless set).
	from := in.ReceivedAt
	if p.Duration.Cutoff != "" && d.Unit != calendar.UnitSameDay {
		var err error
		if from, err = cal.CountFrom(in.ReceivedAt, cutoff); err != nil {
			return ScheduleResult{}, calendarError(err)
		}
	}
	appointment, err := cal.Due(from, d, cutoff)
	if err != nil {
		return ScheduleResult{}, calendarError(err)
	}
	res := ScheduleResult{AppointmentAt: appointment,
		StepDueAt: make([]time.Time, len(p.Steps)), StepWarnAt: make([]time.Time, len(p.Steps))}
	hours := 0
	start := from
	for i, s := range p.Steps {
		hours += s.Hours()
		due, err := cal.Add(from, time.Duration(hours)*time.Hour)
		if err != nil {
			return ScheduleResult{}, calendarError(err)
		}
		if d.Unit == calendar.UnitSameDay || due.After(appointment) || i == len(p.Steps)-1 {
			due = appointment
		}
		res.StepDueAt[i] = due
		branches := make([]time.Time, 0, len(s.Parallel))
		for _, b := range s.Parallel {
			bdue, err := cal.Add(start, time.Duration(b.Share)*time.Hour)
			if err != nil {
				return ScheduleResult{}, calendarError(err)
			}
			if bdue.After(due) {
				bdue = due
			}
			branches = append(branches, bdue)
		}
		if len(branches) == 0 {
			branches = append(branches, due)
		}
		res.BranchDueAt = append(res.BranchDueAt, branches)
		if in.WarningFraction > 0 && s.Hours() > 0 {
			share := time.Duration(float64(s.Hours()) * float64(time.Hour) * in.WarningFraction)
			warn, err := cal.Add(start, share)
			if err != nil {
				return ScheduleResult{}, calendarError(err)
			}
			if warn.Before(due) {
				res.StepWarnAt[i] = warn
			}
		}
		start = due
	}
	if in.ApologyLeadTime > 0 {
		by, err := cal.Add(appointment, -in.ApologyLeadTime)
		if err != nil {
			return ScheduleResult{}, calendarError(err)
		}
		if by.After(in.ReceivedAt) {
			res.ApologyBy = by
		}
	}
	_, res.OverdueAtInstant = cal.(Simulated)
	if in.SupplementRequestWithin.N > 0 {
		by, err := cal.Due(from, in.SupplementRequestWithin, cutoff)
		if err != nil {
			return ScheduleResult{}, calendarError(err)
		}
		res.SupplementRequestBy = by
	}
	return res, nil
}

// calendarError makes a calendar failure (a year missing from the holiday
// table) a non-retryable error: retrying cannot help until an operator
// imports the year, and the decision that needed it is refused with the
// reason.
func calendarError(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrCalendar, err)
}

// ErrCalendar is the application error type of a calendar failure.
const ErrCalendar = "Calendar"

// DueAfter computes when a duration counted from an instant ends, on the
// official calendar.
func (a *Activities) DueAfter(ctx context.Context, in DueAfterInput) (time.Time, error) {
	cal, err := a.workingTime(ctx, in.Agency)
	if err != nil {
		return time.Time{}, err
	}
	t, err := cal.Due(in.From, in.Duration, calendar.DefaultSameDayCutoff)
	if err != nil {
		return time.Time{}, calendarError(err)
	}
	return t, nil
}

// StartIntakeClock computes the intake deadline of a submission and shows
// it in the intake officers' inbox (the read model's current step) while
// nothing else has happened to the dossier. Idempotent.
func (a *Activities) StartIntakeClock(ctx context.Context, in IntakeClockInput) (IntakeClockResult, error) {
	cal, err := a.workingTime(ctx, in.Agency)
	if err != nil {
		return IntakeClockResult{}, err
	}
	res, err := IntakeClock(cal, in)
	if err != nil {
		return IntakeClockResult{}, err
	}
	if err := a.Store.SetIntakeStep(ctx, in.Code, IntakeStep(in.Agency, res)); err != nil {
		return IntakeClockResult{}, err
	}
	return res, nil
}

// IntakeClock is StartIntakeClock's arithmetic, without I/O.
func IntakeClock(cal WorkingTime, in IntakeClockInput) (IntakeClockResult, error) {
	due, err := cal.Due(in.From, in.Duration, calendar.DefaultSameDayCutoff)
	if err != nil {
		return IntakeClockResult{}, calendarError(err)
	}
	res := IntakeClockResult{DueAt: due}
	if in.WarningFraction > 0 {
		hours := in.Duration.N
		if in.Duration.Unit == calendar.UnitWorkingDays {
			hours *= 8
		}
		warn, err := cal.Add(in.From, time.Duration(float64(hours)*float64(time.Hour)*in.WarningFraction))
		if err != nil {
			return IntakeClockResult{}, calendarError(err)
		}
		if warn.Before(due) {
			res.WarnAt = warn
		}
	}
	return res, nil
}

// IntakeStep is the intake step waiting for the receiving agency's
// decision, as the workflow and the read model show it.
func IntakeStep(agency string, c IntakeClockResult) *dossier.CurrentStep {
	s := &dossier.CurrentStep{Name: catalog.StepIntake, Departments: []string{agency}, Pending: []string{agency},
		DueAt: c.DueAt, Branches: []dossier.Branch{{Department: agency, DueAt: c.DueAt}}}
	if !c.WarnAt.IsZero() {
		w := c.WarnAt
		s.WarnAt = &w
	}
	return s
}

// ShiftInstants moves instants later by the working time the clock was
// paused, on the official calendar.
func (a *Activities) ShiftInstants(ctx context.Context, in ShiftInput) (ShiftResult, error) {
	cal, err := a.workingTime(ctx, in.Agency)
	if err != nil {
		return ShiftResult{}, err
	}
	return Shift(cal, in)
}

// Shift is ShiftInstants' arithmetic, without I/O.
func Shift(cal WorkingTime, in ShiftInput) (ShiftResult, error) {
	paused, err := cal.Between(in.PausedAt, in.ResumedAt)
	if err != nil {
		return ShiftResult{}, calendarError(err)
	}
	res := ShiftResult{Paused: paused, Shifted: make([]time.Time, len(in.Instants))}
	for i, t := range in.Instants {
		if t.IsZero() || paused == 0 {
			res.Shifted[i] = t
			continue
		}
		if res.Shifted[i], err = cal.Add(t, paused); err != nil {
			return ShiftResult{}, calendarError(err)
		}
	}
	return res, nil
}

// RequestPayment asks the gateway for a payment request. The dossier code is
// the gateway's idempotency key, so a retry returns the same request.
func (a *Activities) RequestPayment(ctx context.Context, in PaymentInput) (PaymentResult, error) {
	res, err := a.Payments.RequestPayment(ctx, payment.PaymentRequest{
		MerchantRef: in.Code,
		Amount:      in.Amount,
		Description: in.Description,
		NotifyURL:   a.PublicURL + "/v1/payments/notifications",
		ExpiresAt:   in.ExpiresAt,
	})
	if err != nil {
		if payment.IsPermanent(err) {
			return PaymentResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "PaymentRefused", err)
		}
		return PaymentResult{}, err
	}
	if err := a.Store.RecordPaymentRequest(ctx, store.Payment{
		DossierCode: in.Code, PaymentRef: res.PaymentRef, Amount: in.Amount, PayURL: res.PayURL,
	}); err != nil {
		return PaymentResult{}, err
	}
	return PaymentResult{PaymentRef: res.PaymentRef, PayURL: res.PayURL}, nil
}

// RequestRefund asks the gateway to refund a dossier's paid fee. The
// payment reference is the gateway's idempotency key, so a retry returns
// the same refund; it settles later, by a signed callback.
func (a *Activities) RequestRefund(ctx context.Context, in RefundInput) (RefundResult, error) {
	res, err := a.Payments.RequestRefund(ctx, payment.RefundRequest{
		PaymentRef: in.PaymentRef, Amount: in.Amount, Reason: in.Reason,
		NotifyURL: a.PublicURL + "/v1/payments/refund-notifications",
	})
	if err != nil {
		if payment.IsPermanent(err) {
			return RefundResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "RefundRefused", err)
		}
		return RefundResult{}, err
	}
	return RefundResult{RefundRef: res.RefundRef}, nil
}

// RequestShipment asks the postal service to pick up a result. The dossier
// code is the order number; "already exists" is success with the same
// waybill. During an outage it fails and Temporal retries it with backoff.
func (a *Activities) RequestShipment(ctx context.Context, in ShipmentInput) (ShipmentResult, error) {
	to, err := a.Store.ShipmentRecipient(ctx, in.Code)
	if err != nil {
		return ShipmentResult{}, err
	}
	res, err := a.Postal.RequestShipment(ctx, postal.ShipmentRequest{
		OrderNumber: in.Code,
		Recipient:   postal.Recipient{Name: to.Name, Phone: to.Phone, Address: to.Address},
		Contents:    cmp.Or(in.Contents, "Kết quả giải quyết hồ sơ "+in.Code),
		NotifyURL:   a.PublicURL + "/v1/postal/notifications",
		CODAmount:   in.CollectAmount,
	})
	if err != nil {
		if postal.IsPermanent(err) {
			return ShipmentResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "ShipmentRefused", err)
		}
		return ShipmentResult{}, err
	}
	if err := a.Store.RecordShipment(ctx, store.Shipment{
		DossierCode: in.Code, Waybill: res.Waybill, Status: string(dossier.ShipmentRequested),
	}); err != nil {
		return ShipmentResult{}, err
	}
	return ShipmentResult{Waybill: res.Waybill}, nil
}
