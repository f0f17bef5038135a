package api

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestForwardedClient: X-Forwarded-For is believed only from a trusted
// proxy, and then only its right-most untrusted address (the one the
// proxy itself saw), so a client cannot choose its own address.
func TestForwardedClient(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	seen := func(trusted []netip.Prefix, peer string, xff ...string) string {
		var got string
		h := forwardedClient(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientIP(r) }))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		return got
	}
	for name, c := range map[string]struct {
		peer string
		xff  []string
		want string
	}{
		"no proxy":                     {"203.0.113.5:4000", nil, "203.0.113.5"},
		"spoofed from outside":         {"203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		"behind the ingress":           {"10.1.2.3:4000", []string{"198.51.100.9"}, "198.51.100.9"},
		"client-chosen prefix ignored": {"10.1.2.3:4000", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"},
		"two trusted hops":             {"10.1.2.3:4000", []string{"198.51.100.9, 192.0.2.7"}, "198.51.100.9"},
		"several header lines":         {"10.1.2.3:4000", []string{"1.2.3.4", "198.51.100.9"}, "198.51.100.9"},
		"garbage after the client":     {"10.1.2.3:4000", []string{"198.51.100.9, nonsense"}, "10.1.2.3"},
		"only proxies":                 {"10.1.2.3:4000", []string{"10.9.9.9"}, "10.9.9.9"},
		"no header from the proxy":     {"10.1.2.3:4000", nil, "10.1.2.3"},
		"IPv6 client":                  {"192.0.2.7:4000", []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		require.Equal(t, c.want, seen(trusted, c.peer, c.xff...), name)
	}
	// Without trusted proxies the header never counts.
	require.Equal(t, "10.1.2.3", seen(nil, "10.1.2.3:4000", "198.51.100.9"))
}

// TestLookupLimitBehindAProxy: behind the ingress, one client using up its
// lookups does not block another one (before, both had the ingress's
// address and shared one allowance).
func TestLookupLimitBehindAProxy(t *testing.T) {
	t.Parallel()
	limit := newRateLimiter(2, time.Minute, "lookups from this address", clientIP)
	h := forwardedClient([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})(limit.middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	get := func(client string) int {
		r := httptest.NewRequest("GET", "/v1/public/dossiers/X", nil)
		r.RemoteAddr = "10.0.0.1:5000"
		r.Header.Set("X-Forwarded-For", client)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, 204, get("198.51.100.1"))
	require.Equal(t, 204, get("198.51.100.1"))
	require.Equal(t, 429, get("198.51.100.1"))
	require.Equal(t, 204, get("198.51.100.2"), "another client behind the same ingress")
}
