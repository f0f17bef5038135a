package api_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/internal/webhook"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/sim"
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

const receiptSecret = "test-notify-receipt-secret-0123456789"

// The SMS simulator reports delivery by a signed receipt to the API: the
// notice becomes delivered, or — for a number that stays unreachable — a
// dead letter with the provider's reason. Unsigned, unknown and malformed
// receipts are refused.
func TestDeliveryReceipts(t *testing.T) {
	t.Parallel()
	s := newSystemOptions(t, 0, func(o *api.Options) { o.NotifyReceiptSecret = receiptSecret })
	ctx := context.Background()
	smsSim := sim.NewSMSProvider("k", sim.ChannelOptions{ReceiptURL: s.api.URL + "/v1/notifications/receipts",
		ReceiptSecret: receiptSecret, ReceiptDelay: 50 * time.Millisecond})
	smsSrv := httptest.NewServer(smsSim)
	t.Cleanup(func() { smsSrv.Close(); smsSim.Close() })
	sms := notify.SMS{URL: smsSrv.URL, APIKey: "k", Brandname: "MOTCUA"}

	// Send a dossier's "received" notice by SMS and record it sent, as the
	// dispatcher does (only this dossier's: the store is shared).
	send := func(phone string) store.OutboxNotification {
		body := submission("TP-LLTP-01", "online", "counter")
		body["applicant"].(map[string]any)["phone"] = phone
		code := s.must(201, "POST", "/v1/dossiers", body, as(t, testPortal)...)["code"].(string)
		s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"},
			as(t, auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: center})...)
		var n store.OutboxNotification
		require.Eventually(t, func() bool {
			ns, err := s.store.Notifications(ctx, code)
			require.NoError(t, err)
			for _, x := range ns {
				if x.Template == "received" {
					n = x
					return true
				}
			}
			return false
		}, 10*time.Second, 50*time.Millisecond)
		c, err := s.store.NotificationContact(ctx, code)
		require.NoError(t, err)
		sent, err := sms.Send(ctx, c, n)
		require.NoError(t, err)
		require.NoError(t, s.store.RecordNotificationOutcome(ctx, store.NotificationOutcome{DossierCode: code, Seq: n.Seq,
			Idx: n.Idx, At: testenv.Now(), Status: store.NotificationSent, Channel: sent.Channel, ProviderRef: sent.ProviderRef}))
		return n
	}
	status := func(n store.OutboxNotification) func() bool {
		return func() bool {
			ns, err := s.store.Notifications(ctx, n.DossierCode)
			require.NoError(t, err)
			for _, x := range ns {
				if x.Key() == n.Key() {
					n = x
				}
			}
			return n.Status == store.NotificationDelivered || n.Status == store.NotificationFailed
		}
	}
	ok := send("0901234567")
	require.Eventually(t, status(ok), 10*time.Second, 50*time.Millisecond)
	ns, err := s.store.Notifications(ctx, ok.DossierCode)
	require.NoError(t, err)
	var delivered store.OutboxNotification
	for _, x := range ns {
		if x.Key() == ok.Key() {
			delivered = x
		}
	}
	require.Equal(t, store.NotificationDelivered, delivered.Status)
	require.NotNil(t, delivered.DeliveredAt)

	lost := send("0901230000") // the simulator's unreachable number
	require.Eventually(t, status(lost), 10*time.Second, 50*time.Millisecond)
	res := s.must(200, "GET", "/v1/notifications?status=failed&limit=500", nil, as(t, auth.Principal{Subject: "op", Role: auth.RoleOps})...)
	var dead map[string]any
	for _, it := range res["items"].([]any) {
		if m := it.(map[string]any); m["key"] == lost.Key() {
			dead = m
		}
	}
	require.NotNil(t, dead, "an undeliverable SMS is a dead letter")
	require.Equal(t, "sms", dead["channel"])
	require.Contains(t, dead["last_error"], "sms provider reports the message undelivered: subscriber unreachable")

	// A repeated receipt changes nothing; an unknown message is 404; an
	// unsigned one 401; a bad status 400 naming the field.
	signed := func(body map[string]any) response {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		return s.call("POST", "/v1/notifications/receipts", raw, webhook.Header, webhook.Sign(receiptSecret, raw, time.Now()))
	}
	require.Equal(t, 200, signed(map[string]any{"channel": "sms", "message_id": delivered.ProviderRef, "status": "delivered"}).status)
	require.Equal(t, 404, signed(map[string]any{"channel": "sms", "message_id": "sms-999999", "status": "delivered"}).status)
	bad := signed(map[string]any{"channel": "sms", "message_id": delivered.ProviderRef, "status": "read"})
	require.Equal(t, 400, bad.status)
	require.Contains(t, string(bad.body), `"field":"status"`)
	require.Equal(t, 401, s.call("POST", "/v1/notifications/receipts",
		[]byte(`{"channel":"sms","message_id":"x","status":"delivered"}`)).status)
}

