package sim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

// NationalPortal simulates the national public-service portal's dossier
// status sync interface (Cổng Dịch vụ công quốc gia, đồng bộ trạng thái hồ
// sơ), as package portal's adapter speaks it:
//
//   - POST /v1/dossier-statuses with a bearer token and one status item;
//     200 {"result": "accepted"} when held, {"result": "duplicate"} for a
//     version already held (a no-op: idempotent per dossier and version);
//     401 for a wrong token; 422 {"error": "invalid_item", "detail": why}
//     for a malformed item; 409 {"error": "stale_version"} for a version
//     older than the newest one held (the portal keeps each dossier's
//     sequence in order).
//   - GET /v1/dossiers/{code}/statuses: the sequence held for a dossier
//     (404 when none), the query reconcile compares with.
//
// Like the real service it sometimes hangs until the client gives up
// (TimeoutRate, StallNext, and LoseAnswerNext, which keeps the item and
// never answers) or answers 503 (ErrorRate, FailNext).
type NationalPortal struct {
	token string
	opts  PortalOptions
	mux   http.Handler

	mu       sync.Mutex
	held     map[string][]PortalStatus
	posts    int
	stalls   int
	lose     int
	fails    int
	refusals map[string]string
}

// PortalOptions configure the portal simulator.
type PortalOptions struct {
	// TimeoutRate and ErrorRate are the shares of requests that hang until
	// the client gives up, and that answer 503.
	TimeoutRate, ErrorRate float64
	Log                    *slog.Logger
}

// PortalStatus is one status item the portal holds.
type PortalStatus struct {
	DossierCode string `json:"dossier_code"`
	Version     int    `json:"version"`
	StatusCode  int    `json:"status_code"`
	Status      string `json:"status"`
	// ProcedureCode is the national procedure database's code.
	ProcedureCode      string     `json:"procedure_code"`
	LocalProcedureCode string     `json:"local_procedure_code,omitempty"`
	AgencyCode         string     `json:"agency_code"`
	ChangedAt          time.Time  `json:"changed_at"`
	SubmittedAt        time.Time  `json:"submitted_at"`
	ReceivedAt         *time.Time `json:"received_at,omitempty"`
	AppointmentAt      *time.Time `json:"appointment_at,omitempty"`
	FinishedAt         *time.Time `json:"finished_at,omitempty"`
	ReturnedAt         *time.Time `json:"returned_at,omitempty"`
	HeldAt             time.Time  `json:"held_at"`
}

// portalStatusNames are the status codes the portal knows and the names
// it expects beside them.
var portalStatusNames = map[int]string{1: "submitted", 2: "received", 3: "refused", 4: "processing",
	5: "supplement_requested", 6: "awaiting_payment", 7: "withdrawn", 8: "stopped", 9: "result_ready",
	10: "returned", 11: "declined"}

var nationalProcedureCode = regexp.MustCompile(`^[0-9]\.[0-9]{6}$`)

// NewNationalPortal returns a portal that accepts token.
func NewNationalPortal(token string, o PortalOptions) *NationalPortal {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &NationalPortal{token: token, opts: o, held: map[string][]PortalStatus{}, refusals: map[string]string{}}
	r := newRouter()
	r.Post("/v1/dossier-statuses", p.post)
	r.Get("/v1/dossiers/{code}/statuses", p.get)
	p.mux = r
	return p
}

// ServeHTTP implements http.Handler.
func (p *NationalPortal) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// StallNext makes the next n posts hang until the client gives up, holding
// nothing.
func (p *NationalPortal) StallNext(n int) { p.mu.Lock(); p.stalls += n; p.mu.Unlock() }

// LoseAnswerNext makes the next n posts that would be accepted hold their
// item and then hang: the client never learns it was accepted and sends
// it again.
func (p *NationalPortal) LoseAnswerNext(n int) { p.mu.Lock(); p.lose += n; p.mu.Unlock() }

// FailNext makes the next n posts answer 503, holding nothing.
func (p *NationalPortal) FailNext(n int) { p.mu.Lock(); p.fails += n; p.mu.Unlock() }

// RefuseDossier makes the portal refuse every item of dossier code with
// reason (422), as for a dossier whose procedure it does not publish; an
// empty reason ends the refusals.
func (p *NationalPortal) RefuseDossier(code, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if reason == "" {
		delete(p.refusals, code)
		return
	}
	p.refusals[code] = reason
}

// RefuseProcedure makes the portal refuse every item of the procedure
// with national code code, as RefuseDossier does for one dossier.
func (p *NationalPortal) RefuseProcedure(code, reason string) {
	p.RefuseDossier("procedure:"+code, reason)
}

// Tamper replaces what the portal holds for a dossier (nil: forgets it),
// to make a difference reconcile must find.
func (p *NationalPortal) Tamper(code string, items []PortalStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if items == nil {
		delete(p.held, code)
		return
	}
	p.held[code] = items
}

