package api

import (
	"fmt"
	"strings"

	"github.com/motcua/motcua/workflows"
)

// workflowSummary is what the Temporal UI shows on a dossier's workflow
// (StartWorkflowOptions.StaticSummary and StaticDetails), so an operator
// reading a history knows which dossier and procedure it is without the
// code. Fixed at start; never personal data (no applicant's name or
// number): the UI is for ops, and the same text is in every list.
func workflowSummary(in workflows.DossierInput) (summary, details string) {
	p := in.Procedure
	name := p.NameVI
	if name == "" {
		name = p.Name
	}
	summary = fmt.Sprintf("Hồ sơ %s · %s · %s", in.Code, p.Code, in.Channel)
	var b strings.Builder
	fmt.Fprintf(&b, "**Dossier** %s\n\n", in.Code)
	fmt.Fprintf(&b, "- **Procedure**: %s (version %d) — %s\n", p.Code, p.Version, name)
	fmt.Fprintf(&b, "- **Receiving agency**: %s\n", p.IntakeAgency)
	fmt.Fprintf(&b, "- **Channel**: %s; **result returned**: %s\n", in.Channel, in.ReturnMethod)
	fmt.Fprintf(&b, "- **Submitted**: %s\n", in.SubmittedAt.Format("2006-01-02 15:04:05 -07:00"))
	if in.FeeAmount > 0 {
		fmt.Fprintf(&b, "- **Fee**: %d ₫\n", in.FeeAmount)
	}
	b.WriteString("\nSearch attributes: DossierStatus, DossierStage, Overdue, AppointmentAt. " +
		"Each decision is an update; each write to the read model a local-activity marker; " +
		"timer summaries name the legal deadline they enforce.")
	return summary, b.String()
}
