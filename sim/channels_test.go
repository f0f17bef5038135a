package sim_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/sim"
)

// The channel simulators as `motcua sim` mounts them: SMS and Zalo take
// messages over HTTP (an empty development key included), the SMTP
// listener takes mail and refuses unknown mailboxes, and each lists what
// it got under its mount.
func TestChannelSimulatorsMounted(t *testing.T) {
	t.Parallel()
	sms, zalo, mail := sim.NewSMSProvider("", sim.ChannelOptions{}), sim.NewZaloOA("", sim.ChannelOptions{}), sim.NewMailServer()
	t.Cleanup(sms.Close)
	t.Cleanup(zalo.Close)
	srv := httptest.NewServer(sim.NewHandler(nil, nil, sim.Mount{Path: "/sms", Handler: sms},
		sim.Mount{Path: "/zalo", Handler: zalo}, sim.Mount{Path: "/mail", Handler: mail}))
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = mail.Serve(ln) }()
	t.Cleanup(func() { _ = mail.Close() })

	post := func(path, body string, header ...string) (int, map[string]any) {
		req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	status, out := post("/sms/v1/send", `{"brandname":"MOTCUA","phone":"0912345678","message":"Hồ sơ","ref":"D-1/2/0"}`, "Authorization", "Bearer ")
	require.Equal(t, 200, status, out)
	require.Equal(t, "sms-000001", out["message_id"])
	status, out = post("/sms/v1/send", `{"brandname":"MOTCUA","phone":"0912345678","message":"Hồ sơ","ref":"D-1/2/0"}`, "Authorization", "Bearer ")
	require.Equal(t, 200, status, out)
	require.Equal(t, "sms-000001", out["message_id"], "a repeated ref is the same message")
	status, out = post("/sms/v1/send", `{"brandname":"MOTCUA","phone":"024 3825","message":"m","ref":"D-1/3/0"}`)
	require.Equal(t, 400, status)
	require.Equal(t, "invalid_phone", out["error"])
	status, out = post("/zalo/message/template", `{"phone":"0912345678","template_id":"t","tracking_id":"D-1/4/0"}`, "access_token", "")
	require.Equal(t, 200, status)
	require.Equal(t, -108.0, out["error"], "ZNS wants 84…")

	require.NoError(t, smtp.SendMail(ln.Addr().String(), nil, "motcua@sim.test", []string{"a@example.vn"},
		[]byte("Message-ID: <D-1/5/0@motcua>\r\nX-Motcua-Template: received\r\nSubject: x\r\n\r\nXin chào\r\n")))
	err = smtp.SendMail(ln.Addr().String(), nil, "motcua@sim.test", []string{"nobody@example.vn"}, []byte("x\r\n"))
	require.ErrorContains(t, err, "550")

	for path, want := range map[string]int{"/sms/v1/messages?dossier=D-1": 1, "/zalo/v1/messages": 0, "/mail/v1/messages?dossier=D-1": 1} {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		var got struct{ Messages []sim.ChannelMessage }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
		res.Body.Close()
		require.Len(t, got.Messages, want, path)
	}
}
