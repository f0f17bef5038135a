package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// notificationJSON is a notification as ops see it: where it stands and
// why, but not its text (which may name the applicant).
type notificationJSON struct {
	Dossier       string     `json:"dossier"`
	Key           string     `json:"key"`
	To            string     `json:"to"`
	Agency        string     `json:"agency,omitempty"`
	Template      string     `json:"template"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	Channel       string     `json:"channel,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
}

// listNotifications is GET /v1/notifications?status=failed: the dead
// letters (or the notifications in another delivery state), newest first.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
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
	status := q.Get("status")
	if status == "" {
		status = store.NotificationFailed
	} else if !store.NotificationStatusValid(status) {
		v.Add("status", "must be pending, sent, delivered or failed")
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
	ns, err := s.store.NotificationsByStatus(r.Context(), status, limit)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := make([]notificationJSON, len(ns))
	for i, n := range ns {
		out[i] = notificationJSON{Dossier: n.DossierCode, Key: n.Key(), To: string(n.To), Agency: n.Agency,
			Template: n.Template, Status: n.Status, Attempts: n.Attempts, Channel: n.Channel, LastError: n.LastError,
			CreatedAt: n.CreatedAt, SentAt: n.SentAt, DeliveredAt: n.DeliveredAt, FailedAt: n.FailedAt}
		if n.Status == store.NotificationPending {
			out[i].NextAttemptAt = &n.NextAttemptAt
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}
