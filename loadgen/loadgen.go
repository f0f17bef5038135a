// Package loadgen drives many dossiers through a running motcua over HTTP,
// as the portals, the officers, the payment gateway and the postal service
// would, and reports throughput, latency per endpoint and errors.
//
// Each simulated dossier is a goroutine that reads the dossier and takes
// the next action its plan (PlanFor) calls for until the status is final
// (returned, refused, withdrawn, stopped). Every wait has a deadline.
package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/motcua/motcua/internal/telemetry"
)

// Options configure a run. Zero values take the defaults noted.
type Options struct {
	API string // the motcua API (http://127.0.0.1:8080)
	Sim string // the simulators (http://127.0.0.1:8090)

	Dossiers int           // how many dossiers (100 when Duration is 0 too)
	Duration time.Duration // or: start dossiers for this long

	Rate        float64 // new dossiers per second (5 when Concurrency is 0 too)
	Concurrency int     // or: this many dossiers at a time, back to back

	Seed  uint64        // same seed, same sequence of plans
	Think time.Duration // each actor waits this long before each action

	JSONFile string // also write the report as JSON here

	// Mix is MixProvince (default: the channel and procedure mix of a
	// province, with supplements, refusals and withdrawals) or MixHappy
	// (every dossier the happy path with a fee and a postal return).
	Mix string
	// StopAt, when set, leaves each dossier alone once its status is this
	// (e.g. "received": accepted at intake, waiting for review), to measure
	// the worker with many dossiers open and waiting.
	StopAt string

	// JWTSecret, when set, makes every request carry a development token
	// minted with it (auth.NewHS256) for the actor making it: the portal
	// that submitted the dossier, an intake officer of the procedure's
	// intake agency, a reviewer of the department owning the current step,
	// a leader of the approval step's department.
	JWTSecret string
	// Temporal, when set, is used after the run to count the history events
	// of the dossiers (their workflows' IDs are their codes).
	Temporal HistoryReader
	// HistorySample bounds how many dossiers' histories are read (200).
	HistorySample int
	// Processes are the PIDs whose peak memory (VmHWM) is reported, by name
	// ("api", "worker").
	Processes map[string]int
	// ServerPID, when set, is the Temporal server's process (on this
	// machine): the report gives its CPU time per finished dossier, the
	// price of a dossier on the engine.
	ServerPID int
	// RetryFor, when positive, sends a request that got no answer or a
	// 502/503/504/429 again for up to this long (retry.go).
	RetryFor time.Duration

	DossierTimeout time.Duration // one dossier's bound (2m)
	HTTPTimeout    time.Duration // one request's bound (15s)
	Poll           time.Duration // between reads while waiting (100ms)
	Progress       time.Duration // between progress lines (5s)
	Client         *http.Client  // nil: a client with HTTPTimeout
}

func (o *Options) defaults() error {
	if o.API == "" {
		o.API = "http://127.0.0.1:8080"
	}
	if o.Sim == "" {
		o.Sim = "http://127.0.0.1:8090"
	}
	o.API = strings.TrimRight(o.API, "/")
	o.Sim = strings.TrimRight(o.Sim, "/")
	if o.Dossiers < 0 || o.Duration < 0 || o.Rate < 0 || o.Concurrency < 0 || o.Think < 0 {
		return errors.New("loadgen: dossiers, duration, rate, concurrency and think must not be negative")
	}
	if o.Rate > 0 && o.Concurrency > 0 {
		return errors.New("loadgen: give either a rate or a concurrency, not both")
	}
	switch o.Mix {
	case "":
		o.Mix = MixProvince
	case MixProvince, MixHappy:
	default:
		return fmt.Errorf("loadgen: mix must be %s or %s, not %q", MixProvince, MixHappy, o.Mix)
	}
	if o.HistorySample <= 0 {
		o.HistorySample = 200
	}
	if o.Dossiers == 0 && o.Duration == 0 {
		o.Dossiers = 100
	}
	if o.Rate == 0 && o.Concurrency == 0 {
		o.Rate = 5
	}
	if o.DossierTimeout <= 0 {
		o.DossierTimeout = 2 * time.Minute
	}
	if o.HTTPTimeout <= 0 {
		o.HTTPTimeout = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Progress <= 0 {
		o.Progress = 5 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.HTTPTimeout}
	}
	return nil
}

