// Package webhook signs and verifies the callbacks third parties (the
// payment gateway, the postal service) send to motcua.
//
// The signature travels in one header:
//
//	X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// with the secret shared with that integration. Binding the timestamp into
// the MAC lets the receiver refuse replays of an old callback (more than
// [Tolerance] away from its clock) without remembering every callback it
// has seen. Several v1= values may be sent, one per secret, so a sender can
// sign with the old and the new secret while a rotation is under way.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header that carries the signature.
const Header = "X-Signature"

// Tolerance is how far a signature's timestamp may be from the receiver's
// clock, either side: enough for clock skew and a retry in flight, short
// enough that a captured callback cannot be replayed later.
const Tolerance = 5 * time.Minute

// maxHeader bounds the header parsed; a real one is under 100 bytes per
// signature.
const maxHeader = 4096

// The reasons Verify refuses a callback; errors.Is finds them in its error.
var (
	ErrMissing   = errors.New("missing " + Header + " header")
	ErrMalformed = errors.New(Header + " must be t=<unix seconds>,v1=<hex HMAC-SHA256>")
	ErrStale     = errors.New(Header + " timestamp is too far from the current time")
	ErrMismatch  = errors.New(Header + " does not match the body")
)

// Sign returns the header value for body sent at t, signed with secret and
// also with the older secrets, if any (a rotation under way: receivers
// still holding an old secret keep accepting).
func Sign(secret string, body []byte, t time.Time, older ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range append([]string{secret}, older...) {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

// Verify checks header (the X-Signature value) for body against secret at
// now. It returns nil when one of the v1 signatures is the body's MAC and
// the timestamp is within Tolerance of now; otherwise an error wrapping
// ErrMissing, ErrMalformed, ErrStale or ErrMismatch, whose message says
// what was wrong without revealing the expected signature.
func Verify(secret, header string, body []byte, now time.Time) error {
	if secret == "" {
		// A receiver without a secret would accept signatures anyone can
		// compute; refuse rather than pretend.
		return errors.New("no webhook secret is configured")
	}
	ts, sigs, err := Parse(header)
	if err != nil {
		return err
	}
	t, _ := strconv.ParseInt(ts, 10, 64) // Parse checked it
	if d := now.Sub(time.Unix(t, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: signed at %s, %s away (at most %s allowed)",
			ErrStale, time.Unix(t, 0).UTC().Format(time.RFC3339), abs(d).Round(time.Second), Tolerance)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		// Constant-time, and every candidate compared, so timing tells
		// an attacker nothing about how close a guess was.
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// Parse splits a header value into its timestamp (decimal unix seconds, as
// sent) and its v1 signatures (decoded). Unknown schemes (v0=, v2=) are
// skipped, so a sender can add a new scheme before receivers know it.
func Parse(header string) (ts string, sigs [][]byte, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", nil, ErrMissing
	}
	if len(header) > maxHeader {
		return "", nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxHeader)
	}
	for _, part := range strings.Split(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrMalformed, truncate(part))
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: t= given twice", ErrMalformed)
			}
			if !digits(v) || len(v) > 12 {
				return "", nil, fmt.Errorf("%w: t=%q is not unix seconds", ErrMalformed, truncate(v))
			}
			ts = v
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 must be %d hexadecimal characters", ErrMalformed, 2*sha256.Size)
			}
			sigs = append(sigs, s)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t= timestamp", ErrMalformed)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1= signature", ErrMalformed)
	}
	return ts, sigs, nil
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// truncate keeps error messages short when a header is junk.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
