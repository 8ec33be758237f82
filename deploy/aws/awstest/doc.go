// Package awstest is a test-only AWS on 127.0.0.1: the Lambda control
// plane (whose Invoke runs the real bootstrap through deploy/lambdalocal,
// within the account's concurrency limit and memory maximum, writing each
// function's CloudWatch log group and creating it on the first invocation
// when the role may), CloudWatch Logs, IAM, STS, ECR (its API plus
// go-containerregistry's in-process registry) and S3
// (github.com/johannesboyne/gofakes3), with fault injection, opt-in
// regions that refuse requests, a settable clock, and pagination on every
// list call (PageSize shrinks the pages). The real aws-sdk-go-v2 clients
// talk to it through BaseEndpoint.
package awstest
