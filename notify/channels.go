package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// Channel is one way of reaching an applicant: a provider's adapter.
type Channel interface {
	// Name is the channel's name: sms, zalo, email.
	Name() string
	// Reaches reports whether c has what the channel needs (a phone, an
	// e-mail address).
	Reaches(c store.NotificationContact) bool
	// Send sends n to c; a *RejectedError is the provider's permanent
	// refusal.
	Send(ctx context.Context, c store.NotificationContact, n store.OutboxNotification) (Sent, error)
}

// Withheld is the channel of a notice not sent because the applicant
// declined notices.
const Withheld = "withheld"

// DefaultChannels is the order channels are tried in when the applicant
// chose none: Zalo (free of charge to the center for approved templates),
// then SMS, then e-mail.
var DefaultChannels = []string{"zalo", "sms", "email"}

// Applicants routes each notification: a notice to the applicant goes to
// the first of the applicant's channels (or DefaultChannels) that is
// configured and that their contact reaches; when that provider refuses it
// for good (an invalid number), to the next. Notices to staff go to Staff.
type Applicants struct {
	Store    *store.Store
	Channels []Channel
	// Default is the order when the applicant chose none (nil:
	// DefaultChannels).
	Default []string
	Staff   Notifier
}

// Notify implements Notifier.
func (a Applicants) Notify(ctx context.Context, n store.OutboxNotification) (Sent, error) {
	if n.To != dossier.ToApplicant {
		return a.Staff.Notify(ctx, n)
	}
	c, err := a.Store.NotificationContact(ctx, n.DossierCode)
	if err != nil {
		return Sent{}, err
	}
	if c.Declined {
		// Recorded as sent on no channel: the applicant said no, and ops
		// have nothing to do about it.
		return Sent{Channel: Withheld}, nil
	}
	order := c.Channels
	if len(order) == 0 {
		order = a.Default
	}
	if len(order) == 0 {
		order = DefaultChannels
	}
	var refusals []string
	for _, name := range order {
		ch := a.channel(name)
		if ch == nil || !ch.Reaches(c) {
			continue
		}
		sent, err := ch.Send(ctx, c, n)
		if err == nil {
			return sent, nil
		}
		if !IsRejected(err) {
			// A transient failure: try this channel again later rather than
			// send the notice twice through two.
			return Sent{Channel: name}, err
		}
		refusals = append(refusals, err.Error())
	}
	if len(refusals) == 0 {
		return Sent{}, Rejected("", fmt.Sprintf("no configured channel (%s) reaches the applicant: no phone or e-mail for it",
			strings.Join(order, ", ")))
	}
	return Sent{}, Rejected("every channel", strings.Join(refusals, "; "))
}

func (a Applicants) channel(name string) Channel {
	for _, ch := range a.Channels {
		if ch.Name() == name {
			return ch
		}
	}
	return nil
}

