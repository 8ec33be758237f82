// Package synth generates realistic synthetic bench runs (results.jsonl
// records) for the report and compare tests: several runtimes and tiers,
// native baselines, workloads in three languages, a parameter sweep, cold
// and warm samples, sizes, serverless targets with prices, a failure and
// notes, all from a seed.
package synth
