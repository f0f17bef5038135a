package openapi

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
)

const problemRef = "#/components/schemas/Problem"

// The routes of the v1 contract; the document must list exactly these.
var contractRoutes = []Route{
	{"GET", "/docs"},
	{"GET", "/healthz"},
	{"GET", "/openapi.json"},
	{"GET", "/readyz"},
	{"GET", "/v1/agencies/{code}/logbook"},
	{"GET", "/v1/calendar/appointment"},
	{"GET", "/v1/calendar/{year}"},
	{"PUT", "/v1/calendar/{year}"},
	{"GET", "/v1/dossiers"},
	{"POST", "/v1/dossiers"},
	{"GET", "/v1/dossiers/{code}"},
	{"POST", "/v1/dossiers/{code}/apology"},
	{"POST", "/v1/dossiers/{code}/approval"},
	{"POST", "/v1/dossiers/{code}/assignment"},
	{"GET", "/v1/dossiers/{code}/documents/{sha256}"},
	{"PUT", "/v1/dossiers/{code}/documents/{sha256}"},
	{"GET", "/v1/dossiers/{code}/events"},
	{"GET", "/v1/dossiers/{code}/events.csv"},
	{"POST", "/v1/dossiers/{code}/extension"},
	{"POST", "/v1/dossiers/{code}/fee-exemption"},
	{"GET", "/v1/dossiers/{code}/forms/{number}"},
	{"POST", "/v1/dossiers/{code}/handover"},
	{"POST", "/v1/dossiers/{code}/intake"},
	{"POST", "/v1/dossiers/{code}/payment"},
	{"GET", "/v1/dossiers/{code}/result"},
	{"GET", "/v1/dossiers/{code}/result.pdf"},
	{"POST", "/v1/dossiers/{code}/return-method"},
	{"POST", "/v1/dossiers/{code}/review"},
	{"POST", "/v1/dossiers/{code}/stop"},
	{"POST", "/v1/dossiers/{code}/supplement"},
	{"POST", "/v1/dossiers/{code}/withdrawal"},
	{"GET", "/v1/notifications"},
	{"POST", "/v1/notifications/receipts"},
	{"POST", "/v1/payments/notifications"},
	{"POST", "/v1/payments/refund-notifications"},
	{"GET", "/v1/portal-sync"},
	{"POST", "/v1/postal/notifications"},
	{"GET", "/v1/postal/suspensions"},
	{"POST", "/v1/postal/suspensions"},
	{"POST", "/v1/postal/suspensions/{id}/end"},
	{"GET", "/v1/procedures"},
	{"POST", "/v1/procedures"},
	{"GET", "/v1/procedures/{code}"},
	{"PUT", "/v1/procedures/{code}"},
	{"GET", "/v1/public/dossiers/{code}"},
	{"GET", "/v1/public/dossiers/{code}/result"},
	{"POST", "/v1/public/verify"},
	{"GET", "/v1/reports/monthly"},
	{"GET", "/v1/reports/summary"},
	{"GET", "/v1/reports/summary.csv"},
	{"GET", "/v1/reports/summary.xlsx"},
	{"POST", "/v1/uploads"},
}

// Operations that answer without a problem body.
var systemPaths = []string{"/healthz", "/readyz", "/openapi.json", "/docs"}

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := Load()
	require.NoError(t, err)
	return doc
}

func TestDocumentValidates(t *testing.T) {
	t.Parallel()
	doc := load(t)
	require.NoError(t, doc.Validate(t.Context(), openapi3.EnableExamplesValidation()))
	require.Equal(t, "3.0.3", doc.OpenAPI)
	require.Equal(t, "motcua API", doc.Info.Title)
	require.Equal(t, "1.0.0", doc.Info.Version)
}

func TestSpecIsJSONAndACopy(t *testing.T) {
	t.Parallel()
	a := Spec()
	require.True(t, json.Valid(a))
	a[0] = 'x'
	require.NotEqual(t, a[0], Spec()[0])
}

func TestHandler(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.Equal(t, Spec(), rec.Body.Bytes())
}

