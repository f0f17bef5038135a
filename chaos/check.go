// Package chaos checks, after a chaos run (scripts/chaos.sh), that the
// promise of docs/RELIABILITY.md held: every accepted dossier reached a
// final status exactly once, with one payment request and one shipment at
// most, a control sheet with no duplicated and no missing row, and a read
// model that agrees with the workflows.
//
// The checks read the application database (SQL below), the simulated
// payment gateway and postal service (their list endpoints), and Temporal
// (through package reconcile); they change nothing.
package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/reconcile"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Options are what Check reads.
type Options struct {
	DB        *pgxpool.Pool // the application database
	Store     *store.Store  // the same database, for reconcile
	Temporal  client.Client
	Namespace string
	Sim       string        // base URL of `motcua sim` (payment under /payment, postal under /postal)
	Wait      time.Duration // how long to wait for dossiers still in flight
	Poll      time.Duration // between looks while waiting (5s)
	HTTP      *http.Client  // nil: 30-second timeout
	Progress  io.Writer     // a line per look while waiting (nil: none)
}

// Result is what a check found. Lost, Duplicates, MissingEvents, Reconcile
// and Mismatches are failures; the rest describes the run.
type Result struct {
	Dossiers     int            `json:"dossiers"`       // rows in the read model (accepted)
	ByStatus     map[string]int `json:"by_status"`      // read-model status → dossiers
	Finished     int            `json:"finished"`       // in a final status
	WaitedFor    float64        `json:"waited_seconds"` // waiting for in-flight dossiers
	OpenWorkflow int            `json:"open_workflows"` // dossier workflows still running

	// Lost: accepted but not finished after waiting ("code: status").
	Lost []string `json:"lost"`
	// Duplicates: a second payment request or shipment for a dossier at
	// the simulators, a once-only control-sheet event recorded twice, a
	// dossier submitted twice.
	Duplicates []string `json:"duplicates"`
	// MissingEvents: control sheets with a gap in their sequence, not
	// ending where the dossier is, or without the event that closed it.
	MissingEvents []string `json:"missing_events"`
	// Reconcile: differences between the read model and the workflows.
	Reconcile []string `json:"reconcile"`
	// Mismatches: the read model and a simulator disagree (a payment or
	// shipment on one side only, or for another dossier).
	Mismatches []string `json:"mismatches"`

	// gateway: the gateway's status of each dossier's payment request, to
	// say of a dossier lost in awaiting_payment whether it was paid.
	gateway map[string]string

	PaymentRequests  int `json:"payment_requests"`   // at the gateway
	PaymentRepeats   int `json:"payment_repeats"`    // create calls absorbed as idempotent repeats
	Shipments        int `json:"shipments"`          // at the postal service
	ShipmentRepeats  int `json:"shipment_repeats"`   // shipment requests answered 409 already_exists
	Events           int `json:"events"`             // control-sheet rows
	UnsentMessages   int `json:"unsent_messages"`    // notifications still in the outbox
	SubmissionsByKey int `json:"submissions_by_key"` // dossiers submitted with an Idempotency-Key
}

// Failed reports whether anything was lost, duplicated, missing or
// inconsistent.
func (r Result) Failed() bool {
	return len(r.Lost)+len(r.Duplicates)+len(r.MissingEvents)+len(r.Reconcile)+len(r.Mismatches) > 0
}

// finalStatuses are the statuses a dossier ends in, for SQL (in Go:
// dossier.Status.Final).
var finalStatuses = []string{string(dossier.StatusReturned), string(dossier.StatusRefused),
	string(dossier.StatusWithdrawn), string(dossier.StatusStopped), string(dossier.StatusDeclined)}

