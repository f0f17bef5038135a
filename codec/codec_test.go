package codec_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
)

func newKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, codec.KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(k)
}

func plainPayload(t *testing.T) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"id_number": "079203001234", "full_name": "Nguyễn Thị Hoa"})
	require.NoError(t, err)
	return p
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c, err := codec.Parse("k1="+newKey(t), "")
	require.NoError(t, err)
	require.Equal(t, "k1", c.ActiveKeyID())
	in := []*commonpb.Payload{plainPayload(t), plainPayload(t)}
	enc, err := c.Encode(in)
	require.NoError(t, err)
	require.Len(t, enc, 2)
	for _, p := range enc {
		require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[codec.MetadataEncoding]))
		require.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
		require.NotContains(t, string(p.Data), "079203001234")
		require.NotContains(t, string(p.Data), "json/plain")
	}
	// A random nonce per payload: equal plaintexts, different ciphertexts.
	require.NotEqual(t, enc[0].Data, enc[1].Data)
	dec, err := c.Decode(enc)
	require.NoError(t, err)
	for i := range in {
		require.Equal(t, in[i].Data, dec[i].Data)
		require.Equal(t, in[i].Metadata, dec[i].Metadata)
	}

	// Through the data converter: a Go value in, the same value out.
	dc := c.DataConverter()
	p, err := dc.ToPayload(map[string]string{"id_number": "079203001234"})
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), "079203001234")
	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "079203001234", back["id_number"])
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	old, err := codec.Parse("k1="+k1, "")
	require.NoError(t, err)
	encOld, err := old.Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)

	// k2 becomes active; k1 stays in the ring for histories that need it.
	rotated, err := codec.Parse("k1="+k1+", k2="+k2, "k2")
	require.NoError(t, err)
	require.Equal(t, "k2", rotated.ActiveKeyID())
	dec, err := rotated.Decode(encOld)
	require.NoError(t, err)
	require.Equal(t, plainPayload(t).Data, dec[0].Data)
	encNew, err := rotated.Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)
	require.Equal(t, "k2", string(encNew[0].Metadata[codec.MetadataKeyID]))

	// Once k1 is dropped, its payloads no longer decrypt, and the error
	// says which key is missing.
	k2only, err := codec.Parse("k2="+k2, "")
	require.NoError(t, err)
	_, err = k2only.Decode(encOld)
	require.ErrorContains(t, err, `key "k1", which is not in MOTCUA_PAYLOAD_KEYS`)
	dec, err = k2only.Decode(encNew)
	require.NoError(t, err)
	require.Equal(t, plainPayload(t).Data, dec[0].Data)
}

func TestWrongKeyAndTampering(t *testing.T) {
	t.Parallel()
	c, err := codec.Parse("k1="+newKey(t), "")
	require.NoError(t, err)
	impostor, err := codec.Parse("k1="+newKey(t), "") // same id, other key
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)

	_, err = impostor.Decode(enc)
	require.ErrorContains(t, err, "does not decrypt with key \"k1\"")

	tampered := &commonpb.Payload{Metadata: enc[0].Metadata, Data: bytes.Clone(enc[0].Data)}
	tampered.Data[len(tampered.Data)-5] ^= 0x01
	_, err = c.Decode([]*commonpb.Payload{tampered})
	require.ErrorContains(t, err, "the key is wrong or the payload was altered")

	truncated := &commonpb.Payload{Metadata: enc[0].Metadata, Data: enc[0].Data[:10]}
	_, err = c.Decode([]*commonpb.Payload{truncated})
	require.ErrorContains(t, err, "too short")

	// The key id is authenticated too: relabelling a payload fails.
	c2, err := codec.Parse("k1="+newKey(t)+",k2="+newKey(t), "k2")
	require.NoError(t, err)
	enc2, err := c2.Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)
	enc2[0].Metadata[codec.MetadataKeyID] = []byte("k1")
	_, err = c2.Decode(enc2)
	require.ErrorContains(t, err, "does not decrypt")
}

