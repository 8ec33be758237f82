// Package aws deploys the bench workers to real AWS Lambda — zip and
// container image packages, x86_64 and arm64, a sweep of memory sizes —
// forces cold starts, measures them from the REPORT lines and the client,
// prices them at the region's prices, writes results.jsonl records with
// target "aws-lambda", and tears down everything it created (or, with
// Cleanup, what runs left behind, found by tag, after listing it and
// asking).
//
// The pipeline of one run (Run):
//
//  1. resolve and check the region (--region, else the SDK's: AWS_REGION
//     or the profile) and its prices (deploy/pricing's table, --price-*);
//  2. check the credentials with STS GetCallerIdentity before anything is
//     built or created (CheckCredentials; no network at all when no
//     credential source exists; an opt-in region that is not enabled is
//     named as such), then read the account's Lambda limits and refuse a
//     burst or memory size beyond them;
//  3. build every artifact: the worker for each architecture
//     (cross-compiled for arm64 where possible), the module (a built-in
//     workload's, or a user's own --wasm module with its stdin file and
//     preopened folders, packed as lambda-local packs them), the
//     ahead-of-time artifact, the zip and the OCI image (deploy/pkg);
//  4. create the shared resources — the execution role (unless --role;
//     it may only write the run's log groups), the run's own S3 bucket for
//     large zips, the ECR repository for images — each named with the run
//     id and tagged bench:run-id and bench:region, and tracked for
//     teardown once its create succeeded;
//  5. for each configuration: create the function's log group (a day's
//     retention) and the function, force cold starts
//     (UpdateFunctionConfiguration of an environment variable, the SDK's
//     function-updated waiter, Invoke with LogType Tail), invoke warm,
//     fire bursts (an invoke throttled and retried is marked), write the
//     records (each output checked by the workload's oracle, or by the
//     --wasm module's custom.Verifier: a wrong output is a failure with a
//     diff), delete the function and its log group;
//  6. tear down on success, error and Ctrl-C (unless Keep), and say what
//     could not be deleted.
//
// Policy is the least-privilege IAM policy of all that. Every endpoint can
// be overridden (Endpoints, or the SDK's AWS_ENDPOINT_URL_<SERVICE>
// variables): the tests run the real SDK against local servers
// (deploy/aws/awstest).
package aws
