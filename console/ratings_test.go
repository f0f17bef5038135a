package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
)

// The reports page charts the monthly satisfaction rate beside the on-time
// chart (12 months, empty ones drawn empty) with the ratings' CSV; /track
// offers the rating form for a dossier that ended, with the reasons list,
// and thanks the applicant once the API took the rating.
func TestRatingOnTrackAndInTheReports(t *testing.T) {
	t.Parallel()
	api := stubAPI(t)
	c, h := unitConsole(t, true, api)
	c.o.Now = func() time.Time { return time.Date(2026, 3, 9, 18, 0, 0, 0, dossier.Location) }
	site := Wrap(api, c)

	lt, err := h.Mint(auth.Principal{Subject: "l", Role: auth.RoleLeader, Agency: "J"}, time.Hour)
	require.NoError(t, err)
	ck := sessionFor(t, c, lt)
	req := httptest.NewRequest("GET", "https://motcua.example/console/reports?from=01/01/2026&to=31/03/2026", nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := rec.Body.String()
	require.Contains(t, body, `id="chart"`, "the on-time chart")
	require.Contains(t, body, `id="rating-chart"`, "and beside it the satisfaction chart")
	require.Equal(t, 12, strings.Count(body[strings.Index(body, `id="rating-chart"`):], `class="month"`), "twelve months")
	require.Equal(t, 11, strings.Count(body[strings.Index(body, `id="rating-chart"`):], `class="bar-empty"`), "months without ratings are empty")
	require.Contains(t, body, "<title>02: 75,0 %</title>")
	require.Contains(t, body, `href="/console/reports/ratings.csv?from=2026-01-01&amp;to=2026-12-31"`)
	req = httptest.NewRequest("GET", "https://motcua.example/console/reports/ratings.csv?from=2026-01-01&to=2026-12-31", nil)
	req.AddCookie(ck)
	rec = httptest.NewRecorder()
	site.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "from,to\n", rec.Body.String())

	post := func(path string, form url.Values) string {
		req := httptest.NewRequest("POST", "https://motcua.example"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://motcua.example")
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return rec.Body.String()
	}
	body = post("/track", url.Values{"code": {"D-2"}, "key": {"K2"}})
	require.Contains(t, body, `id="rating-form"`)
	require.Contains(t, body, `name="key" value="K2"`)
	require.Contains(t, body, `id="rating-not_satisfied"`)
	require.Contains(t, body, "Giải quyết hồ sơ chậm, trễ hẹn")
	require.NotContains(t, body, "rating-thanks")
	body = post("/track/rating", url.Values{"code": {"D-2"}, "key": {"K2"}, "level": {"satisfied"}})
	require.Contains(t, body, `id="rating-thanks"`)

	body = post("/track", url.Values{"code": {"D-1"}, "key": {"k"}})
	require.NotContains(t, body, `id="rating-form"`, "a dossier still running is not offered the rating")
}
