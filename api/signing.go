package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/document"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/forms"
	"github.com/motcua/motcua/signing"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// signApproval signs the result of a leader's approval. An approval that
// makes the result (the dossier waits at the approval step) is signed with
// the approving agency's certificate:
//
//   - the leader's result document, when it is an uploaded PDF, is itself
//     signed: the signed file (the leader's bytes followed by the agency's
//     signature, a PDF incremental update, so the original is the signed
//     file's first bytes) becomes the result, is kept, and the unsigned
//     upload is not attached (it expires with the uploads never attached);
//   - without a result document, the system issues the result notice,
//     signs it and it is the result;
//   - with a result document that cannot carry a signature (a JPEG or PNG
//     scan, or one declared by name and hash with no file), the leader's
//     record stays as sent and the signed notice names it and its
//     SHA-256, so the agency's signature vouches for that file.
//
// Electronic return needs the signed result: without a certificate for the
// agency, or with an expired one, the approval is refused (409) with the
// reason, before the workflow hears of it. Other return methods are signed
// when the agency has a certificate and go on unsigned otherwise. The
// approval itself (api/actions.go) checks the body and any uploaded result
// file, calls this before the update, and attaches the uploads it returns
// after it.
func (s *Server) signApproval(ctx context.Context, d store.Dossier, arg any, uploads []store.UploadRef, by string) (any, []store.UploadRef, error) {
	dec := arg.(workflows.ApprovalDecision)
	if dec.Decision != "approve" || d.Stage != dossier.StageApproval {
		return dec, uploads, nil
	}
	doc, signedUpload, err := s.signResult(ctx, d, dec, uploads, by)
	if err != nil {
		return nil, nil, err
	}
	if signedUpload {
		dec.ResultDocument, uploads = doc, nil
	} else if doc != nil && dec.ResultDocument == nil {
		dec.ResultDocument = doc
	}
	return dec, uploads, nil
}

// returnMethod is how the dossier's result goes back now (the workflow may
// have changed it; the submission's otherwise).
func returnMethod(d store.Dossier) dossier.ReturnMethod {
	if d.Progress.ReturnMethod != "" {
		return d.Progress.ReturnMethod
	}
	return d.ReturnMethod
}

// signResult signs the result of d's approval and keeps it (see
// signApproval): the leader's uploaded PDF itself (signedUpload true), or
// the result notice. nil when the result goes back other than
// electronically and the agency has no certificate. A retried approval
// finds the file it kept and signs nothing new.
func (s *Server) signResult(ctx context.Context, d store.Dossier, dec workflows.ApprovalDecision, uploads []store.UploadRef, by string) (doc *dossier.Document, signedUpload bool, err error) {
	electronic := returnMethod(d) == dossier.ReturnElectronic
	proc, err := s.procedureVersion(ctx, d.ProcedureCode, d.ProcedureVersion)
	if err != nil {
		return nil, false, s.unavailable(err)
	}
	agency := proc.ApprovalDepartment()
	if s.signer == nil {
		if electronic {
			return nil, false, dossier.Errorf(dossier.EConflict, "electronic return needs a signed result, and no signing certificates are configured (MOTCUA_SIGNING_DIR or MOTCUA_SIGNING_URL); approve after they are, or return the result otherwise")
		}
		return nil, false, nil
	}
	name := d.Code + "-ket-qua.pdf"
	if dec.ResultDocument != nil {
		// Named after the leader's result document; another document on a
		// later approval (after a return for rework) is another file.
		name = d.Code + "-ket-qua-" + dec.ResultDocument.SHA256[:12] + ".pdf"
	}
	if kept, err := s.files.Get(ctx, d.Code, name); err == nil {
		return resultDocument(kept, dec), kept.Kind == issuedSignedUpload, nil
	} else if dossier.ErrorCodeOf(err) != dossier.ENotFound {
		return nil, false, s.unavailable(err)
	}
	agencyName, err := s.store.AgencyName(ctx, agency)
	if err != nil {
		return nil, false, s.unavailable(err)
	}
	at := s.clock.Now()
	info := signing.Info{Name: agencyName, Reason: "Kết quả giải quyết hồ sơ " + d.Code, Location: agencyName, At: at}
	pdf, kind, err := s.resultToSign(ctx, d, dec, uploads, by, at)
	if err != nil {
		return nil, false, err
	}
	signed, _, err := signing.Sign(ctx, s.signer, agency, pdf, info)
	var expired *signing.ExpiredError
	switch {
	case errors.As(err, &expired):
		return nil, false, dossier.Errorf(dossier.EConflict, "%s: the result cannot be signed; install the agency's renewed certificate and approve again", expired.Error())
	case errors.Is(err, signing.ErrNoCertificate) && !electronic:
		return nil, false, nil
	case errors.Is(err, signing.ErrNoCertificate):
		return nil, false, dossier.Errorf(dossier.EConflict, "electronic return needs a signed result, and agency %s has no signing certificate; install its certificate, or return the result otherwise", agency)
	case err != nil && kind == issuedSignedUpload:
		// The leader's own file: the library could not add a signature to
		// it (an encrypted or damaged PDF). Nothing is kept or sent.
		return nil, false, &dossier.Error{Code: dossier.EUnprocessable,
			Message: fmt.Sprintf("the result document %q could not be signed (%v); export it again as a plain PDF (not encrypted or password-protected) and upload that", dec.ResultDocument.Name, err),
			Fields:  []dossier.FieldError{{Field: "result_document", Reason: "cannot be signed"}}}
	case err != nil:
		return nil, false, s.unavailable(err)
	}
	kept, err := s.files.Put(ctx, store.IssuedFile{DossierCode: d.Code, Name: name, Kind: kind, IssuedAt: at, Content: signed})
	if err != nil {
		return nil, false, s.unavailable(err)
	}
	return resultDocument(kept, dec), kind == issuedSignedUpload, nil
}

