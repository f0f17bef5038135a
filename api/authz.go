package api

import (
	"context"
	"net/http"
	"sync"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/store"
)

// authenticate requires a valid bearer token and puts its principal in
// the request's context. No token or a bad one: 401 saying which.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := auth.BearerToken(r.Header.Get("Authorization"))
		var p auth.Principal
		if err == nil {
			p, err = s.verifier.Verify(r.Context(), token)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="motcua"`)
			writeError(w, r, s.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// require lets a route through only when the policy allows the caller a
// (actions on no particular dossier: reports, catalog and calendar).
func (s *Server) require(a auth.Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.allow(w, r, a, auth.Facts{}) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// principal is the caller of an authenticated request.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

// actorOf names who made a request, as the control sheet records it:
// subject, role and agency.
func actorOf(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.String()
	}
	return "anonymous"
}

// allow applies the authorization policy (auth.Authorize, the one place
// the rules live) and answers 403 with its reason when it refuses.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, a auth.Action, f auth.Facts) bool {
	if err := auth.Authorize(principal(r), a, f); err != nil {
		writeError(w, r, s.log, err)
		return false
	}
	return true
}

// dossierFacts are what the policy needs to know about a dossier.
func (s *Server) dossierFacts(ctx context.Context, d store.Dossier) (auth.Facts, error) {
	f := auth.Facts{ReceivingAgency: d.AgencyCode, SubmittedBy: d.SubmittedBy}
	// All the step's departments, decided or not: a department that
	// already decided its part is told so by the workflow (409). A
	// submission waiting for intake shows its intake deadline as a step of
	// the receiving agency, but that is the intake officers' to decide
	// (ReceivingAgency), not a step a department owns.
	if d.CurrentStep != nil && d.Stage != dossier.StageIntake {
		f.StepDepartments = d.CurrentStep.Departments
	}
	proc, err := s.procedureVersion(ctx, d.ProcedureCode, d.ProcedureVersion)
	if err != nil {
		return auth.Facts{}, err
	}
	f.Departments, f.ApprovalDepartment = proc.Departments(), proc.ApprovalDepartment()
	return f, nil
}

// authorizedDossier reads the dossier in the path (once) and checks that
// the caller may do a with it: 404 for an unknown dossier, 409 for an
// action on a closed one (nothing can happen to it, whoever asks: saying
// so beats naming a step nobody owns any more), 403 when the policy
// refuses.
func (s *Server) authorizedDossier(w http.ResponseWriter, r *http.Request, code string, a auth.Action) (store.Dossier, bool) {
	d, err := s.store.Dossier(r.Context(), code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return store.Dossier{}, false
	}
	if a != auth.ReadDossier && d.Status.Final() {
		writeError(w, r, s.log, dossier.Errorf(dossier.EConflict, "dossier %s is %s; no further action is possible", code, d.Status))
		return store.Dossier{}, false
	}
	f, err := s.dossierFacts(r.Context(), d)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return store.Dossier{}, false
	}
	if !s.allow(w, r, a, f) {
		return store.Dossier{}, false
	}
	return d, true
}

// procedureCache keeps procedure versions, which never change once
// published, so authorizing an action costs no extra query.
type procedureCache struct {
	mu sync.Mutex
	m  map[procedureKey]catalog.Procedure
}

type procedureKey struct {
	code    string
	version int
}

func (s *Server) procedureVersion(ctx context.Context, code string, version int) (catalog.Procedure, error) {
	k := procedureKey{code, version}
	s.procs.mu.Lock()
	p, ok := s.procs.m[k]
	s.procs.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := s.store.ProcedureVersion(ctx, code, version)
	if err != nil {
		return catalog.Procedure{}, err
	}
	s.procs.mu.Lock()
	if s.procs.m == nil {
		s.procs.m = map[procedureKey]catalog.Procedure{}
	}
	s.procs.m[k] = p
	s.procs.mu.Unlock()
	return p, nil
}

// narrowInbox limits a list query to what the caller may see: staff their
// agency's dossiers, portals the ones they submitted.
func narrowInbox(p auth.Principal, f *store.InboxFilter) {
	sc := auth.ScopeOf(p)
	if !sc.AllAgencies {
		f.Involves = sc.Agency
	}
	f.SubmittedBy = sc.SubmittedBy
}

// narrowReport limits a report to the caller's agency (leaders); asking
// for another agency's figures is refused.
func narrowReport(p auth.Principal, agency *string) error {
	sc := auth.ScopeOf(p)
	if sc.AllAgencies {
		return nil
	}
	if *agency != "" && *agency != sc.Agency {
		return dossier.Errorf(dossier.EForbidden, "you may read reports of your agency %s only, not of %s", sc.Agency, *agency)
	}
	*agency = sc.Agency
	return nil
}

// narrowReport narrows a report to what the caller may read: ops and
// admin all; a leader of a receiving agency (center, commune) its
// dossiers; a leader of a department its department's steps (a department
// receives nothing, so its figures are the steps it worked on).
func (s *Server) narrowReport(r *http.Request, f *store.ReportFilter) error {
	sc := auth.ScopeOf(principal(r))
	if sc.AllAgencies {
		return nil
	}
	voc, err := s.store.ReportVocabulary(r.Context())
	if err != nil {
		return s.unavailable(err)
	}
	if voc.Agencies[sc.Agency] != "department" {
		return narrowReport(principal(r), &f.Agency)
	}
	if f.Department != "" && f.Department != sc.Agency {
		return dossier.Errorf(dossier.EForbidden, "you may read reports of your department %s only, not of %s", sc.Agency, f.Department)
	}
	if f.Agency != "" && f.Agency != sc.Agency {
		return dossier.Errorf(dossier.EForbidden, "you may read reports of your department %s only, not of agency %s", sc.Agency, f.Agency)
	}
	f.Agency = "" // its own code names the department, not a receiving agency
	f.Department = sc.Agency
	return nil
}
