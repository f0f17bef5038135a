package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// The report tests drive dossiers through the recorder (ApplyTransition)
// the way workflows do, with clocks chosen by the test, and count the
// expected figures in Go from what the test did, independently of the SQL.

func ict(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, dossier.Location)
}

func month(y int, m time.Month) store.ReportPeriod {
	return store.ReportPeriod{Start: store.LocalDay(y, m, 1), End: store.LocalDay(y, m+1, 1)}
}

// farFuture is "now" for reports of periods long over.
var farFuture = ict(2030, 1, 1, 0, 0)

// simProcedure is a procedure of the shipped catalog as the simulator runs
// it: receiving agency, sector, review departments (in parallel when more
// than one) and the approving department.
type simProcedure struct {
	code, agency, sector string
	review               []string
	approval             string
}

var simProcedures = []simProcedure{
	{"TP-LLTP-01", "000.00.17.H39", "LLTP", []string{"000.00.18.H39"}, "000.00.18.H39"},
	{"KH-HKD-01", "000.00.17.H39", "TLHKD", []string{"000.00.19.H39"}, "000.00.19.H39"},
	// Reviewed in parallel by two departments (a một cửa liên thông case).
	{"TN-BDDD-01", "000.00.17.H39", "DD", []string{"000.00.21.H39", "000.00.22.H39"}, "000.00.21.H39"},
	{"HT-KS-01", "000.00.25.H39", "HT", []string{"000.00.25.H39"}, "000.00.25.H39"},
}

// simState is a dossier's state after one event, as the model reads it.
type simState struct {
	at     time.Time
	status dossier.Status
	due    time.Time // zero before receipt
}

// simSpan is a department's part of a step, as the model reads it.
type simSpan struct {
	dept              string
	entered, finished time.Time // finished zero: open
	due               time.Time
	verdict           string
}

// simDossier is one dossier driven through the recorder.
type simDossier struct {
	t       *testing.T
	s       *store.Store
	proc    simProcedure
	channel dossier.Channel
	code    string
	p       dossier.Progress
	seq     int

	received, ended time.Time
	ending          dossier.Ending
	verdict         string
	states          []simState
	spans           []simSpan
	pausedAt        time.Time
}

func newSimDossier(t *testing.T, s *store.Store, proc simProcedure, ch dossier.Channel, submitted time.Time) *simDossier {
	t.Helper()
	nd := newDossier(submitted)
	nd.ProcedureCode, nd.AgencyCode, nd.Channel = proc.code, proc.agency, ch
	sub, err := s.CreateDossier(context.Background(), nd, "", nil)
	require.NoError(t, err)
	d := &simDossier{t: t, s: s, proc: proc, channel: ch, code: sub.Code, seq: 1,
		p: dossier.Progress{Version: 1, Status: dossier.StatusSubmitted, Stage: dossier.StageIntake, Fee: dossier.Fee{Status: dossier.FeeNone}}}
	d.states = append(d.states, simState{at: submitted, status: dossier.StatusSubmitted})
	return d
}

// record appends one event with the progress after it.
func (d *simDossier) record(at time.Time, ev dossier.Event) {
	d.t.Helper()
	d.seq++
	d.p.Version = d.seq
	ev.Seq, ev.At, ev.ToStatus, ev.ToStage = d.seq, at, d.p.Status, d.p.Stage
	if ev.Actor == "" {
		ev.Actor = "sim"
	}
	require.NoError(d.t, d.s.ApplyTransition(context.Background(), dossier.Transition{Code: d.code, Event: ev, Progress: d.p.Clone()}))
	var due time.Time
	if d.p.DueAt != nil {
		due = *d.p.DueAt
	}
	d.states = append(d.states, simState{at: at, status: d.p.Status, due: due})
}

func (d *simDossier) open() bool { return d.ended.IsZero() && !d.received.IsZero() }

// enter makes a step current for its departments.
func (d *simDossier) enter(at time.Time, name string, deps []string, due time.Time) {
	s := &dossier.CurrentStep{Name: name, Departments: slices.Clone(deps), Pending: slices.Clone(deps), DueAt: due}
	for _, dep := range deps {
		s.Branches = append(s.Branches, dossier.Branch{Department: dep, DueAt: due})
		d.spans = append(d.spans, simSpan{dept: dep, entered: at, due: due})
	}
	d.p.CurrentStep = s
}