func TestPlaintextPassesThrough(t *testing.T) {
	t.Parallel()
	c := codec.Development()
	plain := plainPayload(t)
	out, err := c.Decode([]*commonpb.Payload{plain, {Metadata: map[string][]byte{"encoding": []byte("binary/null")}}})
	require.NoError(t, err)
	require.Same(t, plain, out[0])
	require.Equal(t, "binary/null", string(out[1].Metadata["encoding"]))
	require.Contains(t, string(out[0].Data), "079203001234")
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for _, tc := range []struct{ spec, active, want string }{
		{"", "", "has no keys"},
		{" , ", "", "has no keys"},
		{"k1", "", "item 1 is not id=base64key"},
		{"=" + good, "", "item 1 is not id=base64key"},
		{"k1=not base64!", "", `key "k1" is not base64`},
		{"k1=" + short, "", `key "k1" is 16 bytes; AES-256 needs exactly 32`},
		{"k1=" + good + ",k1=" + good, "", `lists key "k1" twice`},
		{"k1=" + good, "k9", `the active payload key "k9" is not among the keys (k1)`},
		{"k 1=" + good, "", "must be 1 to 64 letters"},
	} {
		_, err := codec.Parse(tc.spec, tc.active)
		require.ErrorContains(t, err, tc.want, "spec %q active %q", tc.spec, tc.active)
	}
	// URL-safe and unpadded base64 are accepted.
	k := make([]byte, 32)
	k[0] = 0xfb // '+' / '-' in the first character
	c, err := codec.Parse("a="+base64.RawURLEncoding.EncodeToString(k), "")
	require.NoError(t, err)
	require.Equal(t, "a", c.ActiveKeyID())
}

func TestFromConfig(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	c, err := codec.FromConfig(config.Config{Environment: "development"}, log)
	require.NoError(t, err)
	require.Equal(t, codec.DevelopmentKeyID, c.ActiveKeyID())
	require.Contains(t, logs.String(), "public development key")

	_, err = codec.FromConfig(config.Config{Environment: "production"}, log)
	require.ErrorContains(t, err, "MOTCUA_PAYLOAD_KEYS is not set")

	devKey := "dev=" + base64.StdEncoding.EncodeToString(devKeyBytes(t))
	_, err = codec.FromConfig(config.Config{Environment: "production", PayloadKeys: devKey}, log)
	require.ErrorContains(t, err, "public development key")
	// Development with a listener off loopback refuses it too; on
	// loopback it is accepted.
	_, err = codec.FromConfig(config.Config{Environment: "development", PayloadKeys: devKey, HTTPAddr: "0.0.0.0:8080"}, log)
	require.ErrorContains(t, err, "public development key")
	_, err = codec.FromConfig(config.Config{Environment: "development", PayloadKeys: devKey, HTTPAddr: "127.0.0.1:8080"}, log)
	require.NoError(t, err)

	c, err = codec.FromConfig(config.Config{Environment: "production", PayloadKeys: "a=" + newKey(t) + ",b=" + newKey(t), PayloadKeyID: "b"}, log)
	require.NoError(t, err)
	require.Equal(t, "b", c.ActiveKeyID())

	_, err = codec.FromConfig(config.Config{Environment: "development", PayloadKeyID: "k7"}, log)
	require.ErrorContains(t, err, "MOTCUA_PAYLOAD_KEYS is not set")
}

// devKeyBytes is the development key, derived here from the same public
// string on purpose: a change to it would break decoding of histories
// recorded with it, so the test pins it.
func devKeyBytes(t *testing.T) []byte {
	t.Helper()
	c := codec.Development()
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("motcua development payload key: public, never for production"))
	k := sum[:]
	other, err := codec.New(map[string][]byte{"dev": k}, "dev")
	require.NoError(t, err)
	_, err = other.Decode(enc)
	require.NoError(t, err, "the development key changed")
	return k
}

func TestNoPlaintextInEncryptedPayload(t *testing.T) {
	t.Parallel()
	enc, err := codec.Development().Encode([]*commonpb.Payload{plainPayload(t)})
	require.NoError(t, err)
	raw := enc[0].String()
	require.False(t, strings.Contains(raw, "079203001234") || strings.Contains(raw, "Hoa"), "plaintext visible in %s", raw)
}
