package sim

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Message is one notification the messaging gateway accepted: an SMS or
// e-mail to an applicant, or a message to an agency's staff.
type Message struct {
	ID         int       `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Key        string    `json:"key"`
	To         string    `json:"to"`
	Agency     string    `json:"agency,omitempty"`
	Dossier    string    `json:"dossier"`
	Template   string    `json:"template"`
	Text       string    `json:"text"`
}

// Messages simulates the messaging gateway (SMS, e-mail, Zalo, staff
// webhooks) notifications go through: it accepts messages over HTTP,
// de-duplicates them by key as real gateways do with a client reference,
// and lists what it got, for developers and tests to read.
type Messages struct {
	mu      sync.Mutex
	byKey   map[string]int
	all     []Message
	refused map[string]bool
	mux     http.Handler
}

// RefuseTemplate makes the gateway refuse every message of template for
// good, as a provider refuses a template it has not approved: 400 with
// the reason in detail.
func (m *Messages) RefuseTemplate(template string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refused[template] = true
}

// NewMessages returns an empty messaging gateway.
func NewMessages() *Messages {
	m := &Messages{byKey: map[string]int{}, refused: map[string]bool{}}
	r := newRouter()
	r.Post("/v1/messages", m.send)
	r.Get("/v1/messages", m.list)
	m.mux = r
	return m
}

// ServeHTTP implements http.Handler.
func (m *Messages) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

func (m *Messages) send(w http.ResponseWriter, r *http.Request) {
	var in Message
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Key == "" || in.To == "" || in.Text == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"detail": "a message needs key, to and text"})
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refused[in.Template] {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "template_refused",
			"detail": "template " + in.Template + " is not approved for this sender"})
		return
	}
	if id, ok := m.byKey[in.Key]; ok {
		writeJSON(w, http.StatusOK, m.all[id-1]) // a retry: the same message, not a second one
		return
	}
	in.ID = len(m.all) + 1
	in.ReceivedAt = time.Now().UTC().Truncate(time.Second)
	m.all = append(m.all, in)
	m.byKey[in.Key] = in.ID
	writeJSON(w, http.StatusCreated, in)
}

func (m *Messages) list(w http.ResponseWriter, r *http.Request) {
	dossier := r.URL.Query().Get("dossier")
	m.mu.Lock()
	out := []Message{}
	for _, msg := range m.all {
		if dossier == "" || msg.Dossier == dossier {
			out = append(out, msg)
		}
	}
	m.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}
