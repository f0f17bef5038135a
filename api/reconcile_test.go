package api_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/reconcile"
)

// TestMain runs the package's tests, then reconciles the shared read model
// with every workflow the tests started: after a clean run, they agree.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := reconcileShared(); err != nil {
			fmt.Fprintln(os.Stderr, "reconcile after the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func reconcileShared() error {
	s := testenv.SharedStoreIfOpen()
	if s == nil {
		return nil // no test used the shared database
	}
	c, err := testenv.DialTemporal()
	if err != nil {
		return err
	}
	defer c.Close()
	// Give visibility a moment to catch up with the last transitions.
	var diffs []reconcile.Difference
	for range 10 {
		ns, _ := testenv.Namespace()
		if diffs, err = reconcile.Run(context.Background(), s, c, ns); err != nil || len(diffs) == 0 {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("%d differences, e.g. %v", len(diffs), diffs[0])
}

func TestReconcileFindsATamperedReadModel(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "counter"))
	code := d["code"].(string)
	// A decision answered 200 means the workflow task completed: the
	// workflow is settled, not in flight.
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	ctx := context.Background()
	tamper := func(version int, status dossier.Status, stage dossier.Stage) {
		require.NoError(t, s.store.ApplyTransition(ctx, dossier.Transition{Code: code,
			Event:    dossier.Event{Seq: version, At: testenv.Now(), Action: "test.tamper", Actor: "test", ToStatus: status, ToStage: stage},
			Progress: dossier.Progress{Version: version, Status: status, Stage: stage, Fee: dossier.Fee{Amount: 200000, Status: dossier.FeeNone}}}))
	}
	tamper(90, dossier.StatusProcessing, dossier.StageReview)
	want := reconcile.Difference{Code: code, ReadModel: "processing", Workflow: "received"}
	require.Eventually(t, func() bool {
		diffs, err := reconcile.Run(ctx, s.store, s.temporal, namespace(t))
		require.NoError(t, err)
		return slices.Contains(diffs, want)
	}, 10*time.Second, 200*time.Millisecond, "reconcile must report the tampered dossier")
	// Put it back as the workflow sees it; then this dossier agrees again.
	tamper(91, dossier.StatusReceived, dossier.StageReview)
	diffs, err := reconcile.Run(ctx, s.store, s.temporal, namespace(t))
	require.NoError(t, err)
	for _, d := range diffs {
		require.NotEqual(t, code, d.Code)
	}
}

func namespace(t *testing.T) string {
	t.Helper()
	ns, err := testenv.Namespace()
	require.NoError(t, err)
	return ns
}
