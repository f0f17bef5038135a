package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/store"
)

// newDocuments returns the document service the configuration asks for:
// files in PostgreSQL (default) or in an S3 bucket, encrypted with the
// payload key ring pc. An unreachable bucket is a warning, not a failure:
// the API answers 503 for files until it is back.
func newDocuments(ctx context.Context, cfg config.Config, db *store.Store, pc *codec.Codec, now func() time.Time, log *slog.Logger) (*document.Service, error) {
	var objects document.Objects = document.Embedded(db)
	if cfg.DocumentStorage == "s3" {
		s3, err := document.NewS3(document.S3Config{Endpoint: cfg.S3Endpoint, Insecure: cfg.S3Insecure, Region: cfg.S3Region,
			Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, Prefix: cfg.S3Prefix})
		if err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s3.Check(cctx); err != nil {
			log.Warn("document storage is not reachable yet", "error", err)
		}
		objects = s3
	}
	return document.New(document.Options{Store: db, Objects: objects, Keys: pc,
		MaxFileBytes: cfg.DocumentMaxFileBytes, MaxDossierBytes: cfg.DocumentMaxDossierBytes,
		Retention: cfg.UploadRetention, Now: now, Log: log}), nil
}

// cleanupInterval is how often the API removes expired uploads: hourly,
// or a quarter of the retention when that is shorter.
func cleanupInterval(retention time.Duration) time.Duration {
	return min(time.Hour, max(retention/4, time.Second))
}

// runDocuments is `motcua documents keys|rekey`: which payload keys the
// stored files are sealed with, and re-encrypting them with the active key
// (after a rotation, before a retired key leaves MOTCUA_PAYLOAD_KEYS).
func runDocuments(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "keys" && args[0] != "rekey") {
		return errors.New("usage: motcua documents keys | motcua documents rekey")
	}
	if err := cfg.RequireDatabase(); err != nil {
		return err
	}
	pc, err := codec.FromConfig(cfg, log)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "rekey" {
		docs, err := newDocuments(ctx, cfg, db, pc, time.Now, log)
		if err != nil {
			return err
		}
		n, err := docs.Rekey(ctx)
		fmt.Fprintf(stdout, "documents rekey: %d file(s) re-encrypted with key %q\n", n, pc.ActiveKeyID())
		if err != nil {
			return err
		}
	}
	use, err := db.DocumentKeyUse(ctx)
	if err != nil {
		return err
	}
	ids := slices.Sorted(maps.Keys(use))
	for _, id := range ids {
		fmt.Fprintf(stdout, "key %s: %d file(s)\n", id, use[id])
	}
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "no stored files")
	}
	return nil
}
