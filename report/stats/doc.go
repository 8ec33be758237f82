// Package stats summarises benchmark samples with the process as the unit
// of replication (process.go: a geometric mean with a Student t interval
// on log units, spreads between and within processes), compares two runs
// (a ratio of geometric means with its interval, a t-test on log units,
// a verdict, Benjamini-Hochberg across a family, processes needed) and
// describes pooled values (median, spread, percentiles, outliers by median
// absolute deviation).
package stats
