package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"

	"github.com/motcua/motcua/api"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/internal/testenv"
)

// pdfFile is a small well-formed PDF carrying marker.
func pdfFile(marker string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + marker + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func pngFile(t *testing.T, w int) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, w, 3))))
	return b.Bytes()
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// upload posts a file to /v1/uploads as p.
func (s *system) upload(p auth.Principal, name string, content []byte, declared string) response {
	s.t.Helper()
	q := url.Values{"name": {name}, "sha256": {declared}}
	return s.call("POST", "/v1/uploads?"+q.Encode(), content, append(as(s.t, p), "Content-Type", "application/octet-stream")...)
}

func docsByName(d map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, x := range d["documents"].([]any) {
		m := x.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

// A dossier carried with its files end to end: a scan uploaded first and
// named in the submission, a document declared by hash only and its file
// sent later, the result uploaded by the leader and named in the approval,
// downloaded by the applicant with the lookup key. Files never enter the
// workflow's history, which stays within 60 events.
func TestDocumentsEndToEnd(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	marker := "scan-marker-" + testenv.RandomSuffix()
	scan := pdfFile(marker)
	id := pngFile(t, 7)
	up := s.upload(testPortal, "to-khai.pdf", scan, hexSum(scan))
	require.Equal(t, 201, up.status, string(up.body))
	u := up.json(t)
	require.Equal(t, "application/pdf", u["content_type"])
	require.Equal(t, float64(len(scan)), u["size"])

	sub := submission("HT-KS-01", "online", "electronic")
	sub["documents"] = []map[string]any{
		{"name": "to-khai.pdf", "sha256": hexSum(scan), "upload_id": u["id"]},
		{"name": "cccd.png", "sha256": hexSum(id)},
		{"name": "never-sent.pdf", "sha256": strings.Repeat("0f", 32)},
	}
	created := s.must(201, "POST", "/v1/dossiers", sub)
	code, key := created["code"].(string), created["lookup_key"].(string)
	docs := docsByName(created)
	require.Equal(t, "stored", docs["to-khai.pdf"]["status"])
	require.Equal(t, "application/pdf", docs["to-khai.pdf"]["content_type"])
	require.Equal(t, "declared", docs["cccd.png"]["status"])
	require.NotContains(t, docs["cccd.png"], "size")

	// The same upload cannot be filed twice.
	again := s.call("POST", "/v1/dossiers", sub)
	require.Equal(t, 409, again.status, string(again.body))
	require.Contains(t, again.json(t)["detail"], "attached to a dossier already")

	// Downloads: as the dossier reads; a declared document has no file yet.
	D := "/v1/dossiers/" + code
	res := s.call("GET", D+"/documents/"+hexSum(scan), nil)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, scan, res.body)
	require.Equal(t, "application/pdf", res.header.Get("Content-Type"))
	require.Contains(t, res.header.Get("Content-Disposition"), "to-khai.pdf")
	other := auth.Principal{Subject: "other-portal", Role: auth.RolePortal}
	require.Equal(t, 403, s.call("GET", D+"/documents/"+hexSum(scan), nil, as(t, other)...).status)
	res = s.call("GET", D+"/documents/"+hexSum(id), nil)
	require.Equal(t, 404, res.status)
	require.Contains(t, res.json(t)["detail"], "declared and its file has not been uploaded")

	// The declared document's file, sent later: checked against its hash.
	put := func(sum string, content []byte) response {
		return s.call("PUT", D+"/documents/"+sum, content, append(as(t, testPortal), "Content-Type", "image/png")...)
	}
	res = put(hexSum(id), pngFile(t, 8))
	require.Equal(t, 422, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "not the declared")
	require.Equal(t, 404, put(strings.Repeat("1f", 32), id).status, "not a document of the dossier")
	require.Equal(t, 403, s.call("PUT", D+"/documents/"+hexSum(id), id, as(t, other)...).status)
	res = put(hexSum(id), id)
	require.Equal(t, 201, res.status, string(res.body))
	require.Equal(t, "image/png", res.json(t)["content_type"])
	require.Equal(t, 409, put(hexSum(id), id).status, "stored already")
	docs = docsByName(s.must(200, "GET", D, nil))
	require.Equal(t, "stored", docs["cccd.png"]["status"])
	require.Equal(t, float64(len(id)), docs["cccd.png"]["size"])

	// The result: uploaded by the leader who approves, named in the approval.
	s.must(200, "POST", D+"/intake", map[string]any{"decision": "accept"})
	s.must(200, "POST", D+"/review", map[string]any{"decision": "approve"})
	leader := s.actorFor("POST", D+"/approval", nil)
	result := testenv.DocumentPDF(t, "GIAY KHAI SINH "+code)
	ru := s.upload(leader, "giay-khai-sinh.pdf", result, hexSum(result))
	require.Equal(t, 201, ru.status, string(ru.body))
	res = s.call("POST", D+"/approval", map[string]any{"decision": "approve",
		"result_document": map[string]any{"name": "giay-khai-sinh.pdf", "sha256": hexSum(result), "upload_id": "doc-unknown"}})
	require.Equal(t, 400, res.status, "an unknown upload: %s", res.body)
	approved := s.must(200, "POST", D+"/approval", map[string]any{"decision": "approve",
		"result_document": map[string]any{"name": "giay-khai-sinh.pdf", "sha256": hexSum(result), "upload_id": ru.json(t)["id"]}})
	// The leader's PDF itself is signed: the signed file is the result.
	signedDoc := approved["result_document"].(map[string]any)
	require.Equal(t, "stored", signedDoc["status"])
	require.Equal(t, "giay-khai-sinh.pdf", signedDoc["name"])
	require.NotEqual(t, hexSum(result), signedDoc["sha256"])
	s.eventually(code, "returned", func(d map[string]any) bool { return d["status"] == "returned" })

	// The applicant downloads it with the lookup key, without signing in.
	pub := s.must(200, "GET", "/v1/public/dossiers/"+code+"?key="+key, nil, noToken...)
	rd := pub["result_document"].(map[string]any)
	require.Equal(t, "/v1/public/dossiers/"+code+"/result", rd["download_path"])
	res = s.call("GET", rd["download_path"].(string)+"?key="+strings.ToLower(key), nil, noToken...)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, signedDoc["sha256"], hexSum(res.body))
	require.True(t, bytes.HasPrefix(res.body, result), "the signed file is the leader's bytes followed by the signature")
	require.Contains(t, testenv.PDFText(t, res.body), "GIAY KHAI SINH "+code)
	require.Equal(t, 404, s.call("GET", "/v1/public/dossiers/"+code+"/result?key=WRONGKEY22", nil, noToken...).status)
	require.Equal(t, 400, s.call("GET", "/v1/public/dossiers/"+code+"/result", nil, noToken...).status)

	// A closed dossier takes no files.
	res = s.call("PUT", D+"/documents/"+strings.Repeat("0f", 32), scan, as(t, testPortal)...)
	require.Equal(t, 409, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "no further action is possible")

	// The history holds references only, and stays short.
	h := historypb.History{Events: s.history(code)}
	t.Logf("history events: %d", len(h.Events))
	require.LessOrEqual(t, len(h.Events), 60, "history events of the happy path")
	decoded, err := testenv.Codec().Decode(payloadsOf(&h))
	require.NoError(t, err)
	var plain bytes.Buffer
	for _, p := range decoded {
		plain.Write(p.Data)
	}
	require.Contains(t, plain.String(), signedDoc["sha256"], "the result's reference is in the history")
	require.NotContains(t, plain.String(), marker, "the scan's content is not")
	require.NotContains(t, plain.String(), "%PDF-", "no file content at all")
}