// closeSpans closes the open spans of deps (nil: all) at at; verdict ""
// means by the span's own due time.
func (d *simDossier) closeSpans(at time.Time, deps []string, verdict func(due time.Time) string) {
	for i := range d.spans {
		sp := &d.spans[i]
		if sp.finished.IsZero() && (deps == nil || slices.Contains(deps, sp.dept)) {
			sp.finished, sp.verdict = at, verdict(sp.due)
		}
	}
}

func (d *simDossier) accept(at time.Time, appointment time.Time, stepDue time.Time) {
	d.received = at
	d.p.Status, d.p.Stage = dossier.StatusReceived, dossier.StageReview
	d.p.ReceivedAt, d.p.AppointmentAt, d.p.OriginalAppointmentAt, d.p.DueAt = &at, &appointment, &appointment, &appointment
	d.enter(at, "review", d.proc.review, stepDue)
	d.record(at, dossier.Event{Action: dossier.ActionIntakeAccept, Step: "intake", Department: d.proc.agency})
}

func (d *simDossier) end(at time.Time, action string, status dossier.Status) {
	ending, _ := dossier.EndingOf(action)
	var step, dept, onTime string
	if s := d.p.CurrentStep; s != nil && action != dossier.ActionWithdrawn && action != dossier.ActionStopped &&
		action != dossier.ActionSupplementExpired {
		step, dept, onTime = s.Name, s.Pending[0], dossier.Timeliness(at, s.DueAt)
	}
	d.ended, d.ending = at, ending
	d.verdict = dossier.EndingVerdict(action, at, *d.p.DueAt)
	d.closeSpans(at, nil, func(due time.Time) string {
		if ending == dossier.EndingResult {
			return dossier.Timeliness(at, due)
		}
		return dossier.EndingVerdict(action, at, due)
	})
	d.p.Status, d.p.Stage, d.p.CurrentStep, d.p.Supplement = status, dossier.StageDone, nil, nil
	if ending == dossier.EndingResult {
		d.p.Verdict = d.verdict
		d.p.Stage = dossier.StageReturn
	}
	d.p.FinishedAt = &at
	d.record(at, dossier.Event{Action: action, Step: step, Department: dept, OnTime: onTime})
}

// step moves the dossier one random step on at `at`.
func (d *simDossier) step(r *rand.Rand, at time.Time) {
	d.t.Helper()
	if d.p.Status == dossier.StatusSupplementRequested {
		if r.IntN(4) == 0 {
			d.end(at, dossier.ActionSupplementExpired, dossier.StatusRefused)
			return
		}
		// The supplement comes in: every pending instant moves later by the
		// paused time (in calendar time here: the model does not care how
		// the workflow counts it).
		shift := at.Sub(d.pausedAt)
		due, appt := d.p.DueAt.Add(shift), d.p.AppointmentAt.Add(shift)
		d.p.DueAt, d.p.AppointmentAt, d.p.OriginalAppointmentAt = &due, &appt, &due
		d.p.Status, d.p.Supplement = dossier.StatusProcessing, nil
		if s := d.p.CurrentStep; s != nil {
			s.DueAt = s.DueAt.Add(shift)
			for i := range s.Branches {
				s.Branches[i].DueAt = s.DueAt
			}
			for i := range d.spans {
				if d.spans[i].finished.IsZero() {
					d.spans[i].due = s.DueAt
				}
			}
		}
		d.record(at, dossier.Event{Action: dossier.ActionSupplementIn})
		return
	}
	s := d.p.CurrentStep
	switch x := r.IntN(100); {
	case x < 8:
		d.end(at, dossier.ActionWithdrawn, dossier.StatusWithdrawn)
	case x < 13:
		d.end(at, dossier.ActionStopped, dossier.StatusStopped)
	case x < 25:
		d.pausedAt = at
		d.p.Status = dossier.StatusSupplementRequested
		d.p.Supplement = &dossier.Supplement{RequestedAt: at, DueAt: at.AddDate(0, 0, 14), Missing: []string{"x"}}
		d.record(at, dossier.Event{Action: dossier.ActionReviewSupplement})
	case x < 32:
		// An apology letter: the latest appointment moves, the one the
		// rule judges against does not.
		appt := d.p.AppointmentAt.AddDate(0, 0, 5)
		d.p.AppointmentAt = &appt
		d.p.AppointmentResets++
		d.record(at, dossier.Event{Action: dossier.ActionApologyIssued})
	case x < 38:
		due := s.DueAt.AddDate(0, 0, 2)
		s.DueAt = due
		for i := range s.Branches {
			s.Branches[i].DueAt = due
		}
		for i := range d.spans {
			if d.spans[i].finished.IsZero() {
				d.spans[i].due = due
			}
		}
		d.record(at, dossier.Event{Action: dossier.ActionStepExtended, Step: s.Name})
	case x < 45 && s.Name == "review":
		d.end(at, dossier.ActionReviewRefuse, dossier.StatusRefused)
	case x < 50 && s.Name == "approval":
		d.end(at, dossier.ActionApprovalReject, dossier.StatusRefused)
	case s.Name == "approval":
		d.end(at, dossier.ActionApprovalApprove, dossier.StatusResultReady)
	default: // a review department decides
		d.reviewApprove(at, s.Pending[r.IntN(len(s.Pending))], at.Add(time.Duration(1+r.IntN(72))*time.Hour))
	}
}