// startWindow bounds how long new dossiers are started.
func (o *Options) startWindow() time.Duration {
	if o.Duration > 0 {
		return o.Duration
	}
	if o.Rate > 0 {
		return time.Duration(float64(o.Dossiers)/o.Rate*float64(time.Second)) + time.Second
	}
	return time.Duration(o.Dossiers/o.Concurrency+1) * o.DossierTimeout
}

type gen struct {
	opts   Options
	runID  string
	stats  *stats
	tokens *tokens

	procMu sync.Mutex
	procs  map[string]procedureView

	codesMu sync.Mutex
	codes   []string // dossiers that reached a final status (or StopAt)

	retries retryStats

	started, submitted, finished, failed atomic.Int64
}

// Run generates the load and returns the report; it writes progress lines
// and the text report to stdout (nil: nowhere). It stops by itself: no new
// dossier after the start window, every dossier within DossierTimeout.
func Run(ctx context.Context, opts Options, stdout io.Writer) (Report, error) {
	if err := opts.defaults(); err != nil {
		return Report{}, err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	g := &gen{opts: opts, runID: hex.EncodeToString(b), stats: newStats()}
	if opts.JWTSecret != "" {
		t, err := newTokens(opts.JWTSecret, g.runID)
		if err != nil {
			return Report{}, err
		}
		g.tokens = t
	}
	start, selfCPU, serverCPU := time.Now(), telemetry.SelfCPUSince(), telemetry.CPUSince(opts.ServerPID)
	window := opts.startWindow()
	startCtx, stopStarting := context.WithTimeout(ctx, window)
	defer stopStarting()
	runCtx, cancelRun := context.WithTimeout(ctx, window+opts.DossierTimeout+30*time.Second)
	defer cancelRun()

	progressDone := make(chan struct{})
	stopProgress := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(opts.Progress)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				g.progress(stdout, time.Since(start))
			}
		}
	}()

	var wg sync.WaitGroup
	limit := func(i int) bool { return opts.Dossiers == 0 || i < opts.Dossiers }
	if opts.Rate > 0 {
		interval := time.Duration(float64(time.Second) / opts.Rate)
		next := time.Now()
		for i := 0; limit(i); i++ {
			if d := time.Until(next); d > 0 {
				select {
				case <-startCtx.Done():
				case <-time.After(d):
				}
			}
			if startCtx.Err() != nil {
				break
			}
			next = next.Add(interval)
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				g.dossier(runCtx, g.plan(i))
			}(i)
		}
	} else {
		var counter atomic.Int64
		for range opts.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for startCtx.Err() == nil {
					i := int(counter.Add(1) - 1)
					if !limit(i) {
						return
					}
					g.dossier(runCtx, g.plan(i))
				}
			}()
		}
	}
	wg.Wait()
	close(stopProgress)
	<-progressDone
	elapsed := time.Since(start)
	// Before the histories are read below, which the server pays for.
	serverUsed := serverCPU()
	g.progress(stdout, elapsed)
	rep := g.stats.report(elapsed, int(g.submitted.Load()), int(g.finished.Load()), int(g.failed.Load()))
	rep.Seed = opts.Seed
	rep.Mix = opts.Mix
	rep.OfferedRate, rep.Concurrency = opts.Rate, opts.Concurrency
	if opts.Temporal != nil {
		h, err := g.histories(ctx)
		if err != nil {
			g.stats.addError("history: " + err.Error())
			rep.Errors = g.stats.report(elapsed, 0, 0, 0).Errors
		}
		rep.History = h
	}
	rep.Memory = peakMemory(opts.Processes)
	rep.ClientCPUSeconds = selfCPU().Seconds()
	rep.ServerCPUSeconds = serverUsed.Seconds()
	rep.RetrySummary = g.retryReport()
	rep.WriteText(stdout)
	if opts.JSONFile != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return rep, err
		}
		if err := os.WriteFile(opts.JSONFile, append(raw, '\n'), 0o644); err != nil {
			return rep, fmt.Errorf("loadgen: write report: %w", err)
		}
	}
	return rep, ctx.Err()
}

func (g *gen) progress(w io.Writer, elapsed time.Duration) {
	fin, failed := g.finished.Load(), g.failed.Load()
	fmt.Fprintf(w, "[%6.1fs] submitted=%d finished=%d in_flight=%d failed=%d errors=%d rate=%.2f/s\n",
		elapsed.Seconds(), g.submitted.Load(), fin, g.started.Load()-fin-failed, failed, g.stats.errorCount(), float64(fin)/elapsed.Seconds())
}