func TestOperationsAreDocumented(t *testing.T) {
	t.Parallel()
	doc := load(t)
	ids := map[string]bool{}
	for _, r := range Routes() {
		t.Run(r.String(), func(t *testing.T) {
			op := doc.Paths.Value(r.Path).GetOperation(r.Method)
			require.NotNil(t, op)
			require.NotEmpty(t, op.OperationID, "operationId")
			require.False(t, ids[op.OperationID], "duplicate operationId %s", op.OperationID)
			ids[op.OperationID] = true
			require.NotEmpty(t, op.Summary, "summary")
			require.NotEmpty(t, op.Description, "description")
			require.NotEmpty(t, op.Tags, "tags")

			problem4xx := false
			for code, resp := range op.Responses.Map() {
				require.NotNil(t, resp.Value, code)
				require.NotNil(t, resp.Value.Description, code)
				require.NotEmpty(t, *resp.Value.Description, code)
				if code[0] != '4' && code[0] != '5' {
					continue
				}
				// Every error response is a problem.
				mt := resp.Value.Content.Get("application/problem+json")
				require.NotNil(t, mt, "%s has no application/problem+json body", code)
				require.NotNil(t, mt.Schema, code)
				require.Equal(t, problemRef, mt.Schema.Ref, code)
				require.Len(t, resp.Value.Content, 1, code)
				if code[0] == '4' {
					problem4xx = true
				}
				if code == "503" {
					require.Contains(t, resp.Value.Headers, "Retry-After")
				}
			}
			if !slices.Contains(systemPaths, r.Path) {
				require.True(t, problem4xx, "no 4xx problem response")
			}
		})
	}
}

// Responses the contract asks for, on top of what every operation has.
func TestContractResponses(t *testing.T) {
	t.Parallel()
	doc := load(t)
	want := map[Route][]string{
		{"GET", "/healthz"}:                    {"200"},
		{"GET", "/readyz"}:                     {"200", "400", "503"},
		{"POST", "/v1/dossiers"}:               {"200", "201", "400", "409", "413", "429", "503"},
		{"GET", "/v1/dossiers/{code}"}:         {"200", "404", "503"},
		{"GET", "/v1/dossiers/{code}/events"}:  {"200", "404", "503"},
		{"POST", "/v1/dossiers/{code}/intake"}: {"200", "400", "404", "409", "413", "503"},
		{"POST", "/v1/dossiers/{code}/review"}: {"200", "400", "404", "409", "413", "503"},
		{"POST", "/v1/dossiers/{code}/approval"}: {
			"200", "400", "404", "409", "413", "503",
		},
		{"POST", "/v1/dossiers/{code}/handover"}: {"200", "400", "404", "409", "413", "503"},
		{"POST", "/v1/dossiers/{code}/supplement"}: {
			"200", "400", "404", "409", "413", "503",
		},
		{"POST", "/v1/dossiers/{code}/apology"}:       {"200", "400", "404", "409", "413", "503"},
		{"POST", "/v1/dossiers/{code}/extension"}:     {"200", "400", "404", "409", "413", "503"},
		{"GET", "/v1/calendar/{year}"}:                {"200", "400", "404", "503"},
		{"PUT", "/v1/calendar/{year}"}:                {"200", "400", "413", "503"},
		{"GET", "/v1/calendar/appointment"}:           {"200", "400", "422", "503"},
		{"POST", "/v1/payments/notifications"}:        {"200", "400", "401", "404", "413", "422", "503"},
		{"POST", "/v1/postal/notifications"}:          {"200", "400", "401", "404", "413", "503"},
		{"POST", "/v1/payments/refund-notifications"}: {"200", "400", "401", "409", "413", "422", "503"},
		{"GET", "/v1/portal-sync"}:                    {"200", "400", "401", "403", "503"},
		{"POST", "/v1/dossiers/{code}/return-method"}: {"200", "400", "404", "409", "413", "422", "503"},
		{"GET", "/v1/procedures"}:                     {"200", "503"},
		{"GET", "/v1/procedures/{code}"}:              {"200", "404", "503"},
		{"POST", "/v1/procedures"}:                    {"201", "400", "409", "413", "503"},
		{"PUT", "/v1/procedures/{code}"}:              {"200", "400", "404", "413", "503"},
		{"POST", "/v1/dossiers/{code}/withdrawal"}: {
			"200", "400", "404", "409", "413", "503",
		},
		{"POST", "/v1/dossiers/{code}/stop"}: {
			"200", "400", "404", "409", "413", "503",
		},
		{"POST", "/v1/dossiers/{code}/payment"}: {
			"200", "400", "404", "409", "413", "422", "503",
		},
		{"POST", "/v1/dossiers/{code}/assignment"}: {
			"200", "400", "404", "409", "413", "503",
		},
		{"GET", "/v1/dossiers/{code}/result"}:     {"200", "404", "503"},
		{"GET", "/v1/dossiers"}:                   {"200", "400", "503"},
		{"GET", "/v1/dossiers/{code}/events.csv"}: {"200", "404", "503"},
		{"GET", "/v1/public/dossiers/{code}"}:     {"200", "400", "404", "429", "503"},
		{"GET", "/v1/reports/summary"}:            {"200", "400", "503"},
		{"GET", "/v1/reports/summary.csv"}:        {"200", "400", "503"},
		{"GET", "/v1/reports/summary.xlsx"}:       {"200", "400", "503"},
		{"GET", "/v1/reports/monthly"}:            {"200", "400", "503"},
	}
	for r, codes := range want {
		op := doc.Paths.Value(r.Path).GetOperation(r.Method)
		require.NotNil(t, op, r.String())
		for _, code := range codes {
			require.NotNil(t, op.Responses.Value(code), "%s: no %s response", r, code)
		}
	}

	created := doc.Paths.Value("/v1/dossiers").Post.Responses.Value("201").Value
	require.Contains(t, created.Headers, "Location")
	key := doc.Paths.Value("/v1/dossiers").Post.Parameters.GetByInAndName("header", "Idempotency-Key")
	require.NotNil(t, key)
	require.False(t, key.Required)
	require.EqualValues(t, 200, *key.Schema.Value.MaxLength)
	for _, decision := range []string{
		"intake", "review", "approval", "supplement", "apology", "extension", "withdrawal", "stop", "payment",
		"assignment",
	} {
		op := doc.Paths.Value("/v1/dossiers/{code}/" + decision).Post
		require.NotNil(t, op.Parameters.GetByInAndName("header", "Idempotency-Key"), decision)
	}
	require.Equal(t, []string{"dossiers"}, doc.Paths.Value("/v1/dossiers/{code}/withdrawal").Post.Tags)
	for _, decision := range []string{"stop", "payment", "assignment"} {
		require.Equal(t, []string{"decisions"}, doc.Paths.Value("/v1/dossiers/{code}/"+decision).Post.Tags, decision)
	}

	// Reassigning the current step.
	assign := doc.Paths.Value("/v1/dossiers/{code}/assignment").Post
	require.Equal(t, "assignStep", assign.OperationID)
	require.Equal(t, "#/components/schemas/AssignmentRequest", assign.RequestBody.Value.Content.Get("application/json").Schema.Ref)
	require.Equal(t, "#/components/schemas/Dossier", assign.Responses.Value("200").Value.Content.Get("application/json").Schema.Ref)
	require.Equal(t, "#/components/responses/AssignmentConflict", assign.Responses.Value("409").Ref)
	require.False(t, assign.Parameters.GetByInAndName("header", "Idempotency-Key").Required)
	require.Contains(t, assign.Description, "step.assigned")

	// The result document's record.
	result := doc.Paths.Value("/v1/dossiers/{code}/result").Get
	require.Equal(t, "getResultDocument", result.OperationID)
	require.Equal(t, []string{"dossiers"}, result.Tags)
	require.Nil(t, result.RequestBody)
	require.Equal(t, "#/components/schemas/ResultDocument", result.Responses.Value("200").Value.Content.Get("application/json").Schema.Ref)
	notFound := result.Responses.Value("404").Value.Content.Get("application/problem+json")
	require.Contains(t, notFound.Examples, "notFound", "unknown dossier")
	require.Contains(t, notFound.Examples, "noResult", "no result document yet")
	require.Nil(t, result.Parameters.GetByInAndName("header", "Idempotency-Key"))

	// The control sheet and the fee tell of the new actions and the payment expiry.
	action := doc.Components.Schemas["Event"].Value.Properties["action"].Value.Description
	for _, a := range []string{"step.assigned", "payment.reminder", "payment.expired"} {
		require.Contains(t, action, a)
	}
	fee := doc.Components.Schemas["DossierFee"].Value.Properties["status"].Value.Description
	require.Contains(t, fee, "72 hours by default")
	require.Contains(t, fee, "24 hours before by default")
}

