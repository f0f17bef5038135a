package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/config"
)

// runToken prints a development token (HS256, MOTCUA_JWT_SECRET) on its
// last line: motcua token --role ROLE [--agency CODE] [--sub NAME] [--ttl 8h].
func runToken(cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "role: portal, intake_officer, reviewer, leader, admin or ops")
	agency := fs.String("agency", "", "agency code (required for intake_officer, reviewer, leader)")
	sub := fs.String("sub", "", "subject (default: dev-ROLE)")
	ttl := fs.Duration("ttl", 8*time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.JWTSecret == "" {
		return errors.New("token: MOTCUA_JWT_SECRET is not set (development tokens are signed with it)")
	}
	h, err := auth.NewHS256(cfg.JWTSecret)
	if err != nil {
		return err
	}
	if *sub == "" {
		*sub = "dev-" + *role
	}
	tok, err := h.Mint(auth.Principal{Subject: *sub, Role: auth.Role(*role), Agency: *agency}, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
