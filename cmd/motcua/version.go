package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// runVersion prints what this binary is: the module version, the commit
// and its time, and whether the tree had uncommitted changes, all from the
// build information the Go toolchain embeds (debug.ReadBuildInfo), so no
// release step has to stamp it with -ldflags.
func runVersion(stdout io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("version: the binary carries no build information")
	}
	fmt.Fprint(stdout, versionText(bi))
	return nil
}

// versionText formats bi, one "key: value" line each.
func versionText(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	version := bi.Main.Version
	if version == "" || version == "(devel)" {
		version = "(devel: built from a working tree, not a tagged module)"
	}
	commit := or(settings["vcs.revision"], "unknown")
	if settings["vcs.modified"] == "true" {
		commit += " (with uncommitted changes)"
	}
	return fmt.Sprintf("motcua %s\nmodule: %s\ncommit: %s\nbuilt from commit at: %s\ngo: %s %s/%s\n",
		version, or(bi.Main.Path, "unknown"), commit, or(settings["vcs.time"], "unknown"),
		bi.GoVersion, or(settings["GOOS"], "?"), or(settings["GOARCH"], "?"))
}
