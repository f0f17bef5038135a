package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/webhook"
)

const secret = "a-shared-secret-for-tests"

var (
	body = []byte(`{"payment_ref":"PAY-1","transaction_id":"T-1","amount":200000,"status":"succeeded"}`)
	at   = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
)

// TestSignMatchesTheDocumentedFormula recomputes the signature the way an
// integrator would from the README, so Sign cannot drift from it.
func TestSignMatchesTheDocumentedFormula(t *testing.T) {
	t.Parallel()
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(at.Unix(), 10) + "." + string(body)))
	want := "t=" + strconv.FormatInt(at.Unix(), 10) + ",v1=" + hex.EncodeToString(h.Sum(nil))
	require.Equal(t, want, webhook.Sign(secret, body, at))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	good := webhook.Sign(secret, body, at)
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-3] = 'x'
	for _, c := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error // nil: accepted
	}{
		{"correct", secret, good, body, at, nil},
		{"clock 4m59s ahead", secret, good, body, at.Add(4*time.Minute + 59*time.Second), nil},
		{"clock 5m behind", secret, good, body, at.Add(-5 * time.Minute), nil},
		{"spaces around parts", secret, strings.ReplaceAll(good, ",", " , "), body, at, nil},
		{"rotation: old and new secret", secret, webhook.Sign("new-secret", body, at, secret), body, at, nil},
		{"unknown scheme ignored", secret, good + ",v0=abc", body, at, nil},
		{"replayed after 5m01s", secret, good, body, at.Add(5*time.Minute + time.Second), webhook.ErrStale},
		{"from the future", secret, good, body, at.Add(-6 * time.Minute), webhook.ErrStale},
		{"wrong secret", "another-secret", good, body, at, webhook.ErrMismatch},
		{"body tampered", secret, good, tampered, at, webhook.ErrMismatch},
		{"timestamp changed", secret, strings.Replace(good, "t="+strconv.FormatInt(at.Unix(), 10), "t="+strconv.FormatInt(at.Unix()+1, 10), 1), body, at, webhook.ErrMismatch},
		{"missing", secret, "", body, at, webhook.ErrMissing},
		{"no timestamp", secret, good[strings.Index(good, ",")+1:], body, at, webhook.ErrMalformed},
		{"no signature", secret, "t=" + strconv.FormatInt(at.Unix(), 10), body, at, webhook.ErrMalformed},
		{"signature not hex", secret, "t=1,v1=zz", body, at, webhook.ErrMalformed},
		{"signature too short", secret, "t=1,v1=abcd", body, at, webhook.ErrMalformed},
		{"negative timestamp", secret, "t=-1,v1=" + strings.Repeat("0", 64), body, at, webhook.ErrMalformed},
		{"two timestamps", secret, good + ",t=1", body, at, webhook.ErrMalformed},
		{"not key=value", secret, "sha256 abc", body, at, webhook.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := webhook.Verify(c.secret, c.header, c.body, c.now)
			if c.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, c.want)
		})
	}
	require.Error(t, webhook.Verify("", good, body, at), "no secret configured never verifies")
}

func TestStaleSaysHowFar(t *testing.T) {
	t.Parallel()
	err := webhook.Verify(secret, webhook.Sign(secret, body, at), body, at.Add(time.Hour))
	require.ErrorContains(t, err, "1h0m0s away (at most 5m0s allowed)")
}

// FuzzVerify: arbitrary headers and bodies never panic; anything accepted
// really carries the body's MAC under the secret, timestamped within the
// tolerance; and what Sign produces always verifies.
func FuzzVerify(f *testing.F) {
	f.Add(webhook.Sign(secret, body, at), body, int64(0))
	f.Add("t=1,v1="+strings.Repeat("ab", 32), []byte("{}"), int64(-400))
	f.Add("t=,v1=", []byte(nil), int64(0))
	f.Add(",,,=,t==1", []byte("x"), int64(10))
	f.Add("t=99999999999999999999,v1=00", []byte("x"), int64(0))
	f.Fuzz(func(t *testing.T, header string, b []byte, skew int64) {
		now := at.Add(time.Duration(skew%int64(time.Hour/time.Second)) * time.Second)
		err := webhook.Verify(secret, header, b, now)
		if err == nil {
			ts, sigs, perr := webhook.Parse(header)
			require.NoError(t, perr)
			sec, _ := strconv.ParseInt(ts, 10, 64)
			require.LessOrEqual(t, absDur(now.Sub(time.Unix(sec, 0))), webhook.Tolerance)
			h := hmac.New(sha256.New, []byte(secret))
			h.Write([]byte(ts + "." + string(b)))
			found := false
			for _, s := range sigs {
				found = found || hmac.Equal(s, h.Sum(nil))
			}
			require.True(t, found, "accepted a header without the body's MAC: %q", header)
		} else {
			require.True(t, errors.Is(err, webhook.ErrMissing) || errors.Is(err, webhook.ErrMalformed) ||
				errors.Is(err, webhook.ErrStale) || errors.Is(err, webhook.ErrMismatch), "unclassified error %v", err)
		}
		require.NoError(t, webhook.Verify(secret, webhook.Sign(secret, b, now), b, now))
	})
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
