package signing_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/signing"
	"github.com/motcua/motcua/sim"
)

func TestRemoteSigningThroughTheSimulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, err := sim.NewSigningService(map[string]string{"000.00.18.H39": "Sở Tư pháp"})
	require.NoError(t, err)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	remote := signing.NewRemote(srv.URL, &http.Client{Timeout: 10 * time.Second})

	// The simulator's certificates are valid around the real clock.
	now := time.Now()
	signed, _, err := signing.Sign(ctx, remote, "000.00.18.H39", resultPDF(t), signing.Info{Name: "Sở Tư pháp", At: now})
	require.NoError(t, err)
	v, err := signing.Verify(ctx, remote, signed)
	require.NoError(t, err)
	require.True(t, v.ValidSignature)
	require.True(t, v.CoversWholeFile)
	require.Equal(t, "000.00.18.H39", v.Agency)

	_, _, err = signing.Sign(ctx, remote, "NO-SUCH", resultPDF(t), signing.Info{At: now})
	require.ErrorIs(t, err, signing.ErrNoCertificate)

	// The service issues the agency an expired certificate: refused.
	res, err := http.Post(srv.URL+"/agencies/000.00.18.H39", "application/json", bytes.NewReader([]byte(`{"expired": true}`)))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	_, _, err = signing.Sign(ctx, remote, "000.00.18.H39", resultPDF(t), signing.Info{At: now})
	var expired *signing.ExpiredError
	require.ErrorAs(t, err, &expired)

	// The result signed before is no longer by a certificate the center
	// holds: its signature is still valid, its agency unknown.
	v, err = signing.Verify(ctx, remote, signed)
	require.NoError(t, err)
	require.True(t, v.ValidSignature)
	require.Empty(t, v.Agency)
}
