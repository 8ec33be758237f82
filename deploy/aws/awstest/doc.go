// Package awstest is a test-only AWS on 127.0.0.1: the Lambda control
// plane (whose Invoke runs the real bootstrap through deploy/lambdalocal),
// IAM, STS, ECR (its API plus go-containerregistry's in-process registry)
// and S3 (github.com/johannesboyne/gofakes3), with fault injection. The
// real aws-sdk-go-v2 clients talk to it through BaseEndpoint.
package awstest
