// Package codec keeps applicants' personal data out of plain sight in
// Temporal: every payload (workflow inputs and results, activity arguments,
// update arguments and results, query results, memos) is encrypted with
// AES-256-GCM before it leaves the process, so the Temporal server, its
// database and its Web UI hold ciphertext only. The Web UI shows plaintext
// only when pointed at the codec endpoint (Handler), which requires the ops
// role.
//
// Keys rotate: each payload names the key it was encrypted with
// (metadata encryption-key-id), new payloads use the active key, and any key
// still in the ring decrypts. Payloads that are not encrypted (histories
// recorded before the codec, a fleet being migrated) pass through decoding
// unchanged.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/motcua/motcua/config"
)

// Metadata of an encrypted payload.
const (
	// MetadataEncoding is the SDK's metadata key for a payload's encoding.
	MetadataEncoding = converter.MetadataEncoding
	// EncodingEncrypted marks a payload this codec encrypted.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key a payload was encrypted with.
	MetadataKeyID = "encryption-key-id"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// DevelopmentKeyID is the id of the fixed development key used when no keys
// are configured in development. Production refuses it.
const DevelopmentKeyID = "dev"

// developmentKey is derived from a public string: it is no secret, and
// exists so that `make dev` and the tests exercise the same encryption path
// as production (and histories recorded in tests decrypt in replay tests).
var developmentKey = sha256.Sum256([]byte("motcua development payload key: public, never for production"))

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Codec is a converter.PayloadCodec that encrypts with the active key and
// decrypts with whichever key a payload names.
type Codec struct {
	active string
	aeads  map[string]cipher.AEAD
	ids    []string // in configuration order, for error messages
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys (id → 32-byte key) that encrypts with the
// key named active.
func New(keys map[string][]byte, active string) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("no payload keys given")
	}
	c := &Codec{active: active, aeads: map[string]cipher.AEAD{}}
	for id, key := range keys {
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("payload key id %q must be 1 to 64 letters, digits, '.', '_' or '-'", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("payload key %q is %d bytes; AES-256 needs exactly %d (make one with: openssl rand -base64 32)", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("payload key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payload key %q: %w", id, err)
		}
		c.aeads[id] = aead
		c.ids = append(c.ids, id)
	}
	slices.Sort(c.ids)
	if _, ok := c.aeads[active]; !ok {
		return nil, fmt.Errorf("the active payload key %q is not among the keys (%s)", active, strings.Join(c.ids, ", "))
	}
	return c, nil
}

// Parse reads a key ring in the form of MOTCUA_PAYLOAD_KEYS,
// "id=base64key,id2=base64key", and the active key id (MOTCUA_PAYLOAD_KEY_ID;
// empty: the first key listed).
func Parse(spec, active string) (*Codec, error) {
	keys := map[string][]byte{}
	first := ""
	for i, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, b64, ok := strings.Cut(item, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS item %d is not id=base64key", i+1)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS lists key %q twice", id)
		}
		key, err := decodeKey(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS key %q is not base64: %w", id, err)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS key %q is %d bytes; AES-256 needs exactly %d (make one with: openssl rand -base64 32)", id, len(key), KeySize)
		}
		keys[id] = key
		if first == "" {
			first = id
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("MOTCUA_PAYLOAD_KEYS has no keys; the form is id=base64key,id2=base64key")
	}
	if active == "" {
		active = first
	}
	c, err := New(keys, active)
	if err != nil {
		return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS/MOTCUA_PAYLOAD_KEY_ID: %w", err)
	}
	return c, nil
}

