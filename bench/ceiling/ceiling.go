// Package ceiling measures what the Temporal server under motcua allows for
// a workflow shaped like a happy-path dossier when the workflow itself does
// nothing: the engine's ceiling, against which the real dossiers are judged.
//
// Two variants of the same shape (8 activities, 5 human decisions):
//
//   - naive: 8 regular activities and 5 signals, the shape a straightforward
//     dossier workflow would have;
//   - local: 8 local activities and 5 updates (the decision's update runs
//     the activities that follow it in its handler), the shape motcua uses.
//
// The driver plays the humans the way the load generator does: a client
// waits until the workflow is waiting for a decision, then sends it. The
// no-op activities tell the driver in-process (no Temporal round trip) when
// a decision is awaited, so the driver costs the server nothing the real
// clients would not cost it.
package ceiling

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/internal/telemetry"
)

// Variants.
const (
	Naive = "naive" // 8 regular activities, 5 signals
	Local = "local" // 8 local activities, 5 updates
)

// Shape of a happy-path dossier with a fee and a postal return: activities
// at the start and after each of the 5 decisions (intake, review, approval,
// payment, delivery). The counts add up to 8.
var activitiesAfter = [6]int{1, 2, 1, 2, 1, 1}

const decisions = 5

// Names the workflows and activity are registered under.
const (
	naiveWorkflow = "CeilingNaive"
	localWorkflow = "CeilingLocal"
	noopActivity  = "CeilingNoop"
	decisionName  = "decision"
)

// step is the no-op activity's input: which workflow, and which decision it
// waits for next when this is the last activity before a wait (-1: none).
type step struct {
	WorkflowID string
	Next       int
}

// waiters is the driver's in-process mailbox: workflow ID -> channel that
// receives the number of the decision the workflow now waits for.
type waiters struct {
	m sync.Map
}

func (w *waiters) noop(ctx context.Context, s step) error {
	if s.Next < 0 {
		return nil
	}
	if ch, ok := w.m.Load(s.WorkflowID); ok {
		select {
		case ch.(chan int) <- s.Next:
		default: // the driver is behind: it knows already
		}
	}
	return nil
}

