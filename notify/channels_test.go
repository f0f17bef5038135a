package notify_test

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
)

// providers are the three channel simulators as real servers: SMS and Zalo
// over HTTP, e-mail on an SMTP listener.
type providers struct {
	sms      *sim.SMSProvider
	zalo     *sim.ZaloOA
	mail     *sim.MailServer
	channels []notify.Channel
}

func newProviders(t *testing.T) *providers {
	t.Helper()
	p := &providers{sms: sim.NewSMSProvider("sms-key", sim.ChannelOptions{}),
		zalo: sim.NewZaloOA("zalo-token", sim.ChannelOptions{}), mail: sim.NewMailServer()}
	smsSrv, zaloSrv := httptest.NewServer(p.sms), httptest.NewServer(p.zalo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = p.mail.Serve(ln) }()
	t.Cleanup(func() {
		smsSrv.Close()
		zaloSrv.Close()
		_ = p.mail.Close()
		p.sms.Close()
		p.zalo.Close()
	})
	p.channels = []notify.Channel{
		notify.Zalo{URL: zaloSrv.URL, AccessToken: "zalo-token"},
		notify.SMS{URL: smsSrv.URL, APIKey: "sms-key", Brandname: "MOTCUA"},
		notify.Email{Addr: ln.Addr().String(), From: "motcua@sim.test"},
	}
	return p
}

// applicantDossier writes a dossier of applicant a with one notice to them.
func applicantDossier(t *testing.T, s *store.Store, a store.Applicant, template, text string) string {
	t.Helper()
	ctx := context.Background()
	a.FullName, a.IDNumber = "Nguyễn Văn A", "079123456789"
	sub, err := s.CreateDossier(ctx, store.NewDossier{ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1,
		AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: a,
		Documents: []store.Document{{Name: "a", SHA256: "00"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
		SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
	require.NoError(t, err)
	require.NoError(t, s.ApplyTransition(ctx, dossier.Transition{Code: sub.Code,
		Event:         dossier.Event{Seq: 2, At: testenv.Now(), Action: "intake.accept", Actor: "t"},
		Progress:      dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone}},
		Notifications: []dossier.Notification{{To: dossier.ToApplicant, Template: template, Message: text}}}))
	return sub.Code
}

func outboxOf(t *testing.T, s *store.Store, code string) store.OutboxNotification {
	t.Helper()
	ns, err := s.Notifications(context.Background(), code)
	require.NoError(t, err)
	require.Len(t, ns, 1)
	return ns[0]
}

// Each notice goes to the applicant's preferred channel; a permanent
// refusal there (an invalid number, a template Zalo has not approved)
// falls back to the next; when every channel refuses, the notice is a dead
// letter with each provider's reason.
func TestApplicantChannelsFallBack(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p := newProviders(t)
	p.zalo.RefuseTemplate("apology")
	d := &notify.Dispatcher{Store: s, Log: quiet, Notifier: notify.Applicants{Store: s, Channels: p.channels,
		Staff: notify.LogNotifier{Log: quiet}}}

	// No choice given: Zalo first (phone in the international form).
	zalo := applicantDossier(t, s, store.Applicant{Phone: "091 234 5678", Email: "a@example.vn"}, "received", "Hồ sơ đã được tiếp nhận")
	// Chose SMS, then e-mail.
	sms := applicantDossier(t, s, store.Applicant{Phone: "0912345679", Email: "b@example.vn",
		Notify: &store.NotifyChoice{Channels: []string{"sms", "email"}, Consent: true}}, "received", "Hồ sơ đã được tiếp nhận")
	// Zalo refuses the template: SMS takes it.
	refused := applicantDossier(t, s, store.Applicant{Phone: "0912345680"}, "apology", "Xin lỗi")
	// A landline: neither Zalo nor SMS reach it; e-mail does.
	landline := applicantDossier(t, s, store.Applicant{Phone: "024 3825 1234", Email: "c@example.vn"}, "received", "Hồ sơ")
	// A landline and a mailbox that does not exist: dead letter.
	dead := applicantDossier(t, s, store.Applicant{Phone: "024 3825 1235", Email: "nobody@example.vn"}, "received", "Hồ sơ")
	// No phone, no e-mail: dead letter, nothing to try.
	none := applicantDossier(t, s, store.Applicant{}, "received", "Hồ sơ")
	// Declined notices: nothing is sent.
	declined := applicantDossier(t, s, store.Applicant{Phone: "0912345681",
		Notify: &store.NotifyChoice{Channels: []string{"sms"}, Consent: false}}, "received", "Hồ sơ")

	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 7, n)

	got := p.zalo.Messages(zalo)
	require.Len(t, got, 1)
	require.Equal(t, "84912345678", got[0].To)
	require.Equal(t, "Hồ sơ đã được tiếp nhận", got[0].Text)
	o := outboxOf(t, s, zalo)
	require.Equal(t, store.NotificationSent, o.Status)
	require.Equal(t, "zalo", o.Channel)
	require.Equal(t, got[0].ID, o.ProviderRef)

	require.Len(t, p.sms.Messages(sms), 1)
	require.Empty(t, p.zalo.Messages(sms), "the applicant chose SMS")
	require.Equal(t, "sms", outboxOf(t, s, sms).Channel)

	require.Len(t, p.sms.Messages(refused), 1, "Zalo refused the template; SMS took it")
	require.Equal(t, "sms", outboxOf(t, s, refused).Channel)

	mail := p.mail.Messages(landline)
	require.Len(t, mail, 1)
	require.Equal(t, "c@example.vn", mail[0].To)
	require.Equal(t, "received", mail[0].Template)
	require.Contains(t, mail[0].Text, "Hồ sơ")
	require.Equal(t, "email", outboxOf(t, s, landline).Channel)

	o = outboxOf(t, s, dead)
	require.Equal(t, store.NotificationFailed, o.Status)
	require.Contains(t, o.LastError, "rejected by every channel: rejected by zalo: Phone number is invalid (error -108)")
	require.Contains(t, o.LastError, "is not a Vietnamese mobile number")
	require.Contains(t, o.LastError, "rejected by email: 550 5.1.1 mailbox nobody@example.vn does not exist")

	o = outboxOf(t, s, none)
	require.Equal(t, store.NotificationFailed, o.Status)
	require.Contains(t, o.LastError, "no phone or e-mail")

	o = outboxOf(t, s, declined)
	require.Equal(t, store.NotificationSent, o.Status)
	require.Equal(t, notify.Withheld, o.Channel)
	require.Empty(t, p.sms.Messages(declined), "declined: nothing leaves")
}

// A provider that times out: the attempt is cut off, retried later on the
// same channel (not sent twice through two), and the provider keeps one
// message per key.
func TestProviderTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p := newProviders(t)
	p.sms.StallNext(1)
	var c clock
	d := &notify.Dispatcher{Store: s, Log: quiet, Now: c.Now, Lease: 2 * time.Second,
		Notifier: notify.Applicants{Store: s, Channels: p.channels, Default: []string{"sms", "email"}}}
	code := applicantDossier(t, s, store.Applicant{Phone: "0912345678", Email: "a@example.vn"}, "received", "x")

	start := time.Now()
	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Less(t, time.Since(start), 10*time.Second, "cut off at half the lease")
	o := outboxOf(t, s, code)
	require.Equal(t, store.NotificationPending, o.Status)
	require.Equal(t, "sms", o.Channel)
	require.Contains(t, o.LastError, "deadline exceeded")
	require.Empty(t, p.mail.Messages(code), "no fallback on a transient failure")

	c.Advance(time.Minute)
	n, err = d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, store.NotificationSent, outboxOf(t, s, code).Status)
	require.Len(t, p.sms.Messages(code), 1)
}

