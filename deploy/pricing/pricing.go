// Package pricing holds what AWS Lambda charges — one dated price table
// per region, overridable by flags — and turns a REPORT line's billed
// duration into the price of an invocation, for bench deploy aws and the
// local serverless targets alike.
package pricing

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Lambda architectures.
const (
	X86_64 = "x86_64"
	ARM64  = "arm64"
)

// Prices is what Lambda charges in one region: dated, overridable by
// flags (--price-gbs-x86_64, --price-gbs-arm64, --price-requests).
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

// TableAsOf is the day the table's prices were read: 2025-08-01, the day
// Lambda started billing the INIT phase of every function. Lambda's
// on-demand prices had not changed since 2020 (when 1 ms billing came)
// by then.
const TableAsOf = "2025-08-01"

// tableSource is where the table comes from.
const tableSource = "AWS Lambda pricing page, on-demand, first tier"

// Standard prices: most regions charge these.
const (
	stdX86 = 0.0000166667
	stdARM = 0.0000133334
	stdReq = 0.20
)

// table holds Lambda's on-demand prices by region, first tier (the first
// 6 billion GB-seconds a month of an architecture), from the AWS Lambda
// pricing page (aws.amazon.com/lambda/pricing, its region selector), as
// of TableAsOf. Free tier not subtracted; ephemeral storage beyond the
// free 512 MB is not used by bench.
//
// The regions that cost more were cross-checked against the region table
// of aws-lambda-power-tuning (its template's x86_64 baseCosts per ms at
// 128 MB, and the per-region GB-second table it used before). Their
// request prices, and ap-northeast-3's arm64 price (80% of x86_64, AWS's
// ratio in every other region), are as read from the pricing page without
// a second source: check them before relying on a cost figure from those
// regions, or pass --price-*.
//
// A region that is not here (a newer one, GovCloud, China) is refused
// rather than priced at us-east-1's rates: pass --price-* for it.
var table = map[string]struct{ x86, arm, req float64 }{
	"us-east-1":      {stdX86, stdARM, stdReq},
	"us-east-2":      {stdX86, stdARM, stdReq},
	"us-west-1":      {stdX86, stdARM, stdReq},
	"us-west-2":      {stdX86, stdARM, stdReq},
	"ca-central-1":   {stdX86, stdARM, stdReq},
	"sa-east-1":      {stdX86, stdARM, stdReq},
	"eu-central-1":   {stdX86, stdARM, stdReq},
	"eu-west-1":      {stdX86, stdARM, stdReq},
	"eu-west-2":      {stdX86, stdARM, stdReq},
	"eu-west-3":      {stdX86, stdARM, stdReq},
	"eu-north-1":     {stdX86, stdARM, stdReq},
	"ap-south-1":     {stdX86, stdARM, stdReq},
	"ap-northeast-1": {stdX86, stdARM, stdReq},
	"ap-northeast-2": {stdX86, stdARM, stdReq},
	"ap-southeast-1": {stdX86, stdARM, stdReq},
	"ap-southeast-2": {stdX86, stdARM, stdReq},
	// Dearer: x86_64 GB-seconds 17% (Milan) to 38% (Hong Kong) above
	// us-east-1's.
	"eu-south-1":     {0.0000195172, 0.0000156138, 0.23}, // Milan
	"me-south-1":     {0.0000206667, 0.0000165334, 0.25}, // Bahrain
	"me-central-1":   {0.0000206667, 0.0000165334, 0.25}, // UAE
	"ap-northeast-3": {0.00002153, 0.000017224, 0.25},    // Osaka
	"af-south-1":     {0.0000221, 0.0000177, 0.28},       // Cape Town
	"ap-east-1":      {0.00002292, 0.0000183, 0.28},      // Hong Kong
}

