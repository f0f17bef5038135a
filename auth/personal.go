package auth

// SeesIdentityNumber reports whether p may see an applicant's full identity
// number on a single dossier (everyone else sees it masked, and lists and
// reports always mask it). Only those who work with the number see it:
// intake officers of the receiving agency, who check it against the ID card
// at the counter, and the portal that submitted the dossier, which had it
// from the applicant. Reviewers, leaders, admins and ops decide or operate
// without it; ops who must see a payload use the codec endpoint, which is
// logged.
func SeesIdentityNumber(p Principal, f Facts) bool {
	switch p.Role {
	case RoleIntakeOfficer:
		return p.Agency != "" && p.Agency == f.ReceivingAgency
	case RolePortal:
		return f.SubmittedBy != "" && p.Subject == f.SubmittedBy
	}
	return false
}
