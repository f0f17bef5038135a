package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/internal/testenv"
)

// TestRateLimitsAreSharedAcrossAPIProcesses runs two API servers on one
// database behind a trusted proxy (127.0.0.1, X-Forwarded-For): one
// client's lookups count against one allowance whichever server answers,
// and another client behind the same proxy keeps its own. Before the
// limits were shared, each server allowed the limit again.
func TestRateLimitsAreSharedAcrossAPIProcesses(t *testing.T) {
	t.Parallel()
	st := testenv.NewStore(t)
	const limit = 3
	newAPI := func() *httptest.Server {
		srv := httptest.NewServer(api.New(api.Options{Clock: testenv.Clock(), Store: st, Verifier: testSigner,
			Log: slog.New(slog.DiscardHandler), LookupRatePerMinute: limit, SharedRateLimits: true,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}).Handler())
		t.Cleanup(srv.Close)
		return srv
	}
	one, two := newAPI(), newAPI()
	lookup := func(srv *httptest.Server, client string) int {
		req, err := http.NewRequest("GET", srv.URL+"/v1/public/dossiers/000.00.17.H39-200101-9999?key=AAAAAAAAAA", nil)
		require.NoError(t, err)
		req.Header.Set("X-Forwarded-For", client)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	// The windows are whole minutes of the clock: start the sequence with
	// time to spare in one, so it is not cut in two.
	if left := time.Minute - time.Duration(time.Now().UnixNano())%time.Minute; left < 10*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	a, b := "198.51.100.10", "198.51.100.20"
	require.Equal(t, 404, lookup(one, a)) // an unknown dossier: counted all the same
	require.Equal(t, 404, lookup(two, a))
	require.Equal(t, 404, lookup(one, a))
	require.Equal(t, 429, lookup(two, a), "the fourth lookup is over the limit of the two servers together")
	require.Equal(t, 429, lookup(one, a))
	require.Equal(t, 404, lookup(two, b), "another client behind the same proxy has its own allowance")

	// Finished windows are purged (nothing is left once they are all past).
	n, err := st.PurgeRateWindows(context.Background(), time.Now().Add(2*time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "one row per client and window")
}