// reviewApprove records a review department's approval; when it was the
// last, the approval step (due at approvalDue) is entered.
func (d *simDossier) reviewApprove(at time.Time, dep string, approvalDue time.Time) {
	s := d.p.CurrentStep
	onTime := dossier.Timeliness(at, s.DueAt)
	d.closeSpans(at, []string{dep}, func(time.Time) string { return onTime })
	s.Pending = slices.DeleteFunc(s.Pending, func(p string) bool { return p == dep })
	for i := range s.Branches {
		if s.Branches[i].Department == dep {
			s.Branches[i].Decided = true
		}
	}
	d.p.Status = dossier.StatusProcessing
	if len(s.Pending) == 0 {
		d.p.Stage = dossier.StageApproval
		d.enter(at, "approval", []string{d.proc.approval}, approvalDue)
	}
	d.record(at, dossier.Event{Action: dossier.ActionReviewApprove, Step: "review", Department: dep, OnTime: onTime})
}

// stateAt is the dossier's state after its last event before t.
func (d *simDossier) stateAt(t time.Time) simState {
	var st simState
	for _, s := range d.states {
		if s.at.Before(t) {
			st = s
		}
	}
	return st
}

// runLifecycles makes n dossiers with random lifecycles between from and
// until (every branch: never received, withdrawn, stopped, refused at
// review or approval, supplement expired or provided, apology, extension,
// result early / on time / late, parallel review).
func runLifecycles(t *testing.T, s *store.Store, r *rand.Rand, n int, from, until time.Time) []*simDossier {
	t.Helper()
	span := until.Sub(from)
	var out []*simDossier
	for range n {
		proc := simProcedures[r.IntN(len(simProcedures))]
		ch := []dossier.Channel{dossier.ChannelOnline, dossier.ChannelCounter, dossier.ChannelPostal}[r.IntN(3)]
		at := from.Add(time.Duration(r.Int64N(int64(span))))
		d := newSimDossier(t, s, proc, ch, at)
		out = append(out, d)
		// Random clocks: gaps from a minute to two weeks, landing on any
		// hour, midnights included.
		gap := func() time.Duration {
			if r.IntN(3) == 0 {
				return time.Duration(1+r.IntN(600)) * time.Minute
			}
			return time.Duration(1+r.IntN(14*24)) * time.Hour
		}
		at = at.Add(gap())
		if r.IntN(10) == 0 {
			// Never received: still waiting, refused at intake, or
			// withdrawn before intake — counted nowhere.
			switch r.IntN(3) {
			case 1:
				d.p.Status, d.p.Stage = dossier.StatusRefused, dossier.StageDone
				d.p.FinishedAt = &at
				d.record(at, dossier.Event{Action: dossier.ActionIntakeRefuse})
			case 2:
				d.p.Status, d.p.Stage = dossier.StatusWithdrawn, dossier.StageDone
				d.record(at, dossier.Event{Action: dossier.ActionWithdrawn})
			}
			continue
		}
		appt := at.Add(time.Duration(1+r.IntN(15*24)) * time.Hour)
		d.accept(at, appt, at.Add(appt.Sub(at)/2))
		for d.open() {
			at = at.Add(gap())
			if at.After(until) {
				break
			}
			d.step(r, at)
		}
	}
	return out
}

