package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// A notice the provider refuses shows in ops' dead-letter list with the
// provider's reason; one still being retried shows as pending with its
// next attempt; bad queries are 400 naming the parameter.
func TestDeadLetterList(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	ops := as(t, auth.Principal{Subject: "op", Role: auth.RoleOps})
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), as(t, testPortal)...)
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"},
		as(t, auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: center})...)
	var received store.OutboxNotification
	require.Eventually(t, func() bool {
		ns, err := s.store.Notifications(ctx, code)
		require.NoError(t, err)
		for _, n := range ns {
			if n.Template == "received" {
				received = n
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond)

	// The provider refused it (the refusal itself is tested in package
	// notify, against the simulated gateway).
	require.NoError(t, s.store.RecordNotificationOutcome(ctx, store.NotificationOutcome{DossierCode: code,
		Seq: received.Seq, Idx: received.Idx, At: testenv.Now(), Status: store.NotificationFailed,
		Channel: "gateway", Error: "rejected by gateway: template received is not approved for this sender"}))

	res := s.must(200, "GET", "/v1/notifications?status=failed&limit=500", nil, ops...)
	var got map[string]any
	for _, it := range res["items"].([]any) {
		if m := it.(map[string]any); m["key"] == received.Key() {
			got = m
		}
	}
	require.NotNil(t, got, "the refused notice is a dead letter")
	require.Equal(t, code, got["dossier"])
	require.Equal(t, "failed", got["status"])
	require.Equal(t, "gateway", got["channel"])
	require.Contains(t, got["last_error"], "template received is not approved")
	require.NotContains(t, got, "message", "ops' list carries no notice text")
	require.Equal(t, float64(0), got["attempts"])

	res = s.must(200, "GET", "/v1/notifications", nil, ops...)
	require.NotEmpty(t, res["items"], "failed is the default")

	for _, q := range []string{"status=lost", "limit=0", "limit=x", "dossier=" + code} {
		r := s.call("GET", "/v1/notifications?"+q, nil, ops...)
		require.Equal(t, 400, r.status, q)
		param, _, _ := strings.Cut(q, "=")
		require.Contains(t, string(r.body), `"field":"`+param+`"`, "the problem names the parameter: %s", r.body)
	}
	require.Equal(t, 403, s.call("GET", "/v1/notifications", nil, as(t, testPortal)...).status)
}