// dossierView is the part of GET /v1/dossiers/{code} the actors read.
type dossierView struct {
	Code   string `json:"code"`
	Status string `json:"status"`
	Stage  string `json:"stage"`
	Fee    struct {
		Amount     int64   `json:"amount"`
		Status     string  `json:"status"`
		PaymentRef *string `json:"payment_ref"`
	} `json:"fee"`
	ReturnMethod string `json:"return_method"`
	Shipment     *struct {
		Waybill string `json:"waybill"`
		Status  string `json:"status"`
	} `json:"shipment"`
	CurrentStep *struct {
		Name     string `json:"name"`
		Branches []struct {
			Department string `json:"department"`
			Decided    bool   `json:"decided"`
		} `json:"branches"`
		Departments []string `json:"departments"`
	} `json:"current_step"`
	Supplement *struct {
		RequestedAt string `json:"requested_at"`
	} `json:"supplement"`
}

// Final statuses.
func final(status string) bool {
	switch status {
	case "returned", "refused", "declined", "withdrawn", "stopped":
		return true
	}
	return false
}

func docHash(s string) string { return strings.Repeat(s, 64/len(s))[:64] }

func submission(p Plan) map[string]any {
	b := map[string]any{
		"procedure_code": p.Procedure,
		"channel":        p.Channel,
		"applicant": map[string]any{
			"full_name": p.Applicant, "id_number": p.IDNumber, "phone": p.Phone,
			"address": "12 Nguyễn Huệ, Tân An, Long An",
		},
		"documents":     []map[string]any{{"name": "don-de-nghi.pdf", "sha256": docHash("ab")}},
		"return_method": p.ReturnMethod,
	}
	if p.ReturnMethod == "postal" {
		b["return_address"] = "12 Nguyễn Huệ, Tân An, Long An"
	}
	if p.Channel == "postal" {
		b["postal_receipt"] = fmt.Sprintf("RR%09dVN", p.Index)
	}
	if p.FeeUnits > 0 {
		b["fee_units"] = p.FeeUnits
	}
	return b
}

// errDossier ends one dossier; its kind was already counted.
var errDossier = errors.New("dossier failed")

// dossier runs one simulated dossier to a final status or its deadline.
func (g *gen) dossier(ctx context.Context, p Plan) {
	g.started.Add(1)
	ctx, cancel := context.WithTimeout(ctx, g.opts.DossierTimeout)
	defer cancel()
	status, code, err := g.drive(ctx, p)
	if code != "" && err == nil {
		g.codesMu.Lock()
		g.codes = append(g.codes, code)
		g.codesMu.Unlock()
	}
	if err != nil {
		g.failed.Add(1)
		if !errors.Is(err, errDossier) {
			g.stats.addError("dossier timeout (last status " + status + ")")
		}
		return
	}
	g.finished.Add(1)
	g.stats.addFinal(status)
}

