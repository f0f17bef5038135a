// Package storm is the deadline storm of `make bench` (issue 21): many open
// dossiers whose intake step is warned at one instant and due half a minute
// later, as the submissions of a weekend all fall due on Monday at the same
// time, and how long the system takes to record every warning and every
// escalation (with its notices) on the control sheet.
//
// The dossiers are seeded, not submitted: each gets its read-model row and
// first event (store.CreateDossier) and its workflow, started as the API
// starts it, with the intake step in its input (DossierInput.IntakeStep,
// the way the API hands it over since VersionPerfEvents) warned at WarnAt
// and due at DueAt (Options.Gap later), both shortly after the last start. Everything from then
// on is the production path: the workflows' one timer each, their
// deadline handling, the control-sheet writes and the notices.
package storm

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Options configure a storm.
type Options struct {
	Store    *store.Store
	Temporal client.Client
	// TaskQueue of the dossier workflows (default workflows.TaskQueue).
	TaskQueue string
	// Dossiers to seed; Concurrency seeds at a time (default 16).
	Dossiers    int
	Concurrency int
	// Procedure of the dossiers (default TP-LLTP-01).
	Procedure string
	// Rules in force (the dossiers' input).
	Rules rules.Rules
	// Lead is how long after the storm starts the warnings are due; zero:
	// 30 s plus 25 ms per dossier (enough to seed them all on a 2-core
	// machine; a seeding that runs past it is reported).
	Lead time.Duration
	// Gap is from the warnings to the due time (default 30 s: both in the
	// same minute).
	Gap time.Duration
	// Timeout bounds the wait for the drain (default 15 min).
	Timeout time.Duration
}

// Result is what a storm measured.
type Result struct {
	Dossiers    int       `json:"dossiers"`
	SeedSeconds float64   `json:"seed_seconds"`
	WarnAt      time.Time `json:"warn_at"`
	DueAt       time.Time `json:"due_at"`
	// SeededLate: the last workflow started after WarnAt (its timer fired
	// at once).
	SeededLate bool `json:"seeded_late"`
	// WarningsDrainSeconds is from WarnAt until every warning was on the
	// control sheet; OverdueDrainSeconds from DueAt until every escalation
	// was (negative: not reached within the timeout).
	WarningsDrainSeconds float64 `json:"warnings_drain_seconds"`
	OverdueDrainSeconds  float64 `json:"overdue_drain_seconds"`
	Warnings             int     `json:"warnings"`
	Escalations          int     `json:"escalations"`
	// Notices queued for the storm's dossiers (each warning and each
	// escalation queues its own: at least two per dossier).
	Notices int `json:"notices"`
}

// Run seeds the storm and waits for it to drain, reporting progress to out.
func Run(ctx context.Context, o Options, out io.Writer) (Result, error) {
	if o.Dossiers <= 0 {
		return Result{}, fmt.Errorf("storm: no dossiers")
	}
	if o.TaskQueue == "" {
		o.TaskQueue = workflows.TaskQueue
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Procedure == "" {
		o.Procedure = "TP-LLTP-01"
	}
	if o.Lead <= 0 {
		o.Lead = 30*time.Second + time.Duration(o.Dossiers)*25*time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Minute
	}
	if o.Gap <= 0 {
		o.Gap = 30 * time.Second
	}
	proc, err := o.Store.Procedure(ctx, o.Procedure)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	res := Result{Dossiers: o.Dossiers, WarnAt: start.Add(o.Lead).Truncate(time.Second)}
	res.DueAt = res.WarnAt.Add(o.Gap)
	step := activities.IntakeStep(proc.IntakeAgency, activities.IntakeClockResult{DueAt: res.DueAt, WarnAt: res.WarnAt})
	fmt.Fprintf(out, "storm: seeding %d dossiers (%s), intake warned at %s and due at %s\n",
		o.Dossiers, proc.Code, res.WarnAt.Format(time.TimeOnly), res.DueAt.Format(time.TimeOnly))

	codes := make([]string, o.Dossiers)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Dossiers || ctx.Err() != nil {
					return
				}
				code, err := seed(ctx, o, proc, step, i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				codes[i] = code
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return res, fmt.Errorf("storm: seed: %w", firstErr)
	}
	res.SeedSeconds = time.Since(start).Seconds()
	res.SeededLate = time.Now().After(res.WarnAt)
	fmt.Fprintf(out, "storm: seeded in %.1fs%s\n", res.SeedSeconds, map[bool]string{true: " (past the warning time)", false: ""}[res.SeededLate])

	deadline := res.DueAt.Add(o.Timeout)
	res.WarningsDrainSeconds, res.OverdueDrainSeconds = -1, -1
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if res.Warnings, err = o.Store.CountEvents(ctx, codes, dossier.ActionStepWarning); err != nil {
			return res, err
		}
		if res.Escalations, err = o.Store.CountEvents(ctx, codes, dossier.ActionStepOverdue); err != nil {
			return res, err
		}
		now := time.Now()
		if res.WarningsDrainSeconds < 0 && res.Warnings >= o.Dossiers {
			res.WarningsDrainSeconds = now.Sub(res.WarnAt).Seconds()
		}
		if res.OverdueDrainSeconds < 0 && res.Escalations >= o.Dossiers {
			res.OverdueDrainSeconds = now.Sub(res.DueAt).Seconds()
			break
		}
		fmt.Fprintf(out, "storm: %s warnings %d/%d, escalations %d/%d\n", now.Format(time.TimeOnly), res.Warnings, o.Dossiers, res.Escalations, o.Dossiers)
		time.Sleep(time.Second)
	}
	if res.Notices, err = o.Store.CountNotifications(ctx, codes); err != nil {
		return res, err
	}
	return res, nil
}

// seed writes dossier i's row and starts its workflow, as the API does.
func seed(ctx context.Context, o Options, proc catalog.Procedure, step *dossier.CurrentStep, i int) (string, error) {
	now := time.Now()
	sub, err := o.Store.CreateDossier(ctx, store.NewDossier{
		ProcedureCode: proc.Code, ProcedureVersion: proc.Version, AgencyCode: proc.IntakeAgency,
		Channel: dossier.ChannelOnline,
		Applicant: store.Applicant{FullName: fmt.Sprintf("Người nộp %d", i), IDNumber: "079123456789",
			Phone: "0901234567", Address: "12 Nguyễn Huệ, Tân An, Long An"},
		Documents:    []store.Document{{Name: "to-khai.pdf", SHA256: strings.Repeat("ab", 32)}},
		ReturnMethod: dossier.ReturnCounter, FeeUnits: 1, FeeAmount: proc.FeeFor(dossier.ChannelOnline, 1),
		SubmittedAt: now, Actor: "bench-storm", IntakeStep: step,
	}, "", nil)
	if err != nil {
		return "", err
	}
	in := workflows.DossierInput{Code: sub.Code, Procedure: proc, Channel: dossier.ChannelOnline,
		ReturnMethod: dossier.ReturnCounter, FeeAmount: proc.FeeFor(dossier.ChannelOnline, 1), SubmittedAt: now,
		Rules: o.Rules, IntakeStep: step, Features: workflows.FeaturesMax}
	_, err = o.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: sub.Code, TaskQueue: o.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    workflows.InitialSearchAttributes(in),
	}, workflows.WorkflowName, in)
	return sub.Code, err
}
