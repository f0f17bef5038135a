package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Channel messages: the brandname SMS provider ([SMSProvider]), Zalo OA's
// ZNS template messages ([ZaloOA]) and an SMTP server ([MailServer]) the
// applicant notices go through. Like real providers the HTTP ones check
// the number, answer with their own message id, report delivery later by a
// signed callback (a receipt), drop a repeat of a client reference, and now
// and then time out.

// ChannelMessage is one message a channel simulator accepted.
type ChannelMessage struct {
	ID       string `json:"id"`
	Channel  string `json:"channel"`
	Ref      string `json:"ref"`
	To       string `json:"to"`
	Template string `json:"template,omitempty"`
	Text     string `json:"text"`
	// Params are a ZNS message's template parameters (Zalo).
	Params     map[string]string `json:"params,omitempty"`
	ReceivedAt time.Time         `json:"received_at"`
	// Status is accepted, then delivered or failed once the receipt is
	// sent.
	Status string `json:"status"`
}

// Receipt is the delivery report a provider posts to the receipt URL,
// signed with the receipt secret (X-Signature, as the payment gateway's).
type Receipt struct {
	Channel   string    `json:"channel"`
	MessageID string    `json:"message_id"`
	Status    string    `json:"status"` // delivered or failed
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// vnMobile is a Vietnamese mobile number: 0 or 84 then 3, 5, 7, 8 or 9 and
// eight digits.
var vnMobile = regexp.MustCompile(`^(0|\+?84)[35789][0-9]{8}$`)

// unreachable numbers (ending 0000) are accepted but their receipt says
// failed, as for a phone switched off for days.
func unreachable(phone string) bool { return strings.HasSuffix(phone, "0000") }

// ChannelOptions configure an HTTP channel simulator.
type ChannelOptions struct {
	// ReceiptURL gets the signed delivery receipts ("" : none are sent).
	ReceiptURL    string
	ReceiptSecret string
	// ReceiptDelay is how long after accepting a message its receipt is
	// posted (zero: 1 s).
	ReceiptDelay time.Duration
	// TimeoutRate is the share of requests that hang until the client gives
	// up (up to a minute), as overloaded providers do.
	TimeoutRate float64
	Log         *slog.Logger
}

// channelSim is what the SMS and Zalo simulators share: the messages, the
// de-duplication, the receipts and the timeouts.
type channelSim struct {
	channel string
	opts    ChannelOptions
	client  *http.Client
	ctx     context.Context
	cancel  context.CancelFunc

	mu      sync.Mutex
	byRef   map[string]int
	all     []ChannelMessage
	stalls  int
	refused map[string]bool
}

func newChannelSim(channel string, o ChannelOptions) *channelSim {
	if o.ReceiptDelay <= 0 {
		o.ReceiptDelay = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &channelSim{channel: channel, opts: o, client: &http.Client{}, ctx: ctx, cancel: cancel,
		byRef: map[string]int{}, refused: map[string]bool{}}
}

// Close stops the receipts still waiting to be sent.
func (c *channelSim) Close() { c.cancel() }

// StallNext makes the next n requests hang until the client gives up.
func (c *channelSim) StallNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stalls += n
}

// RefuseTemplate makes the provider refuse template for good.
func (c *channelSim) RefuseTemplate(template string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused[template] = true
}

// Messages lists what the simulator accepted for dossier ("" : all): the
// ref starts with the dossier code.
func (c *channelSim) Messages(dossier string) []ChannelMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []ChannelMessage{}
	for _, m := range c.all {
		if dossier == "" || strings.HasPrefix(m.Ref, dossier+"/") {
			out = append(out, m)
		}
	}
	return out
}

func (c *channelSim) list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"messages": c.Messages(r.URL.Query().Get("dossier"))})
}

