package notify

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
)

// Applicant notices are templates (data/notices.yaml), not text in the
// workflow: the workflow names the milestone (the template) and gives its
// facts, and the notification activity renders the version in force when
// the notice is written. A template's facts are the fields it uses; facts
// it does not use are dropped before anything is stored, so a notice never
// carries more personal data than its text needs.

// Template is one version of a notice's text.
type Template struct {
	Name          string    `yaml:"name"`
	Version       int       `yaml:"version"`
	EffectiveFrom time.Time `yaml:"-"`
	// Text is a text/template over the facts (a map of strings); the
	// functions are method, methods and money (see templateFuncs).
	Text string `yaml:"text"`
	// ZNS maps the parameter names of the Zalo ZNS template registered for
	// this notice to our facts (ZNS param → fact); empty: the facts under
	// their own names.
	ZNS map[string]string `yaml:"zns_params"`
	// Sample is a fact for every field, for tests and for the reader.
	Sample map[string]string `yaml:"sample"`

	tpl    *template.Template
	fields []string
}

// Fields are the facts t uses, sorted.
func (t *Template) Fields() []string { return slices.Clone(t.fields) }

// Templates is every version of every notice.
type Templates struct {
	byName map[string][]*Template // oldest version first
}

type templatesFile struct {
	Templates []struct {
		Template      `yaml:",inline"`
		EffectiveFrom string `yaml:"effective_from"`
	} `yaml:"templates"`
}

// SystemFacts are facts the renderer supplies itself, not the workflow:
// the dossier's code and the link to its tracking page.
var SystemFacts = []string{"code", "track_url"}

// ParseTemplates reads a templates file (data/notices.yaml's format). It
// refuses a template that does not parse, a version that repeats or goes
// back in time, a sample that misses a field the text uses or a ZNS
// parameter that names no field.
func ParseTemplates(raw []byte) (*Templates, error) {
	var f templatesFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("notice templates: %w", err)
	}
	ts := &Templates{byName: map[string][]*Template{}}
	for i, e := range f.Templates {
		t := e.Template
		where := fmt.Sprintf("notice template %d (%s v%d)", i+1, t.Name, t.Version)
		if t.Name == "" || t.Version < 1 {
			return nil, fmt.Errorf("%s: needs a name and a version from 1", where)
		}
		at, err := time.ParseInLocation("2006-01-02", e.EffectiveFrom, dossier.Location)
		if err != nil {
			return nil, fmt.Errorf("%s: effective_from: %w", where, err)
		}
		t.EffectiveFrom = at
		t.tpl, err = template.New(t.Name).Funcs(templateFuncs).Option("missingkey=error").Parse(t.Text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		seen := map[string]bool{}
		walkFields(t.tpl.Root, seen)
		t.fields = slices.Sorted(maps.Keys(seen))
		for p, fact := range t.ZNS {
			if !seen[fact] {
				return nil, fmt.Errorf("%s: zns_params %s names %q, which the text does not use", where, p, fact)
			}
		}
		if prev := ts.byName[t.Name]; len(prev) > 0 {
			last := prev[len(prev)-1]
			if t.Version <= last.Version || !t.EffectiveFrom.After(last.EffectiveFrom) {
				return nil, fmt.Errorf("%s: versions must go up with effective_from", where)
			}
		}
		for k := range t.Sample {
			if !seen[k] {
				return nil, fmt.Errorf("%s: sample fact %q is not used by the text", where, k)
			}
		}
		tt := t
		ts.byName[t.Name] = append(ts.byName[t.Name], &tt)
		if _, err := tt.render(t.Sample); err != nil {
			return nil, fmt.Errorf("%s: sample: %w", where, err)
		}
	}
	return ts, nil
}

var defaultTemplates = sync.OnceValues(func() (*Templates, error) { return ParseTemplates(data.Notices) })

// DefaultTemplates are the templates shipped in data/notices.yaml.
func DefaultTemplates() (*Templates, error) { return defaultTemplates() }

// Names lists the templates' names, sorted.
func (ts *Templates) Names() []string { return slices.Sorted(maps.Keys(ts.byName)) }

// Versions lists every version of name, oldest first.
func (ts *Templates) Versions(name string) []*Template { return slices.Clone(ts.byName[name]) }

// At is the version of name in force at instant at (nil: none).
func (ts *Templates) At(name string, at time.Time) *Template {
	var found *Template
	for _, t := range ts.byName[name] {
		if !t.EffectiveFrom.After(at) {
			found = t
		}
	}
	return found
}

// Version is version v of name (nil: none).
func (ts *Templates) Version(name string, v int) *Template {
	for _, t := range ts.byName[name] {
		if t.Version == v {
			return t
		}
	}
	return nil
}

