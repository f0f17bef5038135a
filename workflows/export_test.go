package workflows_test

import "go.temporal.io/sdk/workflow"

var workflowRegisterOptions = workflow.RegisterOptions{Name: "Dossier"}
