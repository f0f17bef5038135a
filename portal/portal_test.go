package portal_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/portal"
	"github.com/motcua/motcua/reconcile"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const token = "portal-test-token"

// clock is a wall clock tests move forward (retries and leases).
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func newPortal(t *testing.T) (*sim.NationalPortal, portal.Client) {
	t.Helper()
	p := sim.NewNationalPortal(token, sim.PortalOptions{})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, portal.Client{URL: srv.URL, Token: token, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

func submit(t *testing.T, s *store.Store) string {
	t.Helper()
	sub, err := s.CreateDossier(context.Background(), store.NewDossier{ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1,
		AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "A", IDNumber: "079123456789"},
		Documents: []store.Document{{Name: "a", SHA256: "00"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
		SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
	require.NoError(t, err)
	return sub.Code
}

// step writes transition seq of code: status to, and the appointment.
func step(t *testing.T, s *store.Store, code string, seq int, from, to dossier.Status, appointment time.Time) {
	t.Helper()
	at := testenv.Now().Add(time.Duration(seq) * time.Minute)
	received := testenv.Now().Add(time.Minute)
	tr := dossier.Transition{Code: code,
		Event: dossier.Event{Seq: seq, At: at, Action: "test.step", Actor: "t", FromStatus: from, ToStatus: to,
			FromStage: dossier.StageReview, ToStage: dossier.StageReview},
		Progress: dossier.Progress{Version: seq, Status: to, Stage: dossier.StageReview, ReceivedAt: &received,
			AppointmentAt: &appointment, Fee: dossier.Fee{Status: dossier.FeeNone}}}
	require.NoError(t, s.ApplyTransition(context.Background(), tr))
}

func versions(items []sim.PortalStatus) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, it.Version)
	}
	return out
}

// drain runs DispatchDue until nothing is claimed, moving the clock past
// every retry.
func drain(t *testing.T, d *portal.Dispatcher, c *clock) {
	t.Helper()
	for range 50 {
		n, err := d.DispatchDue(context.Background())
		require.NoError(t, err)
		if n == 0 {
			c.Advance(20 * time.Minute)
			if n, err = d.DispatchDue(context.Background()); err == nil && n == 0 {
				return
			}
			require.NoError(t, err)
		}
	}
	t.Fatal("the outbox never drained")
}

// Ordering and idempotency: after 5xx answers, timeouts before and after
// the portal kept an item, and a dispatcher that died with a lease, the
// portal holds exactly our sequence — every status change once, in version
// order — and the outbox has everything accepted.
func TestSyncOrderedAndIdempotentThroughFailures(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p, client := newPortal(t)
	code := submit(t, s)
	appt := testenv.Now().Add(72 * time.Hour)
	step(t, s, code, 2, dossier.StatusSubmitted, dossier.StatusReceived, appt)
	step(t, s, code, 3, dossier.StatusReceived, dossier.StatusProcessing, appt)
	// Same status, same appointment: not a change the portal is told.
	step(t, s, code, 4, dossier.StatusProcessing, dossier.StatusProcessing, appt)
	// Same status, the appointment moved (an apology letter): told.
	step(t, s, code, 5, dossier.StatusProcessing, dossier.StatusProcessing, appt.Add(24*time.Hour))
	// Written before 6 commits: must wait for it (a gap in the control sheet).
	step(t, s, code, 7, dossier.StatusResultReady, dossier.StatusReturned, appt.Add(24*time.Hour))
	items, err := s.PortalItems(ctx, code)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 5, 7}, func() []int {
		out := []int{}
		for _, it := range items {
			out = append(out, it.Version)
		}
		return out
	}())
	require.Equal(t, "1.001612", items[0].NationalCode, "the procedure's national code comes from the catalog")

	c := &clock{}
	reg := prometheus.NewRegistry()
	m := portal.NewMetrics(reg, s, c.Now)
	// A dispatcher that claims and dies before pushing: its lease runs out.
	dead := &portal.Dispatcher{Store: s, Portal: client, Log: quiet, Now: c.Now, Lease: time.Minute}
	claimed, err := s.ClaimPortalItems(ctx, c.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1, "one item per dossier in flight: only version 1")
	require.Equal(t, 1, claimed[0].Version)
	n, err := dead.DispatchDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "version 1 is leased and blocks version 2")

	p.FailNext(2)       // 503 twice
	p.StallNext(1)      // a timeout before the portal kept anything
	p.LoseAnswerNext(2) // kept, but the answer is lost: sent again
	c.Advance(2 * time.Minute)
	d := &portal.Dispatcher{Store: s, Portal: client, Log: quiet, Now: c.Now, Lease: 4 * time.Second, Metrics: m}
	drain(t, d, c)
	require.Equal(t, []int{1, 2, 3, 5}, versions(p.Held(code)), "version 7 waits for 6")

	step(t, s, code, 6, dossier.StatusProcessing, dossier.StatusResultReady, appt.Add(24*time.Hour))
	drain(t, d, c)
	held := p.Held(code)
	require.Equal(t, []int{1, 2, 3, 5, 6, 7}, versions(held))
	codes := []int{}
	for _, h := range held {
		codes = append(codes, h.StatusCode)
		require.Equal(t, "1.001612", h.ProcedureCode)
		require.Equal(t, "000.00.17.H39", h.AgencyCode)
	}
	require.Equal(t, []int{1, 2, 4, 4, 9, 10}, codes)
	require.WithinDuration(t, appt.Add(24*time.Hour), *held[3].AppointmentAt, time.Millisecond)
	require.Greater(t, p.Posts(), 6, "the failures made the dispatcher send again")
	require.GreaterOrEqual(t, testutil.ToFloat64(m.Attempts(portal.OutcomeFailed)), 5.0)
	require.Equal(t, 6.0, testutil.ToFloat64(m.Attempts(portal.OutcomeAccepted)))

	items, err = s.PortalItems(ctx, code)
	require.NoError(t, err)
	for _, it := range items {
		require.Equal(t, store.PortalAccepted, it.State, "version %d", it.Version)
	}
	// Resending an accepted version is a no-op at the portal.
	require.NoError(t, client.Push(ctx, portal.StatusOf(items[1])))
	require.Len(t, p.Held(code), 6)
	got, err := client.Held(ctx, code)
	require.NoError(t, err)
	require.Len(t, got, 6)
	require.Equal(t, 10, got[5].StatusCode)
}

