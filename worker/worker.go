// Package worker registers the dossier workflow and its activities with a
// Temporal worker and sets the worker's options.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/workflows"
)

// New returns a worker for a task queue (normally workflows.TaskQueue) with
// the workflow and every activity registered under the names workflows call
// them by.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	return NewWith(c, taskQueue, acts, sdkworker.Options{})
}

// NewWith is New with the SDK's worker options, e.g. WorkerStopTimeout:
// how long Stop waits for running activities to finish (graceful stop).
func NewWith(c client.Client, taskQueue string, acts *activities.Activities, o sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, o)
	Register(w, acts)
	return w
}

// Register adds the dossier workflow and activities to any registry (a
// worker, a replayer's worker, or a test environment).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities) {
	RegisterBuild(r, acts, workflows.Dossier)
}

// RegisterBuild is Register with another build of the dossier workflow
// (workflows.DossierBuild), as an earlier release's workers registered it.
func RegisterBuild(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities, dossierWorkflow any) {
	r.RegisterWorkflowWithOptions(dossierWorkflow, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterActivityWithOptions(acts.ComputeSchedule, activity.RegisterOptions{Name: activities.NameComputeSchedule})
	r.RegisterActivityWithOptions(acts.RecordTransition, activity.RegisterOptions{Name: activities.NameRecordTransition})
	r.RegisterActivityWithOptions(acts.RecordTransitions, activity.RegisterOptions{Name: activities.NameRecordTransitions})
	r.RegisterActivityWithOptions(acts.DueAfter, activity.RegisterOptions{Name: activities.NameDueAfter})
	r.RegisterActivityWithOptions(acts.ShiftInstants, activity.RegisterOptions{Name: activities.NameShiftInstants})
	r.RegisterActivityWithOptions(acts.StartIntakeClock, activity.RegisterOptions{Name: activities.NameStartIntakeClock})
	r.RegisterActivityWithOptions(acts.RequestPayment, activity.RegisterOptions{Name: activities.NameRequestPayment})
	r.RegisterActivityWithOptions(acts.RequestShipment, activity.RegisterOptions{Name: activities.NameRequestShipment})
	r.RegisterActivityWithOptions(acts.RequestRefund, activity.RegisterOptions{Name: activities.NameRequestRefund})
}
