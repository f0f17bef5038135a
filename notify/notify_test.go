package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/notify"
	"github.com/motcua/motcua/sim"
	"github.com/motcua/motcua/store"
)

// The outbox, the dispatcher, the HTTP adapter and the simulated messaging
// gateway together: every notification arrives once, even when the
// dispatcher runs twice at once and the gateway is asked again.
func TestOutboxToMessagingGateway(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	gw := httptest.NewServer(sim.NewMessages())
	t.Cleanup(gw.Close)

	sub, err := s.CreateDossier(ctx, store.NewDossier{ProcedureCode: "TP-LLTP-01", ProcedureVersion: 1,
		AgencyCode: "000.00.17.H39", Channel: dossier.ChannelOnline, Applicant: store.Applicant{FullName: "A", IDNumber: "079123456789"},
		Documents: []store.Document{{Name: "a", SHA256: "00"}}, ReturnMethod: dossier.ReturnCounter, FeeUnits: 1,
		SubmittedAt: testenv.Now(), Actor: "t"}, "", []byte{1})
	require.NoError(t, err)
	tr := dossier.Transition{Code: sub.Code,
		Event:    dossier.Event{Seq: 2, At: testenv.Now(), Action: "deadline.step_overdue", Actor: "system"},
		Progress: dossier.Progress{Version: 2, Status: dossier.StatusReceived, Stage: dossier.StageReview, Fee: dossier.Fee{Status: dossier.FeeNone}},
		Notifications: []dossier.Notification{
			{To: dossier.ToLeader, Agency: "000.00.18.H39", Template: "step_overdue", Message: "quá hạn"},
			{To: dossier.ToApplicant, Template: "received", Message: "đã tiếp nhận"},
		}}
	require.NoError(t, s.ApplyTransition(ctx, tr))
	require.NoError(t, s.ApplyTransition(ctx, tr), "a retried write adds no second notification")

	n := notify.HTTPNotifier{URL: gw.URL + "/v1/messages"}
	done := make(chan int, 2)
	for range 2 {
		go func() {
			sent, err := s.DispatchNotifications(ctx, 10, n.Notify)
			require.NoError(t, err)
			done <- sent
		}()
	}
	require.Equal(t, 2, <-done+<-done, "two dispatchers at once send each message once")
	sent, err := s.DispatchNotifications(ctx, 10, n.Notify)
	require.NoError(t, err)
	require.Zero(t, sent, "nothing left to send")

	res, err := http.Get(gw.URL + "/v1/messages?dossier=" + sub.Code)
	require.NoError(t, err)
	defer res.Body.Close()
	var got struct{ Messages []sim.Message }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	require.Len(t, got.Messages, 2)
	require.Equal(t, "leader", got.Messages[0].To)
	require.Equal(t, "000.00.18.H39", got.Messages[0].Agency)
	require.Equal(t, sub.Code+"/2/0", got.Messages[0].Key)

	// A gateway that fails leaves the message in the outbox with the error.
	tr.Event.Seq, tr.Progress.Version = 3, 3
	tr.Notifications = tr.Notifications[:1]
	require.NoError(t, s.ApplyTransition(ctx, tr))
	bad := notify.HTTPNotifier{URL: gw.URL + "/nowhere"}
	sent, err = s.DispatchNotifications(ctx, 10, bad.Notify)
	require.NoError(t, err)
	require.Zero(t, sent)
	outbox, err := s.Notifications(ctx, sub.Code)
	require.NoError(t, err)
	require.Len(t, outbox, 3)
	require.Nil(t, outbox[2].SentAt, "a failed message stays unsent, to be tried again")
	sent, err = s.DispatchNotifications(ctx, 10, n.Notify)
	require.NoError(t, err)
	require.Equal(t, 1, sent)
}
