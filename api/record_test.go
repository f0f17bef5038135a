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

// recordHistory writes a finished dossier's history to the folder named by
// MOTCUA_RECORD_HISTORIES, for the workflow replay tests. Unset, it does
// nothing: recording is a deliberate act after a reviewed workflow change.
func (s *system) recordHistory(code, name string) {
	s.t.Helper()
	dir := os.Getenv("MOTCUA_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	iter := s.temporal.GetWorkflowHistory(context.Background(), code, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(s.t, err)
		h.Events = append(h.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	require.NoError(s.t, err)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // tests run in api/; the path is from the repo root
	}
	require.NoError(s.t, os.MkdirAll(dir, 0o755))
	require.NoError(s.t, os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json"), raw, 0o644))
}
