package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// lookupAlphabet has no easily confused characters (0/O, 1/I/L).
const lookupAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// lookupKeyLen characters of lookupAlphabet: about 49 bits.
const lookupKeyLen = 10

// newLookupKey returns a random public lookup key.
func newLookupKey() string {
	b := make([]byte, lookupKeyLen)
	out := make([]byte, 0, lookupKeyLen)
	for len(out) < lookupKeyLen {
		_, _ = rand.Read(b) // never fails (crypto/rand)
		for _, c := range b {
			// Rejection sampling keeps every character equally likely.
			if int(c) < 256-256%len(lookupAlphabet) && len(out) < lookupKeyLen {
				out = append(out, lookupAlphabet[int(c)%len(lookupAlphabet)])
			}
		}
	}
	return string(out)
}

// normalizeLookupKey accepts a key typed in lower case or with spaces.
func normalizeLookupKey(k string) string {
	return strings.ToUpper(strings.Join(strings.Fields(k), ""))
}

// submittedJSON is the answer to a submission: the dossier and, in the 201
// answer only, the public lookup key (null on an idempotent replay).
type submittedJSON struct {
	dossierJSON
	LookupKey *string `json:"lookup_key"`
	// PostalSuspension tells a submission returning by post to an area
	// where the postal service is (or will be) suspended.
	PostalSuspension *suspensionJSON `json:"postal_suspension,omitempty"`
}

type publicFeeJSON struct {
	Amount int64   `json:"amount"`
	Status string  `json:"status"`
	PayURL *string `json:"pay_url"`
	// OnDelivery: the applicant pays the postman on delivery.
	OnDelivery bool `json:"on_delivery"`
}

// publicDossierJSON is what anyone with the code and the lookup key sees:
// no personal data.
type publicDossierJSON struct {
	Code          string        `json:"code"`
	ProcedureCode string        `json:"procedure_code"`
	Status        string        `json:"status"`
	StatusCode    int           `json:"status_code"`
	Stage         string        `json:"stage"`
	AppointmentAt *time.Time    `json:"appointment_at"`
	Fee           publicFeeJSON `json:"fee"`
	Shipment      *shipmentJSON `json:"shipment"`
	ReturnMethod  string        `json:"return_method"`
	// ResultDocument is the result's name and hash once approved with
	// one; DownloadPath is set when its file is stored (add ?key=…).
	ResultDocument *publicResultJSON `json:"result_document,omitempty"`
	// Rating is the applicant's satisfaction rating, once given; Rateable
	// says a rating may be given now (the dossier ended, none given yet).
	Rating   *ratingJSON `json:"rating,omitempty"`
	Rateable bool        `json:"rateable"`
}

type publicResultJSON struct {
	Name         string  `json:"name"`
	SHA256       string  `json:"sha256"`
	DownloadPath *string `json:"download_path"`
}

func renderPublic(d store.Dossier) publicDossierJSON {
	out := publicDossierJSON{
		Code: d.Code, ProcedureCode: d.ProcedureCode, Status: string(d.Status), StatusCode: d.Status.Code(),
		Stage: string(d.Stage), AppointmentAt: local(d.AppointmentAt),
		Fee: publicFeeJSON{Amount: d.Fee.Amount, Status: string(d.Fee.Status), PayURL: optional(d.Fee.PayURL),
			OnDelivery: d.Fee.OnDelivery},
		ReturnMethod: string(d.ReturnMethod),
	}
	if d.Shipment != nil {
		out.Shipment = &shipmentJSON{Waybill: d.Shipment.Waybill, Status: string(d.Shipment.Status)}
	}
	return out
}

