package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
)

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	const secret = "token-command-tests-secret-0123456789"
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	dev := env(map[string]string{"MOTCUA_ENV": "development", "MOTCUA_JWT_SECRET": secret})
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"token", "--role", "reviewer", "--agency", "000.00.18.H39", "--sub", "an"}, dev, &out, &errOut)
	require.NoError(t, err, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	h, err := auth.NewHS256(secret)
	require.NoError(t, err)
	p, err := h.Verify(context.Background(), lines[len(lines)-1])
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "an", Role: auth.RoleReviewer, Agency: "000.00.18.H39"}, p)

	for name, tc := range map[string]struct {
		args []string
		env  func(string) string
		want string
	}{
		"no role":       {[]string{"token"}, dev, "--role"},
		"no agency":     {[]string{"token", "--role", "leader"}, dev, "agency"},
		"bad role":      {[]string{"token", "--role", "mayor"}, dev, "role"},
		"no secret":     {[]string{"token", "--role", "ops"}, env(map[string]string{"MOTCUA_ENV": "development"}), "MOTCUA_JWT_SECRET"},
		"production":    {[]string{"token", "--role", "ops"}, env(map[string]string{"MOTCUA_ENV": "production"}), "production"},
		"prod + secret": {[]string{"token", "--role", "ops"}, env(map[string]string{"MOTCUA_ENV": "production", "MOTCUA_JWT_SECRET": secret}), "refused"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, tc.env, &out, &errOut)
		require.ErrorContains(t, err, tc.want, name)
		require.Empty(t, out.String(), name)
	}
}
