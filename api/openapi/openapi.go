// Package openapi holds motcua's HTTP API v1 contract as an OpenAPI 3.0.3
// document and serves it: the raw JSON at /openapi.json and human-readable
// documentation rendered from it at /docs.
//
// The document is the source of truth for the API. The api package tests
// that its router serves exactly the operations listed by Routes.
package openapi

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.json
var specJSON []byte

// Spec returns the OpenAPI document as JSON. Each call returns a fresh copy,
// so callers may modify it.
func Spec() []byte { return bytes.Clone(specJSON) }

// Handler serves the OpenAPI document with Content-Type application/json.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(specJSON)
	})
}

// Load parses the document with kin-openapi and returns a new *openapi3.T
// each time, so callers (request validation, tests) may change it freely.
// It does not validate the document; call Validate on the result for that.
func Load() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(specJSON)
	if err != nil {
		return nil, fmt.Errorf("openapi: load embedded document: %w", err)
	}
	return doc, nil
}

// parsed is the document loaded once, shared by Routes and DocsHandler,
// which only read it.
var parsed = sync.OnceValues(Load)

// Route is one operation of the API: an HTTP method (upper case) and a path
// template in chi syntax, for example {GET /v1/dossiers/{code}}.
type Route struct {
	Method string
	Path   string
}

// String returns "METHOD /path".
func (r Route) String() string { return r.Method + " " + r.Path }

// Routes lists every operation in the document, sorted by path and then by
// method. OpenAPI path templates ({param}) are already chi patterns.
//
// It panics if the embedded document cannot be parsed, which the package's
// tests rule out.
func Routes() []Route {
	doc, err := parsed()
	if err != nil {
		panic(err)
	}
	var routes []Route
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			routes = append(routes, Route{Method: strings.ToUpper(method), Path: path})
		}
	}
	slices.SortFunc(routes, compareRoutes)
	return routes
}

func compareRoutes(a, b Route) int {
	return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method))
}