// publicDossier answers GET /v1/public/dossiers/{code}?key=…; an unknown
// code and a wrong key get the same 404.
func (s *Server) publicDossier(w http.ResponseWriter, r *http.Request) {
	d, ok := s.publicLookup(w, r)
	if !ok {
		return
	}
	out := renderPublic(d)
	if rd := d.ResultDocument; rd != nil {
		out.ResultDocument = &publicResultJSON{Name: rd.Name, SHA256: rd.SHA256}
		if _, err := s.store.DossierFile(r.Context(), d.Code, rd.SHA256, document.KindResult); err == nil {
			out.ResultDocument.DownloadPath = optional("/v1/public/dossiers/" + d.Code + "/result")
		} else if dossier.ErrorCodeOf(err) != dossier.ENotFound {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	rt, rated, err := s.store.RatingOf(r.Context(), d.Code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if rated {
		x := renderRating(rt)
		out.Rating = &x
	}
	out.Rateable = !rated && d.Status.Final()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// publicLookup reads the dossier in the path with the lookup key in the
// query (key=…), answering 400 without a key and 404 for an unknown code
// or a wrong key alike.
func (s *Server) publicLookup(w http.ResponseWriter, r *http.Request) (store.Dossier, bool) {
	key := normalizeLookupKey(r.URL.Query().Get("key"))
	if key == "" || len(key) > 100 {
		writeError(w, r, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: "key is required: the lookup key printed on the submission receipt",
			Fields:  []dossier.FieldError{{Field: "key", Reason: "is required (at most 100 characters)"}}})
		return store.Dossier{}, false
	}
	d, err := s.store.PublicDossier(r.Context(), chi.URLParam(r, "code"), store.HashLookupKey(key))
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return store.Dossier{}, false
	}
	return d, true
}

// rateLimiter allows each key (a client IP, a token subject) n requests
// per window. With a shared counter (the API's PostgreSQL: store
// CountRateHit) every API process counts in the same place, so the limit
// is the same behind one replica or ten; the windows are then aligned to
// the clock (a minute starts at :00), the same for every process. Without
// one, or while the counter fails (PostgreSQL down), the process counts on
// its own: a fixed window for all keys, so idle entries are dropped as
// windows pass and memory stays bounded by the clients of one window.
type rateLimiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	key    func(*http.Request) string
	what   string // "lookups from this address", in the 429's detail

	// bucket names the limit in the shared counter; shared nil: local only.
	bucket string
	shared rateCounter
	log    *slog.Logger

	mu         sync.Mutex
	start      time.Time
	clients    map[string]int
	purgedFor  time.Time // the shared window whose predecessors this process purged
	sharedDown bool      // the shared counter failed last time (logged once)
}

// rateCounter counts requests across API processes.
type rateCounter interface {
	// CountRateHit counts one request and returns the window's count.
	CountRateHit(ctx context.Context, bucket, client string, windowStart time.Time) (int, error)
	// PurgeRateWindows deletes windows that started before a time.
	PurgeRateWindows(ctx context.Context, before time.Time) (int64, error)
}

func newRateLimiter(n int, window time.Duration, what string, key func(*http.Request) string) *rateLimiter {
	return &rateLimiter{n: n, window: window, now: time.Now, key: key, what: what, clients: map[string]int{}}
}

// sharedLimiter is newRateLimiter counting in the API's database, under
// bucket, when the limits are shared (Options.SharedRateLimits).
func (s *Server) sharedLimiter(bucket string, n int, what string, key func(*http.Request) string) *rateLimiter {
	l := newRateLimiter(n, time.Minute, what, key)
	if s.sharedRateLimits {
		l.bucket, l.shared, l.log = bucket, s.store, s.log
	}
	return l
}

// sharedTimeout bounds the shared counter's round trip: past it the
// request is counted locally rather than kept waiting.
const sharedTimeout = 500 * time.Millisecond

// allow counts a request of key; when over the limit it returns false and
// the seconds until the window ends.
func (l *rateLimiter) allow(ctx context.Context, key string) (bool, int) {
	now := l.now()
	if l.shared != nil {
		start := now.Truncate(l.window)
		cctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		hits, err := l.shared.CountRateHit(cctx, l.bucket, key, start)
		cancel()
		l.sharedResult(ctx, start, err)
		if err == nil {
			if hits > l.n {
				return false, waitSeconds(start.Add(l.window).Sub(now))
			}
			return true, 0
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start, l.clients = now, map[string]int{}
	}
	l.clients[key]++
	if l.clients[key] > l.n {
		return false, waitSeconds(l.start.Add(l.window).Sub(now))
	}
	return true, 0
}

// sharedResult logs the shared counter going down and coming back, and
// purges finished windows once per window per process (in the
// background: the request does not wait for it).
func (l *rateLimiter) sharedResult(ctx context.Context, start time.Time, err error) {
	l.mu.Lock()
	was := l.sharedDown
	l.sharedDown = err != nil
	purge := err == nil && l.purgedFor.Before(start)
	if purge {
		l.purgedFor = start
	}
	l.mu.Unlock()
	switch {
	case err != nil && !was:
		l.log.Warn("the shared rate-limit counter is unavailable: this process counts on its own until it is back", "limit", l.bucket, "error", err)
	case err == nil && was:
		l.log.Info("the shared rate-limit counter answers again", "limit", l.bucket)
	}
	if purge {
		go func() {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if _, err := l.shared.PurgeRateWindows(pctx, start.Add(-l.window)); err != nil {
				l.log.Debug("purge of finished rate-limit windows failed (the next window retries)", "error", err)
			}
		}()
	}
}

// waitSeconds rounds a wait up to whole seconds (Retry-After).
func waitSeconds(wait time.Duration) int {
	return int((wait + time.Second - 1) / time.Second)
}

// clientIP is the client's address: the peer, or, behind a trusted proxy,
// the address forwardedClient found for it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedClient puts the client's address in RemoteAddr when the peer
// is a trusted proxy (MOTCUA_TRUSTED_PROXIES): the right-most address of
// X-Forwarded-For that is not itself a trusted proxy, the only one a client
// cannot forge (each proxy appends the address it saw). From any other
// peer the header is ignored, so nobody outside can pick their own address
// and slip past the per-address limits, or block someone else's.
func forwardedClient(trusted []netip.Prefix) func(http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		if len(trusted) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			peer, err := netip.ParseAddrPort(r.RemoteAddr)
			if err != nil || !isTrusted(peer.Addr().Unmap()) {
				next.ServeHTTP(w, r)
				return
			}
			client := peer.Addr().Unmap()
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break // not an address: keep the last trusted hop's word
				}
				client = a.Unmap()
				if !isTrusted(client) {
					break
				}
			}
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it was
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
			next.ServeHTTP(w, r)
		})
	}
}

