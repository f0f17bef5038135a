package loadgen_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/loadgen"
	"github.com/motcua/motcua/payment"
	"github.com/motcua/motcua/postal"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/worker"
)

// The plans depend on the seed and the index only.
func TestPlansAreDeterministic(t *testing.T) {
	a, b := loadgen.Plans(42, 500), loadgen.Plans(42, 500)
	require.Equal(t, a, b)
	require.NotEqual(t, a, loadgen.Plans(43, 500))
	// Plan i does not depend on how many were drawn before it.
	require.Equal(t, a[321], loadgen.PlanFor(42, 321))

	online, procs := 0, map[string]bool{}
	intake := map[string]int{}
	for _, p := range a {
		if p.Channel == "online" {
			online++
		}
		procs[p.Procedure] = true
		intake[p.Intake]++
		require.Contains(t, []string{"online", "counter", "postal"}, p.Channel)
		require.Contains(t, []string{"postal", "counter", "electronic"}, p.ReturnMethod)
		require.Regexp(t, `^[0-9]{12}$`, p.IDNumber)
	}
	require.InDelta(t, 0.65, float64(online)/float64(len(a)), 0.07, "60-70%% online")
	require.Len(t, procs, 10, "every procedure of the catalog is drawn")
	require.Greater(t, intake[loadgen.IntakeSupplement], 0)
	require.Less(t, intake[loadgen.IntakeRefuse]+intake[loadgen.IntakeSupplement], len(a)/10)
}

// startSystem runs the API, a worker and the simulators in-process on the
// test PostgreSQL and Temporal.
func startSystem(t *testing.T) (apiURL, simURL string) {
	apiURL, simURL, _ = startSystemWith(t, nil)
	return apiURL, simURL
}

// startSystemWith is startSystem with a wrapper around the API's handler,
// and the Temporal client.
func startSystemWith(t *testing.T, wrap func(http.Handler) http.Handler) (apiURL, simURL string, tc client.Client) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, queue := testenv.SharedStore(t), testenv.TaskQueue(t)
	tc = testenv.Temporal(t)
	// The simulators sign their callbacks with the secrets the API checks.
	const paySecret, postSecret = "loadgen-test-payment-secret", "loadgen-test-postal-secret"
	h := api.New(api.Options{Clock: testenv.Clock(), Store: st, Temporal: tc, Log: log, TaskQueue: queue, Verifier: testSigner,
		PaymentWebhookSecret: paySecret, PostalWebhookSecret: postSecret, Signing: testenv.SigningKeys(t)}).Handler()
	if wrap != nil {
		h = wrap(h)
	}
	apiSrv := httptest.NewServer(h)
	t.Cleanup(apiSrv.Close)
	pay := sim.NewPaymentGateway(sim.PaymentOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: paySecret})
	post := sim.NewPostalService(sim.PostalOptions{Clock: testenv.Clock(), Logger: log, WebhookSecret: postSecret})
	simSrv := httptest.NewServer(sim.NewHandler(pay, post))
	t.Cleanup(func() { pay.Close(); post.Close(); simSrv.Close() })
	hc := &http.Client{Timeout: 10 * time.Second}
	w := worker.New(tc, queue, &activities.Activities{
		Store: st, Payments: payment.New(simSrv.URL+"/payment", hc), Postal: postal.New(simSrv.URL+"/postal", hc),
		PublicURL: apiSrv.URL, Log: log,
	})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return apiSrv.URL, simSrv.URL, tc
}

