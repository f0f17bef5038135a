package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/console"
	"github.com/motcua/motcua/internal/clock"
	"github.com/motcua/motcua/store"
)

// withConsole serves the staff console (/console) and the tracking page
// (/track) beside the API, on the same listener, calling the API's handler
// in-process. The development sign-in exists only when the API takes
// development tokens; the provider's sign-in only when the console's
// OpenID Connect client is configured.
//
// Sessions are kept in the application's database, their tokens sealed
// with the payload key ring, so every API process knows every session;
// ended ones are purged hourly (and at every sign-in).
func withConsole(ctx context.Context, cfg config.Config, log *slog.Logger, apiHandler http.Handler, v auth.Verifier,
	db *store.Store, keys *codec.Codec) (http.Handler, error) {
	o := console.Options{API: apiHandler, Verifier: v, PublicURL: cfg.PublicURL, TemporalUIURL: cfg.TemporalUIURL,
		Namespace: cfg.TemporalNamespace, Log: log, Now: clock.Clock{Offset: cfg.ClockOffset}.Now,
		Sessions: db, Keys: keys}
	if h, ok := v.(*auth.HS256); ok && cfg.Environment == "development" {
		o.DevTokens = h
	}
	if cfg.OIDCClientID != "" {
		if cfg.OIDCIssuer == "" {
			return nil, errors.New("MOTCUA_OIDC_CLIENT_ID needs MOTCUA_OIDC_ISSUER")
		}
		login, err := console.NewOIDCLogin(ctx, cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret,
			cfg.PublicURL+"/console/oidc/callback")
		if err != nil {
			return nil, err
		}
		o.OIDC = login
	}
	c, err := console.New(o)
	if err != nil {
		return nil, err
	}
	go c.RunSessionPurge(ctx, time.Hour)
	return console.Wrap(apiHandler, c), nil
}
