package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// A rotation as the operator runs it: files sealed with the old key are
// re-encrypted with the new active one by `motcua documents rekey`.
func TestDocumentsRekeyCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	old := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	next := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	env := func(vars map[string]string) func(string) string {
		return func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return vars[k]
		}
	}
	before := env(map[string]string{"MOTCUA_PAYLOAD_KEYS": "old=" + old})
	cfg, err := config.Load(before)
	require.NoError(t, err)
	pc, err := codec.FromConfig(cfg, nil)
	require.NoError(t, err)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer db.Close()
	docs := document.New(document.Options{Store: db, Objects: document.Embedded(db), Keys: pc})
	_, err = docs.Put(ctx, "D-REKEY", document.KindForm, "a.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	require.NoError(t, err)

	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"documents", "keys"}, before, &out, &errOut), errOut.String())
	require.Equal(t, "key old: 1 file(s)\n", out.String())
	out.Reset()
	after := env(map[string]string{"MOTCUA_PAYLOAD_KEYS": "next=" + next + ",old=" + old})
	require.NoError(t, run(ctx, []string{"documents", "rekey"}, after, &out, &errOut), errOut.String())
	require.Equal(t, "documents rekey: 1 file(s) re-encrypted with key \"next\"\nkey next: 1 file(s)\n", out.String())
	require.Error(t, run(ctx, []string{"documents"}, after, &out, &errOut))
}
