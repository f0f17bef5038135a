// Package reconcile compares the read model in PostgreSQL with the dossier
// workflows in Temporal: every dossier must have a workflow, every workflow
// a dossier, and both must agree on the status. Differences are what an
// operator looks at after an incident; after a clean test run there are
// none.
package reconcile

import (
	"context"
	"fmt"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// Difference is one dossier on which the read model and Temporal disagree.
type Difference struct {
	Code      string
	ReadModel string // the read model's status ("" if it has no row)
	Workflow  string // the workflow's status ("" if there is no workflow)
}

func (d Difference) String() string {
	switch {
	case d.ReadModel == "":
		return fmt.Sprintf("%s: workflow (%s) has no read-model row", d.Code, d.Workflow)
	case d.Workflow == "":
		return fmt.Sprintf("%s: read model says %s but there is no workflow", d.Code, d.ReadModel)
	}
	return fmt.Sprintf("%s: read model says %s, workflow says %s", d.Code, d.ReadModel, d.Workflow)
}

// Run lists every dossier workflow of the namespace through visibility and
// compares it with the read model. Visibility is eventually consistent, so
// each apparent difference is checked again against the workflow itself
// (DescribeWorkflowExecution) before it is reported.
func Run(ctx context.Context, s *store.Store, c client.Client, namespace string) ([]Difference, error) {
	rows, err := s.DossierStatuses(ctx)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(rows))
	var suspects []Difference
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, PageSize: 1000, NextPageToken: token,
			Query: "WorkflowType = '" + workflows.WorkflowName + "'",
		})
		if err != nil {
			return nil, fmt.Errorf("reconcile: list workflows: %w", err)
		}
		for _, ex := range page.Executions {
			code := ex.Execution.WorkflowId
			status := statusOf(ex.SearchAttributes.GetIndexedFields())
			seen[code] = true
			if rows[code] != status {
				suspects = append(suspects, Difference{Code: code, ReadModel: rows[code], Workflow: status})
			}
		}
		if token = page.NextPageToken; len(token) == 0 {
			break
		}
	}
	for code, st := range rows {
		if !seen[code] {
			suspects = append(suspects, Difference{Code: code, ReadModel: st})
		}
	}
	var out []Difference
	for _, d := range suspects {
		var desc *workflowservice.DescribeWorkflowExecutionResponse
		described, err := c.DescribeWorkflow(ctx, d.Code, "")
		if err == nil {
			desc = described.RawResponse
			// A transition's write reaches PostgreSQL inside the workflow
			// task, before the task completes and Temporal records it: while
			// a workflow task or an activity is pending (e.g. its worker is
			// down), the read model may be ahead. That is in flight, not a
			// difference; it settles when the task completes.
			if desc.PendingWorkflowTask != nil || len(desc.PendingActivities) > 0 {
				continue
			}
			d.Workflow = statusOf(desc.WorkflowExecutionInfo.GetSearchAttributes().GetIndexedFields())
		}
		if d.ReadModel != d.Workflow {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Difference) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	return out, nil
}

func statusOf(fields map[string]*commonpb.Payload) string {
	p, ok := fields[workflows.SearchStatus.GetName()]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
