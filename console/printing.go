package console

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/dossier"
)

// printable is a form the dossier page offers to print.
type printable struct {
	Number string
	Seq    int // the event it is for; 0: the latest
}

// printEvents are the control-sheet actions after which each form can be
// printed (the API's own list decides again when it is asked).
var printEvents = []struct {
	number  string
	actions []string
}{
	{"01", []string{dossier.ActionIntakeAccept}},
	{"02", []string{dossier.ActionIntakeSupplement, dossier.ActionReviewSupplement}},
	{"03", []string{dossier.ActionIntakeRefuse, dossier.ActionReviewRefuse, dossier.ActionApprovalReject, dossier.ActionSupplementExpired}},
	{"04", []string{dossier.ActionApologyIssued}},
	{"05", []string{dossier.ActionStopped}},
}

// printables are the forms the dossier's steps issued, one per event (a
// dossier may have had several supplement requests), then the control
// sheet (06), which every dossier has.
func printables(events []eventView) []printable {
	var out []printable
	for _, f := range printEvents {
		for _, e := range events {
			if slices.Contains(f.actions, e.Action) {
				out = append(out, printable{Number: f.number, Seq: e.Seq})
			}
		}
	}
	return append(out, printable{Number: "06"})
}

// Query is the printable's query string (the event it is for).
func (p printable) Query() string {
	if p.Seq == 0 {
		return ""
	}
	return "?seq=" + strconv.Itoa(p.Seq)
}

// form hands over one of the dossier's forms as the API prints it, as the
// signed-in person (the API authorizes it like the dossier).
func (c *Console) form(w http.ResponseWriter, r *http.Request) {
	path := "/v1/dossiers/" + url.PathEscape(chi.URLParam(r, "code")) + "/forms/" + url.PathEscape(chi.URLParam(r, "number"))
	q := url.Values{}
	if seq := r.URL.Query().Get("seq"); seq != "" {
		q.Set("seq", seq)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	c.passPDF(w, r, path)
}

// logbook hands over an agency's logbook (form 07) for the period the
// reports page shows.
func (c *Console) logbook(w http.ResponseWriter, r *http.Request) {
	from, to, filters, err := c.reportQuery(r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	agency := filters.Get("agency")
	if agency == "" {
		agency = sessionOf(r).who.Agency
	}
	if agency == "" {
		c.errorPage(w, r, http.StatusBadRequest, c.lang(r).T("logbook_agency"))
		return
	}
	q := url.Values{"from": {from}, "to": {to}}
	c.passPDF(w, r, "/v1/agencies/"+url.PathEscape(agency)+"/logbook?"+q.Encode())
}

// passPDF serves a PDF the API answers to a GET as the signed-in person,
// or the API's reason on an error page.
func (c *Console) passPDF(w http.ResponseWriter, r *http.Request, path string) {
	rec, err := c.call(r, sessionOf(r).token, http.MethodGet, path, nil, nil)
	if err != nil {
		status := http.StatusBadGateway
		if p, ok := err.(*problem); ok {
			status = p.Status
		}
		c.errorPage(w, r, status, c.failure(r, err))
		return
	}
	for _, h := range []string{"Content-Type", "Content-Disposition", "ETag"} {
		if v := rec.header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.body.Bytes())
}

// verification is the API's answer to POST /v1/public/verify.
type verification struct {
	SHA256      string     `json:"sha256"`
	AgencyName  *string    `json:"agency_name"`
	DossierCode *string    `json:"dossier_code"`
	SignedAt    *time.Time `json:"signed_at"`
	Verdict     string     `json:"verdict"`
	Message     string     `json:"message"`
	MessageVI   string     `json:"message_vi"`
}

type verifyData struct {
	V *verification
}

// maxVerifyUpload bounds the PDF a visitor sends to the verification page.
const maxVerifyUpload = 20 << 20

func (c *Console) verifyPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "verify", "verify_title", verifyData{}, "", "")
}

// verify is the public verification page: the visitor uploads a result
// and the page shows what POST /v1/public/verify says of it, asked from
// the visitor's address (its rate limit applies here too).
func (c *Console) verify(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxVerifyUpload+1<<20)
	f, _, err := r.FormFile("document")
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "verify", "verify_title", verifyData{}, "", c.lang(r).T("verify_file"))
		return
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxVerifyUpload+1))
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "verify", "verify_title", verifyData{}, "", err.Error())
		return
	}
	var v verification
	if _, err := c.call(r, "", http.MethodPost, "/v1/public/verify", pdfFile(body), &v); err != nil {
		var p *problem
		if errors.As(err, &p) {
			c.render(w, r, p.Status, "verify", "verify_title", verifyData{}, "", c.failure(r, p))
			return
		}
		c.errorPage(w, r, http.StatusBadGateway, err.Error())
		return
	}
	c.render(w, r, http.StatusOK, "verify", "verify_title", verifyData{V: &v}, "", "")
}
