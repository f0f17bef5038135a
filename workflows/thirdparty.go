package workflows

// Calls to third parties (payment gateway, postal service): a local attempt
// first, then an activity with deliberate retries.

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ---- Payment ---------------------------------------------------------------

// thirdPartyOptions: calls to the gateway and the postal service retry with
// backoff for as long as it takes (an outage can last weeks); retries of one
// activity add no history events.
var thirdPartyOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
	},
}

// quickThirdPartyOptions bound the first, local attempt of a third-party
// call (lean version): a few seconds, then the durable activity takes over.
var quickThirdPartyOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 5 * time.Second,
	// One attempt: the regular activity's retries take over at once.
	RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
}

// thirdParty calls the gateway or the postal service. The lean version
// tries a local activity first: when the third party answers, that costs
// one marker event in the workflow task already running, instead of an
// activity's three events plus a workflow task of three more. When it does
// not answer within quickThirdPartyOptions (an outage), the regular
// activity retries for as long as it takes, adding no events per retry (a
// local activity would add a timer per long backoff). Both calls are
// idempotent on the dossier code, so a local attempt that timed out after
// the third party acted is harmless.
func (r *run) thirdParty(ctx workflow.Context, name string, in, out any) error {
	if r.lean {
		lctx := workflow.WithLocalActivityOptions(ctx, quickThirdPartyOptions)
		err := workflow.ExecuteLocalActivity(lctx, name, in).Get(lctx, out)
		r.localAttempts--
		var refused *temporal.ApplicationError
		if err == nil || temporal.IsCanceledError(err) || (errors.As(err, &refused) && refused.NonRetryable()) {
			return err
		}
		r.logger.Warn("third party did not answer the local attempt; retrying as an activity", "activity", name, "error", err)
	}
	actx := workflow.WithActivityOptions(ctx, thirdPartyOptions)
	return workflow.ExecuteActivity(actx, name, in).Get(actx, out)
}

// retryAfterPermanentFailure is how long the workflow waits before asking
// again after a third party refused a request outright (a bug or a
// misconfiguration that ops must fix; the error is in the history).
const retryAfterPermanentFailure = time.Hour
