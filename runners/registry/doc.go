// Package registry is the one table of runtimes bench knows: for each, its
// worker and the files beside it, how make and a cross build make it, its
// tiers and their kinds, whether it runs confined, how its worker is
// started, and how reports show it.
//
// Everything that needs a runtime fact reads it here: the orchestrator
// (internal/run), the deploy builder (deploy/aws), the packager, the
// report and `bench list`. The package holds data only and links no
// runtime, so the report can read names, order, colours and kinds without
// linking a runner. A worker still reports its tiers in its hello; the
// conformance suite checks that they are the tiers listed here.
package registry
