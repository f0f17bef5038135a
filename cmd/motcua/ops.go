package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/portal"
	"github.com/motcua/motcua/reconcile"
	"github.com/motcua/motcua/store"
)

// runReconcile prints every dossier on which the read model and the
// workflows disagree, and fails when there is one.
func runReconcile(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	db, tc, err := connect(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()
	diffs, err := reconcile.Run(ctx, db, tc, cfg.TemporalNamespace)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) == 0 {
		fmt.Fprintln(stdout, "reconcile: the read model and the workflows agree")
	}
	portalDiffs, err := reconcilePortal(ctx, cfg, db, stdout)
	if err != nil {
		return err
	}
	if len(diffs) > 0 || portalDiffs > 0 {
		return fmt.Errorf("reconcile: %d dossier(s) differ between the read model and the workflows, %d difference(s) with the national portal",
			len(diffs), portalDiffs)
	}
	return nil
}

// reconcilePortal compares our status sequences with what the national
// portal holds (MOTCUA_PORTAL_URL; without it, nothing) and prints every
// difference.
func reconcilePortal(ctx context.Context, cfg config.Config, db *store.Store, stdout io.Writer) (int, error) {
	if cfg.PortalURL == "" {
		return 0, nil
	}
	client := portal.Client{URL: cfg.PortalURL, Token: cfg.PortalToken, HTTP: &http.Client{Timeout: 20 * time.Second}}
	diffs, err := reconcile.PortalRun(ctx, db, client)
	if err != nil {
		return 0, err
	}
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) == 0 {
		fmt.Fprintln(stdout, "reconcile: the national portal holds the status sequences we sent")
	}
	return len(diffs), nil
}

// runCatalog imports a catalog file: agencies, and a new version of every
// procedure whose content changed (running it twice changes nothing).
func runCatalog(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "import" {
		return fmt.Errorf("usage: motcua catalog import FILE")
	}
	raw, err := os.ReadFile(args[1])
	if err != nil {
		return fmt.Errorf("catalog import: %w", err)
	}
	cat, err := catalog.Parse(raw)
	if err != nil {
		return err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	added, err := db.ImportCatalog(ctx, cat)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "catalog: %d agencies, %d procedures, %d new procedure versions\n",
		len(cat.Agencies), len(cat.Procedures), added)
	return nil
}
