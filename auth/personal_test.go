package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeesIdentityNumber(t *testing.T) {
	t.Parallel()
	f := Facts{ReceivingAgency: "A", SubmittedBy: "portal-1", ApprovalDepartment: "D", Departments: []string{"D"}}
	for _, tc := range []struct {
		p    Principal
		sees bool
	}{
		{Principal{Subject: "i", Role: RoleIntakeOfficer, Agency: "A"}, true},
		{Principal{Subject: "i", Role: RoleIntakeOfficer, Agency: "B"}, false},
		{Principal{Subject: "portal-1", Role: RolePortal}, true},
		{Principal{Subject: "portal-2", Role: RolePortal}, false},
		{Principal{Subject: "r", Role: RoleReviewer, Agency: "D"}, false},
		{Principal{Subject: "l", Role: RoleLeader, Agency: "D"}, false},
		{Principal{Subject: "a", Role: RoleAdmin}, false},
		{Principal{Subject: "o", Role: RoleOps}, false},
	} {
		require.Equal(t, tc.sees, SeesIdentityNumber(tc.p, f), "%v", tc.p)
	}
	// A dossier entered at the counter has no submitting portal: no portal sees it.
	require.False(t, SeesIdentityNumber(Principal{Subject: "", Role: RolePortal}, Facts{ReceivingAgency: "A"}))
}
