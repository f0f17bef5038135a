package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
)

// testSecret signs the tests' development tokens.
const testSecret = "motcua-api-tests-secret-0123456789abcdef"

var testSigner = func() *auth.HS256 {
	h, err := auth.NewHS256(testSecret)
	if err != nil {
		panic(err)
	}
	return h
}()

// The agencies of the sample catalog the tests act for.
const (
	center  = "000.00.17.H39" // receives most procedures
	justice = "000.00.18.H39" // reviews and approves TP-LLTP-01
	tax     = "000.00.22.H39" // has no step in TP-LLTP-01
)

// testPortal is the portal the tests submit as by default.
var testPortal = auth.Principal{Subject: "test-portal", Role: auth.RolePortal}

func bearer(t testing.TB, p auth.Principal) string {
	t.Helper()
	tok, err := testSigner.Mint(p, time.Hour)
	require.NoError(t, err)
	return "Bearer " + tok
}

// as returns headers that make a request as p.
func as(t testing.TB, p auth.Principal) []string { return []string{"Authorization", bearer(t, p)} }

// noToken makes a request without an Authorization header.
var noToken = []string{"Authorization", ""}

// actorFor picks the person who would make a request in real life, so the
// lifecycle tests read as before: a portal submits and acts for the
// applicant, the receiving agency's intake officer takes dossiers in, the
// reviewer of the department that owns the current step reviews, the
// approving department's leader approves, ops read, admins administer.
// The authorization table below tries every other combination.
func (s *system) actorFor(method, path string, body any) auth.Principal {
	s.t.Helper()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if method == http.MethodGet {
		return auth.Principal{Subject: "test-ops", Role: auth.RoleOps}
	}
	if len(parts) < 2 || parts[0] != "v1" {
		return auth.Principal{Subject: "test-ops", Role: auth.RoleOps}
	}
	switch parts[1] {
	case "procedures", "calendar":
		return auth.Principal{Subject: "test-admin", Role: auth.RoleAdmin}
	case "dossiers":
	default:
		return auth.Principal{Subject: "test-ops", Role: auth.RoleOps}
	}
	if len(parts) < 4 {
		return testPortal
	}
	d := s.peek(parts[2])
	// An unknown or finished dossier has no agency or step to go by: act
	// as staff of the sample catalog's center and Department of Justice.
	if d.agency == "" {
		d.agency = center
	}
	if len(d.pending) == 0 {
		d.pending = []string{justice}
	}
	if d.approval == "" {
		d.approval = justice
	}
	named := ""
	if m, ok := body.(map[string]any); ok {
		named, _ = m["department"].(string)
	}
	switch parts[3] {
	case "intake", "handover", "payment", "fee-exemption":
		return auth.Principal{Subject: "test-intake", Role: auth.RoleIntakeOfficer, Agency: d.agency}
	case "review":
		return auth.Principal{Subject: "test-reviewer", Role: auth.RoleReviewer, Agency: firstOr(named, d.pending)}
	case "assignment":
		return auth.Principal{Subject: "test-leader", Role: auth.RoleLeader, Agency: firstOr(named, d.pending)}
	case "approval", "apology", "extension", "stop":
		return auth.Principal{Subject: "test-leader", Role: auth.RoleLeader, Agency: d.approval}
	}
	return testPortal // supplement, withdrawal
}

func firstOr(named string, pending []string) string {
	if named != "" || len(pending) == 0 {
		return named
	}
	return pending[0]
}

type peeked struct {
	agency   string
	pending  []string
	approval string
}

// peek reads what actorFor needs with an ops token.
func (s *system) peek(code string) peeked {
	s.t.Helper()
	get := func(path string, v any) {
		req, err := http.NewRequest(http.MethodGet, s.api.URL+path, nil)
		require.NoError(s.t, err)
		req.Header.Set("Authorization", bearer(s.t, auth.Principal{Subject: "test-ops", Role: auth.RoleOps}))
		res, err := http.DefaultClient.Do(req)
		require.NoError(s.t, err)
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusOK {
			require.NoError(s.t, json.Unmarshal(raw, v))
		}
	}
	var d struct {
		AgencyCode    string `json:"agency_code"`
		ProcedureCode string `json:"procedure_code"`
		CurrentStep   *struct {
			Pending []string `json:"pending_departments"`
		} `json:"current_step"`
	}
	get("/v1/dossiers/"+code, &d)
	out := peeked{agency: d.AgencyCode}
	if d.CurrentStep != nil {
		out.pending = d.CurrentStep.Pending
	}
	if d.ProcedureCode != "" {
		var p struct {
			Steps []struct {
				Name       string `json:"name"`
				Department string `json:"department"`
			} `json:"steps"`
		}
		get("/v1/procedures/"+d.ProcedureCode, &p)
		for _, st := range p.Steps {
			if st.Name == "approval" {
				out.approval = st.Department
			}
		}
	}
	return out
}

