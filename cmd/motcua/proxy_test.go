package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func echoServer(name string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, name+" "+r.Method+" "+r.URL.RequestURI()+" "+string(b))
	}))
}

func TestProxyRoundRobinAndFailover(t *testing.T) {
	a, b := echoServer("a"), echoServer("b")
	defer a.Close()
	p, err := newProxy([]string{a.URL, b.URL}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	front := httptest.NewServer(p)
	defer front.Close()

	post := func() (string, string, int) {
		res, err := http.Post(front.URL+"/v1/dossiers?x=1", "application/json", strings.NewReader(`{"k":1}`))
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body), res.Header.Get(upstreamHeader), res.StatusCode
	}
	seen := map[string]int{}
	for range 4 {
		body, up, status := post()
		require.Equal(t, 200, status)
		require.True(t, strings.HasSuffix(body, ` POST /v1/dossiers?x=1 {"k":1}`), body)
		require.NotEmpty(t, up)
		seen[body[:1]]++
	}
	require.Equal(t, map[string]int{"a": 2, "b": 2}, seen, "requests alternate between the instances")

	// b stops: every request (with its body) goes to a.
	b.Close()
	for range 3 {
		body, _, status := post()
		require.Equal(t, 200, status)
		require.Equal(t, `a POST /v1/dossiers?x=1 {"k":1}`, body)
	}

	// Nobody left: a problem, not a hang or a 500.
	a.Close()
	res, err := http.Get(front.URL + "/readyz")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusBadGateway, res.StatusCode)
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
}

func TestProxyRejectsBadUpstreams(t *testing.T) {
	_, err := newProxy(nil, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "at least one upstream")
	_, err = newProxy([]string{"127.0.0.1:8081"}, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "not an http(s) URL")
}
