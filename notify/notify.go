// Package notify delivers the notifications dossier workflows write to the
// outbox: to applicants (SMS, e-mail, Zalo) and to staff (e-mail, webhook),
// through one Notifier interface.
//
// Delivery is durable. The outbox row is the job: a Dispatcher claims due
// rows with a lease in a statement of its own, sends with no database
// transaction open, and records the outcome after — sent, a retry at an
// exponentially later time (for a day by default), or a dead letter ops
// list at GET /v1/notifications?status=failed. A provider's permanent
// refusal (an invalid number, a refused template) is a dead letter at once,
// with the provider's reason. Dispatchers wake on a new row (LISTEN) or
// when the earliest retry falls due, never on a fixed tick.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/store"
)

// Sent is what a provider said when it accepted a notification.
type Sent struct {
	// Channel is where the message went: sms, zalo, email, gateway, log.
	Channel string
	// ProviderRef is the provider's id for the message, which its delivery
	// receipt names later; empty when the provider sends no receipts.
	ProviderRef string
}

// Notifier delivers one notification. An error leaves it in the outbox to
// be tried again later, unless it is a *RejectedError: then the
// notification is dead-lettered at once.
type Notifier interface {
	Notify(ctx context.Context, n store.OutboxNotification) (Sent, error)
}

// RejectedError is a provider's permanent refusal of a message: trying
// again would be refused again.
type RejectedError struct {
	Channel string
	Reason  string
}

func (e *RejectedError) Error() string {
	if e.Channel == "" {
		return e.Reason
	}
	return fmt.Sprintf("rejected by %s: %s", e.Channel, e.Reason)
}

// Rejected returns the permanent refusal of a message on channel, for reason.
func Rejected(channel, reason string) error { return &RejectedError{Channel: channel, Reason: reason} }

// LogNotifier writes every notification to the log: the development sink,
// and where no messaging gateway is configured.
type LogNotifier struct {
	Log *slog.Logger
	// WithText logs the message's text too (development). Texts name
	// dossiers, amounts and reasons a person gave; a production log keeps
	// only which notice went to whom.
	WithText bool
}

// Notify logs n.
func (l LogNotifier) Notify(_ context.Context, n store.OutboxNotification) (Sent, error) {
	attrs := []any{"dossier", n.DossierCode, "to", n.To, "agency", n.Agency, "template", n.Template}
	if l.WithText {
		attrs = append(attrs, "message", n.Message)
	}
	l.Log.Info("notification", attrs...)
	return Sent{Channel: "log"}, nil
}

// HTTPNotifier posts each notification as JSON to a messaging gateway
// (SMS, e-mail, Zalo for applicants; e-mail or webhooks for staff). The
// key — dossier code, control-sheet sequence and index — lets the gateway
// drop a repeat, so a notification re-sent after a crash is delivered once.
type HTTPNotifier struct {
	URL    string
	Client *http.Client
}

type message struct {
	Key      string `json:"key"`
	To       string `json:"to"`
	Agency   string `json:"agency,omitempty"`
	Dossier  string `json:"dossier"`
	Template string `json:"template"`
	Text     string `json:"text"`
}

// Notify posts n. A 4xx answer (but 408 and 429) is a permanent rejection
// with the gateway's explanation; any other failure is tried again later.
func (h HTTPNotifier) Notify(ctx context.Context, n store.OutboxNotification) (Sent, error) {
	body, err := json.Marshal(message{Key: n.Key(), To: n.To, Agency: n.Agency,
		Dossier: n.DossierCode, Template: n.Template, Text: n.Message})
	if err != nil {
		return Sent{}, err
	}
	res, err := postJSON(ctx, h.Client, h.URL, body, nil)
	if err != nil {
		return Sent{}, fmt.Errorf("messaging gateway: %w", err)
	}
	if err := answerError("gateway", res); err != nil {
		return Sent{}, err
	}
	var got struct {
		ID int `json:"id"`
	}
	_ = json.Unmarshal(res.body, &got)
	return Sent{Channel: "gateway", ProviderRef: fmt.Sprint(got.ID)}, nil
}

type answer struct {
	status int
	text   string
	body   []byte
}

// postJSON posts body and reads up to 64 KiB of the answer.
func postJSON(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, text: res.Status, body: b}, nil
}

// answerError classifies a provider's HTTP answer: nil for 2xx, a
// *RejectedError when the provider refuses this message and would refuse
// it again (400, 410, 413, 415, 422; the reason is the answer's detail,
// message or error field, or its body), else a transient error. 401, 403
// and 404 are our configuration (a key, a URL), not the message's fault:
// they are retried, so fixing the configuration within the day loses no
// notice, and the oldest-pending alert tells ops meanwhile.
func answerError(channel string, a answer) error {
	switch a.status {
	case http.StatusBadRequest, http.StatusGone, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return Rejected(channel, providerReason(a))
	}
	if a.status/100 == 2 {
		return nil
	}
	return fmt.Errorf("%s provider answered %s: %.200s", channel, a.text, a.body)
}

func providerReason(a answer) string {
	var f struct{ Detail, Error, Message string }
	if json.Unmarshal(a.body, &f) == nil {
		for _, s := range []string{f.Detail, f.Message, f.Error} {
			if s != "" {
				return s
			}
		}
	}
	if s := strings.TrimSpace(string(a.body)); s != "" {
		return s
	}
	return a.text
}

// IsRejected reports whether err is a provider's permanent refusal.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}
