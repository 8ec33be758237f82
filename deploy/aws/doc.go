// Package aws deploys the bench workers to real AWS Lambda — zip and
// container image packages, x86_64 and arm64, a sweep of memory sizes —
// forces cold starts, measures them from the REPORT lines and the client,
// prices them, writes results.jsonl records with target "aws-lambda", and
// tears down everything it created (or, with Cleanup, everything any run
// left behind, found by tag).
//
// The pipeline of one run (Run):
//
//  1. check the credentials with STS GetCallerIdentity before anything is
//     built or created (CheckCredentials; no network at all when no
//     credential source exists);
//  2. build every artifact: the worker for each architecture
//     (cross-compiled for arm64 where possible), the module (a built-in
//     workload's, or a user's own --wasm module with its stdin file and
//     preopened folders, packed as lambda-local packs them), the
//     ahead-of-time artifact, the zip and the OCI image (deploy/pkg);
//  3. create the shared resources — the execution role (unless --role),
//     the S3 bucket for large zips, the ECR repository for images — each
//     named with the run id and tagged bench:run-id;
//  4. for each configuration: create the function, force cold starts
//     (UpdateFunctionConfiguration of an environment variable, the SDK's
//     function-updated waiter, Invoke with LogType Tail), invoke warm,
//     fire bursts, write the records (each output checked by the
//     workload's oracle, or by the --wasm module's run.Verifier: a wrong
//     output is a failure with a diff), delete the function;
//  5. tear down on success, error and Ctrl-C (unless Keep), and say what
//     could not be deleted.
//
// Every endpoint can be overridden (Endpoints, or the SDK's
// AWS_ENDPOINT_URL_<SERVICE> variables): the tests run the real SDK
// against local servers (deploy/aws/awstest).
package aws