// Check waits up to o.Wait for every dossier to reach a final status and
// its workflow to close, then runs every check.
func Check(ctx context.Context, o Options) (Result, error) {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	var r Result
	start := time.Now()
	for {
		var err error
		if r.ByStatus, err = statuses(ctx, o.DB); err != nil {
			return r, err
		}
		if r.OpenWorkflow, err = openWorkflows(ctx, o.Temporal, o.Namespace); err != nil {
			return r, err
		}
		r.Dossiers, r.Finished = 0, 0
		for s, n := range r.ByStatus {
			r.Dossiers += n
			if dossier.Status(s).Final() {
				r.Finished += n
			}
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "chaos-check: %d dossiers, %d finished, %d workflows open (%.0fs)\n",
				r.Dossiers, r.Finished, r.OpenWorkflow, time.Since(start).Seconds())
		}
		if (r.Finished == r.Dossiers && r.OpenWorkflow == 0) || time.Since(start) >= o.Wait {
			break
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, ctx.Err()
		case <-t.C:
		}
	}
	r.WaitedFor = time.Since(start).Seconds()

	steps := []func(context.Context, Options, *Result) error{lost, events, submissions, payments, shipments, outbox, reconciled}
	for _, step := range steps {
		if err := step(ctx, o, &r); err != nil {
			return r, err
		}
	}
	for i, l := range r.Lost {
		code, _, _ := strings.Cut(l, ":")
		if st, ok := r.gateway[code]; ok && strings.Contains(l, "awaiting_payment") {
			r.Lost[i] += "; the gateway says " + st
		}
	}
	return r, nil
}