func TestRequestBodiesRejectUnknownFields(t *testing.T) {
	t.Parallel()
	doc := load(t)
	for _, r := range Routes() {
		op := doc.Paths.Value(r.Path).GetOperation(r.Method)
		if op.RequestBody == nil {
			continue
		}
		if file := op.RequestBody.Value.Content.Get("application/octet-stream"); file != nil {
			// A file as the raw body (uploads): no JSON to close.
			require.Equal(t, "binary", file.Schema.Value.Format, r.String())
			continue
		}
		if pdf := op.RequestBody.Value.Content.Get("application/pdf"); pdf != nil && len(op.RequestBody.Value.Content) == 1 {
			// A file, not an object: nothing to close (the verification).
			require.True(t, op.RequestBody.Value.Required, r.String())
			continue
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		require.NotNil(t, mt, r.String())
		require.True(t, op.RequestBody.Value.Required, r.String())
		requireClosed(t, r.String(), mt.Schema.Value)
	}
}

// requireClosed checks that s and every object nested in it set
// additionalProperties: false.
func requireClosed(t *testing.T, where string, s *openapi3.Schema) {
	t.Helper()
	switch {
	case s.Type.Is(openapi3.TypeObject):
		require.NotNil(t, s.AdditionalProperties.Has, "%s: additionalProperties not set", where)
		require.False(t, *s.AdditionalProperties.Has, "%s: additionalProperties allowed", where)
		for name, prop := range s.Properties {
			requireClosed(t, where+"."+name, prop.Value)
		}
	case s.Type.Is(openapi3.TypeArray):
		requireClosed(t, where+"[]", s.Items.Value)
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	routes := Routes()
	require.True(t, slices.IsSortedFunc(routes, compareRoutes), "Routes() is not sorted: %v", routes)
	require.Equal(t, contractRoutes, routes)

	doc := load(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			n++
			require.Contains(t, routes, Route{Method: method, Path: path})
		}
	}
	require.Len(t, routes, n)

	// Callers get their own slice.
	routes[0].Path = "/changed"
	require.Equal(t, "/docs", Routes()[0].Path)
}

func TestDocsHandler(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	DocsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	page := string(body)
	// Report a missing string without printing the whole page.
	contains := func(want string, msgAndArgs ...any) {
		t.Helper()
		require.True(t, strings.Contains(page, want), append([]any{"page lacks %q", want}, msgAndArgs...)...)
	}

	doc := load(t)
	for _, r := range Routes() {
		op := doc.Paths.Value(r.Path).GetOperation(r.Method)
		contains("<code>" + r.Path + "</code>")
		contains(`id="` + op.OperationID + `"`)
		contains(`>` + r.Method + `</span><code>` + r.Path + `</code></h3>`)
		contains(html.EscapeString(op.Summary))
		for code := range op.Responses.Map() {
			contains("<strong>" + code + "</strong>")
		}
	}
	// Request body fields, nested ones too, with their rules and enums.
	for _, want := range []string{
		"<code>procedure_code</code> <span class=\"req\">required</span>",
		"<code>applicant.id_number</code> <span class=\"req\">required</span>",
		"<code>documents[].sha256</code> <span class=\"req\">required</span>",
		"<code>fee_units</code></td>",
		"<code>online</code>, <code>counter</code>, <code>postal</code>",
		"<code>accept</code>, <code>refuse</code>",
		"<code>succeeded</code>, <code>failed</code>",
		"at least 1 item<",
		"<summary>Filed online, result by post</summary>",
		`id="schema-Dossier"`,
		`id="schema-Problem"`,
		"Idempotency-Key",
		"<code>request_supplement</code>",
		"<code>missing</code></td>",
		"<code>official</code>, <code>projected</code>",
		"<code>approve</code>, <code>refuse</code>, <code>request_supplement</code>, <code>return</code>",
		"<code>approve</code>, <code>reject</code>, <code>return</code>",
		"<code>receipt_number</code> <span class=\"req\">required</span>",
		"<code>refund_due</code>",
		"<code>cancelled</code>",
		`id="schema-WithdrawalRequest"`,
		`id="schema-StopRequest"`,
		`id="schema-CounterPaymentRequest"`,
		"<code>days_off[].date</code> <span class=\"req\">required</span>",
		`id="schema-CalendarYear"`,
		`id="schema-AppointmentPreview"`,
		`id="schema-AssignmentRequest"`,
		`id="schema-ResultDocument"`,
		`id="schema-StepBranch"`,
		"<code>assignee</code> <span class=\"req\">required</span>",
		"<code>result_document.sha256</code> <span class=\"req\">required</span>",
	} {
		contains(want)
	}
	// Nothing from outside: no scripts, stylesheets, images or fonts.
	for _, banned := range []string{"<script", "<link", "src=", "@import", "url("} {
		require.False(t, strings.Contains(page, banned), "page contains %q", banned)
	}
	contains(`name="viewport"`)
}

// TestExamples validates every example in the document against its schema:
// on schemas and their properties, parameters, headers and media types.
func TestExamples(t *testing.T) {
	t.Parallel()
	doc := load(t)
	v := exampleValidator{t: t, seen: map[*openapi3.Schema]bool{}}

	for name, s := range doc.Components.Schemas {
		v.schema("#/components/schemas/"+name, s.Value)
	}
	for name, p := range doc.Components.Parameters {
		v.parameter("#/components/parameters/"+name, p.Value)
	}
	for name, h := range doc.Components.Headers {
		v.header("#/components/headers/"+name, h.Value)
	}
	for name, r := range doc.Components.Responses {
		v.response("#/components/responses/"+name, r.Value)
	}
	for _, r := range Routes() {
		op := doc.Paths.Value(r.Path).GetOperation(r.Method)
		for _, p := range op.Parameters {
			v.parameter(r.String()+" "+p.Value.Name, p.Value)
		}
		if op.RequestBody != nil {
			for ct, mt := range op.RequestBody.Value.Content {
				v.media(r.String()+" request "+ct, mt)
			}
		}
		for code, resp := range op.Responses.Map() {
			v.response(r.String()+" "+code, resp.Value)
		}
	}
	require.GreaterOrEqual(t, v.n, 100, "too few examples found: the walk misses some")

	// Component examples are checked where they are used; an unused one
	// would escape the check.
	for name := range doc.Components.Examples {
		require.Contains(t, string(Spec()), `"#/components/examples/`+name+`"`, "example %s is not used", name)
	}
}

type exampleValidator struct {
	t    *testing.T
	seen map[*openapi3.Schema]bool
	n    int
}

func (v *exampleValidator) check(where string, s *openapi3.Schema, example any) {
	v.t.Helper()
	if example == nil || s == nil {
		return
	}
	v.n++
	require.NoError(v.t, s.VisitJSON(example, openapi3.MultiErrors()), "example of %s", where)
}

func (v *exampleValidator) schema(where string, s *openapi3.Schema) {
	if s == nil || v.seen[s] {
		return
	}
	v.seen[s] = true
	v.check(where, s, s.Example)
	for name, p := range s.Properties {
		v.schema(where+"."+name, p.Value)
	}
	if s.Items != nil {
		v.schema(where+"[]", s.Items.Value)
	}
	for i, refs := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
		for j, sub := range refs {
			v.schema(fmt.Sprintf("%s/%d/%d", where, i, j), sub.Value)
		}
	}
	if s.Not != nil {
		v.schema(where+"/not", s.Not.Value)
	}
	if s.AdditionalProperties.Schema != nil {
		v.schema(where+"/additionalProperties", s.AdditionalProperties.Schema.Value)
	}
}