// model counts a period's figures from the simulated dossiers.
func model(ds []*simDossier, p store.ReportPeriod, keep func(*simDossier) bool) store.ReportFigures {
	var f store.ReportFigures
	for _, d := range ds {
		if d.received.IsZero() || !keep(d) {
			continue
		}
		endedBefore := func(t time.Time) bool { return !d.ended.IsZero() && d.ended.Before(t) }
		if !d.received.Before(p.End) || endedBefore(p.Start) {
			continue
		}
		if d.received.Before(p.Start) {
			f.Received.CarriedOver++
		} else {
			f.Received.New++
			switch d.channel {
			case dossier.ChannelOnline:
				f.Received.Online++
			case dossier.ChannelCounter:
				f.Received.Counter++
			case dossier.ChannelPostal:
				f.Received.Postal++
			}
		}
		if endedBefore(p.End) {
			f.Resolved.Total++
			countVerdict(&f.Resolved, d.verdict)
			switch d.ending {
			case dossier.EndingResult:
				f.Resolved.Result++
			case dossier.EndingRefused:
				f.Resolved.Refused++
			case dossier.EndingWithdrawn:
				f.Resolved.Withdrawn++
			case dossier.EndingStopped:
				f.Resolved.Stopped++
			}
			continue
		}
		f.Pending.Total++
		st := d.stateAt(p.End)
		if st.status != dossier.StatusSupplementRequested && dossier.IsOverdue(st.due, p.End) {
			f.Pending.Overdue++
		} else {
			f.Pending.NotDue++
		}
	}
	return f
}

func countVerdict(r *store.Resolved, v string) {
	switch v {
	case dossier.Early:
		r.Early++
	case dossier.OnTime:
		r.OnTime++
	case dossier.Late:
		r.Late++
	}
}

// modelDepartment counts a department's step figures.
func modelDepartment(ds []*simDossier, p store.ReportPeriod, dept string) store.ReportFigures {
	var f store.ReportFigures
	for _, d := range ds {
		for _, sp := range d.spans {
			if sp.dept != dept || !sp.entered.Before(p.End) || (!sp.finished.IsZero() && sp.finished.Before(p.Start)) {
				continue
			}
			if sp.entered.Before(p.Start) {
				f.Received.CarriedOver++
			} else {
				f.Received.New++
			}
			if !sp.finished.IsZero() && sp.finished.Before(p.End) {
				f.Resolved.Total++
				countVerdict(&f.Resolved, sp.verdict)
				continue
			}
			f.Pending.Total++
		}
	}
	return f
}

// requireBalanced checks the partition of one row.
func requireBalanced(t *testing.T, f store.ReportFigures, msg ...any) {
	t.Helper()
	require.Equal(t, f.Received.CarriedOver+f.Received.New, f.Resolved.Total+f.Pending.Total, msg...)
	require.Equal(t, f.Resolved.Total, f.Resolved.Early+f.Resolved.OnTime+f.Resolved.Late, msg...)
	require.Equal(t, f.Pending.Total, f.Pending.NotDue+f.Pending.Overdue, msg...)
	require.Equal(t, f.Received.New, f.Received.Online+f.Received.Counter+f.Received.Postal, msg...)
}

