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
	w := sdkworker.New(c, taskQueue, Options(o))
	Register(w, acts)
	return w
}

// WorkflowTaskPollers is how many workflow-task polls a worker keeps open
// (the SDK's default is 2). A new dossier's first workflow task goes to the
// task queue's normal partitions (4 by default on the server), not to a
// worker's sticky queue; with two polls those tasks waited up to 18 s under
// load for a poll to reach their partition while the worker's CPU idled
// (docs/PERFORMANCE.md), and with them the first decision (intake).
const WorkflowTaskPollers = 8

// Options are o with motcua's defaults for what o leaves zero: the worker
// options both the dossier worker and the engine-ceiling benchmark use.
func Options(o sdkworker.Options) sdkworker.Options {
	if o.MaxConcurrentWorkflowTaskPollers == 0 && o.WorkflowTaskPollerBehavior == nil {
		o.MaxConcurrentWorkflowTaskPollers = WorkflowTaskPollers
	}
	return o
}

// Register adds the dossier workflow and activities to any registry (a
// worker, a replayer's worker, or a test environment).
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.Dossier, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterActivityWithOptions(acts.ComputeSchedule, activity.RegisterOptions{Name: activities.NameComputeSchedule})
	r.RegisterActivityWithOptions(acts.RecordTransition, activity.RegisterOptions{Name: activities.NameRecordTransition})
	r.RegisterActivityWithOptions(acts.DueAfter, activity.RegisterOptions{Name: activities.NameDueAfter})
	r.RegisterActivityWithOptions(acts.ShiftInstants, activity.RegisterOptions{Name: activities.NameShiftInstants})
	r.RegisterActivityWithOptions(acts.RequestPayment, activity.RegisterOptions{Name: activities.NameRequestPayment})
	r.RegisterActivityWithOptions(acts.RequestShipment, activity.RegisterOptions{Name: activities.NameRequestShipment})
}
