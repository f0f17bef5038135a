package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// history is a dossier's workflow history, every event, as Temporal keeps it.
func (s *system) history(code string) []*historypb.HistoryEvent {
	s.t.Helper()
	iter := s.temporal.GetWorkflowHistory(context.Background(), code, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(s.t, err)
		events = append(events, ev)
	}
	return events
}

// recordHistory writes a finished dossier's history to the folder named by
// MOTCUA_RECORD_HISTORIES, for the workflow replay tests. Unset, it does
// nothing: recording is a deliberate act after a reviewed workflow change.
func (s *system) recordHistory(code, name string) {
	s.t.Helper()
	dir := os.Getenv("MOTCUA_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	h := historypb.History{Events: s.history(code)}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	require.NoError(s.t, err)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // tests run in api/; the path is from the repo root
	}
	require.NoError(s.t, os.MkdirAll(dir, 0o755))
	require.NoError(s.t, os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json"), raw, 0o644))
}