// A templated notice goes to Zalo as a ZNS template message: the template
// id Zalo approved for that template (version first) and the facts under
// the ZNS parameter names of data/notices.yaml; SMS carries the rendered
// text. A render failure is written as a dead letter and never sent.
func TestZNSSendsTheTemplatesParameters(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	p := newProviders(t)
	ts, err := notify.DefaultTemplates()
	require.NoError(t, err)
	zalo := p.channels[0].(notify.Zalo)
	zalo.Templates = map[string]string{"received": "400001", "received@1": "400111", "shipped": "400002"}
	d := &notify.Dispatcher{Store: s, Log: quiet, Notifier: notify.Applicants{Store: s,
		Channels: []notify.Channel{zalo, p.channels[1]}, Staff: notify.LogNotifier{Log: quiet}}}

	write := func(a store.Applicant, n ...dossier.Notification) string {
		a.FullName, a.IDNumber = "Nguyễn Văn A", "079123456789"
		sub, err := s.CreateDossier(ctx, store.NewDossier{ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1,
			AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: a,
			Documents: []store.Document{{Name: "a", SHA256: "00"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
			SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
		require.NoError(t, err)
		tr := dossier.Transition{Code: sub.Code, Event: dossier.Event{Seq: 2, At: testenv.Now(), Action: "intake.accept", Actor: "t"},
			Progress:      dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone}},
			Notifications: n}
		ts.RenderNotices(&tr, "https://motcua.example")
		require.NoError(t, s.ApplyTransition(ctx, tr))
		return sub.Code
	}
	received := dossier.Notification{To: dossier.ToApplicant, Template: "received",
		Facts: map[string]string{"appointment": "16:00 21/12/2026", "applicant_name": "Nguyễn Văn A"}}
	viaZalo := write(store.Applicant{Phone: "0912345678"}, received)
	viaSMS := write(store.Applicant{Phone: "0912345679", Notify: &store.NotifyChoice{Channels: []string{"sms"}, Consent: true}}, received)
	broken := write(store.Applicant{Phone: "0912345670"}, dossier.Notification{To: dossier.ToApplicant, Template: "shipped",
		Facts: map[string]string{}})

	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "the broken notice is a dead letter already")

	got := p.zalo.Messages(viaZalo)
	require.Len(t, got, 1)
	require.Equal(t, "400111", got[0].Template, "the id for this version of the template")
	require.Equal(t, map[string]string{"ma_ho_so": viaZalo, "ngay_hen": "16:00 21/12/2026"}, got[0].Params,
		"the ZNS parameters, and no fact the text does not use")
	o := outboxOf(t, s, viaZalo)
	require.Equal(t, 1, o.TemplateVersion)
	require.NotContains(t, o.Facts, "applicant_name")

	sms := p.sms.Messages(viaSMS)
	require.Len(t, sms, 1)
	require.Equal(t, "Hồ sơ "+viaSMS+" đã được tiếp nhận; hẹn trả kết quả 16:00 21/12/2026. "+
		"Tra cứu: https://motcua.example/track?code="+viaSMS, sms[0].Text)

	o = outboxOf(t, s, broken)
	require.Equal(t, store.NotificationFailed, o.Status)
	require.Contains(t, o.LastError, "waybill")
	require.NotNil(t, o.FailedAt)
	require.Empty(t, p.zalo.Messages(broken))
}
