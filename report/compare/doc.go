// Package compare compares two bench runs cell by cell — the ratio
// NEW/OLD with a confidence interval, a Mann-Whitney U test, a verdict of
// faster, slower, equivalent or inconclusive, a geometric mean — lists
// cells found on one side only, and warns when the runs come from
// different machines.
package compare
