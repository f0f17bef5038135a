package worker_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/worker"
)

// The dossier worker polls for workflow tasks with more than the SDK's two
// polls, unless told otherwise; other options pass through.
func TestOptionsDefaultThePollers(t *testing.T) {
	o := worker.Options(sdkworker.Options{WorkerStopTimeout: 7})
	require.Equal(t, worker.WorkflowTaskPollers, o.MaxConcurrentWorkflowTaskPollers)
	require.EqualValues(t, 7, o.WorkerStopTimeout)
	require.Equal(t, 3, worker.Options(sdkworker.Options{MaxConcurrentWorkflowTaskPollers: 3}).MaxConcurrentWorkflowTaskPollers)
	behavior := sdkworker.NewPollerBehaviorSimpleMaximum(sdkworker.PollerBehaviorSimpleMaximumOptions{MaximumNumberOfPollers: 4})
	require.Zero(t, worker.Options(sdkworker.Options{WorkflowTaskPollerBehavior: behavior}).MaxConcurrentWorkflowTaskPollers)
}
