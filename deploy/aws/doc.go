// Package aws is the aws-lambda target: it deploys the bench workers to
// real AWS Lambda — zip and container image packages, x86_64 and arm64, a
// sweep of memory sizes — forces cold starts, measures them from the
// REPORT lines and the client, prices them at the region's prices, and
// tears down everything it created (or, with Cleanup, what runs left
// behind, found by tag, after listing it and asking). The orchestrator
// (internal/run) plans, verifies, interleaves, samples to precision,
// resumes and reports its cells as it does every target's.
//
// What the target does in a run (Target):
//
//  1. Available: resolve and check the region (--region, else the SDK's:
//     AWS_REGION or the profile) and its prices (deploy/pricing's table,
//     --price-*); check the credentials with STS GetCallerIdentity before
//     anything is built or created (CheckCredentials; no network at all
//     when no credential source exists; an opt-in region that is not
//     enabled is named as such), then read the account's Lambda limits
//     and refuse a burst or memory size beyond them;
//  2. Prepare: the ahead-of-time artifact for the cell's architecture;
//  3. Run, on a cell's first task: build its package from the task's
//     worker and job — the worker for the architecture (cross-compiled
//     for arm64 where possible), the module with its stdin file and
//     preopened folders (packed as lambda-local packs them), the
//     artifact, the zip or the OCI image (deploy/pkg) — then create the
//     shared resources once (the execution role unless --role, which may
//     only write the run's log groups; the run's S3 bucket for large
//     zips; the ECR repository for images), each named with the run id,
//     tagged bench:run-id and bench:region and tracked for teardown, and
//     the cell's log group (a day's retention) and function;
//  4. Run, every task: force a new environment
//     (UpdateFunctionConfiguration of an environment variable, the SDK's
//     function-updated waiter) and invoke it (LogType Tail) once (cold)
//     or Warmup+Iterations times (warm) or a soak's count; Burst fires n
//     invokes at once; the REPORT figures and the bootstrap's events go
//     back to the orchestrator, which checks every output;
//  5. Close: tear down everything (unless Keep), on success, error and
//     Ctrl-C, and say what could not be deleted.
//
// DryRun builds every package and prints the plan and its cost without a
// call to AWS.
//
// Policy is the least-privilege IAM policy of all that. Every endpoint can
// be overridden (Endpoints, or the SDK's AWS_ENDPOINT_URL_<SERVICE>
// variables): the tests run the real SDK against local servers
// (deploy/aws/awstest).
package aws