func (v *exampleValidator) examples(where string, s *openapi3.Schema, example any, examples openapi3.Examples) {
	v.check(where, s, example)
	for name, ex := range examples {
		require.NotNil(v.t, ex.Value, "%s example %s", where, name)
		v.check(where+" example "+name, s, ex.Value.Value)
	}
}

func (v *exampleValidator) parameter(where string, p *openapi3.Parameter) {
	require.NotNil(v.t, p.Schema, where)
	v.schema(where, p.Schema.Value)
	v.examples(where, p.Schema.Value, p.Example, p.Examples)
}

func (v *exampleValidator) header(where string, h *openapi3.Header) {
	require.NotNil(v.t, h.Schema, where)
	v.schema(where, h.Schema.Value)
	v.examples(where, h.Schema.Value, h.Example, h.Examples)
}

func (v *exampleValidator) media(where string, mt *openapi3.MediaType) {
	require.NotNil(v.t, mt.Schema, where)
	v.schema(where, mt.Schema.Value)
	v.examples(where, mt.Schema.Value, mt.Example, mt.Examples)
}

func (v *exampleValidator) response(where string, r *openapi3.Response) {
	for name, h := range r.Headers {
		v.header(where+" "+name, h.Value)
	}
	for ct, mt := range r.Content {
		v.media(where+" "+ct, mt)
	}
}