// Held returns the sequence held for a dossier, in version order.
func (p *NationalPortal) Held(code string) []PortalStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]PortalStatus{}, p.held[code]...)
}

// Posts counts the status posts received (answered or not).
func (p *NationalPortal) Posts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.posts
}

func (p *NationalPortal) authorized(w http.ResponseWriter, r *http.Request) bool {
	// (An empty token in development: "Bearer" alone, as HTTP trims it.)
	if strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer")) != p.token {
		writeError(w, newHTTPError(http.StatusUnauthorized, "unauthorized", "unknown or missing access token"))
		return false
	}
	return true
}

// hang waits until the client gives up (at most a minute) and answers 504.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
	writeError(w, newHTTPError(http.StatusGatewayTimeout, "timeout", "the portal did not answer in time"))
}

func (p *NationalPortal) post(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(w, r) {
		return
	}
	var in PortalStatus
	if !readJSON(w, r, &in, false) {
		return
	}
	p.mu.Lock()
	p.posts++
	stall := p.stalls > 0 || (p.opts.TimeoutRate > 0 && rand.Float64() < p.opts.TimeoutRate)
	fail := !stall && (p.fails > 0 || (p.opts.ErrorRate > 0 && rand.Float64() < p.opts.ErrorRate))
	if p.stalls > 0 {
		p.stalls--
	} else if fail && p.fails > 0 {
		p.fails--
	}
	p.mu.Unlock()
	if stall {
		hang(w, r)
		return
	}
	if fail {
		writeError(w, newHTTPError(http.StatusServiceUnavailable, "unavailable", "the portal is busy; try again later"))
		return
	}
	if reason := p.check(in); reason != "" {
		writeError(w, newHTTPError(http.StatusUnprocessableEntity, "invalid_item", reason))
		return
	}
	p.mu.Lock()
	reason, ok := p.refusals[in.DossierCode]
	if !ok {
		reason, ok = p.refusals["procedure:"+in.ProcedureCode]
	}
	if ok {
		p.mu.Unlock()
		writeError(w, newHTTPError(http.StatusUnprocessableEntity, "invalid_item", reason))
		return
	}
	seq := p.held[in.DossierCode]
	for _, h := range seq {
		if h.Version == in.Version {
			p.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]string{"result": "duplicate"})
			return
		}
	}
	if n := len(seq); n > 0 && seq[n-1].Version > in.Version {
		p.mu.Unlock()
		writeError(w, newHTTPError(http.StatusConflict, "stale_version",
			fmt.Sprintf("version %d is older than version %d already held for %s", in.Version, seq[n-1].Version, in.DossierCode)))
		return
	}
	in.HeldAt = time.Now().UTC().Truncate(time.Second)
	p.held[in.DossierCode] = append(seq, in)
	lose := p.lose > 0
	if lose {
		p.lose--
	}
	p.mu.Unlock()
	p.opts.Log.Info("portal holds a status", "dossier", in.DossierCode, "version", in.Version, "status_code", in.StatusCode)
	if lose {
		hang(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": "accepted"})
}

// check returns why an item is malformed ("" when it is not).
func (p *NationalPortal) check(in PortalStatus) string {
	var why []string
	if in.DossierCode == "" {
		why = append(why, "dossier_code is required")
	}
	if in.Version < 1 {
		why = append(why, "version must be a positive whole number")
	}
	if name, ok := portalStatusNames[in.StatusCode]; !ok {
		why = append(why, fmt.Sprintf("status_code %d is not a national status code (1-11)", in.StatusCode))
	} else if in.Status != name {
		why = append(why, fmt.Sprintf("status %q does not match status_code %d (%s)", in.Status, in.StatusCode, name))
	}
	if !nationalProcedureCode.MatchString(in.ProcedureCode) {
		why = append(why, fmt.Sprintf("procedure_code %q is not a code of the national procedure database (1.001612)", in.ProcedureCode))
	}
	if in.AgencyCode == "" {
		why = append(why, "agency_code is required")
	}
	if in.ChangedAt.IsZero() || in.SubmittedAt.IsZero() {
		why = append(why, "changed_at and submitted_at are required")
	}
	if in.ReceivedAt != nil && in.AppointmentAt != nil && in.AppointmentAt.Before(*in.ReceivedAt) {
		why = append(why, "appointment_at is before received_at")
	}
	return strings.Join(why, "; ")
}

func (p *NationalPortal) get(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(w, r) {
		return
	}
	code := chi.URLParam(r, "code")
	items := p.Held(code)
	if len(items) == 0 {
		writeError(w, newHTTPError(http.StatusNotFound, "not_found", "the portal holds no status of dossier "+code))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dossier_code": code, "items": items})
}
