package api

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/store"
)

// Who sees the full identity number on a single dossier: the policy
// (auth.SeesIdentityNumber) applied to the authenticated caller.
func TestSingleDossierShowsFullIdentityNumberOnlyToWhomMay(t *testing.T) {
	t.Parallel()
	d := store.Dossier{Code: "X", AgencyCode: "000.00.25.H39",
		Applicant: store.Applicant{FullName: "Nguyễn Văn A", IDNumber: "079203001234", Phone: "0901234567"}}
	for _, tc := range []struct {
		p    *auth.Principal
		want string
	}{
		{nil, "0792******34"},
		{&auth.Principal{Subject: "i", Role: auth.RoleIntakeOfficer, Agency: "000.00.25.H39"}, "079203001234"},
		{&auth.Principal{Subject: "i", Role: auth.RoleIntakeOfficer, Agency: "000.00.17.H39"}, "0792******34"},
		{&auth.Principal{Subject: "r", Role: auth.RoleReviewer, Agency: "000.00.25.H39"}, "0792******34"},
		{&auth.Principal{Subject: "o", Role: auth.RoleOps}, "0792******34"},
	} {
		r := httptest.NewRequest("GET", "/v1/dossiers/X", nil)
		if tc.p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *tc.p))
		}
		out := renderDossier(d, seesIdentityNumber(r, d))
		require.Equal(t, tc.want, out.Applicant.IDNumber, "%v", tc.p)
		require.Equal(t, "Nguyễn Văn A", out.Applicant.FullName)
	}
	require.Equal(t, "0792******34", renderDossier(d, false).Applicant.IDNumber)
}
