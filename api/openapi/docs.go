package openapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// DocsHandler serves the API documentation as one self-contained HTML page,
// rendered on the server from the document: every operation with its
// parameters, request body fields and responses, then every schema. It
// loads nothing from elsewhere, so it works on a closed network. The page is
// rendered once, at first use.
func DocsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		page, err := renderedDocs()
		if err != nil {
			// Never happens with the embedded document (the tests render it);
			// the details stay out of the response.
			http.Error(w, "API documentation unavailable", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

var renderedDocs = sync.OnceValues(func() ([]byte, error) {
	doc, err := parsed()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, buildDocsPage(doc)); err != nil {
		return nil, fmt.Errorf("openapi: render docs: %w", err)
	}
	return buf.Bytes(), nil
})

// The view model the template renders; built from the parsed document so the
// template holds no logic beyond loops.
type (
	docsPage struct {
		Title       string
		Version     string
		Description []string
		Groups      []docsGroup
		Schemas     []docsSchema
	}
	docsGroup struct {
		Name        string
		Description string
		Ops         []docsOp
	}
	docsOp struct {
		Anchor      string
		Method      string
		Path        string
		OperationID string
		Summary     string
		Description []string
		Params      []docsParam
		Body        *docsBody
		Responses   []docsResponse
	}
	docsParam struct {
		Name        string
		In          string
		Type        string
		Required    bool
		Description string
		Constraints []string
	}
	docsBody struct {
		Required     bool
		ContentTypes []string
		Schema       docsSchemaLink
		Fields       []docsField
		Examples     []docsExample
	}
	docsExample struct {
		Summary string
		JSON    string
	}
	docsField struct {
		Name        string
		Type        string
		TypeAnchor  string // the schema section Type names, if any
		Required    bool
		Nullable    bool
		Enum        []string
		Description string
		Constraints []string
	}
	docsResponse struct {
		Status       string
		Description  string
		ContentTypes []string
		Schema       docsSchemaLink
		Headers      []string
		Examples     []docsExample
	}
	docsSchemaLink struct {
		Name   string // a component's name, or "" for an inline schema
		Anchor string
		Type   string // the inline schema's type when Name is ""
	}
	docsSchema struct {
		Name        string
		Anchor      string
		Type        string
		Description string
		Enum        []string
		Variants    []docsSchemaLink
		Fields      []docsField
		Example     string
	}
)

// maxFieldDepth bounds how deep nested request fields are expanded; the
// document's request bodies go two levels deep.
const maxFieldDepth = 6

func buildDocsPage(doc *openapi3.T) docsPage {
	page := docsPage{
		Title:       doc.Info.Title,
		Version:     doc.Info.Version,
		Description: paragraphs(doc.Info.Description),
	}

	groups := map[string]*docsGroup{}
	var order []string
	for _, tag := range doc.Tags {
		groups[tag.Name] = &docsGroup{Name: tag.Name, Description: tag.Description}
		order = append(order, tag.Name)
	}
	for _, r := range Routes() {
		op := doc.Paths.Value(r.Path).GetOperation(r.Method)
		tag := "other"
		if len(op.Tags) > 0 {
			tag = op.Tags[0]
		}
		g, ok := groups[tag]
		if !ok {
			g = &docsGroup{Name: tag}
			groups[tag] = g
			order = append(order, tag)
		}
		g.Ops = append(g.Ops, buildDocsOp(r, op))
	}
	for _, name := range order {
		if g := groups[name]; len(g.Ops) > 0 {
			page.Groups = append(page.Groups, *g)
		}
	}

	if doc.Components != nil {
		names := make([]string, 0, len(doc.Components.Schemas))
		for name := range doc.Components.Schemas {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			page.Schemas = append(page.Schemas, buildDocsSchema(name, doc.Components.Schemas[name].Value))
		}
	}
	return page
}

func buildDocsOp(r Route, op *openapi3.Operation) docsOp {
	d := docsOp{
		Anchor:      cmp.Or(op.OperationID, anchorize(r.String())),
		Method:      r.Method,
		Path:        r.Path,
		OperationID: op.OperationID,
		Summary:     op.Summary,
		Description: paragraphs(op.Description),
	}
	for _, p := range op.Parameters {
		if p == nil || p.Value == nil {
			continue
		}
		param := docsParam{
			Name:        p.Value.Name,
			In:          p.Value.In,
			Required:    p.Value.Required,
			Description: p.Value.Description,
		}
		if s := p.Value.Schema; s != nil && s.Value != nil {
			param.Type = typeName(s)
			param.Constraints = constraints(s.Value)
		}
		d.Params = append(d.Params, param)
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		body := &docsBody{Required: rb.Value.Required}
		for _, ct := range sortedKeys(rb.Value.Content) {
			body.ContentTypes = append(body.ContentTypes, ct)
			mt := rb.Value.Content[ct]
			if body.Schema == (docsSchemaLink{}) && mt.Schema != nil {
				body.Schema = schemaLink(mt.Schema)
				body.Fields = expandFields("", mt.Schema, 0, nil)
			}
			body.Examples = append(body.Examples, mediaExamples(mt)...)
		}
		d.Body = body
	}
	if op.Responses != nil {
		codes := op.Responses.Keys()
		slices.Sort(codes)
		for _, code := range codes {
			ref := op.Responses.Value(code)
			if ref == nil || ref.Value == nil {
				continue
			}
			resp := docsResponse{Status: code}
			if ref.Value.Description != nil {
				resp.Description = *ref.Value.Description
			}
			for _, ct := range sortedKeys(ref.Value.Content) {
				resp.ContentTypes = append(resp.ContentTypes, ct)
				mt := ref.Value.Content[ct]
				if resp.Schema == (docsSchemaLink{}) && mt.Schema != nil {
					resp.Schema = schemaLink(mt.Schema)
				}
				// Error examples repeat on every operation; the Problem
				// schema shows one instead.
				if !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") {
					resp.Examples = append(resp.Examples, mediaExamples(mt)...)
				}
			}
			resp.Headers = sortedKeys(ref.Value.Headers)
			d.Responses = append(d.Responses, resp)
		}
	}
	return d
}

