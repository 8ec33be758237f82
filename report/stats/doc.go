// Package stats summarises benchmark samples (median, mean, spread,
// percentiles, a confidence interval for the median, outliers by median
// absolute deviation) and compares two samples (a ratio with a
// distribution-free confidence interval, a Mann-Whitney U test and a
// verdict), building on golang.org/x/perf/benchmath.
package stats
