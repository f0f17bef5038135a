package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

func newDossier(at time.Time) store.NewDossier {
	return store.NewDossier{
		ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1, AgencyCode: "000.00.17.H39",
		Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "Nguyễn Văn A", IDNumber: "079123456789"},
		Documents:    []store.Document{{Name: "a.pdf", SHA256: "00"}},
		ReturnMethod: dossier.ReturnCounter, FeeUnits: 1, FeeAmount: 200000, SubmittedAt: at, Actor: "test",
	}
}

func TestDossierCodesAreUniqueUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 27, 9, 0, 0, 0, dossier.Location)
	const n = 40
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			sub, err := s.CreateDossier(ctx, newDossier(day), "", []byte{1})
			if err != nil {
				codes <- "error: " + err.Error()
				return
			}
			codes <- sub.Code
		})
	}
	wg.Wait()
	close(codes)
	seen := map[string]bool{}
	for c := range codes {
		require.NotContains(t, c, "error")
		require.False(t, seen[c], "code %s handed out twice", c)
		seen[c] = true
	}
	for i := 1; i <= n; i++ {
		require.True(t, seen[fmt.Sprintf("000.00.17.H39-261127-%04d", i)], "codes are consecutive from 0001")
	}
	// The counter restarts the next day, per agency.
	sub, err := s.CreateDossier(ctx, newDossier(day.Add(24*time.Hour)), "", []byte{1})
	require.NoError(t, err)
	require.Equal(t, "000.00.17.H39-261128-0001", sub.Code)
	// A receipt late in the evening in Vietnam is still that local day.
	late := time.Date(2026, 11, 28, 23, 30, 0, 0, dossier.Location)
	sub, err = s.CreateDossier(ctx, newDossier(late.UTC()), "", []byte{1})
	require.NoError(t, err)
	require.Equal(t, "000.00.17.H39-261128-0002", sub.Code)
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	now := testenv.Now()
	first, err := s.CreateDossier(ctx, newDossier(now), "key-1", []byte("hash-a"))
	require.NoError(t, err)
	require.True(t, first.Created)
	again, err := s.CreateDossier(ctx, newDossier(now), "key-1", []byte("hash-a"))
	require.NoError(t, err)
	require.False(t, again.Created)
	require.Equal(t, first.Code, again.Code)
	_, err = s.CreateDossier(ctx, newDossier(now), "key-1", []byte("hash-b"))
	require.Equal(t, dossier.EConflict, dossier.ErrorCodeOf(err))
}

func TestApplyTransitionIsIdempotentAndOrderProof(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	now := testenv.Now().Truncate(time.Microsecond)
	sub, err := s.CreateDossier(ctx, newDossier(now), "", []byte{1})
	require.NoError(t, err)

	tr := func(seq int, action string, status dossier.Status, stage dossier.Stage) dossier.Transition {
		return dossier.Transition{Code: sub.Code,
			Event:    dossier.Event{Seq: seq, At: now, Action: action, Actor: "t", ToStatus: status, ToStage: stage},
			Progress: dossier.Progress{Version: seq, Status: status, Stage: stage, Fee: dossier.Fee{Status: dossier.FeeNone}}}
	}
	accept := tr(2, "intake.accept", dossier.StatusReceived, dossier.StageReview)
	review := tr(3, "review.approve", dossier.StatusProcessing, dossier.StageApproval)
	review.Progress.CurrentStep = &dossier.CurrentStep{Name: "approval", Departments: []string{"X"}, Pending: []string{"X"}, DueAt: now}

	// The newer transition lands first; the older one arrives late, twice.
	require.NoError(t, s.ApplyTransition(ctx, review))
	require.NoError(t, s.ApplyTransition(ctx, accept))
	require.NoError(t, s.ApplyTransition(ctx, accept))
	require.NoError(t, s.ApplyTransition(ctx, review))

	d, err := s.Dossier(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, 3, d.Version)
	require.Equal(t, dossier.StatusProcessing, d.Status, "an older write never overwrites a newer one")
	require.Equal(t, "approval", d.CurrentStep.Name)
	events, err := s.Events(ctx, sub.Code)
	require.NoError(t, err)
	require.Len(t, events, 3, "a retried write adds no row")
	require.Equal(t, []string{"submitted", "intake.accept", "review.approve"},
		[]string{events[0].Action, events[1].Action, events[2].Action})
}

func TestCatalogImportVersionsOnlyChanges(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t) // seeded once already
	ctx := context.Background()
	cat, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	added, err := s.ImportCatalog(ctx, cat)
	require.NoError(t, err)
	require.Zero(t, added, "the same file adds no version")

	for i := range cat.Procedures {
		if cat.Procedures[i].Code == "TP-LLTP-01" {
			cat.Procedures[i].Fee.Amount = 250000
		}
	}
	added, err = s.ImportCatalog(ctx, cat)
	require.NoError(t, err)
	require.Equal(t, 1, added)
	p, err := s.Procedure(ctx, "TP-LLTP-01")
	require.NoError(t, err)
	require.Equal(t, 2, p.Version)
	require.Equal(t, int64(250000), p.Fee.Amount)
	old, err := s.ProcedureVersion(ctx, "TP-LLTP-01", 1)
	require.NoError(t, err)
	require.Equal(t, int64(200000), old.Fee.Amount, "a dossier keeps the version it was received under")
	_, err = s.Procedure(ctx, "NOPE")
	require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))
}

func TestHolidayTableRoundTrip(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	days, err := s.CalendarDays(context.Background())
	require.NoError(t, err)
	found := map[string]string{}
	for _, d := range days {
		found[d.Day.Format(time.DateOnly)] = d.Kind
	}
	require.Equal(t, "day_off", found["2026-02-17"], "Tết 2026")
	require.Equal(t, "make_up", found["2026-01-10"])
	require.NotContains(t, found, "2026-11-24", "a pending day is not a day off")
}

