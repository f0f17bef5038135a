package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// Bulk seeding for measurement: realistic dossiers written straight into
// the read model with COPY, without workflows (no control sheet, no
// Temporal history). Only reports and lists can use them.

// SeedOptions configure SeedDossiers.
type SeedOptions struct {
	// N dossiers are written.
	N int
	// Years back from Until they are spread over (default 2).
	Years int
	// Seed of the generator: the same seed, N, Years, Until and catalog give
	// the same dossiers.
	Seed uint64
	// Until is the end of the spread and the "now" deciding which dossiers
	// are still open (default: today's local midnight).
	Until time.Time
}

// SeedFirstCounter is where seeded dossier codes start counting within an
// agency's day: real submissions count from 1, and the counters are
// advanced past every seeded code, so the two never collide.
const SeedFirstCounter = 5000

var (
	seedFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
		"Hồ", "Ngô", "Dương", "Lý"}
	seedFamilyWeight = []int{38, 11, 10, 7, 5, 5, 4, 4, 4, 2, 2, 2, 2, 2, 1, 1}
	seedMiddleMale   = []string{"Văn", "Minh", "Đức", "Hữu", "Quốc", "Thanh", "Công", "Gia", "Hoàng", "Tuấn"}
	seedMiddleFemale = []string{"Thị", "Ngọc", "Thu", "Thanh", "Hoài", "Bích", "Thùy", "Khánh", "Mỹ", "Phương"}
	seedGivenMale    = []string{"An", "Bình", "Dũng", "Hải", "Hiếu", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân",
		"Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Đạt", "Cường"}
	seedGivenFemale = []string{"Anh", "Châu", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
		"Ngân", "Nhung", "Phương", "Tâm", "Thảo", "Trang", "Tuyết", "Vy", "Yến"}
	seedStreets = []string{"Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Điện Biên Phủ",
		"Cách Mạng Tháng Tám", "Võ Văn Tần", "Pasteur", "Nam Kỳ Khởi Nghĩa"}
	seedWards = []string{"Phường Sài Gòn", "Phường Bến Thành", "Phường Tân Định", "Phường Xuân Hòa",
		"Phường Chợ Quán", "Phường Bình Thạnh", "Phường Gia Định", "Phường Thủ Đức"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// seedName is a Vietnamese full name with diacritics.
func seedName(r *rand.Rand) string {
	total := 0
	for _, w := range seedFamilyWeight {
		total += w
	}
	n, family := r.IntN(total), seedFamily[0]
	for i, w := range seedFamilyWeight {
		if n < w {
			family = seedFamily[i]
			break
		}
		n -= w
	}
	if r.IntN(2) == 0 {
		return family + " " + pick(r, seedMiddleMale) + " " + pick(r, seedGivenMale)
	}
	return family + " " + pick(r, seedMiddleFemale) + " " + pick(r, seedGivenFemale)
}

// atLocal is day (local midnight) plus a clock time in minutes.
func atLocal(day time.Time, minutes int) time.Time {
	return day.Add(time.Duration(minutes) * time.Minute)
}

// addWorkingDays moves a local day forward by n weekdays.
func addWorkingDays(day time.Time, n int) time.Time {
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day
}

func localMidnight(t time.Time) time.Time {
	t = t.In(dossier.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, dossier.Location)
}

// seedRow is one generated row; values in the order of seedColumns.
var seedColumns = []string{"code", "procedure_code", "procedure_version", "agency_code", "channel", "status", "stage",
	"applicant", "documents", "return_method", "return_address", "fee_units", "fee_amount", "fee_status",
	"submitted_at", "received_at", "appointment_at", "original_appointment_at", "finished_at", "returned_at",
	"overdue", "supplement", "verdict", "version", "updated_at", "search_name", "ended_at", "ending", "end_verdict", "intake_closed_at"}

type seedGen struct {
	r        *rand.Rand
	procs    []catalog.Procedure
	weights  []int
	total    int
	until    time.Time
	days     []time.Time // working days of the spread, oldest first
	counters map[string]int
	n, i     int
}

func (g *seedGen) procedure() catalog.Procedure {
	n := g.r.IntN(g.total)
	for i, w := range g.weights {
		if n < w {
			return g.procs[i]
		}
		n -= w
	}
	return g.procs[0]
}

// next generates the i-th dossier (days are handed out in order, so codes
// and submitted_at grow together like real ones).
func (g *seedGen) next() ([]any, error) {
	r := g.r
	day := g.days[g.i*len(g.days)/g.n]
	g.i++
	p := g.procedure()

	ch := dossier.ChannelOnline
	switch x := r.IntN(100); {
	case x >= 90:
		ch = dossier.ChannelPostal
	case x >= 65:
		ch = dossier.ChannelCounter
	}
	var submitted time.Time
	if ch == dossier.ChannelOnline {
		submitted = atLocal(day, r.IntN(24*60)) // portals are open all day
	} else {
		submitted = atLocal(day, 7*60+30+r.IntN(9*60))
	}
	key := p.IntakeAgency + "|" + day.Format(time.DateOnly)
	n, ok := g.counters[key]
	if !ok || n < SeedFirstCounter-1 {
		n = SeedFirstCounter - 1
	}
	n++
	g.counters[key] = n
	code := dossier.FormatCode(p.IntakeAgency, day, n)

	status, stage := dossier.StatusProcessing, dossier.StageReview
	var received, appointment, finished, returned *time.Time
	var verdict, supplement any
	overdue := false

	var rec time.Time
	switch ch {
	case dossier.ChannelCounter:
		rec = submitted.Add(time.Duration(r.IntN(20)) * time.Minute)
	case dossier.ChannelPostal:
		rec = atLocal(addWorkingDays(day, 1+r.IntN(2)), 8*60+r.IntN(8*60))
	default:
		rec = submitted.Add(time.Duration(10+r.IntN(6*60)) * time.Minute)
	}
	switch {
	case r.IntN(100) == 0: // refused at intake: never received
		t := submitted.Add(time.Duration(1+r.IntN(8)) * time.Hour)
		if t.Before(g.until) {
			finished = &t
			status, stage = dossier.StatusRefused, dossier.StageDone
		} else {
			status, stage = dossier.StatusSubmitted, dossier.StageIntake
		}
	case !rec.Before(g.until): // not yet at intake
		status, stage = dossier.StatusSubmitted, dossier.StageIntake
	default:
		received = &rec
		days := p.Duration.Counter
		if ch == dossier.ChannelOnline && p.Duration.Online > 0 {
			days = p.Duration.Online
		}
		days = max(days, 1)
		appt := atLocal(addWorkingDays(localMidnight(rec), days), 17*60)
		appointment = &appt
		span := appt.Sub(rec)

		var end time.Time
		switch x := r.IntN(1000); {
		case x < 15: // withdrawn
			end = rec.Add(time.Duration(r.Int64N(int64(span))))
			status = dossier.StatusWithdrawn
		case x < 25: // refused at review: declined after receipt
			end = rec.Add(time.Duration(r.Int64N(int64(span))))
			status = dossier.StatusDeclined
		case x < 55: // late
			end = appt.Add(time.Duration(1+r.IntN(5*24)) * time.Hour)
			verdict = "late"
		case x < 400: // on the appointment day
			end = atLocal(localMidnight(appt), 8*60+r.IntN(8*60))
			verdict = "on_time"
		default: // early
			end = rec.Add(time.Duration(r.Int64N(int64(span) * 8 / 10)))
			if !end.Before(localMidnight(appt)) {
				end = localMidnight(appt).Add(-time.Hour)
			}
			verdict = "early"
		}
		asked := r.IntN(100) < 7 // asked for a supplement (5–10%)
		if end.Before(g.until) {
			finished = &end
			stage = dossier.StageDone
			if verdict != nil {
				status = dossier.StatusResultReady
				stage = dossier.StageReturn
				ret := end.Add(time.Duration(r.IntN(72)) * time.Hour)
				if ret.Before(g.until) {
					returned = &ret
					status, stage = dossier.StatusReturned, dossier.StageDone
				}
			}
		} else {
			verdict = nil
			if asked {
				status = dossier.StatusSupplementRequested
				reqAt := rec.Add(span / 4)
				s, err := json.Marshal(dossier.Supplement{RequestedAt: reqAt, DueAt: reqAt.AddDate(0, 0, 30),
					Missing: []string{"Bản sao Căn cước công dân"}})
				if err != nil {
					return nil, err
				}
				supplement = s
			}
			overdue = appt.Before(g.until) && !asked
		}
	}

	ret := dossier.ReturnCounter
	var retAddr any
	switch x := r.IntN(100); {
	case x < 15:
		ret = dossier.ReturnPostal
		retAddr = fmt.Sprintf("%d %s, %s, TP. Hồ Chí Minh", 1+r.IntN(300), pick(r, seedStreets), pick(r, seedWards))
	case x < 55:
		ret = dossier.ReturnElectronic
	}
	name := seedName(r)
	applicant, err := json.Marshal(Applicant{FullName: name,
		IDNumber: fmt.Sprintf("079%09d", r.IntN(1_000_000_000)),
		Phone:    fmt.Sprintf("09%08d", r.IntN(100_000_000)),
		Address:  fmt.Sprintf("%d %s, %s, TP. Hồ Chí Minh", 1+r.IntN(300), pick(r, seedStreets), pick(r, seedWards))})
	if err != nil {
		return nil, err
	}
	var sum [32]byte
	for i := range sum {
		sum[i] = byte(r.UintN(256))
	}
	docName := "don-de-nghi.pdf"
	if len(p.RequiredDocuments) > 0 {
		docName = p.RequiredDocuments[0] + ".pdf"
	}
	docs, err := json.Marshal([]Document{{Name: docName, SHA256: hex.EncodeToString(sum[:])}})
	if err != nil {
		return nil, err
	}
	fee := p.Fee.Amount
	if ch == dossier.ChannelOnline && p.Fee.OnlineAmount != nil {
		fee = *p.Fee.OnlineAmount
	}
	feeStatus := dossier.FeeNone
	if fee > 0 && received != nil {
		feeStatus = dossier.FeePaid
	}
	updated := submitted
	for _, t := range []*time.Time{received, finished, returned} {
		if t != nil && t.After(updated) {
			updated = *t
		}
	}
	// What the recorder writes from the ending event (reportfacts.go).
	var ended *time.Time
	var ending, endVerdict any
	if received != nil && finished != nil {
		ended, ending, endVerdict = finished, string(dossier.EndingResult), verdict
		switch status {
		case dossier.StatusWithdrawn:
			ending, endVerdict = string(dossier.EndingWithdrawn), dossier.EndingVerdict(dossier.ActionWithdrawn, *finished, *appointment)
		case dossier.StatusDeclined: // refused at review, after receipt
			ending, endVerdict = string(dossier.EndingRefused), dossier.EndingVerdict(dossier.ActionReviewRefuse, *finished, *appointment)
		}
	}
	intakeClosed := received
	if received == nil && finished != nil { // refused at intake
		intakeClosed = finished
	}
	return []any{code, p.Code, p.Version, p.IntakeAgency, string(ch), string(status), string(stage),
		applicant, docs, string(ret), retAddr, 1, fee, string(feeStatus),
		submitted, received, appointment, appointment, finished, returned,
		overdue, supplement, verdict, 5, updated, SearchName(name), ended, ending, endVerdict, intakeClosed}, nil
}

// seedFacts writes, for the dossiers just copied in this transaction, what
// the recorder would have: the control sheet's main events (submitted,
// accepted with its appointment, a supplement asked, the ending), each
// department's review step, and the intake step of submissions waiting for
// intake — so report and inbox benchmarks read what they read in
// production.
func seedFacts(ctx context.Context, tx pgx.Tx) error {
	for _, q := range []string{
		`CREATE TEMP TABLE seeded ON COMMIT DROP AS SELECT code FROM dossiers WHERE xmin = pg_current_xact_id()::xid`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status)
		 SELECT d.code, 1, d.submitted_at, 'submitted', 'seed', 'intake', 'intake', 'submitted', 'submitted'
		 FROM dossiers d JOIN seeded USING (code)`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status, due_at)
		 SELECT d.code, 2, d.received_at, 'intake.accept', 'seed', 'intake', 'review', 'submitted', 'received', d.original_appointment_at
		 FROM dossiers d JOIN seeded USING (code) WHERE d.received_at IS NOT NULL`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status, due_at)
		 SELECT d.code, 3, (d.supplement->>'requested_at')::timestamptz, 'review.request_supplement', 'seed', 'review', 'review',
			'received', 'supplement_requested', d.original_appointment_at
		 FROM dossiers d JOIN seeded USING (code) WHERE d.status = 'supplement_requested'`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status, due_at)
		 SELECT d.code, 3, d.ended_at,
			CASE d.ending WHEN 'result' THEN 'approval.approve' WHEN 'refused' THEN 'review.refuse' ELSE d.ending END,
			'seed', 'review', 'done', 'received', CASE d.ending WHEN 'result' THEN 'result_ready' ELSE d.status END,
			d.original_appointment_at
		 FROM dossiers d JOIN seeded USING (code) WHERE d.ended_at IS NOT NULL`,
		`INSERT INTO dossier_events (dossier_code, seq, at, action, actor, from_stage, to_stage, from_status, to_status)
		 SELECT d.code, 2, d.finished_at, 'intake.refuse', 'seed', 'intake', 'done', 'submitted', 'refused'
		 FROM dossiers d JOIN seeded USING (code) WHERE d.received_at IS NULL AND d.finished_at IS NOT NULL`,
		`INSERT INTO dossier_steps (dossier_code, entered_seq, step, department, entered_at, due_at, finished_at, ending, verdict)
		 SELECT d.code, 2, 'review', pv.document->'steps'->1->>'department', d.received_at,
			d.received_at + (d.original_appointment_at - d.received_at) / 2, d.ended_at, d.ending,
			CASE WHEN d.ended_at IS NULL THEN NULL
				WHEN d.ended_at < d.received_at + (d.original_appointment_at - d.received_at) / 2 THEN 'early' ELSE 'late' END
		 FROM dossiers d JOIN seeded USING (code)
		 JOIN procedure_versions pv ON pv.code = d.procedure_code AND pv.version = d.procedure_version
		 WHERE d.received_at IS NOT NULL AND pv.document->'steps'->1->>'department' IS NOT NULL`,
		`UPDATE dossiers d SET current_step = jsonb_build_object('name', 'intake', 'departments', jsonb_build_array(d.agency_code),
			'pending_departments', jsonb_build_array(d.agency_code), 'due_at', d.submitted_at + interval '1 day',
			'branches', jsonb_build_array(jsonb_build_object('department', d.agency_code, 'due_at', d.submitted_at + interval '1 day')))
		 FROM seeded WHERE seeded.code = d.code AND d.status = 'submitted' AND d.channel IN ('online', 'postal')`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("seed facts: %w", err)
		}
	}
	return nil
}