// Bad files and bad references: a clear 4xx problem each, nothing filed.
func TestDocumentRefusals(t *testing.T) {
	t.Parallel()
	docs := document.New(document.Options{Store: testenv.SharedStore(t), Objects: document.Embedded(testenv.SharedStore(t)),
		Keys: codec.Development(), MaxFileBytes: 2048, MaxDossierBytes: 3000})
	s := newSystemOptions(t, 0, func(o *api.Options) { o.Documents = docs })
	me := auth.Principal{Subject: "portal-" + testenv.RandomSuffix(), Role: auth.RolePortal}
	pdf := pdfFile("ok")
	big := append(pdfFile("big"), bytes.Repeat([]byte(" "), 2100)...)
	pngData := pngFile(t, 5)
	for _, c := range []struct {
		what     string
		name     string
		content  []byte
		declared string
		status   int
		detail   string
	}{
		{"oversized", "big.pdf", big, hexSum(big), 413, "larger than the limit of 2048 bytes per file"},
		{"foreign type", "a.docx", []byte("PK\x03\x04\x14\x00\x06\x00"), hexSum([]byte("PK\x03\x04\x14\x00\x06\x00")), 415, "only PDF, JPEG and PNG"},
		{"corrupt", "scan.png", pngData[:len(pngData)-12], hexSum(pngData[:len(pngData)-12]), 422, "truncated or corrupt"},
		{"truncated pdf", "a.pdf", pdf[:20], hexSum(pdf[:20]), 422, "no %%EOF marker"},
		{"hash mismatch", "a.pdf", pdf, hexSum(pngData), 422, "not the declared"},
		{"no hash", "a.pdf", pdf, "", 400, "sha256 is required"},
		{"no name", "", pdf, hexSum(pdf), 400, "name is required"},
		{"empty", "a.pdf", nil, hexSum(nil), 400, "the file is empty"},
	} {
		res := s.upload(me, c.name, c.content, c.declared)
		require.Equal(t, c.status, res.status, "%s: %s", c.what, res.body)
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), c.what)
		require.Contains(t, res.json(t)["detail"], c.detail, c.what)
	}
	require.Equal(t, 401, s.call("POST", "/v1/uploads?name=a.pdf&sha256="+hexSum(pdf), pdf, noToken...).status)

	// References: someone else's upload, a hash that is not the upload's,
	// and files over the dossier's total each refuse the submission, which
	// creates no dossier.
	mine := s.upload(me, "a.pdf", pdf, hexSum(pdf)).json(t)
	theirs := s.upload(testPortal, "b.png", pngData, hexSum(pngData)).json(t)
	filed := func(docs ...map[string]any) response {
		sub := submission("HT-KS-01", "online", "electronic")
		sub["documents"] = docs
		return s.call("POST", "/v1/dossiers", sub, as(t, me)...)
	}
	res := filed(map[string]any{"name": "b.png", "sha256": hexSum(pngData), "upload_id": theirs["id"]})
	require.Equal(t, 400, res.status, string(res.body))
	require.Contains(t, res.json(t)["detail"], "is not an upload of yours")
	res = filed(map[string]any{"name": "a.pdf", "sha256": hexSum(pngData), "upload_id": mine["id"]})
	require.Equal(t, 422, res.status, string(res.body))
	res = filed(map[string]any{"name": "a.pdf", "sha256": hexSum(pdf), "upload_id": mine["id"]},
		map[string]any{"name": "a2.pdf", "sha256": hexSum(pdf), "upload_id": mine["id"]})
	require.Equal(t, 400, res.status, "one upload named twice: %s", res.body)
	near := append(pdfFile("near"), bytes.Repeat([]byte(" "), 1940)...)
	near = append(near, "\n%%EOF\n"...)
	second := s.upload(me, "near.pdf", near, hexSum(near))
	require.Equal(t, 201, second.status, string(second.body))
	res = filed(map[string]any{"name": "a.pdf", "sha256": hexSum(pdf), "upload_id": mine["id"]},
		map[string]any{"name": "near.pdf", "sha256": hexSum(near), "upload_id": second.json(t)["id"]},
		map[string]any{"name": "b.png", "sha256": hexSum(pngData)})
	require.Equal(t, 201, res.status, "within 3000 bytes: %s", res.body)
	code := res.json(t)["code"].(string)
	// Now over the total: the declared PNG's file does not fit.
	res = s.call("PUT", "/v1/dossiers/"+code+"/documents/"+hexSum(pngData), pngData, as(t, me)...)
	require.Equal(t, 201, res.status, "%d bytes still fit: %s", len(pngData), res.body)
	three := append(pdfFile("three"), bytes.Repeat([]byte(" "), 900)...)
	three = append(three, "\n%%EOF\n"...)
	up := s.upload(me, "three.pdf", three, hexSum(three)).json(t)
	res = s.call("POST", "/v1/dossiers/"+code+"/supplement", map[string]any{
		"documents": []map[string]any{{"name": "three.pdf", "sha256": hexSum(three), "upload_id": up["id"]}}}, as(t, me)...)
	require.Equal(t, 413, res.status, "over the dossier's total: %s", res.body)
	require.Contains(t, res.json(t)["detail"], "over the limit of 3000 bytes per dossier")
}
