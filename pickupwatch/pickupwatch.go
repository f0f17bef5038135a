// Package pickupwatch warns the intake desk when the postal service accepted
// a shipment but has not picked the result up within the rules' working
// time (shipment_pickup_warning). The pickup reaches only the API, which
// keeps it with the shipment; the watch reads the shipments, so a dossier
// whose result is picked up in time costs its workflow nothing, and one
// that is not gets one update (shipment.not_picked_up on its control sheet).
package pickupwatch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Watch checks the shipments waiting for pickup.
type Watch struct {
	Store    *store.Store
	Temporal client.Client
	Rules    *rules.Set
	Log      *slog.Logger
	// Now is business time (internal/clock); nil: the wall clock.
	Now func() time.Time
	// Every is how often it checks (default a minute).
	Every time.Duration
	// Calendar gives an agency's working time (default: the official
	// calendar with the agency's office hours, from PostgreSQL).
	Calendar func(ctx context.Context, agency string) (activities.WorkingTime, error)
}

// Run checks until ctx ends.
func (w *Watch) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("pickup watch failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check warns about every shipment overdue now and returns their dossiers.
func (w *Watch) Check(ctx context.Context) ([]string, error) { return w.CheckDossiers(ctx) }

// CheckDossiers is Check for the given dossiers only (all when none).
func (w *Watch) CheckDossiers(ctx context.Context, codes ...string) ([]string, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	calendarOf := w.Calendar
	if calendarOf == nil {
		calendarOf = func(ctx context.Context, agency string) (activities.WorkingTime, error) {
			return activities.LoadAgencyCalendar(ctx, w.Store, agency)
		}
	}
	waiting, err := w.Store.ShipmentsAwaitingPickup(ctx, 500, codes)
	if err != nil {
		return nil, err
	}
	var warned []string
	for _, s := range waiting {
		r := w.Rules.At(s.SubmittedAt) // the version the dossier keeps
		if r.ShipmentPickupWarning.N == 0 {
			continue
		}
		cal, err := calendarOf(ctx, s.AgencyCode)
		if err != nil {
			return warned, err
		}
		due, err := cal.Due(s.RequestedAt, r.ShipmentPickupWarning, 0)
		if err != nil {
			return warned, err
		}
		at := now()
		if at.Before(due) {
			continue
		}
		arg := workflows.PickupOverdue{Waybill: s.Waybill, RequestedAt: s.RequestedAt, Due: due,
			Rule: r.ShipmentPickupWarning.String() + " of working time after the request, " + r.Cite()}
		h, err := w.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: s.DossierCode, UpdateName: workflows.UpdatePickupOverdue, UpdateID: "pickup-overdue:" + s.Waybill,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		var appErr *temporal.ApplicationError
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			warned = append(warned, s.DossierCode)
		case errors.As(err, &appErr), errors.As(err, &notFound):
			// Picked up, delivered or closed meanwhile, or warned before:
			// nothing to warn about.
		default:
			return warned, err
		}
		if err := w.Store.MarkPickupWarned(ctx, s.Waybill, at); err != nil {
			return warned, err
		}
	}
	return warned, nil
}