// SeedDossiers writes opts.N generated dossiers into the read model with one
// COPY, advances the code counters past them, and vacuums and analyzes the
// table. The mix follows a province's realistic volumes: about 65% online, 25% counter, 10%
// postal; 7% asked for a supplement; 1.5% withdrawn; 1% refused at intake
// and 1% at review; of the results, 3% late and the rest early or on time;
// 15% returned by post.
func (s *Store) SeedDossiers(ctx context.Context, opts SeedOptions) (int64, error) {
	if opts.N <= 0 {
		return 0, nil
	}
	if opts.Years <= 0 {
		opts.Years = 2
	}
	if opts.Until.IsZero() {
		opts.Until = localMidnight(time.Now())
	}
	procs, err := s.Procedures(ctx)
	if err != nil {
		return 0, err
	}
	if len(procs) == 0 {
		return 0, fmt.Errorf("store: seed dossiers: the catalog is empty; run motcua seed first")
	}
	g := &seedGen{r: rand.New(rand.NewPCG(opts.Seed, 0x6d6f74637561)), procs: procs, until: opts.Until,
		counters: map[string]int{}, n: opts.N}
	for i := range procs {
		w := 1 + 12/(1+i) // a few procedures make most of the volume
		g.weights = append(g.weights, w)
		g.total += w
	}
	until := localMidnight(opts.Until)
	for d := until.AddDate(-opts.Years, 0, 0); d.Before(until); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			g.days = append(g.days, d)
		}
	}

	var copied int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A million rows take longer than the pool's statement_timeout.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		// Existing counters of the spread: seeded codes start past them.
		if _, err := tx.Exec(ctx, `LOCK TABLE dossier_code_counters IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT agency_code, day, last_value FROM dossier_code_counters WHERE day >= $1`,
			g.days[0].Format(time.DateOnly))
		if err != nil {
			return err
		}
		for rows.Next() {
			var agency string
			var day time.Time
			var n int
			if err := rows.Scan(&agency, &day, &n); err != nil {
				return err
			}
			g.counters[agency+"|"+day.Format(time.DateOnly)] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var genErr error
		copied, err = tx.CopyFrom(ctx, pgx.Identifier{"dossiers"}, seedColumns, pgx.CopyFromFunc(func() ([]any, error) {
			if g.i >= g.n {
				return nil, nil
			}
			row, err := g.next()
			if err != nil {
				genErr = err
			}
			return row, err
		}))
		if genErr != nil {
			return genErr
		}
		if err != nil {
			return err
		}
		if err := seedFacts(ctx, tx); err != nil {
			return err
		}
		agencies := make([]string, 0, len(g.counters))
		days := make([]string, 0, len(g.counters))
		values := make([]int, 0, len(g.counters))
		for k, v := range g.counters {
			agencies = append(agencies, k[:len(k)-11])
			days = append(days, k[len(k)-10:])
			values = append(values, v)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO dossier_code_counters (agency_code, day, last_value)
			SELECT * FROM unnest($1::text[], $2::date[], $3::int[])
			ON CONFLICT (agency_code, day) DO UPDATE
			SET last_value = greatest(dossier_code_counters.last_value, excluded.last_value)`, agencies, days, values)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: seed dossiers: %w", err)
	}
	// VACUUM sets the hint bits and the visibility map now rather than
	// making the first reports write the freshly copied pages.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: seed dossiers: vacuum: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return 0, fmt.Errorf("store: seed dossiers: vacuum: %w", err)
	}
	_, err = conn.Exec(ctx, `VACUUM (ANALYZE) dossiers, dossier_events, dossier_steps`)
	// The connection goes back to the pool: its timeout with it.
	if _, rerr := conn.Exec(ctx, `RESET statement_timeout`); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return 0, fmt.Errorf("store: seed dossiers: vacuum: %w", err)
	}
	return copied, nil
}
