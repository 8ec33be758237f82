// Package local is the local target: each task runs in a worker process
// on this machine.
package local
