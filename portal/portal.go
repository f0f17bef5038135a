// Package portal pushes every status change of a dossier to the national
// public-service portal (Cổng Dịch vụ công quốc gia) through its dossier
// status sync interface (issue 19 §3).
//
// The status writes of the read model put one item per change in the
// portal_sync outbox, in the same transaction (store.ApplyTransition); the
// Dispatcher, in every worker, sends them with no transaction open, in
// version order per dossier, retrying with backoff until the portal
// accepts, and dead-letters an item the portal refuses for good. Client is
// the adapter; sim.NationalPortal the development stand-in.
package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/motcua/motcua/store"
)

// Client is the adapter of the portal's dossier status sync interface:
// POST {URL}/v1/dossier-statuses and GET {URL}/v1/dossiers/{code}/statuses,
// authenticated with a bearer token issued to the province.
type Client struct {
	URL, Token string
	HTTP       *http.Client
}

// RejectedError is the portal's permanent refusal of an item (a malformed
// item, a version older than one it holds): sending it again cannot help,
// so it is dead-lettered with Reason.
type RejectedError struct {
	Status int
	Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("the portal refused the item (HTTP %d): %s", e.Status, e.Reason)
}

// Status is one status item as the portal's interface carries it.
type Status struct {
	DossierCode string `json:"dossier_code"`
	Version     int    `json:"version"`
	StatusCode  int    `json:"status_code"`
	Status      string `json:"status"`
	// ProcedureCode is the national procedure database's code of the
	// dossier's procedure; LocalProcedureCode our catalog's.
	ProcedureCode      string     `json:"procedure_code"`
	LocalProcedureCode string     `json:"local_procedure_code,omitempty"`
	AgencyCode         string     `json:"agency_code"`
	ChangedAt          time.Time  `json:"changed_at"`
	SubmittedAt        time.Time  `json:"submitted_at"`
	ReceivedAt         *time.Time `json:"received_at,omitempty"`
	AppointmentAt      *time.Time `json:"appointment_at,omitempty"`
	FinishedAt         *time.Time `json:"finished_at,omitempty"`
	ReturnedAt         *time.Time `json:"returned_at,omitempty"`
}

// StatusOf is the wire form of an outbox item.
func StatusOf(p store.PortalItem) Status {
	return Status{DossierCode: p.DossierCode, Version: p.Version, StatusCode: p.StatusCode, Status: string(p.Status),
		ProcedureCode: p.NationalCode, LocalProcedureCode: p.ProcedureCode, AgencyCode: p.AgencyCode,
		ChangedAt: p.ChangedAt.UTC(), SubmittedAt: p.SubmittedAt.UTC(), ReceivedAt: utc(p.ReceivedAt),
		AppointmentAt: utc(p.AppointmentAt), FinishedAt: utc(p.FinishedAt), ReturnedAt: utc(p.ReturnedAt)}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (c Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Push sends one item. nil means the portal holds it (accepted now, or a
// duplicate of a version it already holds); a *RejectedError is a
// permanent refusal; any other error is transient (timeouts, 5xx, and
// 401/403/404/429, which are configuration or load, fixed without
// changing the item).
func (c Client) Push(ctx context.Context, s Status) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/v1/dossier-statuses", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("portal: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	var answer struct{ Result, Error, Detail string }
	_ = json.Unmarshal(raw, &answer)
	switch {
	case res.StatusCode == http.StatusOK && (answer.Result == "accepted" || answer.Result == "duplicate"):
		return nil
	case res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusConflict ||
		res.StatusCode == http.StatusUnprocessableEntity || res.StatusCode == http.StatusRequestEntityTooLarge:
		reason := answer.Error
		if answer.Detail != "" {
			reason += ": " + answer.Detail
		}
		if reason == "" {
			reason = string(raw)
		}
		return &RejectedError{Status: res.StatusCode, Reason: reason}
	}
	return fmt.Errorf("portal: HTTP %d: %s", res.StatusCode, bytes.TrimSpace(raw))
}

// ErrNotHeld is returned by Held when the portal holds nothing for a
// dossier.
var ErrNotHeld = errors.New("the portal holds no status of the dossier")

// Held returns the status sequence the portal holds for a dossier, in
// version order.
func (c Client) Held(ctx context.Context, code string) ([]Status, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/v1/dossiers/"+url.PathEscape(code)+"/statuses", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return nil, ErrNotHeld
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return nil, fmt.Errorf("portal: statuses of %s: HTTP %d: %s", code, res.StatusCode, bytes.TrimSpace(raw))
	}
	var out struct {
		Items []Status `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("portal: statuses of %s: %w", code, err)
	}
	return out.Items, nil
}