func TestReportBalancesForRandomLifecyclesAndPeriods(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 16))
	from, until := ict(2026, 1, 1, 0, 0), ict(2026, 7, 1, 0, 0)
	ds := runLifecycles(t, s, r, 160, from, until)
	// With snapshots in use: the closed days up to a random day in the
	// span from them, the rest live.
	snapped := store.LocalDay(2026, 1, 15+r.IntN(150))
	_, err := s.BuildReportSnapshots(ctx, snapped)
	require.NoError(t, err)
	state, err := s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.True(t, state.Through.Equal(snapped), "snapshots through %s: %+v", snapped, state)

	var periods []store.ReportPeriod
	for m := time.January; m <= time.July; m++ {
		periods = append(periods, month(2026, m))
	}
	for range 12 { // random whole-day periods, from a day to five months
		a := r.IntN(170)
		b := a + 1 + r.IntN(150)
		periods = append(periods, store.ReportPeriod{Start: store.LocalDay(2026, 1, 1+a), End: store.LocalDay(2026, 1, 1+b)})
	}
	all := func(*simDossier) bool { return true }
	rows, err := s.Report(ctx, periods, store.ReportFilter{}, farFuture)
	require.NoError(t, err)
	for i, p := range periods {
		requireBalanced(t, rows[i].ReportFigures, "period %s", p.Start)
		require.Equal(t, model(ds, p, all), rows[i].ReportFigures, "period %s – %s", p.Start, p.End)
	}

	// The lifecycles took every branch.
	whole, err := s.Report(ctx, []store.ReportPeriod{{Start: from, End: until.AddDate(0, 1, 0)}}, store.ReportFilter{}, farFuture)
	require.NoError(t, err)
	w := whole[0].ReportFigures
	for name, n := range map[string]int64{"early": w.Resolved.Early, "on time": w.Resolved.OnTime, "late": w.Resolved.Late,
		"result": w.Resolved.Result, "refused": w.Resolved.Refused, "withdrawn": w.Resolved.Withdrawn,
		"stopped": w.Resolved.Stopped, "pending": w.Pending.Total} {
		require.Positive(t, n, name)
	}
	overdue, notDue := int64(0), int64(0)
	for i := range periods {
		overdue += rows[i].Pending.Overdue
		notDue += rows[i].Pending.NotDue
	}
	require.Positive(t, overdue)
	require.Positive(t, notDue)

	// Every grouping counts each dossier once: its groups add up to the
	// whole, and each group is what the model counts for it.
	keyOf := map[string]func(*simDossier) string{
		"agency":    func(d *simDossier) string { return d.proc.agency },
		"procedure": func(d *simDossier) string { return d.proc.code },
		"sector":    func(d *simDossier) string { return d.proc.sector },
		"channel":   func(d *simDossier) string { return string(d.channel) },
	}
	for by, key := range keyOf {
		grouped, err := s.Report(ctx, periods, store.ReportFilter{GroupBy: by}, farFuture)
		require.NoError(t, err)
		sums := make([]store.ReportFigures, len(periods))
		for _, row := range grouped {
			requireBalanced(t, row.ReportFigures, by, row.Key)
			want := model(ds, periods[row.Period], func(d *simDossier) bool { return key(d) == row.Key })
			require.Equal(t, want, row.ReportFigures, "%s %s period %d", by, row.Key, row.Period)
			sums[row.Period].Add(row.ReportFigures)
		}
		for i := range periods {
			require.Equal(t, rows[i].ReportFigures, sums[i], "%s adds up in period %d", by, i)
		}
	}

	// Filters: the same figures as the group.
	p := month(2026, 3)
	one := func(f store.ReportFilter) store.ReportFigures {
		got, err := s.Report(ctx, []store.ReportPeriod{p}, f, farFuture)
		require.NoError(t, err)
		return got[0].ReportFigures
	}
	require.Equal(t, model(ds, p, func(d *simDossier) bool { return d.proc.sector == "DD" }), one(store.ReportFilter{Sector: "DD"}))
	require.Equal(t, model(ds, p, func(d *simDossier) bool { return d.channel == dossier.ChannelPostal }),
		one(store.ReportFilter{Channel: "postal"}))
	require.Equal(t, model(ds, p, func(d *simDossier) bool { return d.proc.code == "KH-HKD-01" && d.proc.agency == "000.00.17.H39" }),
		one(store.ReportFilter{Procedure: "KH-HKD-01", Agency: "000.00.17.H39"}))

	// Departments: steps entered, finished and open balance too, and match
	// the model's spans.
	for _, dept := range []string{"000.00.18.H39", "000.00.21.H39", "000.00.22.H39", "000.00.25.H39"} {
		got, err := s.Report(ctx, periods, store.ReportFilter{Department: dept}, farFuture)
		require.NoError(t, err)
		for i, p := range periods {
			f := got[i].ReportFigures
			requireBalanced(t, f, dept)
			want := modelDepartment(ds, p, dept)
			require.Equal(t, want.Received.CarriedOver, f.Received.CarriedOver, "%s period %d", dept, i)
			require.Equal(t, want.Received.New, f.Received.New, "%s period %d", dept, i)
			require.Equal(t, want.Resolved.Total, f.Resolved.Total, "%s period %d", dept, i)
			require.Equal(t, want.Resolved.Early, f.Resolved.Early, "%s period %d", dept, i)
			require.Equal(t, want.Resolved.Late, f.Resolved.Late, "%s period %d", dept, i)
			require.Equal(t, want.Pending.Total, f.Pending.Total, "%s period %d", dept, i)
		}
	}
	byDept, err := s.Report(ctx, []store.ReportPeriod{p}, store.ReportFilter{GroupBy: "department"}, farFuture)
	require.NoError(t, err)
	require.NotEmpty(t, byDept)
	for _, row := range byDept {
		require.Equal(t, one(store.ReportFilter{Department: row.Key}), row.ReportFigures, row.Key)
	}
}