func TestRunAgainstTheSystem(t *testing.T) {
	apiURL, simURL := startSystem(t)
	// Seed 1669's first 12 dossiers take every path: a supplement at intake
	// and at review, a refusal, a withdrawal, a parallel step with an
	// assessed fee, per-unit fees, postal/counter/electronic returns and
	// the postal channel.
	const seed, n = 1669, 12
	plans := loadgen.Plans(seed, n)
	var paths []string
	for _, p := range plans {
		paths = append(paths, p.Procedure, p.Channel, p.ReturnMethod, p.Intake)
		if p.Withdraw {
			paths = append(paths, "withdraw")
		}
		if p.ReviewSupplement {
			paths = append(paths, "review_supplement")
		}
	}
	for _, want := range []string{"TN-BDDD-01", "CT-BS-01", "postal", "counter", "electronic", "online",
		loadgen.IntakeSupplement, loadgen.IntakeRefuse, "withdraw", "review_supplement"} {
		require.Contains(t, paths, want)
	}
	var out bytes.Buffer
	jsonFile := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := loadgen.Run(ctx, loadgen.Options{JWTSecret: testSecret,
		API: apiURL, Sim: simURL, Dossiers: n, Rate: 10, Seed: seed,
		DossierTimeout: 90 * time.Second, Progress: time.Second, JSONFile: jsonFile,
	}, &out)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	require.Zero(t, rep.ErrorCount(), "errors: %v %v", rep.Errors, rep.ErrorSamples)
	require.Equal(t, n, rep.Submitted)
	require.Equal(t, n, rep.Finished)
	total := 0
	for _, n := range rep.FinalStatus {
		total += n
	}
	require.Equal(t, n, total)

	// The final statuses follow the plans: refused at intake, withdrawn, or returned.
	want := map[string]int{}
	for _, p := range plans {
		switch {
		case p.Intake == loadgen.IntakeRefuse:
			want["refused"]++
		case p.Withdraw:
			want["withdrawn"]++
		default:
			want["returned"]++
		}
	}
	require.Equal(t, want, rep.FinalStatus)

	eps := []string{}
	count := map[string]int{}
	for _, e := range rep.Endpoints {
		eps = append(eps, e.Endpoint)
		count[e.Endpoint] = e.Count
		require.LessOrEqual(t, e.P50, e.P95)
		require.LessOrEqual(t, e.P99, e.Max)
	}
	// The actors read the dossier from the answers to their actions (and
	// to the simulators' callbacks): they read it again only while they
	// wait for something (a third party slower than its first attempt),
	// not after every action (polling read it ~7 times per dossier).
	require.Less(t, count["GET /v1/dossiers/{code}"], 2*n)
	require.Contains(t, eps, "POST /v1/dossiers")
	for _, ep := range []string{"POST /v1/dossiers/{code}/intake",
		"POST /v1/dossiers/{code}/supplement", "POST /v1/dossiers/{code}/review", "POST /v1/dossiers/{code}/withdrawal",
		"POST /v1/dossiers/{code}/approval", "POST /v1/dossiers/{code}/handover",
		"sim POST /payment/v1/payment-requests/{ref}/pay", "sim POST /postal/v1/shipments/{waybill}/events"} {
		require.Contains(t, eps, ep)
	}
	require.True(t, slices.IsSorted(eps))
	raw, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"finished_per_second"`)
	require.Contains(t, out.String(), "dossiers completed/s")

	// By duration and concurrency, with think time: it stops by itself.
	rep, err = loadgen.Run(ctx, loadgen.Options{JWTSecret: testSecret,
		API: apiURL, Sim: simURL, Duration: 1500 * time.Millisecond, Concurrency: 3, Seed: 2,
		Think: 5 * time.Millisecond, DossierTimeout: 90 * time.Second, Progress: time.Second,
	}, nil)
	require.NoError(t, err)
	require.Zero(t, rep.ErrorCount(), "errors: %v %v", rep.Errors, rep.ErrorSamples)
	require.GreaterOrEqual(t, rep.Submitted, 3)
	require.Equal(t, rep.Submitted, rep.Finished)
}

// A server that answers 503 to everything: every dossier fails at once,
// the errors are counted by status and route, and the run ends.
func TestRunCountsErrors(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"status":503}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	rep, err := loadgen.Run(context.Background(), loadgen.Options{API: down.URL, Sim: down.URL, Dossiers: 4, Rate: 50}, nil)
	require.NoError(t, err)
	require.Equal(t, 0, rep.Submitted)
	require.Equal(t, 4, rep.Failed)
	require.Equal(t, map[string]int{"503 POST /v1/dossiers": 4}, rep.Errors)
	require.Len(t, rep.Endpoints, 1)
	require.Equal(t, 4, rep.Endpoints[0].Count)

	// Nothing listening: transport errors, still bounded.
	addr := down.URL
	down.Close()
	rep, err = loadgen.Run(context.Background(), loadgen.Options{API: addr, Sim: addr, Dossiers: 2, Concurrency: 2}, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"transport POST /v1/dossiers": 2}, rep.Errors)
}

func TestOptionsAreChecked(t *testing.T) {
	_, err := loadgen.Run(context.Background(), loadgen.Options{Rate: 1, Concurrency: 1}, nil)
	require.Error(t, err)
	_, err = loadgen.Run(context.Background(), loadgen.Options{Dossiers: -1}, nil)
	require.Error(t, err)
}

const testSecret = "motcua-loadgen-tests-secret-0123456789"

var testSigner = func() *auth.HS256 {
	h, err := auth.NewHS256(testSecret)
	if err != nil {
		panic(err)
	}
	return h
}()

// The happy mix with development tokens: every request carries a token of
// the actor allowed to make it (checked here by a wrapper that verifies the
// token the way the API will), the histories are counted in Temporal and
// the memory of a process is read from /proc.
func TestHappyMixWithTokensHistoriesAndMemory(t *testing.T) {
	const secret = testSecret
	verifier := testSigner
	var mu sync.Mutex
	seen := map[string]map[auth.Principal]bool{} // route -> principals
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/notifications") {
				next.ServeHTTP(w, r) // the gateway's and the postal service's callbacks sign, not bear
				return
			}
			tok, err := auth.BearerToken(r.Header.Get("Authorization"))
			if err == nil {
				var p auth.Principal
				if p, err = verifier.Verify(r.Context(), tok); err == nil {
					route := r.Method + " " + r.URL.Path
					if i := strings.LastIndex(r.URL.Path, "/"); r.Method == "POST" && strings.Count(r.URL.Path, "/") == 4 {
						route = "POST " + r.URL.Path[i+1:]
					}
					mu.Lock()
					if seen[route] == nil {
						seen[route] = map[auth.Principal]bool{}
					}
					seen[route][p] = true
					mu.Unlock()
				}
			}
			if err != nil {
				http.Error(w, "bad token: "+err.Error(), http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	apiURL, simURL, tc := startSystemWith(t, wrap)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const n = 4
	var out bytes.Buffer
	rep, err := loadgen.Run(ctx, loadgen.Options{
		API: apiURL, Sim: simURL, Dossiers: n, Concurrency: 2, Mix: loadgen.MixHappy, JWTSecret: secret,
		Temporal: tc, Processes: map[string]int{"self": os.Getpid()},
		DossierTimeout: 60 * time.Second, Progress: 5 * time.Second,
	}, &out)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	require.Zero(t, rep.ErrorCount(), "errors: %v %v", rep.Errors, rep.ErrorSamples)
	require.Equal(t, map[string]int{"returned": n}, rep.FinalStatus)
	require.Equal(t, loadgen.MixHappy, rep.Mix)

	// TP-LLTP-01: received by the center, reviewed and approved by the
	// Department of Justice.
	const center, justice = "000.00.17.H39", "000.00.18.H39"
	roles := func(route string) map[auth.Role]string {
		out := map[auth.Role]string{}
		for p := range seen[route] {
			out[p.Role] = p.Agency
		}
		return out
	}
	require.Equal(t, map[auth.Role]string{auth.RolePortal: ""}, roles("POST /v1/dossiers"))
	require.Equal(t, map[auth.Role]string{auth.RoleIntakeOfficer: center}, roles("POST intake"))
	require.Equal(t, map[auth.Role]string{auth.RoleReviewer: justice}, roles("POST review"))
	require.Equal(t, map[auth.Role]string{auth.RoleLeader: justice}, roles("POST approval"))

	// Happy path with a fee and a postal return: the histories were read.
	require.NotNil(t, rep.History)
	require.Equal(t, n, rep.History.Dossiers)
	require.Greater(t, rep.History.Min, 20)
	require.LessOrEqual(t, rep.History.Min, rep.History.Median)
	require.LessOrEqual(t, rep.History.Median, rep.History.Max)
	require.Len(t, rep.Memory, 1)
	require.Empty(t, rep.Memory[0].Error)
	require.Greater(t, rep.Memory[0].PeakMB, 1.0)
	require.GreaterOrEqual(t, rep.Memory[0].PeakMB, rep.Memory[0].RSSMB)
}

// A plan of the happy mix never strays from the happy path.
func TestHappyPlans(t *testing.T) {
	for i := range 200 {
		p := loadgen.HappyPlan(7, i)
		require.Equal(t, loadgen.HappyProcedure, p.Procedure)
		require.Equal(t, "online", p.Channel)
		require.Equal(t, "postal", p.ReturnMethod)
		require.Equal(t, loadgen.IntakeAccept, p.Intake)
		require.False(t, p.Withdraw || p.ReviewSupplement)
	}
	_, err := loadgen.Run(context.Background(), loadgen.Options{Mix: "sad"}, nil)
	require.ErrorContains(t, err, `not "sad"`)
}