// A refused item is dead-lettered with the portal's reason and does not
// block the versions after it; a wrong token is retried, not refused.
func TestSyncDeadLetter(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p, client := newPortal(t)
	code := submit(t, s)
	other := submit(t, s)
	c := &clock{}
	m := portal.NewMetrics(prometheus.NewRegistry(), s, c.Now)

	bad := &portal.Dispatcher{Store: s, Portal: portal.Client{URL: client.URL, Token: "wrong", HTTP: client.HTTP},
		Log: quiet, Now: c.Now, Metrics: m}
	_, err := bad.DispatchDue(ctx)
	require.NoError(t, err)
	pending, err := s.PortalItemsByState(ctx, store.PortalPending, time.Time{}, 10)
	require.NoError(t, err)
	require.Len(t, pending, 2, "401 is configuration: retried, not dead-lettered")
	require.Contains(t, pending[0].LastError, "401")
	lagging, err := s.PortalItemsByState(ctx, store.PortalPending, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, lagging, "written just now: not lagging yet")

	p.RefuseDossier(code, "the procedure is not published on the portal")
	d := &portal.Dispatcher{Store: s, Portal: client, Log: quiet, Now: c.Now, Metrics: m}
	c.Advance(time.Hour)
	drain(t, d, c)
	require.Equal(t, []int{1}, versions(p.Held(other)))
	require.Empty(t, p.Held(code))
	failed, err := s.PortalItemsByState(ctx, store.PortalFailed, time.Time{}, 10)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, code, failed[0].DossierCode)
	require.Equal(t, 1, failed[0].Version)
	require.Contains(t, failed[0].LastError, "not published on the portal")
	require.Equal(t, 1.0, testutil.ToFloat64(m.Attempts(portal.OutcomeDeadLettered)))

	// The dossier goes on; its next version is not held back by the dead letter.
	p.RefuseDossier(code, "")
	step(t, s, code, 2, dossier.StatusSubmitted, dossier.StatusReceived, testenv.Now().Add(72*time.Hour))
	drain(t, d, c)
	require.Equal(t, []int{2}, versions(p.Held(code)), "version 2 went on after version 1 was dead-lettered")
	items, err := s.PortalItems(ctx, code)
	require.NoError(t, err)
	require.Equal(t, []string{store.PortalFailed, store.PortalAccepted}, []string{items[0].State, items[1].State})
}