// The issued-file kinds of a signed result: the result notice the system
// made, or the leader's uploaded PDF signed. Both are results (document
// kind result; the verification page finds either by its SHA-256).
const (
	issuedResultNotice = document.KindResult
	issuedSignedUpload = "result-signed-upload"
)

// resultToSign is the PDF the approval signs, and the issued-file kind it
// is kept as: the leader's uploaded result when it is a PDF, else the
// result notice (naming the leader's result document, if any).
func (s *Server) resultToSign(ctx context.Context, d store.Dossier, dec workflows.ApprovalDecision, uploads []store.UploadRef, by string, at time.Time) ([]byte, string, error) {
	if dec.ResultDocument != nil && len(uploads) == 1 {
		up, content, err := s.docs.Uploaded(ctx, by, uploads[0].ID)
		if err != nil {
			return nil, "", s.unavailable(err)
		}
		if up.ContentType == document.TypePDF {
			return content, issuedSignedUpload, nil
		}
	}
	base, err := s.formDossier(ctx, d)
	if err != nil {
		return nil, "", s.unavailable(err)
	}
	notice := forms.ResultNotice{Dossier: base, At: at, Signer: dec.Actor, Note: dec.Note, VerifyURL: s.publicURL + "/verify"}
	if rd := dec.ResultDocument; rd != nil {
		notice.ResultName, notice.ResultSHA256 = rd.Name, rd.SHA256
	}
	pdf, err := forms.Result(notice)
	return pdf, issuedResultNotice, err
}

// resultDocument is a kept signed result as the approval names it: the
// signed leader's PDF keeps the name the leader gave it (the applicant
// sees "giay-phep.pdf", not the system's key for it), with the signed
// file's SHA-256.
func resultDocument(kept store.IssuedFile, dec workflows.ApprovalDecision) *dossier.Document {
	if kept.Kind == issuedSignedUpload && dec.ResultDocument != nil {
		return &dossier.Document{Name: dec.ResultDocument.Name, SHA256: kept.SHA256}
	}
	return &dossier.Document{Name: kept.Name, SHA256: kept.SHA256}
}

// getResultFile serves the signed result, authorized like the dossier:
// the result document when it is the signed notice, otherwise the signed
// notice that names the leader's result document.
func (s *Server) getResultFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code := chi.URLParam(r, "code")
	d, ok := s.authorizedDossier(w, r, code, auth.ReadDossier)
	if !ok {
		return
	}
	if d.ResultDocument == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "dossier %s has no result document yet", code))
		return
	}
	files, err := s.files.List(ctx, code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	name := ""
	for _, f := range files {
		if isResultKind(f.Kind) && (name == "" || f.Name == d.ResultDocument.Name || f.SHA256 == d.ResultDocument.SHA256) {
			name = f.Name
		}
	}
	if name == "" {
		writeError(w, r, s.log, dossier.Errorf(dossier.ENotFound, "dossier %s has no result signed by this system", code))
		return
	}
	f, err := s.files.Get(ctx, code, name)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	servePDF(w, f.Name, f)
}

// maxVerifyBytes bounds a PDF sent for verification.
const maxVerifyBytes = 20 << 20

// verificationJSON is the answer of POST /v1/public/verify.
type verificationJSON struct {
	SHA256          string     `json:"sha256"`
	Signed          bool       `json:"signed"`
	ValidSignature  bool       `json:"valid_signature"`
	IssuedByCenter  bool       `json:"issued_by_center"`
	Unaltered       bool       `json:"unaltered"`
	Agency          *string    `json:"agency_code"`
	AgencyName      *string    `json:"agency_name"`
	Signer          *string    `json:"signer"`
	SignedAt        *time.Time `json:"signed_at"`
	DossierCode     *string    `json:"dossier_code"`
	IssuedAt        *time.Time `json:"issued_at"`
	Verdict         string     `json:"verdict"`
	Message         string     `json:"message"`
	MessageVI       string     `json:"message_vi"`
	CoversWholeFile bool       `json:"covers_whole_file"`
}

