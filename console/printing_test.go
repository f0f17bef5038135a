package console

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
)

// fakeDossierAPI answers the few API requests the dossier page and the
// form links make, like the API would, and records the forms' requests.
func fakeDossierAPI(t *testing.T, asked *[]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/dossiers/X-1":
			_ = json.NewEncoder(w).Encode(map[string]any{"code": "X-1", "status": "received", "stage": "review",
				"procedure_code": "P", "agency_code": "A", "submitted_at": time.Date(2026, 2, 9, 8, 0, 0, 0, time.UTC)})
		case r.URL.Path == "/v1/dossiers/X-1/events":
			_ = json.NewEncoder(w).Encode(map[string]any{"items": []map[string]any{
				{"seq": 1, "action": "submitted"}, {"seq": 2, "action": "intake.request_supplement"},
				{"seq": 3, "action": "supplement.received"}, {"seq": 4, "action": "intake.accept"}}})
		case strings.HasPrefix(r.URL.Path, "/v1/dossiers/X-1/forms/"):
			*asked = append(*asked, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
			if strings.HasSuffix(r.URL.Path, "/03") {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusConflict)
				_, _ = w.Write([]byte(`{"status":409,"detail":"dossier X-1 never reached the step that issues form 03"}`))
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("ETag", `"abc"`)
			_, _ = w.Write([]byte("%PDF-1.3 form"))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestDossierPagePrintsTheFormsItsStepsIssued(t *testing.T) {
	t.Parallel()
	var asked []string
	c, h := unitConsole(t, true, fakeDossierAPI(t, &asked))
	tok, err := h.Mint(auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: "A"}, time.Hour)
	require.NoError(t, err)
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "https://motcua.example"+path, nil)
		req.AddCookie(sessionFor(t, c, tok))
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		return rec
	}
	page := get("/console/dossiers/X-1")
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	body := page.Body.String()
	require.Contains(t, body, `href="/console/dossiers/X-1/forms/01?seq=4"`)
	require.Contains(t, body, `href="/console/dossiers/X-1/forms/02?seq=2"`)
	require.Contains(t, body, `href="/console/dossiers/X-1/forms/06"`)
	require.NotContains(t, body, "/forms/03", "the dossier was never refused")

	pdf := get("/console/dossiers/X-1/forms/01?seq=4")
	require.Equal(t, http.StatusOK, pdf.Code)
	require.Equal(t, "application/pdf", pdf.Header().Get("Content-Type"))
	require.Equal(t, "%PDF-1.3 form", pdf.Body.String())
	require.Equal(t, []string{"/v1/dossiers/X-1/forms/01?seq=4 Bearer " + tok}, asked, "asked as the signed-in person")

	refused := get("/console/dossiers/X-1/forms/03")
	require.Equal(t, http.StatusConflict, refused.Code)
	require.Contains(t, refused.Body.String(), "never reached the step")
}

func TestTrackPageTakesTheCodeFromTheReceiptsQRCode(t *testing.T) {
	t.Parallel()
	c, _ := unitConsole(t, true, http.NotFoundHandler())
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "https://motcua.example/track?code=000.00.17.H39-260209-0007", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `value="000.00.17.H39-260209-0007"`)
}

func TestVerificationPageShowsTheAPIsVerdict(t *testing.T) {
	t.Parallel()
	var got []byte
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v1/public/verify", r.URL.Path)
		require.Empty(t, r.Header.Get("Authorization"), "public: no token")
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sha256":"ab","verdict":"valid","agency_name":"Sở Tư pháp","dossier_code":"X-1","message":"ok","message_vi":"Do Sở Tư pháp phát hành, nguyên vẹn."}`))
	})
	c, _ := unitConsole(t, true, api)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("document", "ket-qua.pdf")
	require.NoError(t, err)
	_, _ = part.Write([]byte("%PDF-1.7 signed"))
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "https://motcua.example/verify", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", "https://motcua.example")
	rec := httptest.NewRecorder()
	Wrap(http.NotFoundHandler(), c).ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "%PDF-1.7 signed", string(got), "the file goes to the API as it is")
	require.Contains(t, rec.Body.String(), `data-verdict="valid"`)
	require.Contains(t, rec.Body.String(), "Do Sở Tư pháp phát hành, nguyên vẹn.")
	require.Contains(t, rec.Body.String(), "X-1")
}