func runActivities(ctx workflow.Context, local bool, block int) error {
	// Options here, not in the workflow function: an update handler's
	// context does not inherit them.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second})
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	n := activitiesAfter[block]
	for i := range n {
		next := -1
		if i == n-1 && block < decisions {
			next = block
		}
		var f workflow.Future
		if local {
			f = workflow.ExecuteLocalActivity(ctx, noopActivity, step{WorkflowID: id, Next: next})
		} else {
			f = workflow.ExecuteActivity(ctx, noopActivity, step{WorkflowID: id, Next: next})
		}
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// NaiveWorkflow waits for each decision as a signal and runs regular
// activities after it.
func NaiveWorkflow(ctx workflow.Context) error {
	ch := workflow.GetSignalChannel(ctx, decisionName)
	if err := runActivities(ctx, false, 0); err != nil {
		return err
	}
	for d := range decisions {
		ch.Receive(ctx, nil)
		if err := runActivities(ctx, false, d+1); err != nil {
			return err
		}
	}
	return nil
}

// LocalWorkflow takes each decision as an update whose handler runs the
// local activities that follow it, so the caller's update returns when the
// dossier has moved on.
func LocalWorkflow(ctx workflow.Context) error {
	done := 0
	err := workflow.SetUpdateHandlerWithOptions(ctx, decisionName, func(ctx workflow.Context, d int) error {
		if err := runActivities(ctx, true, d+1); err != nil {
			return err
		}
		done++
		return nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d int) error {
		if d != done {
			return fmt.Errorf("decision %d is not the one awaited (%d)", d, done)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	if err := runActivities(ctx, true, 0); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done == decisions && workflow.AllHandlersFinished(ctx) })
}

// Options configure a run.
type Options struct {
	Variant     string // Naive or Local
	Workflows   int    // how many (default 200)
	Concurrency int    // at a time (default 50)
	TaskQueue   string // default "motcua-ceiling-<variant>"
	// WorkerOptions for the worker the run starts on TaskQueue (zero:
	// the SDK's defaults, as motcua's worker uses).
	WorkerOptions worker.Options
	Timeout       time.Duration // one workflow's bound (default 2m)
	// ServerPID, when set, is the Temporal server's process on this
	// machine: the result gives its CPU time per workflow.
	ServerPID int
}

// Result of a run.
type Result struct {
	Variant        string  `json:"variant"`
	Workflows      int     `json:"workflows"`
	Completed      int     `json:"completed"`
	Failed         int     `json:"failed"`
	Concurrency    int     `json:"concurrency"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	PerSecond      float64 `json:"workflows_per_second"`
	P50Seconds     float64 `json:"workflow_p50_seconds"`
	P99Seconds     float64 `json:"workflow_p99_seconds"`
	FirstError     string  `json:"first_error,omitempty"`
	// ProcessCPUSeconds is the CPU this process used meanwhile: the
	// ceiling's worker and its driver (the counterpart of our worker plus
	// the load generator).
	ProcessCPUSeconds float64 `json:"process_cpu_seconds"`
	// ServerCPUSeconds is the Temporal server's CPU over the run
	// (Options.ServerPID; 0: not measured).
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`
}

// Run starts a worker for the variant on its own task queue, drives
// Workflows workflows through it Concurrency at a time, and reports
// completed workflows per second.
func Run(ctx context.Context, c client.Client, o Options, progress io.Writer) (Result, error) {
	switch o.Variant {
	case Naive, Local:
	default:
		return Result{}, fmt.Errorf("ceiling: variant must be %q or %q, not %q", Naive, Local, o.Variant)
	}
	if o.Workflows <= 0 {
		o.Workflows = 200
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
	if o.TaskQueue == "" {
		o.TaskQueue = "motcua-ceiling-" + o.Variant
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if progress == nil {
		progress = io.Discard
	}
	ws := &waiters{}
	w := worker.New(c, o.TaskQueue, o.WorkerOptions)
	w.RegisterWorkflowWithOptions(NaiveWorkflow, workflow.RegisterOptions{Name: naiveWorkflow})
	w.RegisterWorkflowWithOptions(LocalWorkflow, workflow.RegisterOptions{Name: localWorkflow})
	w.RegisterActivityWithOptions(ws.noop, activity.RegisterOptions{Name: noopActivity})
	if err := w.Start(); err != nil {
		return Result{}, fmt.Errorf("ceiling: start worker: %w", err)
	}
	defer w.Stop()

	runID := fmt.Sprintf("%x", time.Now().UnixNano())
	var next, completed, failed atomic.Int64
	var mu sync.Mutex
	var durations []time.Duration
	firstErr := ""
	start, selfCPU, serverCPU := time.Now(), telemetry.SelfCPUSince(), telemetry.CPUSince(o.ServerPID)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.Workflows {
					return
				}
				t0 := time.Now()
				err := one(ctx, c, ws, o, fmt.Sprintf("ceiling-%s-%s-%d", o.Variant, runID, i))
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					completed.Add(1)
					durations = append(durations, time.Since(t0))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	r := Result{Variant: o.Variant, Workflows: o.Workflows, Completed: int(completed.Load()), Failed: int(failed.Load()),
		Concurrency: o.Concurrency, ElapsedSeconds: elapsed.Seconds(), FirstError: firstErr,
		P50Seconds: quantile(durations, 0.5), P99Seconds: quantile(durations, 0.99)}
	r.PerSecond = float64(r.Completed) / elapsed.Seconds()
	r.ProcessCPUSeconds, r.ServerCPUSeconds = selfCPU().Seconds(), serverCPU().Seconds()
	fmt.Fprintf(progress, "ceiling %-5s: %d/%d workflows in %.1fs = %.2f workflows/s (concurrency %d, p50 %.2fs, p99 %.2fs, failed %d; worker+driver CPU %.1f s, server CPU %.1f s)\n",
		r.Variant, r.Completed, r.Workflows, r.ElapsedSeconds, r.PerSecond, r.Concurrency, r.P50Seconds, r.P99Seconds, r.Failed,
		r.ProcessCPUSeconds, r.ServerCPUSeconds)
	if r.Failed > 0 {
		return r, fmt.Errorf("ceiling: %d of %d %s workflows failed; first: %s", r.Failed, r.Workflows, r.Variant, firstErr)
	}
	return r, ctx.Err()
}

func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(q*float64(len(sorted))))
	return sorted[i].Seconds()
}

// one drives one workflow from start to completion.
func one(ctx context.Context, c client.Client, ws *waiters, o Options, id string) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ch := make(chan int, decisions+1)
	ws.m.Store(id, ch)
	defer ws.m.Delete(id)
	name := naiveWorkflow
	if o.Variant == Local {
		name = localWorkflow
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: o.TaskQueue}, name)
	if err != nil {
		return fmt.Errorf("start %s: %w", id, err)
	}
	for d := range decisions {
		// Wait until the workflow waits for decision d. A workflow task
		// that failed and ran again runs its local activities again, so an
		// earlier request can come twice: skip those. The first decision
		// goes right after the start, as the load generator sends the
		// intake decision as soon as the submission is answered: both
		// drivers then give the engine the same chance to deliver it with
		// the workflow's first task.
		for got := -1; got != d && d > 0; {
			select {
			case got = <-ch:
				if got > d {
					return fmt.Errorf("%s: waited for decision %d, workflow asked for %d", id, d, got)
				}
			case <-ctx.Done():
				return fmt.Errorf("%s: no request for decision %d: %w", id, d, ctx.Err())
			}
		}
		if o.Variant == Naive {
			err = c.SignalWorkflow(ctx, id, "", decisionName, d)
		} else {
			var h client.WorkflowUpdateHandle
			h, err = c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: decisionName,
				Args: []any{d}, WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: decision %d: %w", id, d, err)
		}
	}
	if err := run.Get(ctx, nil); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return nil
}
