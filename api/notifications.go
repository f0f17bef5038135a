package api

import (
	"cmp"
	"net/http"
	"strconv"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// notificationJSON is a notification as ops see it: where it stands and
// why, but not its text (which may name the applicant).
type notificationJSON struct {
	Dossier  string `json:"dossier"`
	Key      string `json:"key"`
	To       string `json:"to"`
	Agency   string `json:"agency,omitempty"`
	Template string `json:"template"`
	// TemplateVersion is the version of the template the text came from
	// (0, absent: a text of its own).
	TemplateVersion int        `json:"template_version,omitempty"`
	Status          string     `json:"status"`
	Attempts        int        `json:"attempts"`
	Channel         string     `json:"channel,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	NextAttemptAt   *time.Time `json:"next_attempt_at,omitempty"`
	SentAt          *time.Time `json:"sent_at,omitempty"`
	DeliveredAt     *time.Time `json:"delivered_at,omitempty"`
	FailedAt        *time.Time `json:"failed_at,omitempty"`
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
			Template: n.Template, TemplateVersion: n.TemplateVersion, Status: n.Status, Attempts: n.Attempts, Channel: n.Channel, LastError: n.LastError,
			CreatedAt: n.CreatedAt, SentAt: n.SentAt, DeliveredAt: n.DeliveredAt, FailedAt: n.FailedAt}
		if n.Status == store.NotificationPending {
			out[i].NextAttemptAt = &n.NextAttemptAt
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// receiptJSON is a provider's delivery receipt.
type receiptJSON struct {
	Channel   string     `json:"channel"`
	MessageID string     `json:"message_id"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason"`
	At        *time.Time `json:"at"`
}

// notificationReceipt is POST /v1/notifications/receipts: an SMS or Zalo
// provider's or the e-mail relay's signed word that a message reached the
// applicant (delivered) or never will (failed, for e-mail a bounce: a dead
// letter with the provider's reason). A
// repeated receipt changes nothing; one for a message we never sent is 404.
func (s *Server) notificationReceipt(w http.ResponseWriter, r *http.Request) {
	var in receiptJSON
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var v dossier.Invalid
	if in.Channel == "" || len(in.Channel) > 20 {
		v.Add("channel", "is required: sms, zalo or email")
	}
	if in.MessageID == "" || len(in.MessageID) > 200 {
		v.Add("message_id", "is required: the provider's id of the message")
	}
	if in.Status != "delivered" && in.Status != "failed" {
		v.Add("status", "must be delivered or failed")
	}
	if len(in.Reason) > 1000 {
		v.Add("reason", "must be at most 1000 characters")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	at := time.Now()
	if in.At != nil {
		at = *in.At
	}
	reason := in.Reason
	if in.Status == "failed" {
		reason = in.Channel + " provider reports the message undelivered: " + cmp.Or(reason, "no reason given")
	}
	ok, err := s.store.RecordDeliveryReceipt(r.Context(), in.Channel, in.MessageID, in.Status == "delivered", reason, at)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	if !ok {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound,
			"no notification was sent as %s message %s", in.Channel, in.MessageID))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": in.Status})
}
