package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Documents' files (package document). A client uploads a file first
// (POST /v1/uploads, the raw bytes) and names the upload in the request
// that files it: a submission's or a supplement's documents[].upload_id,
// an approval's result_document.upload_id. A document listed by name and
// hash only (the original /v1 form) is "declared": its file can be sent
// later with PUT /v1/dossiers/{code}/documents/{sha256}.

// uploadJSON is an upload's record.
type uploadJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// storedFileJSON is the record of a file stored into a dossier.
type storedFileJSON struct {
	Name        string `json:"name"`
	SHA256      string `json:"sha256"`
	Kind        string `json:"kind"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// readFile reads a request body holding a file, refusing more than the
// per-file limit.
func (s *Server) readFile(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.docs.MaxFileBytes()
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, dossier.Errorf(dossier.ETooLarge, "the file is larger than the limit of %d bytes per file", limit)
	case err != nil:
		return nil, dossier.Errorf(dossier.EInvalid, "the file could not be read: %v", err)
	}
	return raw, nil
}

// sha256Param is the sha256 query parameter, required: the file's hash
// as the client computed it.
func sha256Param(r *http.Request) (string, error) {
	h := r.URL.Query().Get("sha256")
	if !sha256Re.MatchString(h) {
		return "", &dossier.Error{Code: dossier.EInvalid,
			Message: "sha256 is required: the file's SHA-256, 64 hexadecimal characters",
			Fields:  []dossier.FieldError{{Field: "sha256", Reason: "must be 64 hexadecimal characters (a SHA-256 digest)"}}}
	}
	return strings.ToLower(h), nil
}

// postUpload answers POST /v1/uploads?name=…&sha256=…: the body is the
// file. Any authenticated caller may upload; attaching the upload is
// authorized with the action that names it.
func (s *Server) postUpload(w http.ResponseWriter, r *http.Request) {
	sum, err := sha256Param(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	content, err := s.readFile(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	d, err := s.docs.Upload(r.Context(), principal(r).Subject, nfc(r.URL.Query().Get("name")), sum, content)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusCreated, uploadJSON{ID: d.ID, Name: d.Name, SHA256: d.SHA256, ContentType: d.ContentType,
		Size: d.Size, ExpiresAt: d.ExpiresAt.In(dossier.Location)})
}

// putDocument answers PUT /v1/dossiers/{code}/documents/{sha256}: the
// file of a document the dossier declares by that hash (a submitted or
// supplemented one: whoever may supplement the dossier; the result: whoever
// may approve it). Closed dossiers take no files (409).
func (s *Server) putDocument(w http.ResponseWriter, r *http.Request) {
	code, sum := chi.URLParam(r, "code"), strings.ToLower(chi.URLParam(r, "sha256"))
	d, err := s.store.Dossier(r.Context(), code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	name, kind, action := "", "", auth.Supplement
	for _, doc := range d.Documents {
		if doc.SHA256 == sum {
			name, kind = doc.Name, document.KindSubmission
			break
		}
	}
	if rd := d.ResultDocument; name == "" && rd != nil && rd.SHA256 == sum {
		name, kind, action = rd.Name, document.KindResult, auth.Approval
	}
	if name == "" {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound,
			"dossier %s declares no document with SHA-256 %s; declare it in a submission, a supplement or an approval first", code, sum))
		return
	}
	if _, ok := s.authorizedDossier(w, r, code, action); !ok {
		return
	}
	if _, err := s.store.DossierFile(r.Context(), code, sum); err == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.EConflict, "the file of document %q (SHA-256 %s) is stored already", name, sum))
		return
	}
	content, err := s.readFile(w, r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	doc, err := s.docs.PutAs(r.Context(), code, kind, name, principal(r).Subject, sum, content)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusCreated, storedFileJSON{Name: doc.Name, SHA256: doc.SHA256, Kind: doc.Kind,
		ContentType: doc.ContentType, Size: doc.Size})
}

// getDocument answers GET /v1/dossiers/{code}/documents/{sha256} with the
// file, for whoever may read the dossier.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	if _, ok := s.authorizedDossier(w, r, code, auth.ReadDossier); !ok {
		return
	}
	s.sendFile(w, r, code, chi.URLParam(r, "sha256"))
}

// publicResult answers GET /v1/public/dossiers/{code}/result?key=… with
// the result document's file: the applicant's download, with the lookup
// key (an unknown code and a wrong key get the same 404).
func (s *Server) publicResult(w http.ResponseWriter, r *http.Request) {
	d, ok := s.publicLookup(w, r)
	if !ok {
		return
	}
	if d.ResultDocument == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "dossier %s has no result document yet", d.Code))
		return
	}
	s.sendFile(w, r, d.Code, d.ResultDocument.SHA256, document.KindResult)
}

// sendFile answers with a dossier's stored file; 404 saying so when the
// document is declared but its file has not arrived.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, code, sum string, kinds ...string) {
	doc, content, err := s.docs.Get(r.Context(), code, sum, kinds...)
	if dossier.ErrorCodeOf(err) == dossier.ENotFound {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound,
			"dossier %s has no stored file with SHA-256 %s: no such document, or it is declared and its file has not been uploaded", code, sum))
		return
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", doc.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+doc.SHA256+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// withFiles adds to a single dossier's answer whether each document's
// file is stored.
func (s *Server) withFiles(ctx context.Context, out *dossierJSON) error {
	files, err := s.docs.Files(ctx, out.Code)
	if err != nil {
		return s.unavailable(err)
	}
	byHash := map[string]document.Document{}
	for _, f := range files {
		if _, seen := byHash[f.SHA256]; !seen {
			byHash[f.SHA256] = f
		}
	}
	fields := func(sum string) fileFields {
		f, ok := byHash[sum]
		if !ok {
			return fileFields{Status: "declared"}
		}
		return fileFields{Status: "stored", ContentType: &f.ContentType, Size: &f.Size}
	}
	for i := range out.Documents {
		out.Documents[i].fileFields = fields(out.Documents[i].SHA256)
	}
	if out.ResultDocument != nil {
		out.ResultDocument.fileFields = fields(out.ResultDocument.SHA256)
	}
	return nil
}

// renderWithFiles is renderDossier with the documents' file status.
func (s *Server) renderWithFiles(r *http.Request, d store.Dossier, fullID bool) (dossierJSON, error) {
	out := renderDossier(d, fullID)
	return out, s.withFiles(r.Context(), &out)
}

// uploadRefs are the uploads named by a list of documents (field: the
// list's name in the request).
func uploadRefs(field string, docs []documentJSON) []store.UploadRef {
	var out []store.UploadRef
	for i, d := range docs {
		if d.UploadID != "" {
			out = append(out, store.UploadRef{ID: d.UploadID, SHA256: strings.ToLower(d.SHA256), Field: field + "[" + itoa(i) + "]"})
		}
	}
	return out
}

// checkUploadIDs validates the upload_id of each document: short, and no
// upload named twice.
func checkUploadIDs(v *dossier.Invalid, field string, docs []documentJSON) {
	seen := map[string]bool{}
	for i, d := range docs {
		if d.UploadID == "" {
			continue
		}
		f := field + "[" + itoa(i) + "].upload_id"
		switch {
		case len(d.UploadID) > 100:
			v.Add(f, "must be at most 100 characters (an id POST /v1/uploads returned)")
		case seen[d.UploadID]:
			v.Add(f, "names an upload another document names already")
		}
		seen[d.UploadID] = true
	}
}

// actionWithFiles is action for the actions that may carry uploads (a
// supplement, an approval with its result): the uploads are checked
// before the workflow is asked, and attached to the dossier as kind once
// it accepted the action. A retry with the same Idempotency-Key after a
// failed attachment attaches them then.
//
// prepare, when not nil, runs on the checked argument and the checked
// uploads of by before the update is sent (the approval signs its result
// there) and returns the argument to send and the uploads to attach.
func actionWithFiles[Req any](s *Server, a auth.Action, update, kind string, check checkFunc[Req], refs func(*Req) []store.UploadRef,
	prepare func(ctx context.Context, d store.Dossier, arg any, uploads []store.UploadRef, by string) (any, []store.UploadRef, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		code := chi.URLParam(r, "code")
		d, ok := s.authorizedDossier(w, r, code, a)
		if !ok {
			return
		}
		var req Req
		if err := decode(w, r, &req); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		var v dossier.Invalid
		arg, err := check(r, &req, &v)
		if err == nil {
			err = v.Err()
		}
		uploads := refs(&req)
		by := principal(r).Subject
		if err == nil {
			err = s.docs.Check(ctx, code, by, uploads)
		}
		if err == nil && prepare != nil {
			arg, uploads, err = prepare(ctx, d, arg, uploads, by)
		}
		var state *workflows.State
		if err == nil {
			state, err = s.sendUpdateState(ctx, code, update, updateID(r, update), arg)
		}
		if err == nil {
			err = s.docs.Attach(ctx, code, kind, by, uploads)
		}
		if err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		s.respondAfter(w, r, d, update, state)
	}
}

// respondDossier answers with the dossier as it is now.
func (s *Server) respondDossier(w http.ResponseWriter, r *http.Request, code string) {
	d, err := s.store.Dossier(r.Context(), code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out, err := s.renderWithFiles(r, d, seesIdentityNumber(r, d))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