// decodeKey accepts standard and URL-safe base64, padded or not: keys are
// pasted from openssl, secret managers and Kubernetes manifests.
func decodeKey(s string) ([]byte, error) {
	var lastErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// Development returns the codec with the fixed, public development key.
func Development() *Codec {
	c, err := New(map[string][]byte{DevelopmentKeyID: developmentKey[:]}, DevelopmentKeyID)
	if err != nil {
		panic("the development payload key is invalid: " + err.Error())
	}
	return c
}

// FromConfig returns the codec the configuration asks for. In development
// without MOTCUA_PAYLOAD_KEYS it falls back to the public development key
// and warns; production requires keys and refuses the development key, and
// so does development with a listener off loopback.
func FromConfig(cfg config.Config, log *slog.Logger) (*Codec, error) {
	if strings.TrimSpace(cfg.PayloadKeys) == "" {
		if cfg.Environment == "production" {
			return nil, errors.New("MOTCUA_PAYLOAD_KEYS is not set: production needs the keys that encrypt Temporal payloads, " +
				"e.g. MOTCUA_PAYLOAD_KEYS=k1=$(openssl rand -base64 32) (see the README, Payload encryption)")
		}
		if cfg.PayloadKeyID != "" && cfg.PayloadKeyID != DevelopmentKeyID {
			return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEY_ID is %q but MOTCUA_PAYLOAD_KEYS is not set", cfg.PayloadKeyID)
		}
		if log != nil {
			log.Warn("MOTCUA_PAYLOAD_KEYS is not set: Temporal payloads are encrypted with the public development key; set real keys outside development")
		}
		return Development(), nil
	}
	c, err := Parse(cfg.PayloadKeys, cfg.PayloadKeyID)
	if err != nil {
		return nil, err
	}
	// A listener reachable from other machines (config.Exposed) is as
	// public as production.
	if cfg.Environment == "production" || len(cfg.Exposed()) > 0 {
		for id, aead := range c.aeads {
			if sealsLikeDevelopment(aead) {
				return nil, fmt.Errorf("MOTCUA_PAYLOAD_KEYS key %q is the public development key; production, or a listener off loopback, needs a secret one", id)
			}
		}
	}
	return c, nil
}

// sealsLikeDevelopment tells whether aead uses the development key (GCM
// keeps no key to compare, so compare what both make of a fixed input).
func sealsLikeDevelopment(aead cipher.AEAD) bool {
	dev := Development().aeads[DevelopmentKeyID]
	nonce := make([]byte, dev.NonceSize())
	probe := []byte("probe")
	return string(aead.Seal(nil, nonce, probe, nil)) == string(dev.Seal(nil, nonce, probe, nil))
}

// ActiveKeyID is the id of the key new payloads are encrypted with.
func (c *Codec) ActiveKeyID() string { return c.active }

// DataConverter is the SDK's default converter (JSON and friends) with
// every payload encrypted by c. Every Temporal client of the application —
// API, worker, reconcile — must use it.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter turns errors into Temporal failures with their message
// and stack trace moved into the failure's encoded attributes, a payload
// this codec encrypts: a postal service's or a gateway's error that echoes
// an applicant's name or address reaches the history, the Web UI and the
// server's logs as "Encoded failure" and ciphertext, and reads in clear
// only through the codec (the worker, the API, the codec endpoint for
// ops). The error's type (ApplicationError type, NonRetryable) stays in
// clear: retries and the workflows' decisions depend on it. Every client
// and worker must use it with DataConverter; failures recorded before it
// (in clear) still convert.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: c.DataConverter(), EncodeCommonAttributes: true})
}

// Encode encrypts each payload, whole (metadata and data), with the active
// key. The key id is also the GCM additional data, so a payload relabelled
// with another key id fails to decrypt rather than decrypting wrongly.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.active]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload: random nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(c.active),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.active)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key it names and passes
// any other payload through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload %d was encrypted with key %q, which is not in MOTCUA_PAYLOAD_KEYS (known: %s); keep retired keys in the ring until no history needs them",
				i, id, strings.Join(c.ids, ", "))
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("payload %d (key %q) is too short to be encrypted data", i, id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("payload %d does not decrypt with key %q: the key is wrong or the payload was altered", i, id)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("payload %d (key %q) decrypts to something that is not a payload: %w", i, id, err)
		}
		out[i] = &decoded
	}
	return out, nil
}

// Seal encrypts plain with the active key, binding ad (additional data the
// caller gives again to Open, e.g. a document's id) and the key id to the
// result. It is the same key ring and AES-256-GCM as the payloads: stored
// documents (package document) rotate with MOTCUA_PAYLOAD_KEYS.
func (c *Codec) Seal(plain, ad []byte) (keyID string, sealed []byte, err error) {
	aead := c.aeads[c.active]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: random nonce: %w", err)
	}
	return c.active, aead.Seal(nonce, nonce, plain, sealAD(c.active, ad)), nil
}

// Open decrypts what Seal returned, with the key it names.
func (c *Codec) Open(keyID string, sealed, ad []byte) ([]byte, error) {
	aead, ok := c.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("sealed with key %q, which is not in MOTCUA_PAYLOAD_KEYS (known: %s); keep retired keys in the ring until nothing needs them",
			keyID, strings.Join(c.ids, ", "))
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("sealed data (key %q) is too short", keyID)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], sealAD(keyID, ad))
	if err != nil {
		return nil, fmt.Errorf("sealed data does not decrypt with key %q: the key is wrong or the data was altered", keyID)
	}
	return plain, nil
}

// sealAD is the additional data of Seal: the key id, then the caller's.
func sealAD(keyID string, ad []byte) []byte {
	return append([]byte(keyID+"\x00"), ad...)
}
