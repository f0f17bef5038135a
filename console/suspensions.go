package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
)

// ---- postal suspensions (ops) ----

// suspensionView is a suspension as GET /v1/postal/suspensions lists it.
type suspensionView struct {
	ID       int64  `json:"id"`
	AreaCode string `json:"area_code"`
	AreaName string `json:"area_name"`
	From     string `json:"from"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
}

// Shown is a date of the API's (yyyy-mm-dd) as people write it.
func (suspensionView) Shown(day string) string {
	if t, err := time.Parse(time.DateOnly, day); err == nil {
		return t.Format("02/01/2006")
	}
	return day
}

type suspensionsData struct {
	Items []suspensionView
	// Areas are the known areas, offered as suggestions (an unknown code
	// typed anyway gets the API's refusal).
	Areas []catalog.Area
	// Form is what was typed, kept when the API refused it.
	Form url.Values
	// Notified are the dossiers the suspension just created was told to.
	Notified []string
}

// suspensionAreas are the areas built into the binary, as the API knows
// them (data/areas.yaml).
var suspensionAreas = func() []catalog.Area {
	a, err := catalog.ParseAreas(data.Areas)
	if err != nil {
		return nil
	}
	return a.All()
}()

func (c *Console) suspensionsPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if r.URL.Query().Get("done") != "" {
		flash = c.lang(r).T("done")
	}
	var notified []string
	if n := r.URL.Query().Get("notified"); n != "" {
		notified = strings.Split(n, ",")
	}
	c.showSuspensions(w, r, http.StatusOK, url.Values{}, notified, flash, "")
}

// showSuspensions lists the suspensions not over yet, with the form to add
// one (filled with form when the API refused it).
func (c *Console) showSuspensions(w http.ResponseWriter, r *http.Request, status int, form url.Values, notified []string, flash, failed string) {
	data := suspensionsData{Areas: suspensionAreas, Form: form, Notified: notified}
	var list struct {
		Items []suspensionView `json:"items"`
	}
	if err := c.get(r, "/v1/postal/suspensions", &list); err != nil && failed == "" {
		failed = c.failure(r, err)
		status = http.StatusBadGateway
	}
	data.Items = list.Items
	c.render(w, r, status, "suspensions", "suspensions", data, flash, failed)
}

// createSuspension sends the form to POST /v1/postal/suspensions; dates
// are typed day first (dd/mm/yyyy).
func (c *Console) createSuspension(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.showSuspensions(w, r, http.StatusBadRequest, url.Values{}, nil, "", c.lang(r).T("bad_input")+": "+err.Error())
		return
	}
	f := r.PostForm
	body := map[string]any{"area_code": strings.TrimSpace(f.Get("area_code")), "reason": f.Get("reason")}
	for _, k := range []string{"from", "to"} {
		d, ok := localDay(f.Get(k))
		if !ok {
			c.showSuspensions(w, r, http.StatusBadRequest, f, nil, "", c.lang(r).T("bad_input")+": "+k+" (dd/mm/yyyy)")
			return
		}
		body[k] = d.Format(time.DateOnly)
	}
	var created struct {
		Notified []string `json:"notified"`
	}
	if _, err := c.call(r, sessionOf(r).token, http.MethodPost, "/v1/postal/suspensions", body, &created); err != nil {
		c.showSuspensions(w, r, statusOf(err), f, nil, "", c.failure(r, err))
		return
	}
	q := url.Values{"done": {"created"}}
	if len(created.Notified) > 0 {
		q.Set("notified", strings.Join(created.Notified, ","))
	}
	http.Redirect(w, r, "/console/postal-suspensions?"+q.Encode(), http.StatusSeeOther)
}

// endSuspension ends one (POST /v1/postal/suspensions/{id}/end).
func (c *Console) endSuspension(w http.ResponseWriter, r *http.Request) {
	path := "/v1/postal/suspensions/" + url.PathEscape(chi.URLParam(r, "id")) + "/end"
	if _, err := c.call(r, sessionOf(r).token, http.MethodPost, path, nil, nil); err != nil {
		c.showSuspensions(w, r, statusOf(err), url.Values{}, nil, "", c.failure(r, err))
		return
	}
	http.Redirect(w, r, "/console/postal-suspensions?done=ended", http.StatusSeeOther)
}

// statusOf is the page's status for a failed call: the API's own (a 4xx
// says what to fix), 502 for anything else.
func statusOf(err error) int {
	var p *problem
	if errors.As(err, &p) {
		return p.Status
	}
	return http.StatusBadGateway
}
