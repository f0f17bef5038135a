package loadgen

import (
	"time"

	"github.com/motcua/motcua/auth"
)

// portal is the simulated public-service portal: it submits, reads its
// own dossiers and acts for their applicants.
var portal = auth.Principal{Subject: "loadgen-portal", Role: auth.RolePortal}

// actorFor is the person who takes an action on d: the receiving agency's
// intake officer, the reviewer of the department deciding, the leader of
// the approving department, or the portal for the applicant.
func actorFor(d dossierView, suffix string, body any) auth.Principal {
	step := ""
	if d.CurrentStep != nil && len(d.CurrentStep.Departments) > 0 {
		step = d.CurrentStep.Departments[0]
	}
	switch suffix {
	case "intake", "handover", "payment":
		return auth.Principal{Subject: "loadgen-intake", Role: auth.RoleIntakeOfficer, Agency: d.AgencyCode}
	case "review":
		if m, _ := body.(map[string]any); m != nil {
			if dept, _ := m["department"].(string); dept != "" {
				step = dept
			}
		}
		return auth.Principal{Subject: "loadgen-reviewer", Role: auth.RoleReviewer, Agency: step}
	case "approval", "apology", "extension", "stop":
		return auth.Principal{Subject: "loadgen-leader", Role: auth.RoleLeader, Agency: step}
	}
	return portal
}

// as adds an Authorization header for p to headers (none without a
// secret). Tokens are minted once per person and run.
func (g *gen) as(p auth.Principal, headers ...string) []string {
	if g.opts.JWTSecret == "" {
		return headers
	}
	key := p.String()
	if tok, ok := g.tokens.Load(key); ok {
		return append(headers, "Authorization", "Bearer "+tok.(string))
	}
	h, err := auth.NewHS256(g.opts.JWTSecret)
	if err != nil {
		return headers // the API will answer 401, counted as errors
	}
	tok, err := h.Mint(p, 24*time.Hour)
	if err != nil {
		return headers
	}
	g.tokens.Store(key, tok)
	return append(headers, "Authorization", "Bearer "+tok)
}