// Rendered is a notice rendered from its template.
type Rendered struct {
	Text    string
	Version int
	// Facts are the facts the text used, and only those: what the outbox
	// keeps (a Zalo ZNS message is sent as these parameters).
	Facts map[string]string
}

// Render renders the version of template name in force at at with facts.
// A fact the text does not use is dropped; one it uses but is not given
// is an error.
func (ts *Templates) Render(name string, at time.Time, facts map[string]string) (Rendered, error) {
	t := ts.At(name, at)
	if t == nil {
		return Rendered{}, fmt.Errorf("notice template %q: none in force at %s", name, at.Format(time.RFC3339))
	}
	used := make(map[string]string, len(t.fields))
	for _, f := range t.fields {
		if v, ok := facts[f]; ok {
			used[f] = v
		}
	}
	text, err := t.render(used)
	if err != nil {
		return Rendered{}, fmt.Errorf("notice template %s v%d: %w", name, t.Version, err)
	}
	return Rendered{Text: text, Version: t.Version, Facts: used}, nil
}

func (t *Template) render(facts map[string]string) (string, error) {
	if facts == nil {
		facts = map[string]string{}
	}
	var b strings.Builder
	if err := t.tpl.Execute(&b, facts); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// ZNSParams are the Zalo ZNS template_data of a notice rendered from
// version v of name with facts: the template's zns_params mapping, or the
// facts under their own names.
func (ts *Templates) ZNSParams(name string, v int, facts map[string]string) map[string]string {
	t := ts.Version(name, v)
	if t == nil || len(t.ZNS) == 0 {
		return maps.Clone(facts)
	}
	out := make(map[string]string, len(t.ZNS))
	for p, f := range t.ZNS {
		out[p] = facts[f]
	}
	return out
}

// walkFields collects the top-level fields ({{.name}}) a template uses.
func walkFields(n parse.Node, into map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, into)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, into)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, into)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, into)
		}
	case *parse.FieldNode:
		into[n.Ident[0]] = true
	case *parse.IfNode:
		walkBranch(&n.BranchNode, into)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, into)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, into)
	}
}

func walkBranch(b *parse.BranchNode, into map[string]bool) {
	walkFields(b.Pipe, into)
	walkFields(b.List, into)
	walkFields(b.ElseList, into)
}

// templateFuncs are the functions templates may call.
var templateFuncs = template.FuncMap{
	// method is a return method in Vietnamese: "qua bưu chính".
	"method": methodVi,
	// methods is a comma-separated list of return methods in Vietnamese,
	// joined by "hoặc".
	"methods": func(list string) string {
		var out []string
		for _, m := range strings.Split(list, ",") {
			if m = strings.TrimSpace(m); m != "" {
				out = append(out, methodVi(m))
			}
		}
		return strings.Join(out, " hoặc ")
	},
	// money writes an amount of đồng with dots between thousands: 1.250.000.
	"money": func(amount string) string {
		n, err := strconv.ParseInt(amount, 10, 64)
		if err != nil {
			return amount
		}
		s := strconv.FormatInt(n, 10)
		var b strings.Builder
		for i, r := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte('.')
			}
			b.WriteRune(r)
		}
		return b.String()
	},
}

func methodVi(m string) string {
	switch dossier.ReturnMethod(m) {
	case dossier.ReturnPostal:
		return "qua bưu chính"
	case dossier.ReturnCounter:
		return "tại bộ phận một cửa"
	case dossier.ReturnElectronic:
		return "bằng phương thức điện tử"
	}
	return m
}

// TrackURL is the tracking page of dossier code under publicURL (the QR
// code on the receipt opens the same page).
func TrackURL(publicURL, code string) string {
	return strings.TrimRight(publicURL, "/") + "/track?code=" + url.QueryEscape(code)
}

// RenderNotices renders the notices of t that come without a text (the
// workflow's applicant notices) with the version of their template in
// force at the event, adding the facts every notice has (code, track_url).
// A notice whose template cannot be rendered keeps no facts and carries
// the reason (RenderError): it is written as a dead letter, and the
// transition is recorded all the same.
func (ts *Templates) RenderNotices(t *dossier.Transition, publicURL string) {
	if len(t.Notifications) == 0 {
		return
	}
	// The workflow may still hold the slice it passed: render into a copy.
	t.Notifications = slices.Clone(t.Notifications)
	for i := range t.Notifications {
		n := &t.Notifications[i]
		if n.Message != "" {
			continue
		}
		facts := maps.Clone(n.Facts)
		if facts == nil {
			facts = map[string]string{}
		}
		facts["code"] = t.Code
		facts["track_url"] = TrackURL(publicURL, t.Code)
		r, err := ts.Render(n.Template, t.Event.At, facts)
		if err != nil {
			n.Facts, n.RenderError = nil, err.Error()
			continue
		}
		n.Message, n.TemplateVersion, n.Facts = r.Text, r.Version, r.Facts
	}
}
