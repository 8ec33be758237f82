// Package report turns a run's results.jsonl into statistics, charts,
// report.html, report.md and a text summary.
//
// # Pipeline
//
// Load (or FromRecords) groups the samples into series — one cell
// (runtime, tier, workload, language, parameter, target), one phase, cold
// or warm, one deployment variant (memory, architecture, package, ...) —
// leaving out warm-ups and unverified samples (results.Counts) and
// keeping count of them. A series keeps its values grouped by process,
// the unit of replication (a cold sample is one process; a warm process's
// executions are one group). Each series gets a stats.ProcessSummary (the
// geometric mean of the process units with its 95% interval, the spread
// between and within processes), on which every interval, ratio and
// verdict rests, and a descriptive stats.Summary of the pooled values
// (median, mean, spread, p95/p99, outliers flagged by median absolute
// deviation and kept in every figure). The calibration (short native
// processes at the start and end of a run) is kept apart as the
// machine's noise level (Noise), never as a result row. Failures, notes,
// sampling notes and unreadable lines (a truncated last line from an
// interrupted run) are kept for the reader.
//
// Sections arrange the cells the way the summary tables show them: per
// target, workload and parameter, one row per runtime and tier with the
// warm execute, the cold start and the ratio to the native build of the
// same source (stats.Compare on process units, Benjamini-Hochberg across
// the run's ratios).
//
// The charts (package chart, drawn with gonum.org/v1/plot) are: where the
// cold start went, warm distributions, ratio to native, scaling over a
// parameter sweep, sizes, break-even between tiers and cost per million
// invocations. A chart whose data the run lacks is skipped with a reason
// that the report shows.
//
// # Entry points
//
//	report.Summary(w, recs)          // the text summary bench run prints at the end
//	report.Write(dir, report.Options{}) // everything, into the run folder
//
// Write produces, in the run folder (or Options.Out): report.html
// (self-contained: charts embedded as SVG, tables, the environment
// fingerprint and the command that reproduces the run), report.md (short
// enough for an issue), summary.txt, stats.csv (every series), charts/
// (NN-kind-....png and .svg) and results.bench when the run left none.
//
// Package compare, beside this one, compares two runs.
package report