func (g *gen) think(ctx context.Context) error {
	if g.opts.Think <= 0 {
		return ctx.Err()
	}
	return sleep(ctx, g.opts.Think)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

const (
	epDossier = "/v1/dossiers/{code}"
	epPay     = "sim POST /payment/v1/payment-requests/{ref}/pay"
	epPostal  = "sim POST /postal/v1/shipments/{waybill}/events"
)

func (g *gen) drive(ctx context.Context, p Plan) (status, code string, err error) {
	if err := g.think(ctx); err != nil {
		return "", "", err
	}
	portal := g.tokens.portal(p.Index)
	// Who decides depends on the procedure's agencies: needed for tokens only.
	var proc procedureView
	if g.tokens != nil {
		if proc, err = g.procedure(ctx, p.Procedure, portal); err != nil {
			return "", "", err
		}
	}
	var created dossierView
	key := fmt.Sprintf("loadgen-%s-%d", g.runID, p.Index)
	if err := g.call(ctx, "POST", g.opts.API+"/v1/dossiers", "POST /v1/dossiers", submission(p), &created,
		[]int{201, 200}, "Idempotency-Key", key, "Authorization", portal); err != nil {
		return "", "", err
	}
	g.submitted.Add(1)
	path := g.opts.API + "/v1/dossiers/" + url.PathEscape(created.Code)
	done := map[string]bool{}
	supplements := 0 // supplements the applicant sent
	last := ""
	// seen is the dossier as the answer to the last action showed it: the
	// API answers a decision, and a callback, with the dossier after it, so
	// the actors read it again only while they wait for something.
	seen := &created
	for {
		var d dossierView
		if seen != nil {
			d, seen = *seen, nil
		} else if err := g.call(ctx, "GET", path, "GET "+epDossier, nil, &d, []int{200}, "Authorization", portal); err != nil {
			return last, created.Code, err
		}
		last = d.Status
		if final(d.Status) || (g.opts.StopAt != "" && d.Status == g.opts.StopAt) {
			return d.Status, created.Code, nil
		}
		act := g.next(d, p, proc, done, supplements, path)
		if act.key == "" {
			if err := sleep(ctx, g.opts.Poll); err != nil {
				return last, created.Code, err
			}
			continue
		}
		if err := g.think(ctx); err != nil {
			return last, created.Code, err
		}
		after, err := act.do(ctx)
		if err != nil {
			return last, created.Code, err
		}
		seen = after
		done[act.key] = true
		if act.supplement {
			supplements++
		}
	}
}

type action struct {
	key        string
	supplement bool
	// do takes the action and returns the dossier after it when the answer
	// showed it (nil: read it again).
	do func(ctx context.Context) (*dossierView, error)
}

// next is what the actors do about d now, or nothing (wait).
func (g *gen) next(d dossierView, p Plan, proc procedureView, done map[string]bool, n int, path string) action {
	post := func(key, suffix string, body any) action {
		// A decision with an Idempotency-Key is applied once however often it is sent.
		idem := fmt.Sprintf("loadgen-%s-%d-%s", g.runID, p.Index, key)
		// The actor who may take this decision (auth.Authorize).
		var token string
		switch suffix {
		case "intake", "handover":
			token = g.tokens.staff("intake_officer", proc.IntakeAgency)
		case "review":
			// The branch decided (parallel steps name it), else the
			// step's one department.
			dep := ""
			if b, ok := body.(map[string]any); ok {
				dep, _ = b["department"].(string)
			}
			if dep == "" && d.CurrentStep != nil && len(d.CurrentStep.Departments) > 0 {
				dep = d.CurrentStep.Departments[0]
			}
			token = g.tokens.staff("reviewer", dep)
		case "approval":
			token = g.tokens.staff("leader", proc.approvalDepartment())
		default: // supplement, withdrawal: the applicant, through the portal
			token = g.tokens.portal(p.Index)
		}
		return action{key: key, do: func(ctx context.Context) (*dossierView, error) {
			var after dossierView
			if err := g.call(ctx, "POST", path+"/"+suffix, "POST "+epDossier+"/"+suffix, body, &after, []int{200},
				"Idempotency-Key", idem, "Authorization", token); err != nil {
				return nil, err
			}
			if after.Code == "" {
				return nil, nil // a 409 to a retried request: no dossier in it
			}
			return &after, nil
		}}
	}
	switch d.Status {
	case "submitted":
		key := fmt.Sprintf("intake/%d", n)
		if done[key] {
			return action{}
		}
		switch {
		case p.Intake == IntakeRefuse:
			return post(key, "intake", map[string]any{"decision": "refuse", "note": "Hồ sơ không thuộc thẩm quyền giải quyết."})
		case p.Intake == IntakeSupplement && n == 0:
			return post(key, "intake", map[string]any{"decision": "request_supplement", "missing": []string{"Bản sao CCCD có chứng thực"}})
		}
		return post(key, "intake", map[string]any{"decision": "accept"})
	case "supplement_requested":
		if d.Supplement == nil {
			return action{}
		}
		a := post("supplement/"+d.Supplement.RequestedAt, "supplement", map[string]any{
			"documents": []map[string]any{{"name": "bo-sung.pdf", "sha256": docHash("cd")}}, "note": "Bổ sung theo yêu cầu"})
		if done[a.key] {
			return action{}
		}
		a.supplement = true
		return a
	case "received", "processing":
		if p.Withdraw && !done["withdrawal"] && d.Stage == "review" {
			return post("withdrawal", "withdrawal", map[string]any{"reason": "Người nộp không còn nhu cầu."})
		}
		switch d.Stage {
		case "review":
			if d.CurrentStep == nil {
				return action{}
			}
			parallel := len(d.CurrentStep.Departments) > 1
			for _, b := range d.CurrentStep.Branches {
				if b.Decided {
					continue
				}
				key := fmt.Sprintf("review/%s/%s/%d", d.CurrentStep.Name, b.Department, n)
				if done[key] {
					continue
				}
				body := map[string]any{"decision": "approve", "note": "Đủ điều kiện."}
				if p.ReviewSupplement && !done["review-supplement"] {
					key = "review-supplement"
					body = map[string]any{"decision": "request_supplement", "missing": []string{"Giấy xác nhận cư trú"}}
				} else if p.AssessedFee > 0 {
					body["assessed_fee"] = p.AssessedFee
				}
				if parallel {
					body["department"] = b.Department
				}
				return post(key, "review", body)
			}
		case "approval":
			key := fmt.Sprintf("approval/%d", n)
			if done[key] {
				return action{}
			}
			return post(key, "approval", map[string]any{"decision": "approve",
				"result_document": map[string]any{"name": "ket-qua.pdf", "sha256": docHash("ef")}})
		}
	case "awaiting_payment", "result_ready":
		if d.Stage == "return" && d.Status == "result_ready" {
			return g.returnResult(d, p, done, post)
		}
		if d.Fee.Status != "awaiting_payment" || d.Fee.PaymentRef == nil || *d.Fee.PaymentRef == "" {
			return action{}
		}
		ref := *d.Fee.PaymentRef
		key := "pay/" + ref
		if done[key] {
			return action{}
		}
		return action{key: key, do: func(ctx context.Context) (*dossierView, error) {
			// 409: the simulator paid it by itself (MOTCUA_SIM_AUTO_PAY_AFTER).
			base := g.opts.Sim + "/payment/v1/payment-requests/" + url.PathEscape(ref)
			return g.simCall(ctx, base+"/pay", base+"/redeliver", epPay, map[string]any{})
		}}
	}
	return action{}
}

// returnResult is what happens to a result ready to go out.
func (g *gen) returnResult(d dossierView, p Plan, done map[string]bool, post func(key, suffix string, body any) action) action {
	{
		switch d.ReturnMethod {
		case "counter":
			if done["handover"] {
				return action{}
			}
			return post("handover", "handover", map[string]any{"received_by": p.Applicant})
		case "postal":
			if d.Shipment == nil || d.Shipment.Waybill == "" {
				return action{}
			}
			var event string
			switch d.Shipment.Status {
			case "requested":
				event = "picked_up"
			case "picked_up":
				event = "delivered"
			default:
				return action{}
			}
			wb := d.Shipment.Waybill
			key := event + "/" + wb
			if done[key] {
				return action{}
			}
			return action{key: key, do: func(ctx context.Context) (*dossierView, error) {
				// 409: the simulator moved it by itself (MOTCUA_SIM_AUTO_DELIVER_AFTER).
				return g.simCall(ctx, g.opts.Sim+"/postal/v1/shipments/"+url.PathEscape(wb)+"/events", "", epPostal,
					map[string]any{"event": event})
			}}
		}
	}
	return action{}
}

// call sends one request, records its latency under endpoint, and decodes
// the answer into out. A status not in want is counted as an error of kind
// "STATUS endpoint" and ends the dossier.
func (g *gen) call(ctx context.Context, method, u, endpoint string, body, out any, want []int, headers ...string) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	t0 := time.Now()
	res, retried, err := g.do(ctx, req, endpoint)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the dossier's deadline: counted once by the caller
		}
		g.stats.addError("transport " + endpoint)
		return errDossier
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	res.Body.Close()
	g.stats.observe(endpoint, time.Since(t0))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g.stats.addError("transport " + endpoint)
		return errDossier
	}
	// A 409 to a request sent again: its first attempt was applied and
	// only the answer was lost (see retry.go).
	ok := retried && res.StatusCode == http.StatusConflict
	for _, s := range want {
		ok = ok || res.StatusCode == s
	}
	if !ok {
		g.stats.addError(fmt.Sprintf("%d %s", res.StatusCode, endpoint))
		g.stats.sample(fmt.Sprintf("%d %s %s: %.300s", res.StatusCode, method, u, raw))
		return errDossier
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			g.stats.addError("bad body " + endpoint)
			return errDossier
		}
	}
	return nil
}
