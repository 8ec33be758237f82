// Package results defines what a run records — one JSON object per line in
// results.jsonl (an env line, then samples, failures, task markers and
// notes) — and reads and writes it, along with the same samples in Go
// benchmark format (results.bench) for benchstat. It owns the vocabulary
// every other package records and reads: each phase name and unit is
// declared once, in phase.go.
//
// The env line also holds the load average when the run started
// (Env.LoadAvg). A run's last record is a note (RunEndNote) whose partial
// Env holds the time it ended and the load average then (Env.LoadAvgEnd);
// a resumed run adds a note with its own start (ResumeNote) and, when it
// ends, another end note, so the last one describes the run's end
// (EndLoadAvg reads it).
package results
