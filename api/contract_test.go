package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/api/openapi"
)

// specRouter routes requests to the OpenAPI document's operations.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil // match paths on any host, such as httptest's
	return legacy.NewRouter(doc)
})

// requireDocumented checks one real answer of the API against the OpenAPI
// document: its status must be documented for the operation, and its body
// must match the schema. Every call the integration tests make goes through
// it, so the document and the server cannot drift apart unnoticed.
func requireDocumented(t *testing.T, method, path string, res response) {
	t.Helper()
	if path == "/healthz" || path == "/metrics" || path == "/docs" {
		return // not JSON
	}
	router, err := specRouter()
	require.NoError(t, err)
	req, err := http.NewRequest(method, "http://motcua.test"+path, nil)
	require.NoError(t, err)
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Not an operation of the document (the unknown-route tests):
		// the answer must still be a problem.
		require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), "%s %s", method, path)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	err = openapi3filter.ValidateResponse(context.Background(), in)
	require.NoError(t, err, "%s %s answered %d, which the OpenAPI document does not allow:\n%s", method, path, res.status, truncate(res.body))
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}