// TestAuthorizationTable tries every role, of the dossier's own agency and
// of another one, against every action, and asserts the status of each
// cell. An allowed action on a dossier is sent with an empty body, so it
// passes authorization and stops at validation (400); a refused one is
// 403 before the body is read.
func TestAuthorizationTable(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	// TP-LLTP-01: received by the center, reviewed and approved by the
	// Department of Justice. The dossier waits in the review step.
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), as(t, testPortal)...)
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"},
		as(t, auth.Principal{Subject: "officer", Role: auth.RoleIntakeOfficer, Agency: center})...)
	s.eventually(code, "review", func(d map[string]any) bool { return d["stage"] == "review" })

	type who struct {
		name string
		p    auth.Principal
	}
	people := []who{
		{"portal (submitter)", testPortal},
		{"portal (another)", auth.Principal{Subject: "other-portal", Role: auth.RolePortal}},
		{"intake_officer (center)", auth.Principal{Subject: "io", Role: auth.RoleIntakeOfficer, Agency: center}},
		{"intake_officer (tax)", auth.Principal{Subject: "io2", Role: auth.RoleIntakeOfficer, Agency: tax}},
		{"reviewer (justice)", auth.Principal{Subject: "rv", Role: auth.RoleReviewer, Agency: justice}},
		{"reviewer (tax)", auth.Principal{Subject: "rv2", Role: auth.RoleReviewer, Agency: tax}},
		{"leader (justice)", auth.Principal{Subject: "ld", Role: auth.RoleLeader, Agency: justice}},
		{"leader (tax)", auth.Principal{Subject: "ld2", Role: auth.RoleLeader, Agency: tax}},
		{"admin", auth.Principal{Subject: "adm", Role: auth.RoleAdmin}},
		{"ops", auth.Principal{Subject: "op", Role: auth.RoleOps}},
	}
	type cell struct {
		method, path string
		body         any
		want         []int // one status per person, in people's order
	}
	D := "/v1/dossiers/" + code
	// Allowed on a dossier: 400 (empty body reaches validation); refused: 403.
	const ok, no = 400, 403
	cells := []cell{
		{"POST", D + "/intake", "{}", []int{no, no, ok, no, no, no, no, no, no, no}},
		{"POST", D + "/handover", "{}", []int{no, no, ok, no, no, no, no, no, no, no}},
		{"POST", D + "/payment", "{}", []int{no, no, ok, no, no, no, no, no, no, no}},
		{"POST", D + "/review", "{}", []int{no, no, no, no, ok, no, no, no, no, no}},
		{"POST", D + "/assignment", "{}", []int{no, no, no, no, ok, no, ok, no, no, no}},
		{"POST", D + "/approval", "{}", []int{no, no, no, no, no, no, ok, no, no, no}},
		{"POST", D + "/apology", "{}", []int{no, no, no, no, no, no, ok, no, no, no}},
		{"POST", D + "/extension", "{}", []int{no, no, no, no, no, no, ok, no, no, no}},
		{"POST", D + "/stop", "{}", []int{no, no, no, no, no, no, ok, no, no, no}},
		{"POST", D + "/supplement", "{}", []int{ok, no, ok, no, no, no, no, no, no, no}},
		{"POST", D + "/withdrawal", "{}", []int{ok, no, ok, no, no, no, no, no, no, no}},
		{"GET", D, nil, []int{200, no, 200, no, 200, no, 200, no, 200, 200}},
		{"GET", D + "/events", nil, []int{200, no, 200, no, 200, no, 200, no, 200, 200}},
		{"GET", D + "/events.csv", nil, []int{200, no, 200, no, 200, no, 200, no, 200, 200}},
		{"GET", D + "/result", nil, []int{404, no, 404, no, 404, no, 404, no, 404, 404}},
		// Documents' files: read like the dossier (the declared document
		// has no file: 404); a declared document's file is sent by whoever
		// may supplement (an empty body stops at validation).
		{"GET", D + "/documents/" + strings.Repeat("ab", 32), nil, []int{404, no, 404, no, 404, no, 404, no, 404, 404}},
		{"PUT", D + "/documents/" + strings.Repeat("ab", 32), "", []int{ok, no, ok, no, no, no, no, no, no, no}},
		{"GET", "/v1/dossiers?limit=5", nil, []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/reports/summary?from=2026-01-01&to=2026-01-31", nil, []int{no, no, no, no, no, no, 200, 200, 200, 200}},
		{"GET", "/v1/reports/summary.csv?from=2026-01-01&to=2026-01-31", nil, []int{no, no, no, no, no, no, 200, 200, 200, 200}},
		{"GET", "/v1/reports/monthly?year=2026", nil, []int{no, no, no, no, no, no, 200, 200, 200, 200}},
		{"GET", "/v1/notifications?status=failed", nil, []int{no, no, no, no, no, no, no, no, 200, 200}},
		{"GET", "/v1/portal-sync?status=lagging", nil, []int{no, no, no, no, no, no, no, no, 200, 200}},
		{"GET", "/v1/procedures", nil, []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/procedures/TP-LLTP-01", nil, []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/calendar/2026", nil, []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST", "/v1/procedures", "{}", []int{no, no, no, no, no, no, no, no, 400, no}},
		{"PUT", "/v1/procedures/TP-LLTP-01", "{}", []int{no, no, no, no, no, no, no, no, 400, no}},
		{"PUT", "/v1/calendar/2026", "{}", []int{no, no, no, no, no, no, no, no, 400, no}},
	}
	for _, c := range cells {
		require.Len(t, c.want, len(people), c.path)
		for i, w := range people {
			res := s.call(c.method, c.path, c.body, as(t, w.p)...)
			require.Equal(t, c.want[i], res.status, "%s %s as %s: %s", c.method, c.path, w.name, res.body)
			if res.status == 403 {
				require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
				require.NotEmpty(t, res.json(t)["detail"], "a refusal says why")
			}
		}
	}

	// Submission: a portal (any agency, or the receiving one) and intake
	// officers of the receiving agency; nobody else.
	for i, w := range people {
		res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), as(t, w.p)...)
		want := map[bool]int{true: 201, false: 403}[i <= 2]
		require.Equal(t, want, res.status, "submit as %s: %s", w.name, res.body)
	}
	res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"),
		as(t, auth.Principal{Subject: "commune-portal", Role: auth.RolePortal, Agency: "000.00.25.H39"})...)
	require.Equal(t, 403, res.status, "a portal bound to one agency submits there only: %s", res.body)

	// Lists are narrowed: another agency's staff and another portal do not
	// see the dossier; its own agency's staff and its portal do.
	listed := func(p auth.Principal) bool {
		l := s.must(200, "GET", "/v1/dossiers?q="+code, nil, as(t, p)...)
		return len(l["items"].([]any)) == 1
	}
	for i, w := range people {
		want := map[int]bool{0: true, 2: true, 4: true, 6: true, 8: true, 9: true}[i]
		require.Equal(t, want, listed(w.p), "%s lists the dossier", w.name)
	}
	// A leader reads their own agency's reports only.
	res = s.call("GET", "/v1/reports/summary?from=2026-01-01&to=2026-01-31&agency="+center,
		nil, as(t, auth.Principal{Subject: "ld", Role: auth.RoleLeader, Agency: justice})...)
	require.Equal(t, 403, res.status, string(res.body))
}