func buildDocsSchema(name string, s *openapi3.Schema) docsSchema {
	d := docsSchema{
		Name:        name,
		Anchor:      schemaAnchor(name),
		Type:        typeName(&openapi3.SchemaRef{Value: s}),
		Description: s.Description,
		Enum:        enumValues(s),
	}
	for _, v := range s.OneOf {
		d.Variants = append(d.Variants, schemaLink(v))
	}
	d.Fields = objectFields("", s, func(string, *openapi3.SchemaRef) []docsField { return nil })
	if s.Type.Is(openapi3.TypeObject) {
		d.Example = exampleText(s.Example, &openapi3.SchemaRef{Value: s})
	}
	return d
}

// expandFields lists the fields of a request body, descending into nested
// objects and arrays of objects (applicant.full_name, documents[].sha256).
// seen guards against recursive schemas.
func expandFields(prefix string, ref *openapi3.SchemaRef, depth int, seen []*openapi3.Schema) []docsField {
	s := resolve(ref)
	if s == nil || depth > maxFieldDepth || slices.Contains(seen, s) {
		return nil
	}
	seen = append(seen, s)
	return objectFields(prefix, s, func(name string, prop *openapi3.SchemaRef) []docsField {
		ps := resolve(prop)
		if ps == nil {
			return nil
		}
		if ps.Type.Is(openapi3.TypeArray) && ps.Items != nil {
			return expandFields(name+"[].", ps.Items, depth+1, seen)
		}
		return expandFields(name+".", prop, depth+1, seen)
	})
}

