package main

import (
	"context"
	"log/slog"
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