// The schemas are strict enough that the validation above means something.
func TestSchemasRejectBadValues(t *testing.T) {
	t.Parallel()
	doc := load(t)
	schema := func(name string) *openapi3.Schema {
		s := doc.Components.Schemas[name]
		require.NotNil(t, s, name)
		return s.Value
	}
	example := func(name string) map[string]any {
		ex := doc.Components.Examples[name]
		require.NotNil(t, ex, name)
		// A deep copy, so changing it leaves the shared document alone.
		b, err := json.Marshal(ex.Value.Value)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	submit := func() map[string]any {
		return map[string]any{
			"procedure_code": "TP-LLTP-01",
			"channel":        "online",
			"applicant":      map[string]any{"full_name": "Nguyễn Văn A", "id_number": "079203001234"},
			"documents":      []any{map[string]any{"name": "CCCD.pdf", "sha256": strings.Repeat("ab", 32)}},
			"return_method":  "counter",
		}
	}
	require.NoError(t, schema("SubmitDossierRequest").VisitJSON(submit()))

	bad := map[string]func(map[string]any){
		"unknown field":        func(m map[string]any) { m["priority"] = "high" },
		"unknown nested field": func(m map[string]any) { m["applicant"].(map[string]any)["nickname"] = "A" },
		"id of 10 digits":      func(m map[string]any) { m["applicant"].(map[string]any)["id_number"] = "0792030012" },
		"short sha256":         func(m map[string]any) { m["documents"] = []any{map[string]any{"name": "a", "sha256": "abc"}} },
		"no documents":         func(m map[string]any) { m["documents"] = []any{} },
		"unknown channel":      func(m map[string]any) { m["channel"] = "fax" },
		"fee_units zero":       func(m map[string]any) { m["fee_units"] = 0.0 },
		"missing applicant":    func(m map[string]any) { delete(m, "applicant") },
	}
	for name, spoil := range bad {
		m := submit()
		spoil(m)
		require.Error(t, schema("SubmitDossierRequest").VisitJSON(m), name)
	}

	d := example("DossierReceived")
	require.NoError(t, schema("Dossier").VisitJSON(d))
	d["status"] = "lost"
	require.Error(t, schema("Dossier").VisitJSON(d))
	d = example("DossierReceived")
	delete(d, "current_step")
	require.Error(t, schema("Dossier").VisitJSON(d), "current_step is required, null when no step is open")

	// The legal-time fields are always present, null when not set.
	d = example("DossierSubmitted")
	for _, field := range []string{"original_appointment_at", "appointment_resets", "verdict", "apology_required", "supplement"} {
		m := example("DossierSubmitted")
		delete(m, field)
		require.Error(t, schema("Dossier").VisitJSON(m), "%s is required", field)
	}
	for _, field := range []string{"warn_at", "escalated", "extended"} {
		m := example("DossierSubmitted")
		delete(m["current_step"].(map[string]any), field)
		require.Error(t, schema("Dossier").VisitJSON(m), "current_step.%s is required", field)
	}
	d["verdict"] = "maybe"
	require.Error(t, schema("Dossier").VisitJSON(d))
	d = example("DossierSupplementRequested")
	require.NoError(t, schema("Dossier").VisitJSON(d))
	d["supplement"].(map[string]any)["missing"] = []any{}
	require.Error(t, schema("Dossier").VisitJSON(d), "an outstanding supplement lists what is missing")
	d = example("DossierSubmitted")
	d["appointment_resets"] = -1.0
	require.Error(t, schema("Dossier").VisitJSON(d))

	// Decisions: request_supplement with what is missing.
	require.NoError(t, schema("IntakeRequest").VisitJSON(map[string]any{"decision": "request_supplement", "missing": []any{"CCCD"}}))
	require.NoError(t, schema("ReviewRequest").VisitJSON(map[string]any{"decision": "request_supplement", "missing": []any{"CCCD"}}))
	tooMany := make([]any, 51)
	for i := range tooMany {
		tooMany[i] = "x"
	}
	for name, body := range map[string]map[string]any{
		"empty missing":        {"decision": "request_supplement", "missing": []any{}},
		"empty missing entry":  {"decision": "request_supplement", "missing": []any{""}},
		"51 missing entries":   {"decision": "request_supplement", "missing": tooMany},
		"unknown decision":     {"decision": "later"},
		"missing not an array": {"decision": "request_supplement", "missing": "CCCD"},
	} {
		require.Error(t, schema("IntakeRequest").VisitJSON(body), name)
		require.Error(t, schema("ReviewRequest").VisitJSON(body), name)
	}

	doc1 := []any{map[string]any{"name": "a.pdf", "sha256": strings.Repeat("ab", 32)}}
	require.NoError(t, schema("SupplementRequest").VisitJSON(map[string]any{"documents": doc1}))
	require.Error(t, schema("SupplementRequest").VisitJSON(map[string]any{"documents": []any{}}))
	require.Error(t, schema("SupplementRequest").VisitJSON(map[string]any{"note": "x"}))
	require.NoError(t, schema("ApologyRequest").VisitJSON(map[string]any{"new_appointment_at": "2026-12-18T09:40:00+07:00", "reason": "x"}))
	require.Error(t, schema("ApologyRequest").VisitJSON(map[string]any{"new_appointment_at": "2026-12-18T09:40:00+07:00"}))
	require.Error(t, schema("ApologyRequest").VisitJSON(map[string]any{"new_appointment_at": "2026-12-18T09:40:00+07:00", "reason": ""}))
	require.NoError(t, schema("ExtensionRequest").VisitJSON(map[string]any{"new_due_at": "2026-12-09T15:40:00+07:00", "reason": "x"}))
	require.Error(t, schema("ExtensionRequest").VisitJSON(map[string]any{"reason": "x"}))

	// The whole lifecycle: returns for rework, withdrawal, stop, counter payment.
	require.NoError(t, schema("ReviewRequest").VisitJSON(map[string]any{"decision": "return", "note": "x"}))
	require.NoError(t, schema("ApprovalRequest").VisitJSON(map[string]any{"decision": "return", "note": "x"}))
	require.Error(t, schema("IntakeRequest").VisitJSON(map[string]any{"decision": "return", "note": "x"}), "intake has no step to return to")
	require.Error(t, schema("ApprovalRequest").VisitJSON(map[string]any{"decision": "request_supplement"}))
	for _, name := range []string{"WithdrawalRequest", "StopRequest"} {
		require.NoError(t, schema(name).VisitJSON(map[string]any{"reason": "x"}), name)
		for what, body := range map[string]map[string]any{
			"no reason":     {},
			"empty reason":  {"reason": ""},
			"long reason":   {"reason": strings.Repeat("x", 2001)},
			"unknown field": {"reason": "x", "note": "y"},
			"reason number": {"reason": 1.0},
		} {
			require.Error(t, schema(name).VisitJSON(body), "%s: %s", name, what)
		}
	}
	require.NoError(t, schema("CounterPaymentRequest").VisitJSON(map[string]any{"receipt_number": "BL-1", "amount": 200000.0}))
	require.NoError(t, schema("CounterPaymentRequest").VisitJSON(map[string]any{"receipt_number": "BL-1", "amount": 0.0}))
	for what, body := range map[string]map[string]any{
		"no receipt":        {"amount": 200000.0},
		"empty receipt":     {"receipt_number": "", "amount": 200000.0},
		"long receipt":      {"receipt_number": strings.Repeat("1", 101), "amount": 200000.0},
		"no amount":         {"receipt_number": "BL-1"},
		"negative amount":   {"receipt_number": "BL-1", "amount": -1.0},
		"fractional amount": {"receipt_number": "BL-1", "amount": 0.5},
		"unknown field":     {"receipt_number": "BL-1", "amount": 1.0, "paid_at": "2026-12-09T16:12:31+07:00"},
	} {
		require.Error(t, schema("CounterPaymentRequest").VisitJSON(body), what)
	}
	d = example("DossierWithdrawn")
	require.NoError(t, schema("Dossier").VisitJSON(d))
	d["fee"].(map[string]any)["status"] = "refund_due"
	require.NoError(t, schema("Dossier").VisitJSON(d), "a paid fee becomes refund_due")
	d["fee"].(map[string]any)["status"] = "refunded"
	d["refund"] = map[string]any{"amount": 100000.0, "status": "succeeded", "refund_ref": "REF-1"}
	require.NoError(t, schema("Dossier").VisitJSON(d), "the gateway paid it back")
	d["fee"].(map[string]any)["status"] = "reimbursed"
	require.Error(t, schema("Dossier").VisitJSON(d))
	d["fee"].(map[string]any)["status"] = "refunded"
	d["refund"] = map[string]any{"amount": 100000.0, "status": "lost", "refund_ref": nil}
	require.Error(t, schema("Dossier").VisitJSON(d), "unknown refund status")
	delete(d, "refund")
	require.NoError(t, schema("ReturnMethodRequest").VisitJSON(map[string]any{"method": "counter"}))
	require.Error(t, schema("ReturnMethodRequest").VisitJSON(map[string]any{"method": "drone"}))
	require.Error(t, schema("ReturnMethodRequest").VisitJSON(map[string]any{}))
	d = example("DossierHandedOverAfterPostalFallback")
	require.NoError(t, schema("Dossier").VisitJSON(d))
	require.Equal(t, "counter", d["return_method"])
	require.NoError(t, schema("Shipment").VisitJSON(map[string]any{"waybill": "EL123456789VN", "status": "cancelled"}))
	require.Error(t, schema("Shipment").VisitJSON(map[string]any{"waybill": "EL123456789VN", "status": "lost"}))

	// The holiday table.
	year := func() map[string]any {
		return map[string]any{"status": "official",
			"days_off":     []any{map[string]any{"date": "2031-01-01", "name": "New Year"}},
			"make_up_days": []any{}}
	}
	require.NoError(t, schema("CalendarYearRequest").VisitJSON(year()))
	for name, spoil := range map[string]func(map[string]any){
		"unknown status":       func(m map[string]any) { m["status"] = "draft" },
		"no days off":          func(m map[string]any) { m["days_off"] = []any{} },
		"no make_up_days key":  func(m map[string]any) { delete(m, "make_up_days") },
		"the year in the body": func(m map[string]any) { m["year"] = 2031.0 },
		"a date and time": func(m map[string]any) {
			m["days_off"] = []any{map[string]any{"date": "2031-01-01T00:00:00+07:00", "name": "x"}}
		},
		"a day without a name": func(m map[string]any) { m["days_off"] = []any{map[string]any{"date": "2031-01-01"}} },
		"a day with a note": func(m map[string]any) {
			m["days_off"] = []any{map[string]any{"date": "2031-01-01", "name": "x", "note": "y"}}
		},
		"a day written d/m/y": func(m map[string]any) { m["days_off"] = []any{map[string]any{"date": "01/01/2031", "name": "x"}} },
	} {
		m := year()
		spoil(m)
		require.Error(t, schema("CalendarYearRequest").VisitJSON(m), name)
	}
	params := doc.Paths.Value("/v1/calendar/appointment").Get.Parameters
	for _, name := range []string{"procedure_code", "channel", "received_at"} {
		p := params.GetByInAndName("query", name)
		require.NotNil(t, p, name)
		require.True(t, p.Required, name)
	}
	yearParam := doc.Components.Parameters["CalendarYear"].Value.Schema.Value
	require.NoError(t, yearParam.VisitJSON(2026.0))
	require.Error(t, yearParam.VisitJSON(1899.0))
	require.Error(t, yearParam.VisitJSON(2201.0))

	// Branches of the current step: one per department, every field present.
	for _, field := range []string{"branches", "result_document"} {
		m := example("DossierReceived")
		if field == "branches" {
			delete(m["current_step"].(map[string]any), field)
		} else {
			delete(m, field)
		}
		require.Error(t, schema("Dossier").VisitJSON(m), "%s is required", field)
	}
	d = example("DossierStepAssigned")
	require.NoError(t, schema("Dossier").VisitJSON(d))
	branches := d["current_step"].(map[string]any)["branches"].([]any)
	require.Len(t, branches, 2, "one branch per department of a parallel step")
	latest := ""
	for _, b := range branches {
		latest = max(latest, b.(map[string]any)["due_at"].(string))
	}
	require.Equal(t, latest, d["current_step"].(map[string]any)["due_at"], "the step is due when its last branch is")
	for _, field := range []string{"department", "due_at", "escalated", "decided", "assignee"} {
		m := example("DossierStepAssigned")
		delete(m["current_step"].(map[string]any)["branches"].([]any)[0].(map[string]any), field)
		require.Error(t, schema("Dossier").VisitJSON(m), "branches[].%s is required", field)
	}
	d = example("DossierStepAssigned")
	d["current_step"].(map[string]any)["branches"] = []any{}
	require.Error(t, schema("Dossier").VisitJSON(d), "a step has at least one branch")
	d = example("DossierStepAssigned")
	d["current_step"].(map[string]any)["branches"].([]any)[0].(map[string]any)["decided"] = "yes"
	require.Error(t, schema("Dossier").VisitJSON(d))
	for name, ex := range doc.Components.Examples {
		m, ok := ex.Value.Value.(map[string]any)
		if !ok || m["current_step"] == nil {
			continue
		}
		st := m["current_step"].(map[string]any)
		require.Len(t, st["branches"], len(st["departments"].([]any)), "%s: one branch per department", name)
	}

	// The result document's record.
	d = example("DossierAwaitingPayment")
	require.NotNil(t, d["result_document"])
	require.NoError(t, schema("Dossier").VisitJSON(d))
	d["result_document"].(map[string]any)["sha256"] = "abc"
	require.Error(t, schema("Dossier").VisitJSON(d))
	d = example("DossierAwaitingPayment")
	delete(d["result_document"].(map[string]any), "issued_at")
	require.Error(t, schema("Dossier").VisitJSON(d))
	rd := example("ResultDocumentIssued")
	require.NoError(t, schema("ResultDocument").VisitJSON(rd))
	for _, field := range []string{"name", "sha256", "issued_at"} {
		m := example("ResultDocumentIssued")
		delete(m, field)
		require.Error(t, schema("ResultDocument").VisitJSON(m), "%s is required", field)
	}
	signed := map[string]any{"name": "Phieu.pdf", "sha256": strings.Repeat("ab", 32)}
	require.NoError(t, schema("ApprovalRequest").VisitJSON(map[string]any{"decision": "approve", "result_document": signed}))
	for what, record := range map[string]map[string]any{
		"short sha256":  {"name": "Phieu.pdf", "sha256": "abc"},
		"no sha256":     {"name": "Phieu.pdf"},
		"no name":       {"sha256": strings.Repeat("ab", 32)},
		"empty name":    {"name": "", "sha256": strings.Repeat("ab", 32)},
		"long name":     {"name": strings.Repeat("x", 201), "sha256": strings.Repeat("ab", 32)},
		"unknown field": {"name": "Phieu.pdf", "sha256": strings.Repeat("ab", 32), "issued_at": "2026-12-09T14:05:00+07:00"},
	} {
		require.Error(t, schema("ApprovalRequest").VisitJSON(map[string]any{"decision": "approve", "result_document": record}), what)
	}

	// Reassignment.
	require.NoError(t, schema("AssignmentRequest").VisitJSON(map[string]any{"assignee": "le.van.c"}))
	require.NoError(t, schema("AssignmentRequest").VisitJSON(map[string]any{"assignee": "le.van.c", "department": "000.00.21.H39"}))
	for what, body := range map[string]map[string]any{
		"no assignee":      {"department": "000.00.21.H39"},
		"empty assignee":   {"assignee": ""},
		"long assignee":    {"assignee": strings.Repeat("x", 201)},
		"empty department": {"assignee": "le.van.c", "department": ""},
		"unknown field":    {"assignee": "le.van.c", "note": "x"},
		"assignee number":  {"assignee": 1.0},
	} {
		require.Error(t, schema("AssignmentRequest").VisitJSON(body), what)
	}

	step := map[string]any{"name": "assessment", "department": "000.00.21.H39", "share": 8.0,
		"parallel": []any{map[string]any{"department": "000.00.21.H39", "share": 8.0}}}
	require.Error(t, schema("ProcedureStep").VisitJSON(step), "a step is single or parallel, not both")
}
