// Package pricing holds what AWS Lambda charges — one dated price table,
// overridable by flags — and turns a REPORT line's billed duration into the
// price of an invocation, for bench deploy aws and the local serverless
// targets alike.
package pricing

import (
	"fmt"
	"math"
)

// Lambda architectures.
const (
	X86_64 = "x86_64"
	ARM64  = "arm64"
)

// Prices is what Lambda charges: the one price table bench uses, dated and
// for one region, overridable by flags (--price-gbs-x86_64,
// --price-gbs-arm64, --price-requests).
type Prices struct {
	// Region and AsOf say where and when the prices were taken.
	Region string
	AsOf   string
	// GBSecond is USD per GB-second of billed duration, by architecture.
	GBSecond map[string]float64
	// PerMillionRequests is USD per million requests.
	PerMillionRequests float64
	// Source names where they come from.
	Source string
}

// Default: AWS Lambda on-demand pricing, us-east-1, first tier
// (the first 6 billion GB-seconds a month), as of 2025-08-01 — the day
// Lambda started billing the INIT phase of every function. Free tier not
// subtracted. Ephemeral storage beyond the free 512 MB is not used.
var Default = Prices{
	Region: "us-east-1",
	AsOf:   "2025-08-01",
	GBSecond: map[string]float64{
		X86_64: 0.0000166667,
		ARM64:  0.0000133334,
	},
	PerMillionRequests: 0.20,
	Source:             "AWS Lambda pricing page, on-demand, first tier",
}

// Invocation is the price of one invocation in USD: billed milliseconds
// (which include the INIT phase since 2025-08-01) times the configured
// memory in GB times the GB-second price, plus one request.
func (p Prices) Invocation(arch string, memoryMB int, billedMS float64) (float64, error) {
	gbs, ok := p.GBSecond[arch]
	if !ok {
		return 0, fmt.Errorf("no GB-second price for architecture %q", arch)
	}
	return billedMS/1000*float64(memoryMB)/1024*gbs + p.PerMillionRequests/1e6, nil
}

// BilledMS is the billed duration of an invocation including INIT. Lambda
// bills INIT for every runtime since 2025-08-01 and its REPORT line's
// Billed Duration then already includes it (custom runtimes and images
// always did); an older-style line whose Billed Duration does not cover
// Duration plus Init Duration gets the INIT added, rounded up to the
// millisecond as Lambda rounds.
func BilledMS(durationMS, billedMS, initMS float64) float64 {
	if initMS > 0 && billedMS < durationMS+initMS-0.5 {
		return billedMS + math.Ceil(initMS)
	}
	return billedMS
}

// String says which prices are used.
func (p Prices) String() string {
	return fmt.Sprintf("USD %.10f/GB-s x86_64, %.10f/GB-s arm64, %.2f per million requests (%s, %s, as of %s)",
		p.GBSecond[X86_64], p.GBSecond[ARM64], p.PerMillionRequests, p.Source, p.Region, p.AsOf)
}