// stall hangs the request when asked to (StallNext or TimeoutRate) and
// reports whether it did.
func (c *channelSim) stall(w http.ResponseWriter, r *http.Request) bool {
	c.mu.Lock()
	stall := c.stalls > 0 || (c.opts.TimeoutRate > 0 && rand.Float64() < c.opts.TimeoutRate)
	if c.stalls > 0 {
		c.stalls--
	}
	c.mu.Unlock()
	if !stall {
		return false
	}
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
	writeError(w, newHTTPError(http.StatusGatewayTimeout, "timeout", "the provider did not answer in time"))
	return true
}

// accept records m (or returns the one already sent under its ref) and
// schedules its receipt.
func (c *channelSim) accept(m ChannelMessage) ChannelMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.byRef[m.Ref]; ok {
		return c.all[i]
	}
	m.ID = fmt.Sprintf("%s-%06d", c.channel, len(c.all)+1)
	m.Channel, m.Status = c.channel, "accepted"
	m.ReceivedAt = time.Now().UTC().Truncate(time.Second)
	c.byRef[m.Ref] = len(c.all)
	c.all = append(c.all, m)
	if c.opts.ReceiptURL != "" {
		go c.sendReceipt(len(c.all)-1, m)
	}
	return m
}

func (c *channelSim) sendReceipt(i int, m ChannelMessage) {
	if !sleep(c.ctx, c.opts.ReceiptDelay) {
		return
	}
	rc := Receipt{Channel: c.channel, MessageID: m.ID, Status: "delivered", At: time.Now().UTC().Truncate(time.Second)}
	if unreachable(m.To) {
		rc.Status, rc.Reason = "failed", "subscriber unreachable for 72 hours"
	}
	c.mu.Lock()
	c.all[i].Status = rc.Status
	c.mu.Unlock()
	if _, err := postCallbackRetrying(c.ctx, c.opts.Log, c.client, c.opts.ReceiptSecret, c.opts.ReceiptURL, rc); err != nil {
		c.opts.Log.Warn("delivery receipt not delivered", "channel", c.channel, "message", m.ID, "err", err)
	}
}

// SMSProvider simulates a brandname SMS provider's HTTP API:
// POST /v1/send {brandname, phone, message, ref} with a bearer API key,
// answering {message_id}; 400 invalid_phone for a number that is not a
// Vietnamese mobile; GET /v1/messages?dossier= lists what it sent.
type SMSProvider struct {
	*channelSim
	apiKey string
	mux    http.Handler
}

// NewSMSProvider returns an SMS provider that accepts apiKey.
func NewSMSProvider(apiKey string, o ChannelOptions) *SMSProvider {
	p := &SMSProvider{channelSim: newChannelSim("sms", o), apiKey: apiKey}
	r := newRouter()
	r.Post("/v1/send", p.send)
	r.Get("/v1/messages", p.list)
	p.mux = r
	return p
}

// ServeHTTP implements http.Handler.
func (p *SMSProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

func (p *SMSProvider) send(w http.ResponseWriter, r *http.Request) {
	// (An empty key in development: "Bearer" alone, as HTTP trims it.)
	if strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer")) != p.apiKey {
		writeError(w, newHTTPError(http.StatusUnauthorized, "unauthorized", "unknown API key"))
		return
	}
	var in struct{ Brandname, Phone, Message, Ref, Template string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody)).Decode(&in); err != nil ||
		in.Brandname == "" || in.Ref == "" || in.Message == "" {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_request", "a message needs brandname, phone, message and ref"))
		return
	}
	if p.stall(w, r) {
		return
	}
	if !vnMobile.MatchString(in.Phone) {
		writeError(w, newHTTPError(http.StatusBadRequest, "invalid_phone", in.Phone+" is not a Vietnamese mobile number"))
		return
	}
	p.mu.Lock()
	refused := p.refused[in.Template]
	p.mu.Unlock()
	if refused {
		writeError(w, newHTTPError(http.StatusBadRequest, "template_refused", "content of template "+in.Template+" is not registered for brandname "+in.Brandname))
		return
	}
	m := p.accept(ChannelMessage{Ref: in.Ref, To: in.Phone, Template: in.Template, Text: in.Message})
	writeJSON(w, http.StatusOK, map[string]string{"message_id": m.ID})
}