// The applicant's notice choice at submission: stored and used to pick the
// channel; a choice the contacts cannot serve is 400 naming the field.
func TestSubmissionNotifyChoice(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	ctx := context.Background()
	with := func(phone, email string, notify any) map[string]any {
		b := submission("TP-LLTP-01", "online", "counter")
		a := b["applicant"].(map[string]any)
		a["phone"], a["email"], a["notify"] = phone, email, notify
		return b
	}
	d := s.must(201, "POST", "/v1/dossiers", with("0912 345 678", "a@example.vn",
		map[string]any{"channels": []string{"sms", "email"}, "consent": true}), as(t, testPortal)...)
	c, err := s.store.NotificationContact(ctx, d["code"].(string))
	require.NoError(t, err)
	require.Equal(t, []string{"sms", "email"}, c.Channels)
	require.False(t, c.Declined)

	d = s.must(201, "POST", "/v1/dossiers", with("0912345678", "", map[string]any{"consent": false}), as(t, testPortal)...)
	c, err = s.store.NotificationContact(ctx, d["code"].(string))
	require.NoError(t, err)
	require.True(t, c.Declined)

	d = s.must(201, "POST", "/v1/dossiers", with("0912345678", "", nil), as(t, testPortal)...)
	c, err = s.store.NotificationContact(ctx, d["code"].(string))
	require.NoError(t, err)
	require.Empty(t, c.Channels, "no choice: the center's default order")
	require.False(t, c.Declined)

	for _, tc := range []struct {
		phone, email string
		notify       any
		field        string
	}{
		{"0912-345-678x", "", nil, "applicant.phone"},
		{"", "not-an-address", nil, "applicant.email"},
		{"024 3825 1234", "", map[string]any{"channels": []string{"sms"}, "consent": true}, "applicant.phone"},
		{"", "", map[string]any{"channels": []string{"zalo"}, "consent": true}, "applicant.phone"},
		{"0912345678", "", map[string]any{"channels": []string{"email"}, "consent": true}, "applicant.email"},
		{"0912345678", "", map[string]any{"channels": []string{"fax"}, "consent": true}, "applicant.notify.channels"},
		{"0912345678", "", map[string]any{"channels": []string{"sms", "sms"}, "consent": true}, "applicant.notify.channels"},
		{"0912345678", "", map[string]any{"channels": []string{}, "consent": true}, "applicant.notify.channels"},
		{"0912345678", "", map[string]any{"channels": []string{"sms"}, "consent": false}, "applicant.notify.channels"},
		{"0912345678", "", map[string]any{"channels": []string{"sms"}}, "applicant.notify.consent"},
	} {
		r := s.call("POST", "/v1/dossiers", with(tc.phone, tc.email, tc.notify), as(t, testPortal)...)
		require.Equal(t, 400, r.status, "%+v: %s", tc, r.body)
		require.Contains(t, string(r.body), `"field":"`+tc.field+`"`, "%+v", tc)
	}
}

