// Package fakeworker is a runner whose modules are text saying what they
// do, for the tests of the worker loop (runners) and of its client
// (runners/client).
package fakeworker
