// Package results defines what a run records — one JSON object per line in
// results.jsonl (an env line, then samples, failures, task markers and
// notes) — and reads and writes it, along with the same samples in Go
// benchmark format (results.bench) for benchstat.
package results
