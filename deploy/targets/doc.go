// Package targets is the one explicit list of the targets a run can use
// (local, lambda-local, container-local, aws-lambda), made with their options.
package targets