// verifyPDF says whether an uploaded PDF was issued by this center, by
// whom, and is unaltered: its signature must be valid and made with one of
// the agencies' certificates, and its bytes must be exactly a result this
// center issued (its SHA-256 is on record). Public: anyone holding a
// result may check it; the answer names the dossier only for a file that
// is byte for byte one this center issued.
func (s *Server) verifyPDF(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxVerifyBytes+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(body) > maxVerifyBytes {
		writeError(w, r, s.log, dossier.Errorf(dossier.ETooLarge, "the PDF must be at most %d MiB", maxVerifyBytes>>20))
		return
	}
	if err != nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "the body could not be read: %v", err))
		return
	}
	if len(body) == 0 {
		writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "send the PDF to verify as the request body (Content-Type: application/pdf)"))
		return
	}
	if len(body) < 5 || string(body[:5]) != "%PDF-" {
		writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "the file is not a PDF (it does not start with %%PDF-); only PDF results can be verified"))
		return
	}
	if s.signer == nil {
		writeError(w, r, s.log, dossier.Errorf(dossier.EUnavailable, "this center has no signing certificates configured, so it issues no signed results to verify"))
		return
	}
	v, err := s.verifyBounded(r.Context(), body)
	if errors.Is(err, signing.ErrMalformed) {
		writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "%s; it is not a result as this center issued it", err.Error()))
		return
	}
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	out := verificationJSON{SHA256: v.SHA256, Signed: v.Signed, ValidSignature: v.ValidSignature,
		IssuedByCenter: v.ValidSignature && v.Agency != "", SignedAt: v.SignedAt, CoversWholeFile: v.CoversWholeFile}
	if v.Signer != "" {
		out.Signer = &v.Signer
	}
	if v.Agency != "" {
		out.Agency = &v.Agency
		name, err := s.store.AgencyName(r.Context(), v.Agency)
		if err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
		out.AgencyName = &name
	}
	if v.ValidSignature {
		// The exact bytes of a result issued here: issued by this center
		// even when the certificate that signed it was since renewed.
		f, err := s.store.IssuedFileBySHA256(r.Context(), v.SHA256)
		switch {
		case err == nil && isResultKind(f.Kind):
			out.IssuedByCenter, out.Unaltered = true, v.CoversWholeFile
			out.DossierCode, out.IssuedAt = &f.DossierCode, &f.IssuedAt
			if out.AgencyName == nil && out.Signer != nil {
				out.AgencyName = out.Signer
			}
		case err != nil && dossier.ErrorCodeOf(err) != dossier.ENotFound:
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	out.Verdict, out.Message, out.MessageVI = verdictOf(out)
	writeJSON(w, http.StatusOK, out)
}

// verifySlots bounds the verifications running at once, and
// verifyTimeout how long a request waits for one: the files are anyone's,
// and a parser can be slow on a crafted one.
var verifySlots = make(chan struct{}, 2)

const verifyTimeout = 20 * time.Second

// verifyBounded runs signing.Verify in one of verifySlots, giving up after
// verifyTimeout (the verification then finishes in the background and
// frees its slot; the caller gets 503).
func (s *Server) verifyBounded(ctx context.Context, body []byte) (signing.Verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	select {
	case verifySlots <- struct{}{}:
	case <-ctx.Done():
		return signing.Verdict{}, errors.New("verification: no free slot in time")
	}
	type result struct {
		v   signing.Verdict
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-verifySlots }()
		v, err := signing.Verify(context.WithoutCancel(ctx), s.signer, body)
		done <- result{v, err}
	}()
	select {
	case res := <-done:
		return res.v, res.err
	case <-ctx.Done():
		return signing.Verdict{}, errors.New("verification: took too long")
	}
}

// verdictOf sums a verification up in one word and one sentence, in
// English and Vietnamese.
func verdictOf(v verificationJSON) (verdict, en, vi string) {
	switch {
	case !v.Signed:
		return "unsigned", "The file carries no digital signature: it was not issued electronically by this center.",
			"Tệp không có chữ ký số: không phải văn bản điện tử do Trung tâm phát hành."
	case !v.ValidSignature:
		return "altered", "The signature does not match the file: it was changed after signing.",
			"Chữ ký số không khớp với nội dung: văn bản đã bị thay đổi sau khi ký."
	case !v.IssuedByCenter:
		return "not_issued_here", "The signature is valid but was made with a certificate of no agency of this center.",
			"Chữ ký số hợp lệ nhưng không phải của cơ quan thuộc Trung tâm."
	case !v.Unaltered:
		return "altered", "Signed by " + *v.AgencyName + ", but the file is not the one this center issued (it was changed or added to after signing).",
			"Được ký bởi " + *v.AgencyName + " nhưng tệp không đúng là văn bản Trung tâm đã phát hành (đã bị sửa đổi hoặc bổ sung sau khi ký)."
	}
	return "valid", "Issued by " + *v.AgencyName + " for dossier " + *v.DossierCode + ", unaltered.",
		"Do " + *v.AgencyName + " phát hành cho hồ sơ " + *v.DossierCode + ", nguyên vẹn, chưa bị sửa đổi."
}

// isResultKind: an issued file of this kind is a signed result.
func isResultKind(kind string) bool {
	return kind == issuedResultNotice || kind == issuedSignedUpload
}