// clientID is who is calling: the token's subject once authentication has
// put a principal in the context, else the address (so an unauthenticated
// deployment still limits each client).
func clientID(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok && p.Subject != "" {
		return "sub:" + p.Subject
	}
	return "ip:" + clientIP(r)
}

// middleware answers 429 with Retry-After over the limit.
func (l *rateLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.allow(r.Context(), l.key(r))
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			writeProblem(w, r, http.StatusTooManyRequests, "rate_limited",
				"too many "+l.what+" (at most "+strconv.Itoa(l.n)+" a minute); retry after "+strconv.Itoa(wait)+" seconds")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// submissionLimit allows n submissions a minute per client (token
// subject) and, separately, n per address: neither many tokens behind one
// address nor one token from many addresses can flood the workflows.
func submissionLimit(n int) func(http.Handler) http.Handler {
	return pairLimit(newRateLimiter(n, time.Minute, "submissions from this address", clientIP),
		newRateLimiter(n, time.Minute, "submissions from this client", clientID))
}

// sharedSubmissionLimit is submissionLimit counted across API processes,
// under the buckets prefix+"-ip" and prefix+"-client".
func (s *Server) sharedSubmissionLimit(prefix string, n int) func(http.Handler) http.Handler {
	return pairLimit(s.sharedLimiter(prefix+"-ip", n, "submissions from this address", clientIP),
		s.sharedLimiter(prefix+"-client", n, "submissions from this client", clientID))
}

func pairLimit(perIP, perClient *rateLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return perIP.middleware(perClient.middleware(next)) }
}

// writeProblem answers with a problem of a status the application error
// codes do not have (429).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, kind, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: "https://motcua.example/problems/" + kind,
		Title: http.StatusText(status), Status: status, Detail: detail, Instance: r.URL.Path})
}

// The default limits (config: MOTCUA_LOOKUP_RATE_PER_MINUTE,
// MOTCUA_SUBMIT_RATE_PER_MINUTE).
const (
	defaultLookupsPerMinute     = 30
	defaultSubmissionsPerMinute = 1200
)