func TestClosedPeriodDoesNotMove(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	march := month(2026, 3)
	ds := runLifecycles(t, s, r, 80, ict(2026, 2, 1, 0, 0), march.End)
	report := func() [][]store.ReportRow {
		var out [][]store.ReportRow
		for _, by := range []string{"agency", "department"} {
			rows, err := s.Report(ctx, []store.ReportPeriod{march}, store.ReportFilter{GroupBy: by}, farFuture)
			require.NoError(t, err)
			require.NotEmpty(t, rows, by)
			out = append(out, rows)
		}
		return out
	}
	before := report()
	// March's days are snapshotted, and April's up to the middle: the
	// events dated in April below are late facts for those and drop them.
	_, err := s.BuildReportSnapshots(ctx, store.LocalDay(2026, 4, 15))
	require.NoError(t, err)
	require.Equal(t, before, report(), "from the snapshots")

	// After March: every open dossier moves on with events dated in April
	// and May (decisions, supplements asked and provided – which move the
	// appointment –, extensions, apology letters with a new date,
	// withdrawals, stops), until it ends.
	moved := 0
	for _, d := range ds {
		at := march.End.Add(time.Duration(r.IntN(600)) * time.Minute)
		if d.open() && d.p.Status != dossier.StatusSupplementRequested {
			// First a supplement asked and provided a month later: the
			// appointment moves a month (today's row no longer says
			// what was overdue at the end of March).
			d.pausedAt = at
			d.p.Status = dossier.StatusSupplementRequested
			d.record(at, dossier.Event{Action: dossier.ActionReviewSupplement})
			at = at.AddDate(0, 1, 0)
			for d.p.Status == dossier.StatusSupplementRequested {
				d.step(r, at) // provided, or expired
			}
			at = at.Add(time.Hour)
		}
		for d.open() {
			d.step(r, at)
			moved++
			at = at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		}
	}
	require.Positive(t, moved)
	state, err := s.ReportSnapshots(ctx)
	require.NoError(t, err)
	require.True(t, state.Through.Equal(march.End), "the April days the late events fell on were dropped: %+v", state)
	require.Equal(t, before, report(), "March computed in June is March computed at its end, by agency and by department")
	_, err = s.BuildReportSnapshots(ctx, ict(2026, 7, 1, 0, 0))
	require.NoError(t, err)
	require.Equal(t, before, report(), "and from snapshots built after the moves")
}