// objectFields lists s's properties, each followed by what nested returns
// for it: the required ones first, in the order the document requires them
// (which follows the contract), then the optional ones by name.
func objectFields(prefix string, s *openapi3.Schema, nested func(name string, prop *openapi3.SchemaRef) []docsField) []docsField {
	names := make([]string, 0, len(s.Properties))
	for _, name := range s.Required {
		if _, ok := s.Properties[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range sortedKeys(s.Properties) {
		if !slices.Contains(s.Required, name) {
			names = append(names, name)
		}
	}
	var fields []docsField
	for _, name := range names {
		prop := s.Properties[name]
		ps := resolve(prop)
		if ps == nil {
			continue
		}
		f := docsField{
			Name:        prefix + name,
			Type:        typeName(prop),
			TypeAnchor:  typeAnchor(prop),
			Required:    slices.Contains(s.Required, name),
			Nullable:    ps.Nullable || (prop.Value != nil && prop.Value.Nullable),
			Enum:        enumValues(ps),
			Description: cmp.Or(prop.Value.Description, ps.Description),
			Constraints: constraints(ps),
		}
		if ps.Type.Is(openapi3.TypeArray) && ps.Items != nil {
			f.Enum = enumValues(resolve(ps.Items))
		}
		fields = append(fields, f)
		fields = append(fields, nested(prefix+name, prop)...)
	}
	return fields
}

// resolve returns the schema a property stands for, looking through the
// {nullable, allOf: [$ref]} wrapper OpenAPI 3.0 needs for nullable references.
func resolve(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if len(s.AllOf) == 1 && len(s.Properties) == 0 && (s.Type == nil || s.Type.IsEmpty()) {
		return resolve(s.AllOf[0])
	}
	return s
}

// typeName describes a schema in a few words: "string (date-time)",
// "array of DocumentRef", "Applicant", "one of SingleStep | ParallelStep".
func typeName(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	if name := refName(ref.Ref); name != "" {
		return name
	}
	s := ref.Value
	if len(s.AllOf) == 1 && len(s.Properties) == 0 && (s.Type == nil || s.Type.IsEmpty()) {
		return typeName(s.AllOf[0])
	}
	if len(s.OneOf) > 0 {
		names := make([]string, len(s.OneOf))
		for i, v := range s.OneOf {
			names[i] = typeName(v)
		}
		return "one of " + strings.Join(names, " | ")
	}
	if s.Type == nil || s.Type.IsEmpty() {
		return "any"
	}
	t := strings.Join(s.Type.Slice(), " | ")
	switch {
	case s.Type.Is(openapi3.TypeArray) && s.Items != nil:
		return "array of " + typeName(s.Items)
	case s.Format != "":
		return t + " (" + s.Format + ")"
	}
	return t
}

// typeAnchor returns the anchor of the component a property refers to,
// directly, through a nullable wrapper or as its array items; "" if none.
func typeAnchor(ref *openapi3.SchemaRef) string {
	for ref != nil && ref.Value != nil {
		if name := refName(ref.Ref); name != "" {
			return schemaAnchor(name)
		}
		s := ref.Value
		switch {
		case len(s.AllOf) == 1:
			ref = s.AllOf[0]
		case s.Type.Is(openapi3.TypeArray):
			ref = s.Items
		default:
			return ""
		}
	}
	return ""
}

// mediaExamples returns a media type's examples as indented JSON.
func mediaExamples(mt *openapi3.MediaType) []docsExample {
	var out []docsExample
	add := func(summary string, v any) {
		if text := exampleText(v, mt.Schema); text != "" {
			out = append(out, docsExample{Summary: summary, JSON: text})
		}
	}
	add("Example", mt.Example)
	for _, name := range sortedKeys(mt.Examples) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil {
			add(cmp.Or(ex.Value.Summary, name), ex.Value.Value)
		}
	}
	return out
}

// exampleText renders an example: a string as it is, anything else as
// indented JSON with object keys in the order the schema lists them.
func exampleText(v any, schema *openapi3.SchemaRef) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writeJSON(&b, v, schema, "")
	return b.String()
}

func writeJSON(b *strings.Builder, v any, schema *openapi3.SchemaRef, indent string) {
	s := resolve(schema)
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range orderedKeys(v, s) {
			if i > 0 {
				b.WriteString(",\n")
			}
			key, _ := json.Marshal(k)
			b.WriteString(indent + "  ")
			b.Write(key)
			b.WriteString(": ")
			var prop *openapi3.SchemaRef
			if s != nil {
				prop = s.Properties[k]
			}
			writeJSON(b, v[k], prop, indent+"  ")
		}
		b.WriteString("\n" + indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		var items *openapi3.SchemaRef
		if s != nil {
			items = s.Items
		}
		b.WriteString("[\n")
		for i, item := range v {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(indent + "  ")
			writeJSON(b, item, items, indent+"  ")
		}
		b.WriteString("\n" + indent + "]")
	default:
		out, err := json.Marshal(v)
		if err != nil {
			out = []byte("null")
		}
		b.Write(out)
	}
}

