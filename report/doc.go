// Package report turns a run's results.jsonl into statistics, charts,
// report.html, report.md and a text summary.
//
// # Pipeline
//
// Load (or FromRecords) groups the samples into series — one cell
// (runtime, tier, workload, language, parameter, target), one phase, cold
// or warm, one deployment variant (memory, architecture, package, ...) —
// leaving out warm-ups and unverified samples (results.Counts) and
// keeping count of them. Each series gets a stats.Summary: median with a
// distribution-free 95% confidence interval, mean, standard deviation,
// coefficient of variation, p95/p99 when there are enough samples, and
// outliers flagged by median absolute deviation (kept in every figure).
// Failures, notes and unreadable lines (a truncated last line from an
// interrupted run) are kept for the reader.
//
// Sections arrange the cells the way the summary tables show them: per
// target, workload and parameter, one row per runtime and tier with the
// warm median, the cold start and the ratio to the native build of the
// same source (stats.Compare: Hodges-Lehmann estimate, Moses interval).
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
