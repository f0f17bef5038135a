package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
)

// TestSubmissionLimitIsPerClientAndPerAddress drives the submission
// limiter alone (the route's handler stubbed) with principals as the
// authentication middleware would set them.
func TestSubmissionLimitIsPerClientAndPerAddress(t *testing.T) {
	t.Parallel()
	reached := 0
	h := submissionLimit(2)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.WriteHeader(http.StatusNoContent)
	}))
	post := func(subject, ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/v1/dossiers", nil)
		r.RemoteAddr = ip + ":40000"
		if subject != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Subject: subject, Role: auth.RolePortal}))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, 204, post("portal-a", "10.0.0.1").Code)
	require.Equal(t, 204, post("portal-a", "10.0.0.1").Code)
	// The third from the same client, even from another address: 429.
	w := post("portal-a", "10.0.0.2")
	require.Equal(t, 429, w.Code)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	wait, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err)
	require.True(t, wait >= 1 && wait <= 60, "Retry-After %d", wait)
	require.Contains(t, w.Body.String(), "too many submissions from this client (at most 2 a minute)")
	// Another client behind the exhausted address: 429 per address.
	w = post("portal-b", "10.0.0.1")
	require.Equal(t, 429, w.Code)
	require.Contains(t, w.Body.String(), "too many submissions from this address")
	// That client elsewhere is fine; without a token the address is the client.
	require.Equal(t, 204, post("portal-b", "10.0.0.3").Code)
	require.Equal(t, 204, post("", "10.0.0.4").Code)
	require.Equal(t, 204, post("", "10.0.0.4").Code)
	require.Equal(t, 429, post("", "10.0.0.4").Code)
	require.Equal(t, 5, reached, "refused requests never reach the handler")
}
