package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/portal"
	"github.com/motcua/motcua/store"
)

// PortalDifference is one dossier whose status sequence at the national
// portal is not what we sent it.
type PortalDifference struct {
	Code   string
	Detail string
}

func (d PortalDifference) String() string { return d.Code + ": national portal: " + d.Detail }

// Portal is what the comparison asks the national portal: the status
// sequence it holds for a dossier (portal.ErrNotHeld when none).
type Portal interface {
	Held(ctx context.Context, code string) ([]portal.Status, error)
}

// PortalRun compares, for every dossier with status items, our sequence
// with the one the national portal holds: every item it accepted must be
// held there with the same status and appointment, nothing else may be,
// and when nothing is in flight the portal's latest status must be the
// read model's. Pending items are in flight (the portal may hold one whose
// answer was lost), and dead letters are expected to be missing: ops see
// them in GET /v1/portal-sync?status=failed.
func PortalRun(ctx context.Context, s *store.Store, p Portal) ([]PortalDifference, error) {
	codes, err := s.PortalSyncedDossiers(ctx)
	if err != nil {
		return nil, err
	}
	statuses, err := s.DossierStatuses(ctx)
	if err != nil {
		return nil, err
	}
	var out []PortalDifference
	for _, code := range codes {
		ours, err := s.PortalItems(ctx, code)
		if err != nil {
			return nil, err
		}
		held, err := p.Held(ctx, code)
		if err != nil && !errors.Is(err, portal.ErrNotHeld) {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		out = append(out, comparePortal(code, dossier.Status(statuses[code]), ours, held)...)
	}
	return out, nil
}

func comparePortal(code string, readModel dossier.Status, ours []store.PortalItem, held []portal.Status) []PortalDifference {
	var out []PortalDifference
	add := func(format string, args ...any) {
		out = append(out, PortalDifference{Code: code, Detail: fmt.Sprintf(format, args...)})
	}
	byVersion := map[int]portal.Status{}
	for _, h := range held {
		byVersion[h.Version] = h
	}
	mine := map[int]store.PortalItem{}
	inFlight := false
	var lastAccepted *store.PortalItem
	for i, it := range ours {
		mine[it.Version] = it
		switch it.State {
		case store.PortalPending:
			inFlight = true
		case store.PortalAccepted:
			lastAccepted = &ours[i]
			h, ok := byVersion[it.Version]
			switch {
			case !ok:
				add("version %d (%s) was accepted but the portal does not hold it", it.Version, it.Status)
			case h.StatusCode != it.StatusCode:
				add("version %d: the portal holds status %d, we sent %d (%s)", it.Version, h.StatusCode, it.StatusCode, it.Status)
			case !sameInstant(h.AppointmentAt, it.AppointmentAt):
				add("version %d: the portal holds appointment %s, we sent %s", it.Version, show(h.AppointmentAt), show(it.AppointmentAt))
			}
		}
	}
	for _, h := range held {
		if it, ok := mine[h.Version]; !ok || it.State == store.PortalFailed {
			add("the portal holds version %d (status %d) that we never had accepted", h.Version, h.StatusCode)
		}
	}
	// The last item accepted and nothing after it: the portal must now
	// show what the read model does (a status change with no item is one
	// the hook missed).
	if !inFlight && lastAccepted != nil && ours[len(ours)-1].Version == lastAccepted.Version &&
		readModel != "" && lastAccepted.Status != readModel {
		add("the portal's latest status is %s (version %d), the read model says %s", lastAccepted.Status, lastAccepted.Version, readModel)
	}
	return out
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func show(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.Format(time.RFC3339)
}
