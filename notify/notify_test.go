package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newDossierWith writes a dossier and one transition carrying ns.
func newDossierWith(t *testing.T, s *store.Store, ns ...dossier.Notification) string {
	t.Helper()
	ctx := context.Background()
	sub, err := s.CreateDossier(ctx, store.NewDossier{ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1,
		AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "A", IDNumber: "079123456789"},
		Documents: []store.Document{{Name: "a", SHA256: "00"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
		SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
	require.NoError(t, err)
	tr := dossier.Transition{Code: sub.Code,
		Event:         dossier.Event{Seq: 2, At: testenv.Now(), Action: "deadline.step_overdue", Actor: "system"},
		Progress:      dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone}},
		Notifications: ns}
	require.NoError(t, s.ApplyTransition(ctx, tr))
	require.NoError(t, s.ApplyTransition(ctx, tr), "a retried write adds no second notification")
	return sub.Code
}

func gatewayMessages(t *testing.T, url, code string) []sim.Message {
	t.Helper()
	res, err := http.Get(url + "/v1/messages?dossier=" + code)
	require.NoError(t, err)
	defer res.Body.Close()
	var got struct{ Messages []sim.Message }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	return got.Messages
}

// clock is a wall clock tests move forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// The outbox, the dispatcher, the HTTP adapter and the simulated messaging
// gateway together: every notification arrives once, even when two
// dispatchers run at once.
func TestOutboxToMessagingGateway(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	gw := httptest.NewServer(sim.NewMessages())
	t.Cleanup(gw.Close)
	code := newDossierWith(t, s,
		dossier.Notification{To: dossier.ToLeader, Agency: "000.00.18.H39", Template: "step_overdue", Message: "quá hạn"},
		dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "đã tiếp nhận"})

	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL + "/v1/messages"}, Log: quiet}
	done := make(chan int, 2)
	for range 2 {
		go func() {
			n, err := d.DispatchDue(ctx)
			require.NoError(t, err)
			done <- n
		}()
	}
	require.Equal(t, 2, <-done+<-done, "two dispatchers at once claim each message once")
	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to send")

	got := gatewayMessages(t, gw.URL, code)
	require.Len(t, got, 2)
	require.Equal(t, "leader", got[0].To)
	require.Equal(t, "000.00.18.H39", got[0].Agency)
	require.Equal(t, code+"/2/0", got[0].Key)
	outbox, err := s.Notifications(ctx, code)
	require.NoError(t, err)
	for _, o := range outbox {
		require.Equal(t, store.NotificationSent, o.Status)
		require.Equal(t, "gateway", o.Channel)
		require.NotEmpty(t, o.ProviderRef, "the gateway's message id, for its receipts")
		require.Equal(t, 1, o.Attempts)
	}
}

// A provider down for hours: every attempt fails, the waits double up to
// an hour, nothing is lost, and once the provider is back the message goes
// out. No attempt happens before its time.
func TestRetriesBackOffWhileProviderIsDown(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	code := newDossierWith(t, s, dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "đã tiếp nhận"})

	// A port nothing listens on: connection refused, a transient failure.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var c clock
	reg := prometheus.NewRegistry()
	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: "http://" + addr + "/v1/messages"},
		Log: quiet, Now: c.Now, Metrics: notify.NewMetrics(reg, s, c.Now)}

	var waits []time.Duration
	for attempt := 1; attempt <= 9; attempt++ {
		n, err := d.DispatchDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "attempt %d is due", attempt)
		n, err = d.DispatchDue(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "no second attempt before the backoff ends")
		outbox, err := s.Notifications(ctx, code)
		require.NoError(t, err)
		o := outbox[0]
		require.Equal(t, store.NotificationPending, o.Status)
		require.Equal(t, attempt, o.Attempts)
		require.Contains(t, o.LastError, "connection refused")
		wait := o.NextAttemptAt.Sub(c.Now())
		want := notify.DefaultBackoff.Delay(attempt)
		require.InDelta(t, want.Seconds(), wait.Seconds(), want.Seconds()*0.21+1, "attempt %d", attempt)
		waits = append(waits, wait)
		c.Advance(wait + time.Second)
	}
	// An hour at most, less its ±20% jitter: 48 minutes at the least.
	require.GreaterOrEqual(t, waits[8], 47*time.Minute, "waits grow to about an hour: %v", waits)
	require.Less(t, waits[0], time.Minute, "the first retry comes soon: %v", waits)
	require.Equal(t, 9.0, testutil.ToFloat64(d.Metrics.Attempts("gateway", notify.OutcomeFailed))+
		testutil.ToFloat64(d.Metrics.Attempts("unknown", notify.OutcomeFailed)))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP motcua_notifications_dead_letters Notifications dead-lettered (status failed), waiting for ops.
