package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/config"
)

// verifier builds the API's token verifier from the configuration: the
// OpenID Connect provider when one is configured (always in production),
// otherwise development tokens signed with MOTCUA_JWT_SECRET.
func verifier(ctx context.Context, cfg config.Config, log *slog.Logger) (auth.Verifier, error) {
	if cfg.OIDCIssuer != "" || cfg.OIDCAudience != "" {
		if cfg.OIDCIssuer == "" || cfg.OIDCAudience == "" {
			return nil, errors.New("set both MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_AUDIENCE")
		}
		v, err := auth.NewOIDC(ctx, cfg.OIDCIssuer, cfg.OIDCAudience)
		if err != nil {
			return nil, err
		}
		log.Info("accepting tokens from the OpenID Connect provider", "issuer", cfg.OIDCIssuer, "audience", cfg.OIDCAudience)
		return v, nil
	}
	if cfg.Environment == "production" {
		return nil, errors.New("production needs MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_AUDIENCE (the OpenID Connect provider whose tokens the API accepts)")
	}
	if cfg.JWTSecret == "" {
		return nil, errors.New("set MOTCUA_JWT_SECRET (at least 32 characters) to accept development tokens, or MOTCUA_OIDC_ISSUER and MOTCUA_OIDC_AUDIENCE")
	}
	log.Warn("accepting development tokens signed with MOTCUA_JWT_SECRET (development only)")
	return auth.NewHS256(cfg.JWTSecret)
}

const tokenUsage = `usage: motcua token --role ROLE [--agency CODE] [--sub NAME] [--ttl 8h]

Prints a development token (HS256, signed with MOTCUA_JWT_SECRET) on its
last line. Roles: portal, intake_officer, reviewer, leader, admin, ops.
Intake officers, reviewers and leaders need --agency (a code from the
catalog). Refused in production, which takes tokens from the OpenID
Connect provider.
`

// runToken mints a development token.
func runToken(cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage) }
	role := fs.String("role", "", "portal, intake_officer, reviewer, leader, admin or ops")
	agency := fs.String("agency", "", "the agency's code in the catalog")
	sub := fs.String("sub", "", "the subject (default: dev-ROLE)")
	ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if cfg.Environment == "production" {
		return errors.New("token: development tokens are refused in production; get one from the OpenID Connect provider")
	}
	if cfg.JWTSecret == "" {
		return errors.New("token: set MOTCUA_JWT_SECRET (the same secret the API uses)")
	}
	if *role == "" {
		fs.Usage()
		return errors.New("token: --role is required")
	}
	if *sub == "" {
		*sub = "dev-" + *role
	}
	h, err := auth.NewHS256(cfg.JWTSecret)
	if err != nil {
		return err
	}
	tok, err := h.Mint(auth.Principal{Subject: *sub, Role: auth.Role(*role), Agency: *agency}, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
