package codec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/internal/testenv"
)

// postalRefusal is what a postal service's error may say: the applicant's
// name and address.
const postalRefusal = "postal service: no such address for Trần Thị Bí Mật, 12 Lý Thái Tổ, Hoàn Kiếm"

func failingPickup(context.Context) error {
	return temporal.NewNonRetryableApplicationError(postalRefusal, "PostalRefused", nil)
}

func pickupWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, failingPickup).Get(ctx, nil)
}

// TestFailureDetailsAreEncryptedInHistory: an activity fails with a
// message that names an applicant. In the history the Temporal server
// stores (read without the codec) the message is "Encoded failure" and the
// name is nowhere, while the error type stays readable; through the codec
// (the workflow's client, the codec endpoint ops' Web UI calls) the message
// reads in full.
func TestFailureDetailsAreEncryptedInHistory(t *testing.T) {
	t.Parallel()
	c := testenv.Temporal(t)
	queue := testenv.TaskQueue(t)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(pickupWorkflow)
	w.RegisterActivity(failingPickup)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "failure-" + testenv.RandomSuffix(), TaskQueue: queue}, pickupWorkflow)
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, "PostalRefused", appErr.Type())
	require.Contains(t, appErr.Error(), "Trần Thị Bí Mật", "the client with the codec reads the message")

	raw := testenv.TemporalWithoutCodec(t)
	var h historypb.History
	iter := raw.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var failed *historypb.ActivityTaskFailedEventAttributes
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
		if a := ev.GetActivityTaskFailedEventAttributes(); a != nil {
			failed = a
		}
	}
	require.NotNil(t, failed, "the history has the activity's failure")
	f := failed.GetFailure()
	require.Equal(t, "Encoded failure", f.GetMessage())
	require.Empty(t, f.GetStackTrace())
	require.Equal(t, "PostalRefused", f.GetApplicationFailureInfo().GetType(), "the type stays in clear for retries")
	require.Equal(t, codec.EncodingEncrypted, string(f.GetEncodedAttributes().GetMetadata()[codec.MetadataEncoding]))
	wire, err := proto.Marshal(&h)
	require.NoError(t, err)
	for _, secret := range []string{"Bí Mật", "Lý Thái Tổ", "no such address"} {
		require.False(t, bytes.Contains(wire, []byte(secret)), "%q appears in the stored history", secret)
	}

	// The codec endpoint decodes it for ops, as the Web UI asks it to.
	jwt, err := auth.NewHS256(strings.Repeat("k", auth.MinSecretLen))
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/codec", codec.Handler(testenv.Codec(), codec.HandlerOptions{Verifier: jwt})))
	t.Cleanup(srv.Close)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{f.GetEncodedAttributes()}})
	require.NoError(t, err)
	tok, err := jwt.Mint(auth.Principal{Subject: "ops", Role: auth.RoleOps}, time.Minute)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/codec/decode", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	out, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(out))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(out, &decoded))
	require.Len(t, decoded.Payloads, 1)
	var attrs struct {
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal(decoded.Payloads[0].GetData(), &attrs))
	require.Equal(t, postalRefusal, attrs.Message)
}
