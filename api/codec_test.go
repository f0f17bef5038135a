package api_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/internal/testenv"
)

// TestHistoryHoldsNoPlainPersonalData runs a dossier whose staff notes carry
// the applicant's identity number and name (free text does), reads its
// history as the Temporal server stores it — with a client without the
// codec, as the UI sees it without the codec endpoint — and finds only
// ciphertext; then decodes through the codec endpoint as ops.
func TestHistoryHoldsNoPlainPersonalData(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	idNumber := fmt.Sprintf("0791%08d", rand.IntN(100_000_000))
	name := "Trần Thị Bảo Mật"
	sub := submission("HT-KS-01", "online", "electronic")
	sub["applicant"].(map[string]any)["id_number"] = idNumber
	sub["applicant"].(map[string]any)["full_name"] = name
	code := s.must(201, "POST", "/v1/dossiers", sub)["code"].(string)
	note := "đã đối chiếu CCCD " + idNumber + " của " + name
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept", "note": note})
	s.must(200, "POST", "/v1/dossiers/"+code+"/review", map[string]any{"decision": "approve", "note": note})

	raw := testenv.TemporalWithoutCodec(t)
	var h historypb.History
	iter := raw.GetWorkflowHistory(context.Background(), code, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	payloads := payloadsOf(&h)
	require.Greater(t, len(payloads), 3, "a dossier's history has inputs, update arguments and results")
	for _, p := range payloads {
		require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[codec.MetadataEncoding]), "a payload in plain sight: %v", p)
		require.Equal(t, codec.DevelopmentKeyID, string(p.Metadata[codec.MetadataKeyID]))
	}
	wire, err := proto.Marshal(&h)
	require.NoError(t, err)
	for _, secret := range []string{idNumber, name, "đã đối chiếu", "Đăng ký khai sinh"} {
		require.False(t, bytes.Contains(wire, []byte(secret)), "%q appears in the stored history", secret)
	}

	// The same check can fail: decoded, the history holds the note (the
	// procedure name of the workflow input, too).
	decoded, err := testenv.Codec().Decode(payloads)
	require.NoError(t, err)
	var plain bytes.Buffer
	for _, p := range decoded {
		plain.Write(p.Data)
	}
	require.Contains(t, plain.String(), idNumber)
	require.Contains(t, plain.String(), "Đăng ký khai sinh")

	// The codec endpoint, mounted by the API, decodes for ops only.
	jwt, err := auth.NewHS256(strings.Repeat("k", auth.MinSecretLen))
	require.NoError(t, err)
	srv := httptest.NewServer(api.New(api.Options{Clock: testenv.Clock(), Store: s.store, Temporal: s.temporal, Verifier: jwt,
		Codec: codec.Handler(testenv.Codec(), codec.HandlerOptions{Verifier: jwt, Origins: []string{"http://127.0.0.1:8233"}}),
	}).Handler())
	t.Cleanup(srv.Close)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	require.NoError(t, err)
	post := func(p *auth.Principal) response {
		hdr := []string{"X-Namespace", "motcua"}
		if p != nil {
			tok, err := jwt.Mint(*p, time.Minute)
			require.NoError(t, err)
			hdr = append(hdr, "Authorization", "Bearer "+tok)
		}
		return s.do("POST", srv.URL+"/codec/decode", body, hdr...)
	}
	require.Equal(t, http.StatusUnauthorized, post(nil).status)
	require.Equal(t, http.StatusForbidden, post(&auth.Principal{Subject: "r", Role: auth.RoleReviewer, Agency: "UBND-TA"}).status)
	res := post(&auth.Principal{Subject: "o", Role: auth.RoleOps})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(res.body, &out))
	require.Len(t, out.Payloads, len(payloads))
	var fromEndpoint bytes.Buffer
	for _, p := range out.Payloads {
		require.NotEqual(t, codec.EncodingEncrypted, string(p.Metadata[codec.MetadataEncoding]))
		fromEndpoint.Write(p.Data)
	}
	require.Contains(t, fromEndpoint.String(), idNumber)
	require.Contains(t, fromEndpoint.String(), name)
}

// payloadsOf finds every payload in a history, wherever the event type
// keeps it, except search attributes: those stay plain by design (the
// server indexes them) and hold no personal data.
func payloadsOf(m proto.Message) []*commonpb.Payload {
	var out []*commonpb.Payload
	var walk func(protoreflect.Message)
	walk = func(m protoreflect.Message) {
		switch v := m.Interface().(type) {
		case *commonpb.Payload:
			out = append(out, v)
			return
		case *commonpb.SearchAttributes:
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					walk(mv.Message())
					return true
				})
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return out
}