// digits keeps a phone number's digits (and a leading +).
func digits(phone string) string {
	var b strings.Builder
	for i, r := range phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SMS is the brandname SMS provider's adapter: POST {URL}/v1/send with a
// bearer API key; the provider's message_id comes back in its receipts.
type SMS struct {
	URL, APIKey, Brandname string
	Client                 *http.Client
}

// Name implements Channel.
func (SMS) Name() string { return "sms" }

// Reaches implements Channel.
func (SMS) Reaches(c store.NotificationContact) bool { return c.Phone != "" }

// Send implements Channel.
func (s SMS) Send(ctx context.Context, c store.NotificationContact, n store.OutboxNotification) (Sent, error) {
	body, err := json.Marshal(map[string]string{"brandname": s.Brandname, "phone": digits(c.Phone),
		"message": n.Message, "ref": n.Key(), "template": n.Template})
	if err != nil {
		return Sent{}, err
	}
	a, err := postJSON(ctx, s.Client, s.URL+"/v1/send", body, http.Header{"Authorization": {"Bearer " + s.APIKey}})
	if err != nil {
		return Sent{Channel: "sms"}, fmt.Errorf("sms provider: %w", err)
	}
	if err := answerError("sms", a); err != nil {
		return Sent{Channel: "sms"}, err
	}
	var got struct {
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil || got.MessageID == "" {
		return Sent{Channel: "sms"}, fmt.Errorf("sms provider: answer without message_id: %.200s", a.body)
	}
	return Sent{Channel: "sms", ProviderRef: got.MessageID}, nil
}

// Zalo is the Zalo OA adapter for ZNS template messages: POST
// {URL}/message/template with the OA's access token. A ZNS message is not
// a text but a template Zalo approved plus its parameters: Templates maps
// our templates to the ZNS template ids ("name@version" first, then
// "name"; a name missing is sent as is), and the parameters are the
// notice's facts under the names the template's zns_params give
// (data/notices.yaml). A notice written before the templates (no facts)
// goes as the dossier code and its text.
type Zalo struct {
	URL, AccessToken string
	Templates        map[string]string
	// Notices are the templates (nil: data/notices.yaml).
	Notices *Templates
	Client  *http.Client
}

// znsTemplate is the ZNS template id and data of n.
func (z Zalo) znsTemplate(n store.OutboxNotification) (string, map[string]string, error) {
	id := cmp.Or(z.Templates[n.Template+"@"+strconv.Itoa(n.TemplateVersion)], z.Templates[n.Template], n.Template)
	if n.Facts == nil {
		return id, map[string]string{"dossier_code": n.DossierCode, "text": n.Message}, nil
	}
	ts := z.Notices
	if ts == nil {
		var err error
		if ts, err = DefaultTemplates(); err != nil {
			return "", nil, err
		}
	}
	return id, ts.ZNSParams(n.Template, n.TemplateVersion, n.Facts), nil
}

// Name implements Channel.
func (Zalo) Name() string { return "zalo" }

// Reaches implements Channel.
func (Zalo) Reaches(c store.NotificationContact) bool { return c.Phone != "" }

// Send implements Channel.
func (z Zalo) Send(ctx context.Context, c store.NotificationContact, n store.OutboxNotification) (Sent, error) {
	phone := strings.TrimPrefix(digits(c.Phone), "+")
	if strings.HasPrefix(phone, "0") {
		phone = "84" + phone[1:] // ZNS wants the international form
	}
	id, params, err := z.znsTemplate(n)
	if err != nil {
		return Sent{}, err
	}
	body, err := json.Marshal(map[string]any{"phone": phone, "template_id": id, "tracking_id": n.Key(),
		"template_data": params})
	if err != nil {
		return Sent{}, err
	}
	a, err := postJSON(ctx, z.Client, z.URL+"/message/template", body, http.Header{"access_token": {z.AccessToken}})
	if err != nil {
		return Sent{Channel: "zalo"}, fmt.Errorf("zalo: %w", err)
	}
	if err := answerError("zalo", a); err != nil {
		return Sent{Channel: "zalo"}, err
	}
	// Zalo answers 200 with an error code: 0 is sent, anything else a
	// refusal (invalid phone -108, template not approved -124, …) but its
	// rate limit (-32), which passes.
	var got struct {
		Error   int    `json:"error"`
		Message string `json:"message"`
		Data    struct {
			MsgID string `json:"msg_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		return Sent{Channel: "zalo"}, fmt.Errorf("zalo: unreadable answer: %.200s", a.body)
	}
	switch got.Error {
	case 0:
		return Sent{Channel: "zalo", ProviderRef: got.Data.MsgID}, nil
	case -32:
		return Sent{Channel: "zalo"}, fmt.Errorf("zalo: rate limited: %s", got.Message)
	}
	return Sent{Channel: "zalo"}, Rejected("zalo", fmt.Sprintf("%s (error %d)", got.Message, got.Error))
}

// Email sends notices over SMTP (Addr host:port, no authentication:
// a relay that trusts the workers' network). The Message-ID carries the
// notice's key, so a resend is recognisable, and is the provider reference
// the relay's delivery-status webhook names (POST /v1/notifications/receipts,
// channel email): the relay accepting the message is "sent"; its later
// report is "delivered", or "failed" for a bounce. A 5xx answer during the
// SMTP dialogue is a refusal.
type Email struct {
	Addr, From string
	// Timeout bounds one delivery (zero: 30 s).
	Timeout time.Duration
}

// Name implements Channel.
func (Email) Name() string { return "email" }

// Reaches implements Channel.
func (Email) Reaches(c store.NotificationContact) bool { return c.Email != "" }

// Send implements Channel.
func (e Email) Send(ctx context.Context, c store.NotificationContact, n store.OutboxNotification) (Sent, error) {
	err := e.send(ctx, c.Email, n)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Sent{Channel: "email"}, Rejected("email", fmt.Sprintf("%d %s", te.Code, te.Msg))
	}
	if err != nil {
		return Sent{Channel: "email"}, fmt.Errorf("smtp %s: %w", e.Addr, err)
	}
	return Sent{Channel: "email", ProviderRef: MessageID(n)}, nil
}

// MessageID is the Message-ID (without its angle brackets) of the e-mail
// that carries n.
func MessageID(n store.OutboxNotification) string { return n.Key() + "@motcua" }

func (e Email) send(ctx context.Context, to string, n store.OutboxNotification) error {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(e.Addr)
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.Mail(e.From); err != nil {
		return err
	}
	if err := cl.Rcpt(to); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	subject := "Hồ sơ " + n.DossierCode
	msg := "From: " + e.From + "\r\n" +
		"To: " + to + "\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n" +
		"Message-ID: <" + MessageID(n) + ">\r\n" +
		"X-Motcua-Template: " + n.Template + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" +
		strings.ReplaceAll(n.Message, "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}
