package api_test

import (
	"context"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// describe is the server's full description of a dossier's workflow
// (DescribeWorkflow's RawResponse: the SDK deprecated
// DescribeWorkflowExecution, which returned it directly).
func describe(ctx context.Context, c client.Client, id string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	d, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return nil, err
	}
	return d.RawResponse, nil
}
