package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/signing"
	"github.com/motcua/motcua/store"
)

// signingKeys opens what the API signs results with: the remote-signing
// service, or the PKCS#12 files of the agencies (in development made first,
// for every agency of the catalog, when missing). nil when nothing is
// configured: electronic returns are then refused (409) until it is.
func signingKeys(ctx context.Context, cfg config.Config, db *store.Store, log *slog.Logger) (signing.Keys, error) {
	if cfg.SigningURL != "" {
		log.Info("results are signed by the remote-signing service", "url", cfg.SigningURL)
		return signing.NewRemote(cfg.SigningURL, &http.Client{Timeout: 15 * time.Second}), nil
	}
	if cfg.SigningDir == "" {
		log.Warn("no signing certificates (MOTCUA_SIGNING_DIR, MOTCUA_SIGNING_URL): results are not signed and electronic returns are refused")
		return nil, nil
	}
	if cfg.SigningDevCertificates {
		names, err := db.AgencyNames(ctx)
		if err != nil {
			return nil, err
		}
		agencies := make([]signing.DevAgency, 0, len(names))
		for code, name := range names {
			agencies = append(agencies, signing.DevAgency{Code: code, Name: name})
		}
		made, err := signing.DevCertificates(cfg.SigningDir, cfg.SigningPassword, agencies, time.Now())
		if err != nil {
			return nil, err
		}
		if len(made) > 0 {
			log.Info("made development signing certificates", "dir", cfg.SigningDir, "agencies", made)
		}
	}
	ks, err := signing.OpenKeystore(cfg.SigningDir, cfg.SigningPassword)
	if err != nil {
		return nil, err
	}
	log.Info("results are signed with the agencies' certificates", "dir", cfg.SigningDir, "agencies", len(ks.Agencies()))
	return ks, nil
}
