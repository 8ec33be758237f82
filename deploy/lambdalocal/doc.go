// Package lambdalocal runs a Lambda function's package on this machine as
// Lambda does — a Runtime API host on 127.0.0.1, a fresh execution
// environment per cold start with Lambda's variables, memory size and
// timeout enforced, a REPORT per invocation (a deploy/lambdareport
// Report) — and is the lambda-local target.
package lambdalocal