func TestAgencyOfficeHours(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	cat, err := catalog.Parse([]byte(`agencies:
  - {code: "W-01", name: Winter office, kind: commune, windows: ["07:30-12:00", "13:00-16:30"]}
procedures: []
`))
	require.NoError(t, err)
	_, err = s.ImportCatalog(ctx, cat)
	require.NoError(t, err)
	w, err := s.AgencyWindows(ctx, "W-01")
	require.NoError(t, err)
	require.Equal(t, []string{"07:30-12:00", "13:00-16:30"}, w)
	none, err := s.AgencyWindows(ctx, "000.00.17.H39")
	require.NoError(t, err)
	require.Empty(t, none, "an agency without its own hours keeps the default")

	cal, err := activities.LoadAgencyCalendar(ctx, s, "W-01")
	require.NoError(t, err)
	// Friday 2026-11-27 16:00 + 1 working hour: 30 minutes left on Friday
	// (until 16:30), then Monday from 07:30 → 08:00.
	got, err := cal.Add(time.Date(2026, 11, 27, 16, 0, 0, 0, dossier.Location), time.Hour)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 30, 8, 0, 0, 0, dossier.Location), got.In(dossier.Location))
	def, err := activities.LoadAgencyCalendar(ctx, s, "000.00.17.H39")
	require.NoError(t, err)
	got, err = def.Add(time.Date(2026, 11, 27, 16, 0, 0, 0, dossier.Location), time.Hour)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 27, 17, 0, 0, 0, dossier.Location), got.In(dossier.Location), "default hours end at 17:00")

	_, err = catalog.Parse([]byte(`agencies:
  - {code: "W-02", name: Bad, kind: commune, windows: ["7h30 to noon"]}
procedures: []
`))
	require.ErrorContains(t, err, "07:30-11:30")
}

// A postal pickup is kept with the shipment (RecordPickup) and shown on the
// dossier at once; a workflow transition that does not know of it yet keeps
// it; a repeat is a duplicate, a pickup after the delivery is ignored.
func TestRecordPickup(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	now := testenv.Now().Truncate(time.Microsecond)
	nd := newDossier(now)
	nd.ReturnMethod = dossier.ReturnPostal
	sub, err := s.CreateDossier(ctx, nd, "", []byte{1})
	require.NoError(t, err)
	waybill := "EV" + sub.Code[len(sub.Code)-4:] + "00000VN"
	require.NoError(t, s.RecordShipment(ctx, store.Shipment{DossierCode: sub.Code, Waybill: waybill, Status: "requested"}))

	// The postal service may answer before the workflow records the shipment.
	pickedAt := now.Add(-time.Minute)
	_, outcome, err := s.RecordPickup(ctx, waybill, pickedAt)
	require.NoError(t, err)
	require.Equal(t, store.PickupApplied, outcome)

	requested := func(seq int) dossier.Transition {
		return dossier.Transition{Code: sub.Code,
			Event: dossier.Event{Seq: seq, At: now, Action: "shipment.requested", Actor: "t"},
			Progress: dossier.Progress{Version: seq, Status: dossier.StatusResultReady, Stage: dossier.StageReturn,
				Fee:      dossier.Fee{Status: dossier.FeeNone},
				Shipment: &dossier.Shipment{Waybill: waybill, Status: dossier.ShipmentRequested}}}
	}
	// The workflow's transitions still say "requested": the row keeps the pickup.
	require.NoError(t, s.ApplyTransition(ctx, requested(2)))
	d, err := s.Dossier(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, dossier.ShipmentPickedUp, d.Shipment.Status)
	require.NoError(t, s.ApplyTransition(ctx, requested(3)))
	d, err = s.Dossier(ctx, sub.Code)
	require.NoError(t, err)
	require.Equal(t, dossier.ShipmentPickedUp, d.Shipment.Status, "a later transition keeps the pickup")

	sh, err := s.ShipmentByWaybill(ctx, waybill)
	require.NoError(t, err)
	require.Equal(t, "picked_up", sh.Status)
	require.NotNil(t, sh.PickedUpAt)
	require.True(t, sh.PickedUpAt.Equal(pickedAt), "the postal service's time: %v", sh.PickedUpAt)

	_, outcome, err = s.RecordPickup(ctx, waybill, now)
	require.NoError(t, err)
	require.Equal(t, store.PickupDuplicate, outcome)
	sh, err = s.ShipmentByWaybill(ctx, waybill)
	require.NoError(t, err)
	require.True(t, sh.PickedUpAt.Equal(pickedAt), "a repeat does not move the pickup time")

	require.NoError(t, s.SetShipmentStatus(ctx, waybill, "delivered"))
	_, outcome, err = s.RecordPickup(ctx, waybill, now)
	require.NoError(t, err)
	require.Equal(t, store.PickupIgnored, outcome)

	_, _, err = s.RecordPickup(ctx, "EV999999999VN", now)
	require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))
}

// A query that cannot finish (here: blocked behind a lock somebody holds
// by hand) is cancelled by the pool's statement_timeout instead of holding
// its connection for as long as the lock lasts.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	s, conn := openWithSQL(t)
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)

	qctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	start := time.Now()
	_, err = s.Dossier(qctx, "000.00.17.H39-261209-0001")
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "the blocked read must fail, not wait for the lock")
	require.Equal(t, "57014", pgErr.Code, "query_canceled by statement_timeout: %v", err)
	want, err := time.ParseDuration(store.DefaultStatementTimeout + "ms")
	require.NoError(t, err)
	require.InDelta(t, want.Seconds(), time.Since(start).Seconds(), 5)
}
