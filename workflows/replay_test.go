package workflows_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
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
	// v9-features- (DossierInput.Features: VersionPerfEvents from the
	// input, no change ID asked at start).
	// Record new ones under a new prefix; never overwrite old ones, which
	// are what running dossiers look like.
	for _, prefix := range []string{"v0-", "v1-", "v2-", "v3-", "v4-", "v5-", "v6-", "v7-cod-", "v8-perf-", "v9-features-"} {
		require.True(t, slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(filepath.Base(f), prefix) }),
			"no %s history to replay", prefix)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			require.NoError(t, newReplayer(t).ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// newReplayer replays the dossier workflow with the payload codec, as the
// worker runs: histories recorded before it (plain payloads) must replay
// through it, and so must encrypted ones (recorded with the development
// key the tests use).
func newReplayer(t *testing.T) worker.WorkflowReplayer {
	t.Helper()
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter:    codec.Development().DataConverter(),
		FailureConverter: codec.Development().FailureConverter(),
	})
	require.NoError(t, err)
	r.RegisterWorkflowWithOptions(workflows.Dossier, workflow.RegisterOptions{Name: workflows.WorkflowName})
	return r
}

// replayWithFeatures replays a recorded history whose input is changed to
// start the dossier at workflow feature level features.
func replayWithFeatures(t *testing.T, file string, features int) error {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	dc := codec.Development().DataConverter()
	started := hist.Events[0].GetWorkflowExecutionStartedEventAttributes()
	require.NotNil(t, started, "%s starts with no WorkflowExecutionStarted", file)
	var in workflows.DossierInput
	require.NoError(t, dc.FromPayload(started.Input.Payloads[0], &in))
	in.Features = features
	p, err := dc.ToPayload(in)
	require.NoError(t, err)
	started.Input.Payloads[0] = p
	return newReplayer(t).ReplayWorkflowHistory(nil, hist)
}

// TestReplayFeatureLevelFromTheInput: a dossier the API started at
// FeaturesPerfEvents that a worker of the release before ran anyway (it
// asked VersionPerfEvents: a marker and its upsert) replays on today's
// code, which does not ask it (the SDK skips the marker); and the level in
// the input is what decides the path: a dossier recorded at that level
// replayed as if started without it does not match its history.
func TestReplayFeatureLevelFromTheInput(t *testing.T) {
	t.Parallel()
	require.NoError(t, replayWithFeatures(t, "testdata/histories/v8-perf-postal-return-with-fee.json", workflows.FeaturesPerfEvents))
	require.NoError(t, replayWithFeatures(t, "testdata/histories/v9-features-postal-return-with-fee.json", workflows.FeaturesPerfEvents))
	err := replayWithFeatures(t, "testdata/histories/v9-features-postal-return-with-fee.json", 0)
	require.Error(t, err, "replayed without its level, a dossier started at it must not match its history")
	require.Contains(t, err.Error(), "nondeterministic")
}