// Regions lists the regions the table prices, sorted.
func Regions() []string {
	out := make([]string, 0, len(table))
	for r := range table {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// ForRegion is the table's prices for a region; ok is false for a region
// the table does not have.
func ForRegion(region string) (p Prices, ok bool) {
	e, ok := table[region]
	if !ok {
		return Prices{}, false
	}
	return Prices{Region: region, AsOf: TableAsOf, Source: tableSource,
		GBSecond: map[string]float64{X86_64: e.x86, ARM64: e.arm}, PerMillionRequests: e.req}, true
}

// Default is us-east-1's prices: the local serverless targets
// (lambda-local, container-local) price with them, as they run in no
// region.
var Default, _ = ForRegion("us-east-1")

// Overrides are prices given by flags; nil fields are not given.
type Overrides struct {
	GBSecond           map[string]float64 // by architecture
	PerMillionRequests *float64
}

// Flag names, for messages.
const (
	FlagX86      = "--price-gbs-x86_64"
	FlagARM      = "--price-gbs-arm64"
	FlagRequests = "--price-requests"
)

func flagFor(arch string) string {
	if arch == ARM64 {
		return FlagARM
	}
	return FlagX86
}

// ErrNoPrices means the table has no prices for a region and the flags do
// not give all that is needed.
var ErrNoPrices = errors.New("no Lambda prices for this region")

// Resolve is the prices a run in region uses for the architectures it
// deploys: the table's, each one the flags give replacing the table's.
// For a region the table does not have, the flags must give the
// GB-second price of every architecture used and the request price:
// bench does not guess.
func Resolve(region string, o Overrides, arches []string) (Prices, error) {
	for a, v := range o.GBSecond {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return Prices{}, fmt.Errorf("%s %v: a price must be a number of USD, at least 0", flagFor(a), v)
		}
	}
	if r := o.PerMillionRequests; r != nil && (*r < 0 || math.IsNaN(*r) || math.IsInf(*r, 0)) {
		return Prices{}, fmt.Errorf("%s %v: a price must be a number of USD, at least 0", FlagRequests, *r)
	}
	p, ok := ForRegion(region)
	var given []string
	if !ok {
		var missing []string
		for _, a := range arches {
			if _, ok := o.GBSecond[a]; !ok {
				missing = append(missing, flagFor(a))
			}
		}
		if o.PerMillionRequests == nil {
			missing = append(missing, FlagRequests)
		}
		if len(missing) > 0 {
			return Prices{}, fmt.Errorf("%w: bench's table (as of %s) has none for %q and does not guess; "+
				"pass %s in USD from the AWS Lambda pricing page (the table has %s)",
				ErrNoPrices, TableAsOf, region, strings.Join(missing, ", "), strings.Join(Regions(), ", "))
		}
		p = Prices{Region: region, GBSecond: map[string]float64{}, Source: "given by flags"}
	} else {
		p.GBSecond = map[string]float64{X86_64: p.GBSecond[X86_64], ARM64: p.GBSecond[ARM64]}
	}
	for _, a := range []string{X86_64, ARM64} {
		if v, ok := o.GBSecond[a]; ok {
			p.GBSecond[a] = v
			given = append(given, flagFor(a))
		}
	}
	if o.PerMillionRequests != nil {
		p.PerMillionRequests = *o.PerMillionRequests
		given = append(given, FlagRequests)
	}
	if ok && len(given) > 0 {
		p.Source += ", with " + strings.Join(given, ", ") + " given by flags"
	}
	return p, nil
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

// String says which prices are used: the region's, where from and when.
func (p Prices) String() string {
	var gbs []string
	for _, a := range []string{X86_64, ARM64} {
		if v, ok := p.GBSecond[a]; ok {
			gbs = append(gbs, fmt.Sprintf("%.10f/GB-s %s", v, a))
		}
	}
	when := ""
	if p.AsOf != "" {
		when = ", as of " + p.AsOf
	}
	return fmt.Sprintf("%s prices: USD %s, %.2f per million requests (%s%s)",
		p.Region, strings.Join(gbs, ", "), p.PerMillionRequests, p.Source, when)
}