// orderedKeys lists an example object's keys as the docs list fields:
// the schema's properties in field order (for a oneOf, of the variant
// that has the most of the keys), then any others by name.
func orderedKeys(m map[string]any, s *openapi3.Schema) []string {
	if s != nil && len(s.OneOf) > 0 {
		best, score := s, -1
		for _, variant := range s.OneOf {
			vs := resolve(variant)
			if vs == nil {
				continue
			}
			n := 0
			for k := range m {
				if _, ok := vs.Properties[k]; ok {
					n++
				}
			}
			if n > score {
				best, score = vs, n
			}
		}
		s = best
	}
	var keys []string
	if s != nil {
		for _, f := range objectFields("", s, func(string, *openapi3.SchemaRef) []docsField { return nil }) {
			if _, ok := m[f.Name]; ok {
				keys = append(keys, f.Name)
			}
		}
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func schemaLink(ref *openapi3.SchemaRef) docsSchemaLink {
	if name := refName(ref.Ref); name != "" {
		return docsSchemaLink{Name: name, Anchor: schemaAnchor(name)}
	}
	return docsSchemaLink{Type: typeName(ref)}
}

func refName(ref string) string {
	const prefix = "#/components/schemas/"
	if i := strings.Index(ref, prefix); i >= 0 {
		return ref[i+len(prefix):]
	}
	return ""
}

func enumValues(s *openapi3.Schema) []string {
	if s == nil {
		return nil
	}
	vals := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		if v == nil {
			vals = append(vals, "null")
			continue
		}
		vals = append(vals, fmt.Sprint(v))
	}
	return vals
}

// constraints lists the validation rules of s that its type does not say.
func constraints(s *openapi3.Schema) []string {
	var c []string
	add := func(format string, args ...any) { c = append(c, fmt.Sprintf(format, args...)) }
	if s.Pattern != "" {
		add("pattern %s", s.Pattern)
	}
	if s.MinLength > 0 {
		add("min length %d", s.MinLength)
	}
	if s.MaxLength != nil {
		add("max length %d", *s.MaxLength)
	}
	if s.Min != nil {
		add("≥ %s", number(*s.Min))
	}
	if s.Max != nil {
		add("≤ %s", number(*s.Max))
	}
	if s.MinItems > 0 {
		add("at least %d %s", s.MinItems, plural(s.MinItems, "item"))
	}
	if s.MaxItems != nil {
		add("at most %d %s", *s.MaxItems, plural(*s.MaxItems, "item"))
	}
	if s.Default != nil {
		if b, err := json.Marshal(s.Default); err == nil {
			add("default %s", b)
		}
	}
	return c
}

func plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func paragraphs(s string) []string {
	var ps []string
	for p := range strings.SplitSeq(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

var nonAnchor = regexp.MustCompile(`[^A-Za-z0-9]+`)

func anchorize(s string) string { return strings.Trim(nonAnchor.ReplaceAllString(s, "-"), "-") }

func schemaAnchor(name string) string { return "schema-" + anchorize(name) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--code:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--line);padding-bottom:.25rem}
h3{font-size:1.1rem;margin:0;word-break:break-all}
h4{font-size:1rem;margin:1rem 0 .25rem}
p{margin:.4rem 0}
a{color:#0969da}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;background:var(--code);padding:.05em .3em;border-radius:4px;word-break:break-word}
.muted{color:var(--muted)}
.op{border:1px solid var(--line);border-radius:8px;padding:.75rem;margin:1rem 0}
.m{display:inline-block;min-width:3.5rem;text-align:center;font:600 .8rem/1.6 ui-monospace,monospace;color:#fff;border-radius:4px;padding:0 .4rem;margin-right:.4rem;vertical-align:middle}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-put{background:#9a6700}.m-patch{background:#8250df}.m-delete{background:#cf222e}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-top:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--code);white-space:nowrap}
td.name{white-space:nowrap}
.req{color:#cf222e;font-size:.8rem;font-weight:600}
pre{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);padding:.6rem;border-radius:6px;overflow-x:auto;margin:.3rem 0}
details{margin:.3rem 0}
summary{cursor:pointer;color:var(--muted)}
ul.toc{padding-left:1.2rem}
ul.toc li{margin:.2rem 0}
@media (max-width:40rem){
main{padding:.6rem}
.op{padding:.5rem}
table,tbody,tr,td{display:block;width:100%}
tr.head{display:none}
tr{border-top:1px solid var(--line);padding:.35rem 0}
td{border:0;padding:.1rem 0}
td.name{white-space:normal}
}
</style>
</head>
<body>
<main>
<h1>{{.Title}} <span class="muted">{{.Version}}</span></h1>
{{range .Description}}<p>{{.}}</p>
{{end}}<p class="muted">Machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.0.3).</p>

<nav>
<h2>Operations</h2>
{{range .Groups}}<h4>{{.Name}}</h4>
<ul class="toc">
{{range .Ops}}<li><a href="#{{.Anchor}}"><span class="m m-{{lower .Method}}">{{.Method}}</span><code>{{.Path}}</code></a> {{.Summary}}</li>
{{end}}</ul>
{{end}}<p><a href="#schemas">Schemas</a></p>
</nav>

{{range .Groups}}<section>
<h2>{{.Name}}</h2>
{{with .Description}}<p class="muted">{{.}}</p>{{end}}
{{range .Ops}}<article class="op" id="{{.Anchor}}">
<h3><span class="m m-{{lower .Method}}">{{.Method}}</span><code>{{.Path}}</code></h3>
<p><strong>{{.Summary}}</strong> <span class="muted">({{.OperationID}})</span></p>
{{range .Description}}<p>{{.}}</p>
{{end}}
{{with .Params}}<h4>Parameters</h4>
<div class="scroll"><table>
<tr class="head"><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>
{{range .}}<tr><td class="name"><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}{{range .Constraints}}<br><span class="muted">{{.}}</span>{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</table></div>
{{end}}
{{with .Body}}<h4>Request body{{if .Required}} <span class="req">required</span>{{end}}</h4>
<p>{{range .ContentTypes}}<code>{{.}}</code> {{end}}{{with .Schema}}{{if .Name}}<a href="#{{.Anchor}}">{{.Name}}</a>{{else}}{{.Type}}{{end}}{{end}}</p>
{{with .Fields}}<div class="scroll"><table>
<tr class="head"><th>Field</th><th>Type</th><th>Description</th></tr>
{{range .}}<tr><td class="name"><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{if .TypeAnchor}}<a href="#{{.TypeAnchor}}">{{.Type}}</a>{{else}}{{.Type}}{{end}}{{if .Nullable}}, nullable{{end}}{{with .Enum}}<br>one of: {{range $i, $v := .}}{{if $i}}, {{end}}<code>{{$v}}</code>{{end}}{{end}}{{range .Constraints}}<br><span class="muted">{{.}}</span>{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</table></div>
<p class="muted">Unknown fields are rejected (400).</p>
{{end}}{{range .Examples}}<details><summary>{{.Summary}}</summary><pre>{{.JSON}}</pre></details>
{{end}}{{end}}
<h4>Responses</h4>
<div class="scroll"><table>
<tr class="head"><th>Status</th><th>Description</th><th>Body</th></tr>
{{range .Responses}}<tr><td><strong>{{.Status}}</strong></td><td>{{.Description}}{{with .Headers}}<br><span class="muted">Headers: {{range $i, $h := .}}{{if $i}}, {{end}}{{$h}}{{end}}</span>{{end}}</td><td>{{range .ContentTypes}}<code>{{.}}</code><br>{{end}}{{with .Schema}}{{if .Name}}<a href="#{{.Anchor}}">{{.Name}}</a>{{else}}{{.Type}}{{end}}{{end}}</td></tr>
{{end}}</table></div>
{{range .Responses}}{{$status := .Status}}{{range .Examples}}<details><summary>{{$status}}: {{.Summary}}</summary><pre>{{.JSON}}</pre></details>
{{end}}{{end}}</article>
{{end}}</section>
{{end}}
<section id="schemas">
<h2>Schemas</h2>
{{range .Schemas}}<article class="op" id="{{.Anchor}}">
<h3>{{.Name}} <span class="muted">{{.Type}}</span></h3>
{{with .Description}}<p>{{.}}</p>{{end}}
{{with .Enum}}<p>One of: {{range $i, $v := .}}{{if $i}}, {{end}}<code>{{$v}}</code>{{end}}</p>{{end}}
{{with .Variants}}<p>Either {{range $i, $v := .}}{{if $i}} or {{end}}{{if $v.Name}}<a href="#{{$v.Anchor}}">{{$v.Name}}</a>{{else}}{{$v.Type}}{{end}}{{end}}.</p>{{end}}
{{with .Fields}}<div class="scroll"><table>
<tr class="head"><th>Field</th><th>Type</th><th>Description</th></tr>
{{range .}}<tr><td class="name"><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{if .TypeAnchor}}<a href="#{{.TypeAnchor}}">{{.Type}}</a>{{else}}{{.Type}}{{end}}{{if .Nullable}}, nullable{{end}}{{with .Enum}}<br>one of: {{range $i, $v := .}}{{if $i}}, {{end}}<code>{{$v}}</code>{{end}}{{end}}{{range .Constraints}}<br><span class="muted">{{.}}</span>{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</table></div>{{end}}
{{with .Example}}<details><summary>Example</summary><pre>{{.}}</pre></details>{{end}}
</article>
{{end}}</section>
</main>
</body>
</html>
`))