func statuses(ctx context.Context, db *pgxpool.Pool) (map[string]int, error) {
	rows, err := db.Query(ctx, `SELECT status, count(*) FROM dossiers GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("chaos: count dossiers: %w", err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

func openWorkflows(ctx context.Context, c client.Client, ns string) (int, error) {
	res, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: ns,
		Query:     "WorkflowType = '" + workflows.WorkflowName + "' AND ExecutionStatus = 'Running'",
	})
	if err != nil {
		return 0, fmt.Errorf("chaos: count open workflows: %w", err)
	}
	return int(res.GetCount()), nil
}

// strings1 runs a query whose rows are one text column.
func strings1(ctx context.Context, db *pgxpool.Pool, what, sql string, args ...any) ([]string, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("chaos: %s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func lost(ctx context.Context, o Options, r *Result) (err error) {
	r.Lost, err = strings1(ctx, o.DB, "lost dossiers",
		`SELECT code || ': ' || status || ' (stage ' || stage || ')' FROM dossiers
		 WHERE status <> ALL($1) ORDER BY code`, finalStatuses)
	return err
}

// onceOnly are control-sheet actions that happen at most once per dossier
// and (step, department), plus once more for every time the dossier was
// sent back (review.return, approval.return): a second one is an activity
// or a decision applied twice.
var onceOnly = []string{
	dossier.ActionSubmitted, dossier.ActionIntakeAccept, dossier.ActionIntakeRefuse,
	dossier.ActionReviewApprove, dossier.ActionReviewRefuse, dossier.ActionApprovalApprove, dossier.ActionApprovalReject,
	dossier.ActionPaymentRequested, dossier.ActionPaymentSucceeded,
	dossier.ActionShipmentRequested, dossier.ActionShipmentPickedUp, dossier.ActionShipmentDelivered,
	dossier.ActionHandover, dossier.ActionIssuedElectronic, dossier.ActionWithdrawn, dossier.ActionStopped,
}

// closingEvents are the events a dossier in a final status must have one
// of: what closed it.
var closingEvents = map[dossier.Status][]string{
	dossier.StatusReturned:  {dossier.ActionHandover, dossier.ActionShipmentDelivered, dossier.ActionIssuedElectronic},
	dossier.StatusRefused:   {dossier.ActionIntakeRefuse, dossier.ActionReviewRefuse, dossier.ActionApprovalReject, dossier.ActionSupplementExpired},
	dossier.StatusDeclined:  {dossier.ActionReviewRefuse, dossier.ActionApprovalReject, dossier.ActionSupplementExpired},
	dossier.StatusWithdrawn: {dossier.ActionWithdrawn},
	dossier.StatusStopped:   {dossier.ActionStopped},
}

func events(ctx context.Context, o Options, r *Result) error {
	if err := o.DB.QueryRow(ctx, `SELECT count(*) FROM dossier_events`).Scan(&r.Events); err != nil {
		return fmt.Errorf("chaos: count events: %w", err)
	}
	dups, err := strings1(ctx, o.DB, "duplicated events", `
		WITH returns AS (
		    SELECT dossier_code, count(*) AS n FROM dossier_events
		    WHERE action IN ('review.return', 'approval.return') GROUP BY dossier_code)
		SELECT format('%s: control sheet has %s × %s%s%s', e.dossier_code, count(*), e.action,
		              coalesce(' step ' || e.step, ''), coalesce(' department ' || e.department, ''))
		FROM dossier_events e LEFT JOIN returns ret USING (dossier_code)
		WHERE e.action = ANY($1)
		GROUP BY e.dossier_code, e.action, e.step, e.department, ret.n
		HAVING count(*) > 1 + coalesce(ret.n, 0)
		ORDER BY 1`, onceOnly)
	if err != nil {
		return err
	}
	r.Duplicates = append(r.Duplicates, dups...)

	// The sequence has no gap and ends at the dossier's version, and the
	// last event leaves the dossier in its read-model status.
	gaps, err := strings1(ctx, o.DB, "control-sheet gaps", `
		SELECT format('%s: control sheet has %s rows, seq up to %s, dossier version %s, last event to %s but dossier %s',
		              d.code, count(e.seq), max(e.seq), d.version,
		              (array_agg(e.to_status ORDER BY e.seq DESC))[1], d.status)
		FROM dossiers d LEFT JOIN dossier_events e ON e.dossier_code = d.code
		GROUP BY d.code, d.version, d.status
		HAVING count(e.seq) <> d.version OR max(e.seq) <> d.version
		    OR (array_agg(e.to_status ORDER BY e.seq DESC))[1] IS DISTINCT FROM d.status
		ORDER BY d.code`)
	if err != nil {
		return err
	}
	r.MissingEvents = append(r.MissingEvents, gaps...)
	for _, status := range slices.Sorted(maps.Keys(closingEvents)) {
		missing, err := strings1(ctx, o.DB, "closing events", `
			SELECT d.code || ': ' || d.status || ' without any of ' || array_to_string($2::text[], ', ')
			FROM dossiers d
			WHERE d.status = $1 AND NOT EXISTS (
			    SELECT 1 FROM dossier_events e WHERE e.dossier_code = d.code AND e.action = ANY($2))
			ORDER BY d.code`, string(status), closingEvents[status])
		if err != nil {
			return err
		}
		r.MissingEvents = append(r.MissingEvents, missing...)
	}
	return nil
}

// submissions finds a dossier submitted twice: two dossiers of the same
// applicant, procedure and portal account (the load generator never
// submits the same person twice for the same procedure).
func submissions(ctx context.Context, o Options, r *Result) error {
	if err := o.DB.QueryRow(ctx, `SELECT count(*) FROM idempotency_keys`).Scan(&r.SubmissionsByKey); err != nil {
		return fmt.Errorf("chaos: count idempotency keys: %w", err)
	}
	dups, err := strings1(ctx, o.DB, "duplicated submissions", `
		SELECT format('dossiers %s: the same submission (applicant %s, procedure %s) accepted %s times',
		              string_agg(code, ', ' ORDER BY code), applicant ->> 'id_number', procedure_code, count(*))
		FROM dossiers
		GROUP BY applicant ->> 'id_number', procedure_code, submitted_by
		HAVING count(*) > 1
		ORDER BY 1`)
	if err != nil {
		return err
	}
	r.Duplicates = append(r.Duplicates, dups...)
	return nil
}

// simRecord is the part of a simulator's payment request or shipment the
// checks read.
type simRecord struct {
	PaymentRef   string `json:"payment_ref"`
	MerchantRef  string `json:"merchant_ref"`
	CreateCalls  int    `json:"create_calls"`
	Status       string `json:"status"`
	Waybill      string `json:"waybill"`
	OrderNumber  string `json:"order_number"`
	RequestCalls int    `json:"request_calls"`
}

func getJSON(ctx context.Context, c *http.Client, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("chaos: GET %s: %w", u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		return fmt.Errorf("chaos: GET %s: %s: %s", u, res.Status, body)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// pair is what the read model says of a dossier's payment or shipment.
type pair struct{ code, ref string }

func pairs(ctx context.Context, db *pgxpool.Pool, sql string) (map[string]string, error) {
	rows, err := db.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.code, &p.ref); err != nil {
			return nil, err
		}
		out[p.code] = p.ref
	}
	return out, rows.Err()
}

// compare checks the simulator's records (dossier → its refs) against the
// read model's (dossier → ref).
func compare(r *Result, what string, sim map[string][]string, db map[string]string) {
	for _, code := range slices.Sorted(maps.Keys(sim)) {
		refs := sim[code]
		if len(refs) > 1 {
			r.Duplicates = append(r.Duplicates, fmt.Sprintf("%s: %d %ss (%s)", code, len(refs), what, strings.Join(refs, ", ")))
		}
		ref, ok := db[code]
		switch {
		case !ok:
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s: %s %s at the simulator, none in the read model", code, what, strings.Join(refs, ", ")))
		case !slices.Contains(refs, ref):
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s: read model has %s %s, the simulator %s", code, what, ref, strings.Join(refs, ", ")))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(db)) {
		if _, ok := sim[code]; !ok {
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("%s: read model has %s %s, unknown to the simulator", code, what, db[code]))
		}
	}
}

func payments(ctx context.Context, o Options, r *Result) error {
	var list struct {
		Items []simRecord `json:"payment_requests"`
	}
	if err := getJSON(ctx, o.HTTP, strings.TrimRight(o.Sim, "/")+"/payment/v1/payment-requests", &list); err != nil {
		return err
	}
	sim := map[string][]string{}
	r.gateway = map[string]string{}
	for _, p := range list.Items {
		sim[p.MerchantRef] = append(sim[p.MerchantRef], p.PaymentRef)
		r.gateway[p.MerchantRef] = p.Status
		r.PaymentRepeats += max(p.CreateCalls-1, 0)
	}
	r.PaymentRequests = len(list.Items)
	db, err := pairs(ctx, o.DB, `SELECT dossier_code, payment_ref FROM payments`)
	if err != nil {
		return err
	}
	compare(r, "payment request", sim, db)
	return nil
}

func shipments(ctx context.Context, o Options, r *Result) error {
	var list struct {
		Items []simRecord `json:"shipments"`
	}
	if err := getJSON(ctx, o.HTTP, strings.TrimRight(o.Sim, "/")+"/postal/v1/shipments", &list); err != nil {
		return err
	}
	sim := map[string][]string{}
	for _, s := range list.Items {
		sim[s.OrderNumber] = append(sim[s.OrderNumber], s.Waybill)
		r.ShipmentRepeats += max(s.RequestCalls-1, 0)
	}
	r.Shipments = len(list.Items)
	db, err := pairs(ctx, o.DB, `SELECT dossier_code, waybill FROM shipments`)
	if err != nil {
		return err
	}
	compare(r, "shipment", sim, db)
	return nil
}

func outbox(ctx context.Context, o Options, r *Result) error {
	if err := o.DB.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE sent_at IS NULL`).Scan(&r.UnsentMessages); err != nil {
		return fmt.Errorf("chaos: count unsent notifications: %w", err)
	}
	return nil
}