// ZaloOA simulates Zalo OA's ZNS API: POST /message/template with an
// access_token header and {phone (84…), template_id, template_data,
// tracking_id}. Like Zalo it answers HTTP 200 with an error code: 0 and
// data.msg_id when sent, -108 for an invalid phone, -124 for a template
// not approved (any template_id in Refused).
type ZaloOA struct {
	*channelSim
	token string
	mux   http.Handler
}

// NewZaloOA returns a Zalo OA that accepts token.
func NewZaloOA(token string, o ChannelOptions) *ZaloOA {
	z := &ZaloOA{channelSim: newChannelSim("zalo", o), token: token}
	r := newRouter()
	r.Post("/message/template", z.send)
	r.Get("/v1/messages", z.list)
	z.mux = r
	return z
}

// ServeHTTP implements http.Handler.
func (z *ZaloOA) ServeHTTP(w http.ResponseWriter, r *http.Request) { z.mux.ServeHTTP(w, r) }

func (z *ZaloOA) send(w http.ResponseWriter, r *http.Request) {
	zerr := func(code int, msg string) { writeJSON(w, http.StatusOK, map[string]any{"error": code, "message": msg}) }
	if r.Header.Get("access_token") != z.token {
		zerr(-216, "Access token is invalid")
		return
	}
	var in struct {
		Phone        string            `json:"phone"`
		TemplateID   string            `json:"template_id"`
		TemplateData map[string]string `json:"template_data"`
		TrackingID   string            `json:"tracking_id"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody)).Decode(&in); err != nil ||
		in.TemplateID == "" || in.TrackingID == "" {
		zerr(-201, "Parameters are invalid")
		return
	}
	if z.stall(w, r) {
		return
	}
	if !strings.HasPrefix(in.Phone, "84") || !vnMobile.MatchString(in.Phone) {
		zerr(-108, "Phone number is invalid")
		return
	}
	z.mu.Lock()
	refused := z.refused[in.TemplateID]
	z.mu.Unlock()
	if refused {
		zerr(-124, "Template "+in.TemplateID+" is not approved")
		return
	}
	m := z.accept(ChannelMessage{Ref: in.TrackingID, To: in.Phone, Template: in.TemplateID,
		Text: in.TemplateData["text"], Params: in.TemplateData})
	writeJSON(w, http.StatusOK, map[string]any{"error": 0, "message": "Success",
		"data": map[string]string{"msg_id": m.ID, "sent_time": fmt.Sprint(m.ReceivedAt.UnixMilli())}})
}

// MailServer is a real SMTP listener that keeps what it is sent, and
// lists mail over HTTP at GET /v1/messages?dossier= (the dossier code is in
// the Message-ID the adapter sets).
//
// It behaves like a relay with delivery-status reporting: it refuses
// (550 5.1.1, at RCPT) recipients whose mailbox starts with "nobody"; it
// accepts every other message (the adapter's "sent") and, when a receipt
// URL is configured, reports the outcome of the onward delivery later as
// an ESP's delivery-status webhook does: a signed Receipt naming the
// Message-ID, delivered, or failed with the delivery status notification's
// status and diagnostic code (RFC 3464) for mailboxes starting with
// "bounce", which the remote host refuses after the relay accepted them —
// the bounce an SMTP sender only learns afterwards.
type MailServer struct {
	srv  *smtp.Server
	mux  http.Handler
	opts ChannelOptions
	ctx  context.Context
	stop context.CancelFunc
	hc   *http.Client
	mu   sync.Mutex
	all  []ChannelMessage
}

// bounces are mailboxes the remote host refuses after the relay accepted
// the message.
func bounces(to string) bool { return strings.HasPrefix(strings.ToLower(to), "bounce") }

// NewMailServer returns an SMTP server that sends no receipts; Serve it on
// a listener.
func NewMailServer() *MailServer { return NewMailServerWith(ChannelOptions{}) }

// NewMailServerWith returns an SMTP server that posts delivery receipts
// as o says (o.ReceiptURL "": none).
func NewMailServerWith(o ChannelOptions) *MailServer {
	if o.ReceiptDelay <= 0 {
		o.ReceiptDelay = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	m := &MailServer{opts: o, hc: &http.Client{}}
	m.ctx, m.stop = context.WithCancel(context.Background())
	m.srv = smtp.NewServer(m)
	m.srv.Domain = "mail.sim.motcua.test"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 30*time.Second, 30*time.Second
	m.srv.MaxMessageBytes = 1 << 20
	r := newRouter()
	r.Get("/v1/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"messages": m.Messages(r.URL.Query().Get("dossier"))})
	})
	m.mux = r
	return m
}

// Serve accepts SMTP connections on ln until Close.
func (m *MailServer) Serve(ln net.Listener) error { return m.srv.Serve(ln) }

// Close stops the server and the receipts still waiting to be sent.
func (m *MailServer) Close() error {
	m.stop()
	return m.srv.Close()
}

// sendReceipt reports the onward delivery of message i.
func (m *MailServer) sendReceipt(i int, msg ChannelMessage) {
	if !sleep(m.ctx, m.opts.ReceiptDelay) {
		return
	}
	rc := Receipt{Channel: "email", MessageID: msg.ID, Status: "delivered", At: time.Now().UTC().Truncate(time.Second)}
	if bounces(msg.To) {
		rc.Status = "failed"
		rc.Reason = "Status: 5.1.1; Diagnostic-Code: smtp; 550 5.1.1 <" + msg.To + ">: recipient address rejected: user unknown"
	}
	m.mu.Lock()
	m.all[i].Status = rc.Status
	m.mu.Unlock()
	if _, err := postCallbackRetrying(m.ctx, m.opts.Log, m.hc, m.opts.ReceiptSecret, m.opts.ReceiptURL, rc); err != nil {
		m.opts.Log.Warn("delivery receipt not delivered", "channel", "email", "message", msg.ID, "err", err)
	}
}

// NewSession implements smtp.Backend.
func (m *MailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: m}, nil }

// Messages lists the mail whose Message-ID names dossier ("" : all).
func (m *MailServer) Messages(dossier string) []ChannelMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []ChannelMessage{}
	for _, msg := range m.all {
		if dossier == "" || strings.HasPrefix(msg.Ref, dossier+"/") {
			out = append(out, msg)
		}
	}
	return out
}

// ServeHTTP lists the mail received: GET /v1/messages?dossier=.
func (m *MailServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

type mailSession struct {
	srv *MailServer
	to  []string
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(strings.ToLower(to), "nobody") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox " + to + " does not exist"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	head, body, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	msg := ChannelMessage{Channel: "email", To: strings.Join(s.to, ","), Text: body, Status: "accepted",
		ReceivedAt: time.Now().UTC().Truncate(time.Second)}
	for _, line := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.ToLower(k) {
		case "message-id":
			msg.ID = strings.Trim(strings.TrimSpace(v), "<>")
			msg.Ref, _, _ = strings.Cut(msg.ID, "@")
		case "x-motcua-template":
			msg.Template = strings.TrimSpace(v)
		}
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if msg.ID == "" {
		msg.ID = fmt.Sprintf("email-%06d@%s", len(s.srv.all)+1, s.srv.srv.Domain)
	}
	s.srv.all = append(s.srv.all, msg)
	if s.srv.opts.ReceiptURL != "" {
		go s.srv.sendReceipt(len(s.srv.all)-1, msg)
	}
	return nil
}
