package workflows_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/workflows"
)

// TestReplayRecordedHistories replays histories of real dossiers, recorded
// from a real Temporal server by the API's integration tests
// (MOTCUA_RECORD_HISTORIES=/tmp/h make test GOTEST_ARGS=./api/, then copy
// the files in with the version's prefix),
// against today's workflow code. A change to the workflow that running
// dossiers could not replay fails here: guard it with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/histories/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories to replay")
	// Histories of every workflow version must stay: v0 (before
	// VersionLegalTime), v1 (before VersionLifecycle), v2 (lifecycle 1),
	// v3 (lifecycle 2, VersionLifecycleLean), v4 (lifecycle 3,
	// VersionLifecycleOneUpsert; the postal pickup carried by the delivery),
	// v5 (VersionReportRule; also withdrawn and stopped after receipt;
	// VersionRefund: a fee paid online paid back through the gateway;
	// VersionFeeTiming: a fee collected at filing; VersionRefusalNotice: a
	// declined dossier's notice sent by post).
	// v6 (VersionApplicantNotices: please pay, result ready, shipped,
	// delivered, withdrawn told to the applicant).
	// v7-cod- (VersionCOD: the fee collected by the postman on delivery,
	// and a failed delivery that left it due).
	// v8-perf- (VersionPerfEvents: one change ID at start, the intake step
	// from the input, a pickup written with the delivery).
	// Record new ones under a new prefix; never overwrite old ones, which
	// are what running dossiers look like.
	for _, prefix := range []string{"v0-", "v1-", "v2-", "v3-", "v4-", "v5-", "v6-", "v7-cod-", "v8-perf-"} {
		require.True(t, slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(filepath.Base(f), prefix) }),
			"no %s history to replay", prefix)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			// With the payload codec, as the worker runs: histories
			// recorded before it (plain payloads) must replay through it,
			// and so must encrypted ones (recorded with the development
			// key the tests use).
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter:    codec.Development().DataConverter(),
				FailureConverter: codec.Development().FailureConverter(),
			})
			require.NoError(t, err)
			r.RegisterWorkflowWithOptions(workflows.Dossier, workflow.RegisterOptions{Name: workflows.WorkflowName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