func reconciled(ctx context.Context, o Options, r *Result) error {
	diffs, err := reconcile.Run(ctx, o.Store, o.Temporal, o.Namespace)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		r.Reconcile = append(r.Reconcile, d.String())
	}
	return nil
}

// WriteText writes the result for people.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nchaos check\n")
	fmt.Fprintf(w, "  dossiers accepted %d, finished %d (waited %.0fs for in-flight ones), workflows still open %d\n",
		r.Dossiers, r.Finished, r.WaitedFor, r.OpenWorkflow)
	for _, s := range slices.Sorted(maps.Keys(r.ByStatus)) {
		fmt.Fprintf(w, "    %-22s %d\n", s, r.ByStatus[s])
	}
	fmt.Fprintf(w, "  submitted with an Idempotency-Key %d\n", r.SubmissionsByKey)
	fmt.Fprintf(w, "  payment requests at the gateway %d (repeated create calls absorbed: %d)\n", r.PaymentRequests, r.PaymentRepeats)
	fmt.Fprintf(w, "  shipments at the postal service %d (repeated requests answered 409: %d)\n", r.Shipments, r.ShipmentRepeats)
	fmt.Fprintf(w, "  control-sheet rows %d; notifications not sent yet %d\n", r.Events, r.UnsentMessages)
	section := func(name string, items []string) {
		fmt.Fprintf(w, "  %-32s %d\n", name, len(items))
		for i, s := range items {
			if i == 20 {
				fmt.Fprintf(w, "      ... and %d more\n", len(items)-20)
				break
			}
			fmt.Fprintf(w, "      %s\n", s)
		}
	}
	section("lost (accepted, not finished)", r.Lost)
	section("duplicated", r.Duplicates)
	section("missing control-sheet rows", r.MissingEvents)
	section("reconcile differences", r.Reconcile)
	section("read model vs simulators", r.Mismatches)
	if r.Failed() {
		fmt.Fprintln(w, "  RESULT: FAILED")
	} else {
		fmt.Fprintln(w, "  RESULT: nothing lost, nothing duplicated")
	}
}