// Reconcile compares our sequence with what the portal holds: none after a
// clean sync; a status changed at the portal, a version it should not
// hold, a version it lost, and a read-model status the portal never got
// are each found.
func TestReconcileFindsPortalMismatch(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p, client := newPortal(t)
	code := submit(t, s)
	other := submit(t, s)
	appt := testenv.Now().Add(72 * time.Hour)
	step(t, s, code, 2, dossier.StatusSubmitted, dossier.StatusReceived, appt)
	step(t, s, code, 3, dossier.StatusReceived, dossier.StatusProcessing, appt)
	c := &clock{}
	d := &portal.Dispatcher{Store: s, Portal: client, Log: quiet, Now: c.Now}
	drain(t, d, c)
	diffs, err := reconcile.PortalRun(ctx, s, client)
	require.NoError(t, err)
	require.Empty(t, diffs)

	orig, origOther := p.Held(code), p.Held(other)
	held := p.Held(code)
	require.Len(t, held, 3)
	held[1].StatusCode = 3 // the portal changed version 2
	extra := held[2]       // and holds a version 9 we never sent
	extra.Version = 9
	p.Tamper(code, append(held, extra))
	p.Tamper(other, nil) // and lost everything of the other dossier
	diffs, err = reconcile.PortalRun(ctx, s, client)
	require.NoError(t, err)
	var lines []string
	for _, d := range diffs {
		lines = append(lines, d.String())
	}
	require.ElementsMatch(t, []string{
		code + ": national portal: version 2: the portal holds status 3, we sent 2 (received)",
		code + ": national portal: the portal holds version 9 (status 4) that we never had accepted",
		other + ": national portal: version 1 (submitted) was accepted but the portal does not hold it",
	}, lines)

	p.Tamper(code, orig)
	p.Tamper(other, origOther)
	diffs, err = reconcile.PortalRun(ctx, s, client)
	require.NoError(t, err)
	require.Empty(t, diffs, "the portal holds exactly our sequences again")

	// A status the read model shows that no item carries: a write that
	// went around the hook (an event that does not say the status changed).
	received := testenv.Now()
	require.NoError(t, s.ApplyTransition(ctx, dossier.Transition{Code: code,
		Event: dossier.Event{Seq: 4, At: testenv.Now(), Action: "test.around", Actor: "t",
			FromStatus: dossier.StatusProcessing, ToStatus: dossier.StatusProcessing},
		Progress: dossier.Progress{Version: 4, Status: dossier.StatusStopped, Stage: dossier.StageDone,
			ReceivedAt: &received, AppointmentAt: &appt, Fee: dossier.Fee{Status: dossier.FeeNone}}}))
	diffs, err = reconcile.PortalRun(ctx, s, client)
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	require.Equal(t, code+": national portal: the portal's latest status is processing (version 3), the read model says stopped", diffs[0].String())
}

// A dossier filed under a procedure version published before the catalog
// had national codes is sent with the code a later version gives the
// procedure: importing the codes fixes the dossiers already running.
func TestNationalCodeFromALaterVersion(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	doc := func(national string) []byte {
		return []byte(`agencies:
  - {code: "000.00.17.H39", name: Center, kind: center}
procedures:
  - code: PX-01
` + national + `    name: A procedure
    intake_agency: "000.00.17.H39"
    duration: {unit: working_days, counter: 2, online: 2}
    fee: {kind: free}
    return_methods: [counter]
    steps:
      - {name: intake, department: "000.00.17.H39", share: 4}
      - {name: approval, department: "000.00.17.H39", share: 8}
      - {name: return, department: "000.00.17.H39", share: 4}
`)
	}
	cat, err := catalog.Parse(doc(""))
	require.NoError(t, err)
	_, err = s.ImportCatalog(ctx, cat)
	require.NoError(t, err)
	sub, err := s.CreateDossier(ctx, store.NewDossier{ProcedureCode: "PX-01", ProcedureVersion: 1,
		AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "A", IDNumber: "079123456789"},
		ReturnMethod: dossier.ReturnCounter, SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
	require.NoError(t, err)
	items, err := s.PortalItems(ctx, sub.Code)
	require.NoError(t, err)
	require.Empty(t, items[0].NationalCode, "no version has a national code yet")

	cat, err = catalog.Parse(doc("    national_code: \"1.009999\"\n"))
	require.NoError(t, err)
	added, err := s.ImportCatalog(ctx, cat)
	require.NoError(t, err)
	require.Equal(t, 1, added, "the national code is a new version")
	items, err = s.PortalItems(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, "1.009999", items[0].NationalCode)
	require.Equal(t, "1.009999", portal.StatusOf(items[0]).ProcedureCode)
}