// TestReportRules pins the rule for late and the partition on hand-made
// dossiers: the day rule, endings without a result, supplements.
func TestReportRules(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	proc := simProcedures[1]
	newAccepted := func(received, appt time.Time) *simDossier {
		d := newSimDossier(t, s, proc, dossier.ChannelCounter, received.Add(-time.Hour))
		d.accept(received, appt, appt)
		return d
	}
	thursday := ict(2026, 3, 12, 9, 1) // due Thursday 09:01
	// Signed Thursday 15:00: on time (by the day), never overdue.
	signed := newAccepted(ict(2026, 3, 9, 9, 1), thursday)
	signed.reviewApprove(ict(2026, 3, 12, 10, 0), proc.review[0], thursday)
	signed.end(ict(2026, 3, 12, 15, 0), dossier.ActionApprovalApprove, dossier.StatusResultReady)
	// Withdrawn Wednesday: resolved, withdrawn, on time.
	withdrawn := newAccepted(ict(2026, 3, 9, 10, 0), thursday)
	withdrawn.end(ict(2026, 3, 11, 10, 0), dossier.ActionWithdrawn, dossier.StatusWithdrawn)
	// Stopped the Friday after: resolved, stopped, late.
	stopped := newAccepted(ict(2026, 3, 9, 11, 0), thursday)
	stopped.end(ict(2026, 3, 13, 10, 0), dossier.ActionStopped, dossier.StatusStopped)
	// Refused at review on the appointment day: resolved, refused, on time.
	refused := newAccepted(ict(2026, 3, 9, 12, 0), thursday)
	refused.end(ict(2026, 3, 12, 16, 0), dossier.ActionReviewRefuse, dossier.StatusRefused)
	// Open, due Thursday: not due on Thursday, overdue from Friday 00:00.
	open := newAccepted(ict(2026, 3, 9, 13, 0), thursday)
	// Waiting for a supplement since Wednesday: not due while it waits.
	waiting := newAccepted(ict(2026, 3, 9, 14, 0), thursday)
	waiting.pausedAt = ict(2026, 3, 11, 9, 0)
	waiting.p.Status = dossier.StatusSupplementRequested
	waiting.record(waiting.pausedAt, dossier.Event{Action: dossier.ActionReviewSupplement})
	_ = open

	fig := func(from, to time.Time, now time.Time) store.ReportFigures {
		rows, err := s.Report(ctx, []store.ReportPeriod{{Start: from, End: to}}, store.ReportFilter{}, now)
		require.NoError(t, err)
		requireBalanced(t, rows[0].ReportFigures)
		return rows[0].ReportFigures
	}
	// Monday to Thursday: the result signed Thursday 15:00 is on time;
	// what is still open at the end of Thursday is overdue (it was not
	// finished on its appointment day), except while waiting for a
	// supplement.
	week := fig(store.LocalDay(2026, 3, 9), store.LocalDay(2026, 3, 13), farFuture)
	require.Equal(t, store.Received{New: 6, Counter: 6}, week.Received)
	require.Equal(t, store.Resolved{Total: 3, OnTime: 3, Result: 1, Refused: 1, Withdrawn: 1}, week.Resolved)
	require.Equal(t, store.Pending{Total: 3, NotDue: 1, Overdue: 2}, week.Pending)

	friday := fig(store.LocalDay(2026, 3, 9), store.LocalDay(2026, 3, 14), farFuture)
	require.Equal(t, int64(1), friday.Resolved.Stopped)
	require.Equal(t, int64(1), friday.Resolved.Late, "stopped after the appointment day")
	require.Equal(t, int64(1), friday.Pending.Overdue, "the open one, from Friday; not the one waiting for a supplement")

	// A period not over is reported as of now: on Thursday afternoon
	// nothing due Thursday is overdue yet; on Friday morning it is.
	require.Zero(t, fig(store.LocalDay(2026, 3, 1), store.LocalDay(2026, 4, 1), ict(2026, 3, 12, 17, 0)).Pending.Overdue)
	require.Equal(t, int64(1), fig(store.LocalDay(2026, 3, 1), store.LocalDay(2026, 4, 1), ict(2026, 3, 13, 0, 0)).Pending.Overdue)
}

func TestReportVocabulary(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	v, err := s.ReportVocabulary(context.Background())
	require.NoError(t, err)
	require.Equal(t, "department", v.Agencies["000.00.18.H39"])
	require.Equal(t, "center", v.Agencies["000.00.17.H39"])
	require.True(t, v.Procedures["KH-HKD-01"])
	require.Equal(t, "Hộ tịch", v.Sectors["HT"])
	require.Positive(t, v.FirstYear)
	require.GreaterOrEqual(t, v.LastYear, v.FirstYear)
	_, err = store.ReportSQL(store.ReportFilter{GroupBy: "colour"})
	require.Error(t, err)
	require.Equal(t, fmt.Sprint(store.LocalDay(2026, 3, 12)), fmt.Sprint(store.LocalDayOf(ict(2026, 3, 12, 23, 59))))
}
