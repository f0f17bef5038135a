package api_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// startWorkerBuild runs another build of the dossier workflow on the
// system's task queue, as an earlier release's workers did.
func (s *system) startWorkerBuild(build any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := sdkworker.New(s.temporal, s.queue, sdkworker.Options{})
	worker.RegisterBuild(w, s.acts, build)
	require.NoError(s.t, w.Start())
	s.worker = w
}

// changeVersions is what the dossier's workflow recorded of its
// GetVersion changes (the TemporalChangeVersion search attribute).
func (s *system) changeVersions(code string) []string {
	s.t.Helper()
	desc, err := describe(context.Background(), s.temporal, code)
	require.NoError(s.t, err)
	p := desc.WorkflowExecutionInfo.GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]
	require.NotNil(s.t, p, "no TemporalChangeVersion on %s", code)
	var out []string
	require.NoError(s.t, converter.GetDefaultDataConverter().FromPayload(p, &out))
	return out
}

// TestUpgradeWhileDossiersAreInFlight: dossiers start on the previous
// release (lifecycle version 1, before the lean payment and shipment
// requests), the workers are replaced by today's build in the middle of
// their lives, and they finish on today's code along the path they
// started on; a dossier started after the upgrade takes the new path.
func TestUpgradeWhileDossiersAreInFlight(t *testing.T) {
	t.Parallel()
	// The API of the previous release started dossiers without a workflow
	// feature level (MOTCUA_WORKFLOW_FEATURES=0 keeps that until the
	// workers are upgraded); the upgraded one starts them at the highest.
	var features atomic.Int32
	s := newSystemOptions(t, 0, func(o *api.Options) { o.WorkflowFeatures = func() int { return int(features.Load()) } })
	s.stopWorker()
	s.startWorkerBuild(workflows.DossierBuild(1))

	var codes []string
	for range 2 {
		d := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "postal"))
		code := d["code"].(string)
		codes = append(codes, code)
		s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"})
	}
	// One is further along when the upgrade comes.
	s.must(200, "POST", "/v1/dossiers/"+codes[1]+"/review", map[string]any{"decision": "approve"})

	// The upgrade: old workers stop (SIGTERM), new ones start.
	s.stopWorker()
	s.startWorker()
	features.Store(workflows.FeaturesMax)
	after := s.must(201, "POST", "/v1/dossiers", submission("KH-HKD-01", "online", "postal"))["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+after+"/intake", map[string]any{"decision": "accept"})

	for _, code := range append(codes, after) {
		d := s.must(200, "GET", "/v1/dossiers/"+code, nil)
		if d["stage"] == "review" {
			s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve"})
		}
		s.must(200, "POST", "/v1/dossiers/"+code+"/approval", map[string]any{"decision": "approve"})
		d = s.eventually(code, "a payment request", func(d map[string]any) bool { return fee(d)["payment_ref"] != nil })
		s.simPost("/payment/v1/payment-requests/"+fee(d)["payment_ref"].(string)+"/pay", map[string]any{"outcome": "succeeded"})
		d = s.eventually(code, "a shipment", func(d map[string]any) bool { return d["shipment"] != nil })
		waybill := d["shipment"].(map[string]any)["waybill"].(string)
		for _, ev := range []string{"picked_up", "delivered"} {
			s.simPost("/postal/v1/shipments/"+waybill+"/events", map[string]any{"event": ev})
		}
		s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })
		require.Equal(t, []string{"submitted", "intake.accept", "review.approve", "approval.approve", "payment.requested",
			"payment.succeeded", "shipment.requested", "shipment.picked_up", "shipment.delivered"}, s.actions(code))
		s.requireReadModelMatchesWorkflow(code)
	}
	// Started on the old build: finished on the old path.
	for _, code := range codes {
		v := strings.Join(s.changeVersions(code), " ")
		require.Contains(t, v, workflows.VersionLifecycle+"-1", code)
		require.NotContains(t, v, workflows.VersionLifecycle+"-2", code)
		require.NotContains(t, v, workflows.VersionLifecycle+"-3", code)
	}
	// A dossier started on today's build takes today's path from its input
	// (workflow features FeaturesMax: VersionPerfEvents, which implies
	// VersionLifecycleOneUpsert) without asking any change ID: no version
	// marker in its history, no TemporalChangeVersion.
	desc, err := describe(context.Background(), s.temporal, after)
	require.NoError(t, err)
	require.NotContains(t, desc.WorkflowExecutionInfo.GetSearchAttributes().GetIndexedFields(), "TemporalChangeVersion", after)
	markers := 0
	for _, e := range s.history(after) {
		if e.GetEventType() == enums.EVENT_TYPE_MARKER_RECORDED && e.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" {
			markers++
		}
	}
	require.Zero(t, markers, "version markers in %s", after)
}
