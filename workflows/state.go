package workflows

// The workflow's bookkeeping: business time, a transition's mark and its
// commit to the control sheet and the read model, search attributes,
// refusals' errors.

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/dossier"
)

// mark captures the stage and status before a transition.
type mark struct {
	at     time.Time
	stage  dossier.Stage
	status dossier.Status
}

// now is business time: the server's time of this workflow task plus the
// offset the API started the dossier with (zero in production).
func (r *run) now(ctx workflow.Context) time.Time { return workflow.Now(ctx).Add(r.in.ClockOffset) }

func (r *run) mark(ctx workflow.Context) mark {
	return mark{at: r.now(ctx), stage: r.st.Stage, status: r.st.Status}
}

var localOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	// A transition must reach PostgreSQL; while it is down, keep trying
	// (the workflow task heartbeats meanwhile) rather than lose it.
	ScheduleToCloseTimeout: 7 * 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Second,
	},
}

// commit records a transition: the next control-sheet event and the
// progress after it, written by a local activity before commit returns, so
// an API call answered after it reads its own write. Search attributes are
// upserted in the same workflow task.
func (r *run) commit(ctx workflow.Context, m mark, ev dossier.Event) error {
	return r.commitWith(ctx, m, ev, dossier.Transition{})
}

// commitWith is commit with documents to add and notifications to send,
// written in the same transaction as the event. While r.hold is set
// (VersionPerfEvents) the transition is kept instead and written with the
// next one, in one local activity and one transaction.
func (r *run) commitWith(ctx workflow.Context, m mark, ev dossier.Event, extra dossier.Transition) error {
	r.st.Version++
	if r.reportRule {
		r.st.DueAt = r.due()
	}
	ev.Seq = r.st.Version
	ev.At = m.at
	ev.FromStage, ev.ToStage = m.stage, r.st.Stage
	ev.FromStatus, ev.ToStatus = m.status, r.st.Status
	if ev.Actor == "" {
		ev.Actor = actorSystem
	}
	if r.oneUpsert {
		r.saDirty = true // the main loop upserts once the task's work is done
	} else if err := r.upsertSearchAttributes(ctx); err != nil {
		return err
	}
	notices := extra.Notifications
	if r.notices && !m.status.Final() && r.st.Status.Final() {
		// The dossier has ended: the applicant is invited to rate the
		// service (issue 19 §2), once, with the transition that ended it.
		notices = append(slices.Clip(notices), notice("rating_invitation", nil))
	}
	t := dossier.Transition{Code: r.in.Code, Event: ev, Progress: r.st.Progress.Clone(),
		Documents: extra.Documents, Notifications: notices}
	if r.hold {
		r.held = append(r.held, t)
		return nil
	}
	r.commits++
	defer func() { r.commits-- }()
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	var err error
	if len(r.held) > 0 {
		ts := append(r.held, t)
		r.held = nil
		err = workflow.ExecuteLocalActivity(lctx, activities.NameRecordTransitions, ts).Get(lctx, nil)
	} else {
		err = workflow.ExecuteLocalActivity(lctx, activities.NameRecordTransition, t).Get(lctx, nil)
	}
	if err != nil {
		r.logger.Error("could not record a transition", "seq", ev.Seq, "action", ev.Action, "error", err)
		return err
	}
	return nil
}

// flushSearchAttributes upserts what the workflow task's transitions changed,
// once (VersionLifecycleOneUpsert), after waiting until they are done: no
// update handler running, no transition being written, no third party's
// local first attempt pending (its answer is usually a transition of its
// own in the same task). Everything waited for finishes within the task
// unless PostgreSQL or the third party is down, when the task waits anyway.
func (r *run) flushSearchAttributes(ctx workflow.Context) error {
	if !r.oneUpsert || !r.saDirty {
		return nil
	}
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && r.commits == 0 && r.localAttempts == 0
	}); err != nil {
		return err
	}
	r.saDirty = false
	return r.upsertSearchAttributes(ctx)
}

func (r *run) upsertSearchAttributes(ctx workflow.Context) error {
	var ups []temporal.SearchAttributeUpdate
	if r.st.Status != r.sa.status {
		ups = append(ups, SearchStatus.ValueSet(string(r.st.Status)))
		r.sa.status = r.st.Status
	}
	if r.st.Stage != r.sa.stage {
		ups = append(ups, SearchStage.ValueSet(string(r.st.Stage)))
		r.sa.stage = r.st.Stage
	}
	if a := r.st.AppointmentAt; a != nil && !a.Equal(r.sa.appointmentAt) {
		ups = append(ups, SearchAppointmentAt.ValueSet(*a))
		r.sa.appointmentAt = *a
	}
	if r.st.Overdue != r.sa.overdue {
		ups = append(ups, SearchOverdue.ValueSet(r.st.Overdue))
		r.sa.overdue = r.st.Overdue
	}
	if len(ups) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, ups...)
}

// conflict rejects an update that does not fit the dossier's stage.
func (r *run) conflict(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewApplicationError(
		fmt.Sprintf("%s (the dossier is %s, at stage %s)", msg, r.st.Status, r.st.Stage), ErrStageConflict)
}

func invalid(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrInvalidDecision)
}

func notify(n ...dossier.Notification) dossier.Transition {
	return dossier.Transition{Notifications: n}
}

// notice is a notice to the applicant: the milestone (its template in
// data/notices.yaml) and the facts its text needs. The workflow writes no
// text: the notification activity renders it (notify.Templates), so the
// texts change without a workflow change. The facts go into the local
// activity's input, which is not part of the history a replay compares
// (only the activity type is), so they need no GetVersion.
func notice(template string, facts map[string]string) dossier.Notification {
	if facts == nil {
		facts = map[string]string{}
	}
	return dossier.Notification{To: dossier.ToApplicant, Template: template, Facts: facts}
}

// applicantNotice is a notice to the applicant of a milestone they were
// not told of before VersionApplicantNotices (none for older dossiers).
func (r *run) applicantNotice(template string, facts map[string]string) dossier.Transition {
	if !r.notices {
		return dossier.Transition{}
	}
	return notify(notice(template, facts))
}

func formatLocal(t time.Time) string { return t.In(dossier.Location).Format("15:04 02/01/2006") }

// toAgencies builds notifications to the staff or leaders of agencies.
func (r *run) toAgencies(agencies []string, to, template, msg string) dossier.Transition {
	var t dossier.Transition
	for _, a := range agencies {
		t.Notifications = append(t.Notifications, dossier.Notification{To: to, Agency: a, Template: template, Message: msg})
	}
	return t
}

// available is the first check of a decision that came with a workflow
// change: the dossier's run must have the change (has), and no other
// decision may be half-recorded.
func (r *run) available(has bool, what string) error {
	if !has {
		return r.conflict("%s is not available for dossiers started before it existed", what)
	}
	return r.notDeciding()
}

// notDeciding rejects a decision while another one computes with the
// calendar before changing the state (it would be validated against a state
// about to change).
func (r *run) notDeciding() error {
	if r.deciding {
		return r.conflict("another decision is being recorded; retry")
	}
	return nil
}