// TestAuthentication: no token, a malformed one, a forged one and an
// expired one are all 401 with a reason, and change nothing.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	forger, err := auth.NewHS256("not-the-secret-not-the-secret-not-the-secret")
	require.NoError(t, err)
	forged, err := forger.Mint(auth.Principal{Subject: "x", Role: auth.RoleOps}, time.Hour)
	require.NoError(t, err)
	for name, h := range map[string]string{
		"none":       "",
		"not bearer": "Basic dXNlcjpwYXNz",
		"not a JWT":  "Bearer abc.def",
		"forged":     "Bearer " + forged,
		"expired":    "Bearer " + expiredToken(t),
		"none alg":   "Bearer " + noneAlgToken(),
	} {
		for _, path := range []string{"/v1/dossiers", "/v1/procedures"} {
			res := s.call("GET", path, nil, "Authorization", h)
			require.Equal(t, 401, res.status, "%s token on %s: %s", name, path, res.body)
			require.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer")
			require.NotEmpty(t, res.json(t)["detail"])
		}
		res := s.call("POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), "Authorization", h)
		require.Equal(t, 401, res.status, "%s token on submit", name)
	}
	// The public lookup needs no token (it needs the lookup key).
	res := s.call("GET", "/v1/public/dossiers/NOPE?key=x", nil, noToken...)
	require.NotEqual(t, 401, res.status)

	// The actor is recorded on every event: subject, role and agency.
	d := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"), as(t, testPortal)...)
	code := d["code"].(string)
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "accept"},
		as(t, auth.Principal{Subject: "nguyen.thi.b", Role: auth.RoleIntakeOfficer, Agency: center})...)
	ev := s.must(200, "GET", "/v1/dossiers/"+code+"/events", nil)
	items := ev["items"].([]any)
	require.Equal(t, "test-portal (portal)", items[0].(map[string]any)["actor"])
	require.Equal(t, fmt.Sprintf("nguyen.thi.b (intake_officer, %s)", center), items[1].(map[string]any)["actor"])
}

// expiredToken is signed with the right secret but expired an hour ago
// (beyond the verifier's 30 s of clock skew).
func expiredToken(t *testing.T) string {
	t.Helper()
	c := jwt.MapClaims{"iss": auth.DevIssuer, "sub": "x", "role": "ops",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(testSecret))
	require.NoError(t, err)
	return tok
}

// noneAlgToken is an unsigned token ("alg": "none"), the classic forgery.
func noneAlgToken() string {
	c := jwt.MapClaims{"iss": auth.DevIssuer, "sub": "x", "role": "ops", "exp": time.Now().Add(time.Hour).Unix()}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	return tok
}
