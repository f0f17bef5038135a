package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
)

// Mixes of dossiers.
const (
	// MixProvince is the channel and procedure mix of a province (60–70%
	// online, 5–10% asked for a supplement, 1–2% withdrawn), with
	// supplements, refusals and withdrawals.
	MixProvince = "province"
	// MixHappy makes every dossier the happy path with a fee and a postal
	// return: a judicial record certificate (TP-LLTP-01) submitted online,
	// accepted, reviewed, approved, paid, delivered by post.
	MixHappy = "happy"
)

// HappyProcedure is the procedure of MixHappy: one review step, one
// approval step, a fixed fee, postal return.
const HappyProcedure = "TP-LLTP-01"

// HappyPlan is plan i of MixHappy: the applicant's details still vary with
// the seed, the path does not.
func HappyPlan(seed uint64, i int) Plan {
	p := PlanFor(seed, i)
	p.Procedure, p.Channel, p.ReturnMethod, p.Intake = HappyProcedure, "online", "postal", IntakeAccept
	p.ReviewSupplement, p.Withdraw = false, false
	p.FeeUnits, p.AssessedFee = 0, 0
	return p
}

func (g *gen) plan(i int) Plan {
	if g.opts.Mix == MixHappy {
		return HappyPlan(g.opts.Seed, i)
	}
	return PlanFor(g.opts.Seed, i)
}

// tokens mints and caches one development token per simulated actor. A nil
// *tokens mints nothing (no Authorization header).
type tokens struct {
	signer *auth.HS256
	runID  string
	mu     sync.Mutex
	byKey  map[auth.Principal]string
}

// portals is how many portal identities submit: the API limits submissions
// per token subject, and a province has several portals.
const portals = 32

func newTokens(secret, runID string) (*tokens, error) {
	s, err := auth.NewHS256(secret)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return &tokens{signer: s, runID: runID, byKey: map[auth.Principal]string{}}, nil
}

func (t *tokens) bearer(p auth.Principal) string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.byKey[p]; ok {
		return tok
	}
	tok, err := t.signer.Mint(p, 24*time.Hour)
	if err != nil {
		// Only an invalid principal fails, i.e. a bug here: the API's 401
		// will say so in the report's errors.
		return ""
	}
	tok = "Bearer " + tok
	t.byKey[p] = tok
	return tok
}

// portal is the token of the portal that submits dossier i (no agency: it
// submits to any agency) and acts for its applicant afterwards.
func (t *tokens) portal(i int) string {
	if t == nil {
		return ""
	}
	return t.bearer(auth.Principal{Subject: fmt.Sprintf("loadgen-%s-portal-%d", t.runID, i%portals), Role: auth.RolePortal})
}

// staff is the token of a person with role at agency.
func (t *tokens) staff(role auth.Role, agency string) string {
	if t == nil {
		return ""
	}
	return t.bearer(auth.Principal{Subject: fmt.Sprintf("loadgen-%s-%s-%s", t.runID, role, agency), Role: role, Agency: agency})
}

// procedureView is the part of GET /v1/procedures/{code} the actors need
// to pick who decides.
type procedureView struct {
	Code         string         `json:"code"`
	IntakeAgency string         `json:"intake_agency"`
	Steps        []catalog.Step `json:"steps"`
}

// approvalDepartment owns the procedure's approval step.
func (p procedureView) approvalDepartment() string {
	return catalog.Procedure{Steps: p.Steps}.ApprovalDepartment()
}

// procedure reads a procedure once per run.
func (g *gen) procedure(ctx context.Context, code, token string) (procedureView, error) {
	g.procMu.Lock()
	p, ok := g.procs[code]
	g.procMu.Unlock()
	if ok {
		return p, nil
	}
	if err := g.call(ctx, "GET", g.opts.API+"/v1/procedures/"+url.PathEscape(code), "GET /v1/procedures/{code}",
		nil, &p, []int{200}, "Authorization", token); err != nil {
		return p, err
	}
	g.procMu.Lock()
	if g.procs == nil {
		g.procs = map[string]procedureView{}
	}
	g.procs[code] = p
	g.procMu.Unlock()
	return p, nil
}

// HistoryReader describes a workflow, whose history length it gives
// (client.Client is one).
type HistoryReader interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

// HistoryStats are the history events per dossier of the dossiers read.
type HistoryStats struct {
	Dossiers int `json:"dossiers"`
	Min      int `json:"min"`
	Median   int `json:"median"`
	Max      int `json:"max"`
	// MaxCode is the dossier with the most events (to look at it).
	MaxCode string `json:"max_code"`
}

// histories counts the events of up to HistorySample dossiers that ended.
func (g *gen) histories(ctx context.Context) (*HistoryStats, error) {
	g.codesMu.Lock()
	codes := slices.Clone(g.codes)
	g.codesMu.Unlock()
	if len(codes) > g.opts.HistorySample {
		// Evenly spread over the run.
		step := float64(len(codes)) / float64(g.opts.HistorySample)
		picked := make([]string, g.opts.HistorySample)
		for i := range picked {
			picked[i] = codes[int(float64(i)*step)]
		}
		codes = picked
	}
	if len(codes) == 0 {
		return nil, nil
	}
	counts := make([]int, 0, len(codes))
	h := &HistoryStats{}
	for _, code := range codes {
		// The length, not the events: one small call per dossier.
		desc, err := g.opts.Temporal.DescribeWorkflowExecution(ctx, code, "")
		if err != nil {
			return nil, fmt.Errorf("dossier %s: %w", code, err)
		}
		n := int(desc.GetWorkflowExecutionInfo().GetHistoryLength())
		if len(counts) == 0 || n > h.Max {
			h.Max, h.MaxCode = n, code
		}
		counts = append(counts, n)
	}
	slices.Sort(counts)
	h.Dossiers, h.Min, h.Median = len(counts), counts[0], counts[len(counts)/2]
	return h, nil
}

// Memory is a process's memory as /proc/<pid>/status reports it, in MiB.
type Memory struct {
	Name   string  `json:"name"`
	PID    int     `json:"pid"`
	PeakMB float64 `json:"peak_mb"` // VmHWM: the resident set's high-water mark
	RSSMB  float64 `json:"rss_mb"`  // VmRSS now
	Error  string  `json:"error,omitempty"`
}

// peakMemory reads VmHWM and VmRSS of each process (Linux).
func peakMemory(procs map[string]int) []Memory {
	var out []Memory
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		m := Memory{Name: name, PID: procs[name]}
		hwm, rss, err := procStatus(m.PID)
		if err != nil {
			m.Error = err.Error()
		}
		m.PeakMB, m.RSSMB = float64(hwm)/1024, float64(rss)/1024
		out = append(out, m)
	}
	return out
}

// procStatus returns VmHWM and VmRSS of pid in KiB.
func procStatus(pid int) (hwm, rss int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		if k == "VmHWM" {
			hwm = n
		} else {
			rss = n
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if hwm == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return hwm, rss, nil
}