// E-mail end to end with the SMTP simulator: the "received" notice,
// rendered from its template, goes over SMTP through the applicant's
// channel; the relay accepting it is "sent" with the Message-ID as the
// provider's reference; the relay's signed delivery-status report makes it
// delivered, or — for a mailbox the remote host refuses after the relay
// accepted the message — a dead letter with the bounce's status and
// diagnostic code.
func TestEmailDeliveryReceipts(t *testing.T) {
	t.Parallel()
	s := newSystemOptions(t, 0, func(o *api.Options) { o.NotifyReceiptSecret = receiptSecret })
	ctx := context.Background()
	mail := sim.NewMailServerWith(sim.ChannelOptions{ReceiptURL: s.api.URL + "/v1/notifications/receipts",
		ReceiptSecret: receiptSecret, ReceiptDelay: 50 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = mail.Serve(ln) }()
	t.Cleanup(func() { _ = mail.Close() })
	route := notify.Applicants{Store: s.store, Channels: []notify.Channel{notify.Email{Addr: ln.Addr().String(), From: "motcua@example.vn"}}}

	send := func(email string) store.OutboxNotification {
		body := submission("TP-LLTP-01", "online", "counter")
		a := body["applicant"].(map[string]any)
		a["email"], a["notify"] = email, map[string]any{"channels": []string{"email"}, "consent": true}
		code := s.must(201, "POST", "/v1/dossiers", body, as(t, testPortal)...)["code"].(string)
		s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"},
			as(t, auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: center})...)
		var n store.OutboxNotification
		require.Eventually(t, func() bool {
			ns, err := s.store.Notifications(ctx, code)
			require.NoError(t, err)
			for _, x := range ns {
				if x.Template == "received" {
					n = x
					return true
				}
			}
			return false
		}, 10*time.Second, 50*time.Millisecond)
		// As the dispatcher does for this one notice (the store is shared).
		sent, err := route.Notify(ctx, n)
		require.NoError(t, err)
		require.Equal(t, "email", sent.Channel)
		require.Equal(t, n.Key()+"@motcua", sent.ProviderRef, "the Message-ID is the reference the receipts name")
		require.NoError(t, s.store.RecordNotificationOutcome(ctx, store.NotificationOutcome{DossierCode: code, Seq: n.Seq,
			Idx: n.Idx, At: testenv.Now(), Status: store.NotificationSent, Channel: sent.Channel, ProviderRef: sent.ProviderRef}))
		return n
	}
	final := func(n store.OutboxNotification) store.OutboxNotification {
		var got store.OutboxNotification
		require.Eventually(t, func() bool {
			ns, err := s.store.Notifications(ctx, n.DossierCode)
			require.NoError(t, err)
			for _, x := range ns {
				if x.Key() == n.Key() {
					got = x
				}
			}
			return got.Status == store.NotificationDelivered || got.Status == store.NotificationFailed
		}, 10*time.Second, 50*time.Millisecond)
		return got
	}

	ok := send("a@example.vn")
	require.Equal(t, 1, ok.TemplateVersion, "the row records the template version")
	require.Equal(t, ok.DossierCode, ok.Facts["code"])
	require.NotEmpty(t, ok.Facts["appointment"])
	require.Len(t, ok.Facts, 3, "code, appointment, track_url: only what the text uses")
	require.Contains(t, ok.Message, "/track?code="+ok.DossierCode)
	got := mail.Messages(ok.DossierCode)
	require.Len(t, got, 1)
	require.Equal(t, ok.Message, strings.TrimSpace(got[0].Text), "the mail carries the rendered text")
	require.Equal(t, "a@example.vn", got[0].To)
	d := final(ok)
	require.Equal(t, store.NotificationDelivered, d.Status, d.LastError)
	require.NotNil(t, d.DeliveredAt)

	bounced := final(send("bounce.tran@example.vn"))
	require.Equal(t, store.NotificationFailed, bounced.Status)
	require.Equal(t, "email", bounced.Channel)
	require.Contains(t, bounced.LastError, "email provider reports the message undelivered")
	require.Contains(t, bounced.LastError, "5.1.1")
	require.NotNil(t, bounced.FailedAt)
	res := s.must(200, "GET", "/v1/notifications?status=failed&limit=500", nil, as(t, auth.Principal{Subject: "op", Role: auth.RoleOps})...)
	var listed map[string]any
	for _, it := range res["items"].([]any) {
		if it.(map[string]any)["key"] == bounced.Key() {
			listed = it.(map[string]any)
		}
	}
	require.NotNil(t, listed, "a bounced e-mail is in ops' dead-letter list")
	require.Equal(t, 1.0, listed["template_version"], "with the template version its text came from")
}
