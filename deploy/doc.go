// Package deploy defines where tasks run: the Target interface the
// orchestrator (internal/run) consumes, the Task it hands a target and
// the Outcome it gets back, and the optional lifecycle interfaces of the
// targets that need more than Run.
//
// The family, one folder each:
//
//	deploy/local        a worker process on this machine
//	deploy/lambdalocal  a Lambda function package under a local Runtime API host
//	deploy/container    the same package as an OCI image, run by Docker or runc
//	deploy/targets      the one explicit list of them, as bench run builds it
//
// and beside them what the targets share: deploy/pkg (zip and OCI
// packages) and deploy/pricing (Lambda's price table).
//
// A target needs only Target. Optional capabilities are small extra
// interfaces a target may implement and the caller checks for with a type
// assertion:
//
//   - Closer: the target makes things as it runs (function packages,
//     images, bundles) and removes them on Close. Building an image or a
//     bundle is each serverless target's own business: it happens once
//     per function package, inside the first Run that needs it, and its
//     time and size are reported in that task's Outcome.
//
// deploy/aws deploys to real AWS Lambda with an orchestrator of its own;
// it is not a Target yet. When it becomes one, the lifecycle it needs —
// deploying a function and tearing it down, and pricing an invocation —
// is where further optional interfaces plug in, beside Closer, so that
// the local targets stay as small as they are.
package deploy
