package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// DefaultPortalLagAfter is how long an item may wait for the national
// portal before GET /v1/portal-sync?status=lagging lists it.
const DefaultPortalLagAfter = 15 * time.Minute

// portalItemJSON is a status item of the sync to the national portal, as
// ops see it.
type portalItemJSON struct {
	Dossier       string     `json:"dossier"`
	Version       int        `json:"version"`
	Status        string     `json:"status"`
	StatusCode    int        `json:"status_code"`
	ProcedureCode string     `json:"procedure_code"`
	NationalCode  string     `json:"national_code,omitempty"`
	ChangedAt     time.Time  `json:"changed_at"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
}

// listPortalSync is GET /v1/portal-sync?status=failed|lagging|pending|accepted:
// the items the national portal refused (dead letters, with its reason,
// the default), the ones it has not accepted for longer than the lag
// threshold, every pending one, or the accepted ones.
func (s *Server) listPortalSync(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dossier.Invalid
	for name := range q {
		switch name {
		case "status", "limit":
			if len(q[name]) > 1 {
				v.Add(name, "must be given at most once")
			}
		default:
			v.Add(name, "is not a parameter of this list")
		}
	}
	state, since := store.PortalFailed, time.Time{}
	switch q.Get("status") {
	case "", "failed":
	case "lagging":
		state, since = store.PortalPending, time.Now().Add(-s.portalLagAfter)
	case "pending":
		state = store.PortalPending
	case "accepted":
		state = store.PortalAccepted
	default:
		v.Add("status", "must be failed, lagging, pending or accepted")
	}
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			v.Add("limit", "must be a whole number from 1 to 500")
		}
		limit = n
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	items, err := s.store.PortalItemsByState(r.Context(), state, since, limit)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := make([]portalItemJSON, len(items))
	for i, it := range items {
		out[i] = portalItemJSON{Dossier: it.DossierCode, Version: it.Version, Status: string(it.Status),
			StatusCode: it.StatusCode, ProcedureCode: it.ProcedureCode, NationalCode: it.NationalCode,
			ChangedAt: it.ChangedAt, State: it.State, Attempts: it.Attempts, LastError: it.LastError,
			CreatedAt: it.CreatedAt, AcceptedAt: it.AcceptedAt, FailedAt: it.FailedAt}
		if it.State == store.PortalPending {
			out[i].NextAttemptAt = &it.NextAttemptAt
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "lag_after_seconds": int(s.portalLagAfter.Seconds())})
}
