package main

import (
	"bytes"
	"context"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/motcua/motcua", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-07T01:02:03Z"},
			{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}}
	require.Equal(t, "motcua v1.2.3\nmodule: github.com/motcua/motcua\ncommit: 0123abcd (with uncommitted changes)\n"+
		"built from commit at: 2026-12-07T01:02:03Z\ngo: go1.26.0 linux/amd64\n", versionText(bi))
	bi.Main.Version = "(devel)"
	bi.Settings = nil
	out := versionText(bi)
	require.Contains(t, out, "motcua (devel")
	require.Contains(t, out, "commit: unknown\n")
}

// TestVersionCommand: `motcua version` answers without any configuration
// (even one that would not load).
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	bad := func(k string) string {
		if k == "MOTCUA_ENV" {
			return "staging"
		}
		return ""
	}
	require.NoError(t, run(context.Background(), []string{"version"}, bad, &out, &errOut), errOut.String())
	require.True(t, strings.HasPrefix(out.String(), "motcua "), out.String())
	require.Contains(t, out.String(), "module: github.com/motcua/motcua")
}

// TestReleaseFiles: the licence the README names is the one in LICENSE,
// and the changelog has a section for what is not released yet.
func TestReleaseFiles(t *testing.T) {
	t.Parallel()
	license, err := os.ReadFile("../../LICENSE")
	require.NoError(t, err)
	require.Contains(t, string(license), "Apache License\n                           Version 2.0, January 2004")
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "[Apache License 2.0](LICENSE)")
	changelog, err := os.ReadFile("../../CHANGELOG.md")
	require.NoError(t, err)
	require.Contains(t, string(changelog), "\n## Unreleased\n")
}
