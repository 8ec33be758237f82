// Package client is the orchestrator's side of the worker protocol: start a
// worker process, send jobs, read its events, bound and kill it.
//
// The protocol itself (jobs, events, error kinds) and the worker's side of
// it live in package runners; a Command says how to start one worker, and a
// Client is the orchestrator's end of one running worker process.
package client
