package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
)

const secret = "auth-package-tests-secret-0123456789abcd"

func TestDevelopmentTokens(t *testing.T) {
	h, err := NewHS256(secret)
	require.NoError(t, err)
	p := Principal{Subject: "nguyen.van.a", Role: RoleReviewer, Agency: "000.00.18.H39"}
	tok, err := h.Mint(p, time.Hour)
	require.NoError(t, err)
	got, err := h.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.Equal(t, "nguyen.van.a (reviewer, 000.00.18.H39)", got.String())

	// Another secret's token, a tampered one, an expired one: 401s.
	other, _ := NewHS256(strings.Repeat("x", 40))
	forged, _ := other.Mint(p, time.Hour)
	_, err = h.Verify(context.Background(), forged)
	require.Equal(t, dossier.EUnauthenticated, dossier.ErrorCodeOf(err))
	require.ErrorContains(t, err, "signature")
	parts := strings.Split(tok, ".")
	_, err = h.Verify(context.Background(), parts[0]+"."+parts[1]+"x."+parts[2])
	require.Equal(t, dossier.EUnauthenticated, dossier.ErrorCodeOf(err))
	past := &HS256{secret: []byte(secret), now: func() time.Time { return time.Now().Add(-3 * time.Hour) }}
	old, err := past.Mint(p, time.Hour)
	require.NoError(t, err)
	_, err = h.Verify(context.Background(), old)
	require.ErrorContains(t, err, "expired")

	// Claims that make no sense are refused when minting.
	_, err = h.Mint(Principal{Subject: "x", Role: RoleReviewer}, time.Hour)
	require.ErrorContains(t, err, "agency")
	_, err = h.Mint(Principal{Subject: "x", Role: "mayor"}, time.Hour)
	require.ErrorContains(t, err, "role")
	_, err = h.Mint(Principal{Role: RoleOps}, time.Hour)
	require.ErrorContains(t, err, "subject")
	_, err = NewHS256("short")
	require.Error(t, err)
}

func TestBearerToken(t *testing.T) {
	for h, ok := range map[string]bool{"Bearer abc": true, "bearer abc": true, "": false, "Basic abc": false, "Bearer ": false, "Bearer": false} {
		_, err := BearerToken(h)
		require.Equal(t, ok, err == nil, h)
	}
}

// TestOpenIDConnect verifies tokens from a real discovery document and
// JWKS served over HTTP, including a key rotated in after start.
func TestOpenIDConnect(t *testing.T) {
	key1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	provider := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key1.Public(), KeyID: "k1", Algorithm: "ES256"}}, Algorithms: []string{"ES256"}}
	srv := httptest.NewServer(provider)
	defer srv.Close()
	provider.SetIssuer(srv.URL)

	ctx := context.Background()
	v, err := NewOIDC(ctx, srv.URL, "motcua")
	require.NoError(t, err)
	claims := func(aud, role, agency string, exp time.Time) string {
		return fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"tran.b","role":%q,"agency":%q,"exp":%d,"iat":%d}`,
			srv.URL, aud, role, agency, exp.Unix(), time.Now().Unix())
	}
	hour := time.Now().Add(time.Hour)
	p, err := v.Verify(ctx, oidctest.SignIDToken(key1, "k1", "ES256", claims("motcua", "leader", "000.00.18.H39", hour)))
	require.NoError(t, err)
	require.Equal(t, Principal{Subject: "tran.b", Role: RoleLeader, Agency: "000.00.18.H39"}, p)

	// Wrong audience, expired, unknown role, signed by an unknown key.
	for name, tok := range map[string]string{
		"audience": oidctest.SignIDToken(key1, "k1", "ES256", claims("someone-else", "leader", "000.00.18.H39", hour)),
		"expired":  oidctest.SignIDToken(key1, "k1", "ES256", claims("motcua", "leader", "000.00.18.H39", time.Now().Add(-time.Hour))),
		"role":     oidctest.SignIDToken(key1, "k1", "ES256", claims("motcua", "mayor", "000.00.18.H39", hour)),
		"key":      oidctest.SignIDToken(key2, "k2", "ES256", claims("motcua", "ops", "", hour)),
	} {
		_, err := v.Verify(ctx, tok)
		require.Equal(t, dossier.EUnauthenticated, dossier.ErrorCodeOf(err), name)
	}
	// The provider rotates in key 2: its tokens verify without a restart.
	// go-oidc shares one key refresh among the requests in flight and
	// answers a request that arrives just as the previous refresh (the
	// unknown-key case above) finishes with that refresh's keys, so the
	// first try may still miss k2; the next refresh has it.
	provider.PublicKeys = append(provider.PublicKeys, oidctest.PublicKey{PublicKey: key2.Public(), KeyID: "k2", Algorithm: "ES256"})
	tok := oidctest.SignIDToken(key2, "k2", "ES256", claims("motcua", "ops", "", hour))
	require.Eventually(t, func() bool {
		p, err = v.Verify(ctx, tok)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "a token of the rotated-in key verifies")
	require.Equal(t, RoleOps, p.Role)
}

// TestPolicyCoversEveryAction: every action has a rule (none falls through
// to "unknown action"), and ops never decide anything.
func TestPolicyCoversEveryAction(t *testing.T) {
	ops := Principal{Subject: "o", Role: RoleOps}
	for _, a := range Actions {
		err := Authorize(ops, a, Facts{})
		if err != nil {
			require.NotContains(t, err.Error(), "unknown action", a)
		}
	}
	for _, a := range []Action{Submit, Intake, Review, Approval, Handover, CounterPayment, Supplement, Withdrawal, Apology, Extension, Stop, Assignment, WriteCatalog, WriteCalendar} {
		require.Error(t, Authorize(ops, a, Facts{ReceivingAgency: "A", StepDepartments: []string{"A"}, ApprovalDepartment: "A"}), "ops may not %s", a)
	}
	require.ErrorContains(t, Authorize(ops, "fly", Facts{}), "unknown action")
}
