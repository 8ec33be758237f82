// Package run is the orchestrator: it discovers the runtimes' workers,
// expands the options into a matrix of cells, prepares AOT artifacts,
// schedules cold samples and warm processes on the targets (deploy) in
// interleaved rounds within a per-cell time budget, verifies every output
// (a --wasm module's by workloads/custom), and appends each record to
// results.jsonl as it is measured, so an interrupted run can be resumed.
// Tasks run one at a time, except that a round's (and the soaks') tasks
// of different cells on a remote target that allows it
// (deploy.Concurrent) run several at once, never beside a local task
// (concurrent.go). It is the only orchestrator, for every target, AWS
// Lambda included: a target's memory sizes (deploy.Sized), architectures
// and package types (deploy.Varied) are cell variants; a target may make
// its own artifacts (deploy.Preparer), take a burst task after sampling
// (deploy.Burster, burst.go) and plan a dry run (deploy.DryRunner,
// DryRun).
package run