# TYPE motcua_notifications_dead_letters gauge
motcua_notifications_dead_letters 0
# HELP motcua_notifications_pending Notifications in the outbox not yet accepted by a provider.
# TYPE motcua_notifications_pending gauge
motcua_notifications_pending 1
`), "motcua_notifications_pending", "motcua_notifications_dead_letters"))
	age, err := testutil.GatherAndCount(reg, "motcua_notifications_oldest_pending_age_seconds")
	require.NoError(t, err)
	require.Equal(t, 1, age)

	// The provider comes back on the same address.
	gwSim := sim.NewMessages()
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	gw := httptest.NewUnstartedServer(gwSim)
	gw.Listener = ln
	gw.Start()
	t.Cleanup(gw.Close)
	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, gatewayMessages(t, gw.URL, code), 1, "delayed, not lost")
	outbox, err := s.Notifications(ctx, code)
	require.NoError(t, err)
	require.Equal(t, store.NotificationSent, outbox[0].Status)
	require.Equal(t, 10, outbox[0].Attempts)
	require.Equal(t, 1.0, testutil.ToFloat64(d.Metrics.Attempts("gateway", notify.OutcomeSent)))
}

// A provider that refuses the template: the notice is dead-lettered at
// once with the provider's reason and never tried again; the other notice
// of the same transition still goes out.
func TestPermanentRejectionDeadLettersAtOnce(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	gwSim := sim.NewMessages()
	gwSim.RefuseTemplate("apology")
	gw := httptest.NewServer(gwSim)
	t.Cleanup(gw.Close)
	code := newDossierWith(t, s,
		dossier.Notification{To: dossier.ToApplicant, Template: "apology", Message: "xin lỗi"},
		dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "đã tiếp nhận"})
	var c clock
	reg := prometheus.NewRegistry()
	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL + "/v1/messages"}, Log: quiet,
		Now: c.Now, Metrics: notify.NewMetrics(reg, s, c.Now)}
	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	outbox, err := s.Notifications(ctx, code)
	require.NoError(t, err)
	require.Equal(t, store.NotificationFailed, outbox[0].Status)
	require.Contains(t, outbox[0].LastError, "template apology is not approved for this sender")
	require.NotNil(t, outbox[0].FailedAt)
	require.Equal(t, store.NotificationSent, outbox[1].Status)

	c.Advance(48 * time.Hour)
	n, err = d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a dead letter is never retried")
	require.Equal(t, 1.0, testutil.ToFloat64(d.Metrics.Attempts("gateway", notify.OutcomeDeadLettered)))

	failed, err := s.NotificationsByStatus(ctx, store.NotificationFailed, 10)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, code, failed[0].DossierCode)
}

// Retries end: a notice still unsent a day after it was written is
// dead-lettered with the last error, not retried forever.
func TestRetriesGiveUpAfterADay(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	code := newDossierWith(t, s, dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "x"})
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(gw.Close)
	var c clock
	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL}, Log: quiet, Now: c.Now}
	attempts := 0
	for range 100 {
		n, err := d.DispatchDue(ctx)
		require.NoError(t, err)
		attempts += n
		outbox, err := s.Notifications(ctx, code)
		require.NoError(t, err)
		if outbox[0].Status == store.NotificationFailed {
			require.Contains(t, outbox[0].LastError, "gave up after 24h0m0s")
			require.Contains(t, outbox[0].LastError, "503")
			break
		}
		c.Advance(outbox[0].NextAttemptAt.Sub(c.Now()) + time.Second)
	}
	// 30 s doubling to an hour (±20%) reaches a day in about 25–40 attempts.
	require.Greater(t, attempts, 20)
	require.Less(t, attempts, 45)
	require.LessOrEqual(t, c.Now().Sub(testenv.Now()), 25*time.Hour+time.Minute)
}

// A dispatcher that dies mid-send holds its claim only for the lease; then
// another dispatcher takes the notice over.
func TestLeaseRunsOut(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	code := newDossierWith(t, s, dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "x"})
	var c clock
	claimed, err := s.ClaimNotifications(ctx, c.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	again, err := s.ClaimNotifications(ctx, c.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, again, "leased")
	c.Advance(61 * time.Second)
	gw := httptest.NewServer(sim.NewMessages())
	t.Cleanup(gw.Close)
	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL + "/v1/messages"}, Log: quiet, Now: c.Now}
	n, err := d.DispatchDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	// The first dispatcher, back from the dead, cannot overwrite the outcome.
	err = s.RecordNotificationOutcome(ctx, store.NotificationOutcome{DossierCode: code, Seq: claimed[0].Seq,
		Idx: claimed[0].Idx, At: c.Now(), Status: store.NotificationPending, RetryAt: c.Now()})
	require.ErrorIs(t, err, store.ErrNotLeased)
}

// Run wakes when a notification is written (LISTEN), not on a tick.
func TestRunWakesOnNewNotification(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	gwSim := sim.NewMessages()
	gw := httptest.NewServer(gwSim)
	t.Cleanup(gw.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL + "/v1/messages"}, Log: quiet,
		MaxIdle: time.Hour}
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(300 * time.Millisecond) // let it LISTEN and go idle for an hour
	code := newDossierWith(t, s, dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "x"})
	require.Eventually(t, func() bool { return len(gatewayMessages(t, gw.URL, code)) == 1 },
		10*time.Second, 50*time.Millisecond)
}

// Which answers are the message's fault (dead letter at once) and which
// are not (retried): a misconfigured key or URL must not lose notices.
func TestProviderAnswersClassified(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	for status, want := range map[int]string{
		http.StatusBadRequest: store.NotificationFailed, http.StatusUnprocessableEntity: store.NotificationFailed,
		http.StatusGone: store.NotificationFailed, http.StatusUnauthorized: store.NotificationPending,
		http.StatusForbidden: store.NotificationPending, http.StatusNotFound: store.NotificationPending,
		http.StatusTooManyRequests: store.NotificationPending, http.StatusBadGateway: store.NotificationPending,
	} {
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"e","detail":"because"}`))
		}))
		code := newDossierWith(t, s, dossier.Notification{To: dossier.ToApplicant, Template: "received", Message: "x"})
		d := &notify.Dispatcher{Store: s, Notifier: notify.HTTPNotifier{URL: gw.URL}, Log: quiet}
		_, err := d.DispatchDue(ctx)
		require.NoError(t, err)
		gw.Close()
		outbox, err := s.Notifications(ctx, code)
		require.NoError(t, err)
		require.Equal(t, want, outbox[0].Status, "HTTP %d", status)
		if want == store.NotificationFailed {
			require.Equal(t, "rejected by gateway: because", outbox[0].LastError)
		}
	}
}

// Without a messaging gateway notices go to the log. Their texts (dossier,
// amounts, the reasons a person gave) are logged in development only; a
// production log says which notice went to whom.
func TestLogNotifierKeepsTextsOutOfProductionLogs(t *testing.T) {
	t.Parallel()
	n := store.OutboxNotification{DossierCode: "000.00.17.H39-261209-0001", Notification: dossier.Notification{
		To: "applicant", Template: "declined", Message: "Hồ sơ bị từ chối giải quyết. Lý do: thiếu giấy tờ của Nguyễn Văn A"}}
	for _, withText := range []bool{false, true} {
		var buf strings.Builder
		l := notify.LogNotifier{Log: slog.New(slog.NewJSONHandler(&buf, nil)), WithText: withText}
		sent, err := l.Notify(context.Background(), n)
		require.NoError(t, err)
		require.Equal(t, "log", sent.Channel)
		require.Contains(t, buf.String(), `"template":"declined"`)
		require.Contains(t, buf.String(), n.DossierCode)
		require.Equal(t, withText, strings.Contains(buf.String(), "Nguyễn Văn A"), buf.String())
	}
}
