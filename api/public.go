package api

import (
	"crypto/rand"
	"encoding/json"
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
// per window: a fixed window for all keys, so idle entries are dropped as
// windows pass and memory stays bounded by the clients of one window.
type rateLimiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	key    func(*http.Request) string
	what   string // "lookups from this address", in the 429's detail

	mu      sync.Mutex
	start   time.Time
	clients map[string]int
}

func newRateLimiter(n int, window time.Duration, what string, key func(*http.Request) string) *rateLimiter {
	return &rateLimiter{n: n, window: window, now: time.Now, key: key, what: what, clients: map[string]int{}}
}

// allow counts a request of key; when over the limit it returns false and
// the seconds until the window ends.
func (l *rateLimiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= l.window {
		l.start, l.clients = now, map[string]int{}
	}
	l.clients[key]++
	if l.clients[key] > l.n {
		wait := l.start.Add(l.window).Sub(now)
		return false, int((wait + time.Second - 1) / time.Second)
	}
	return true, 0
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
		ok, wait := l.allow(l.key(r))
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
	perIP := newRateLimiter(n, time.Minute, "submissions from this address", clientIP)
	perClient := newRateLimiter(n, time.Minute, "submissions from this client", clientID)
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
