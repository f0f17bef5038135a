package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/auth"
)

// pageSet holds one template set per page, each with the shared layout.
type pageSet struct {
	pages map[string]*template.Template
}

func parsePages() (*pageSet, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(template.FuncMap{
			"join": strings.Join,
			"ptr":  func(t time.Time) *time.Time { return &t },
			"list": func(s ...string) []string { return s },
			// dict passes several values to a shared template: dict "k1" v1 "k2" v2.
			"dict": func(kv ...any) map[string]any {
				m := make(map[string]any, len(kv)/2)
				for i := 0; i+1 < len(kv); i += 2 {
					if k, ok := kv[i].(string); ok {
						m[k] = kv[i+1]
					}
				}
				return m
			},
		}).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		ps.pages[base] = t
	}
	return ps, nil
}

// page is what every template gets: the language (.L.T "key"), who is
// signed in, the current path (for the language switch) and the page's
// own data.
type page struct {
	L      lang
	Title  string
	Who    *auth.Principal
	Path   string
	Now    time.Time
	Flash  string
	Failed string
	Data   any
}

// RoleLabel names the signed-in person's role in the page's language.
func (p page) RoleLabel() string {
	if p.Who == nil {
		return ""
	}
	return p.L.Label("role", string(p.Who.Role))
}

// render writes a page; a template error is logged and answered 500
// without leaking it.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, flash, failed string) {
	l := c.lang(r)
	p := page{L: l, Title: l.T(title), Path: r.URL.RequestURI(), Now: c.o.Now(), Flash: flash, Failed: failed, Data: data}
	if s, ok := r.Context().Value(sessionKey{}).(session); ok {
		who := s.who
		p.Who = &who
	}
	var buf bytes.Buffer
	if err := c.pages.pages[name].Execute(&buf, p); err != nil {
		c.log.Error("console template", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", "app", nil, "", msg)
}
