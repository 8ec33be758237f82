package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"time"

	awsdeploy "github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/internal/run"
)

// awsFlags are bench run's flags of the aws-lambda target (bench deploy
// aws has the same).
type awsFlags struct {
	region, role                 *string
	arches, pkgs                 listFlag
	burst, parallel              *int
	keep, dry                    *bool
	priceX86, priceARM, priceReq *float64
	estimate                     *float64
}

// awsOnly are the flags that mean something only to aws-lambda.
var awsOnly = []string{"region", "role", "arch", "package", "burst", "parallel", "keep", "price-gbs-x86_64", "price-gbs-arm64",
	"price-requests", "estimate-ms"}

func addAWSFlags(fs *flag.FlagSet) *awsFlags {
	a := &awsFlags{}
	a.region = fs.String("region", "", "aws-lambda: AWS region (default: the SDK's: AWS_REGION, or the profile's region)")
	a.role = fs.String("role", "", "aws-lambda: execution role ARN to use (default: create a minimal one for the run and delete it)")
	fs.Var(&a.arches, "arch", "aws-lambda: architectures, one cell each: x86_64, arm64 (default: x86_64)")
	fs.Var(&a.pkgs, "package", "aws-lambda: package types, one cell each: zip, image (default: zip)")
	a.burst = fs.Int("burst", 0, "aws-lambda: after sampling, N invocations of each cell fired at once at a new environment; records how many started one")
	a.parallel = fs.Int("parallel", 0, fmt.Sprintf("aws-lambda: cells measured at once, each with its own tasks in sequence "+
		"(default %d, lowered to half the account's unreserved concurrency; more than all of it is refused)", awsdeploy.DefaultParallel))
	a.keep = fs.Bool("keep", false, "aws-lambda: leave every resource deployed (delete later with bench deploy aws --cleanup)")
	a.dry = fs.Bool("dry-run", false, "aws-lambda: build every package and print the plan and its cost; nothing is measured and nothing is sent to AWS")
	a.priceX86 = fs.Float64("price-gbs-x86_64", 0, "aws-lambda: USD per GB-second on x86_64 (default: the region's, from bench's dated table)")
	a.priceARM = fs.Float64("price-gbs-arm64", 0, "aws-lambda: USD per GB-second on arm64 (default: the region's, from bench's dated table)")
	a.priceReq = fs.Float64("price-requests", 0, "aws-lambda: USD per million requests (default: the region's, from bench's dated table)")
	a.estimate = fs.Float64("estimate-ms", 1000, "with --dry-run: billed milliseconds per invocation the cost estimate assumes")
	return a
}

// defaultAWSBudget is a cell's budget on aws-lambda when --budget is not
// given: a task there forces a new environment (a configuration update
// Lambda takes seconds to apply) before it invokes, so the local 4 s
// would not buy a cell its minimum processes.
const defaultAWSBudget = time.Minute

// apply checks the flags against the run's targets, puts the
// architectures, packages and burst in the run's options, and returns the
// aws-lambda target's options. Region and prices are settled here, before
// anything is planned, so a bad one is refused at once.
//
// A resumed run takes its targets and matrix from its run.json, not from
// the flags: the AWS flags then only configure the target (its region,
// role, prices and fan-out, which run.json does not keep).
func (a *awsFlags) apply(s *State, o *run.Options, set map[string]bool, resume bool) (awsdeploy.Options, error) {
	if !resume && !slices.Contains(o.Targets, awsdeploy.TargetName) {
		for _, f := range awsOnly {
			if set[f] {
				return awsdeploy.Options{}, usageError("--%s goes with --target %s", f, awsdeploy.TargetName)
			}
		}
		if *a.dry {
			return awsdeploy.Options{}, usageError("--dry-run plans a run on %s: the local targets have nothing to plan", awsdeploy.TargetName)
		}
		return awsdeploy.Options{}, nil
	}
	for _, c := range []intRange{
		{"burst", int64(*a.burst), 0, 1000, "concurrent invocations (Lambda's default concurrency limit is 1000)"},
		{"parallel", int64(*a.parallel), 0, 1000, "cells at once (0: the default)"},
	} {
		if err := intIn(c.name, c.v, c.lo, c.hi, c.what); err != nil {
			return awsdeploy.Options{}, err
		}
	}
	for name, v := range map[string]float64{"price-gbs-x86_64": *a.priceX86, "price-gbs-arm64": *a.priceARM, "price-requests": *a.priceReq} {
		if v < 0 || v > 1000 {
			return awsdeploy.Options{}, usageError("--%s %v: out of range: a price in USD, from 0 to 1000", name, v)
		}
	}
	if *a.estimate <= 0 || *a.estimate > 900000 {
		return awsdeploy.Options{}, usageError("--estimate-ms %v: out of range: billed milliseconds per invocation, above 0 and at most 900000 (15 minutes)", *a.estimate)
	}
	if *a.region != "" {
		if err := awsdeploy.CheckRegion(*a.region); err != nil {
			return awsdeploy.Options{}, usageError("--region: %v", err)
		}
	}
	if resume && (set["arch"] || set["package"] || set["burst"] || *a.dry) {
		return awsdeploy.Options{}, usageError("--resume continues the run its folder holds: --arch, --package, --burst and --dry-run cannot change it")
	}
	if resume && !slices.ContainsFunc(awsOnly, func(f string) bool { return set[f] }) {
		// The run's targets are in its run.json: an aws-lambda run
		// settles its region when the target is checked.
		return awsdeploy.Options{BinDir: s.BinDir, SrcDir: sourceDir(s.BinDir), Getenv: awsdeploy.Env(s.Getenv), Log: s.Stderr, Argv: s.Argv,
			Client: awsdeploy.ClientOptions{S3PathStyle: s.Getenv("AWS_ENDPOINT_URL_S3") != ""}}, nil
	}
	o.Arches, o.Packages, o.Burst = a.arches, a.pkgs, *a.burst
	if !set["budget"] && o.Scenario == "" {
		o.Budget, o.AutoBudget = max(o.Budget, defaultAWSBudget), false
	}
	arches := o.Arches
	if len(arches) == 0 {
		arches = []string{awsdeploy.ArchX86}
	}
	mem := o.Memory
	if len(mem) == 0 {
		mem = []int{awsdeploy.DefaultMemoryMB}
	}
	ao := awsdeploy.Options{
		Region: *a.region, RoleARN: *a.role, Arches: arches, MemoryMB: mem, Packages: o.Packages,
		Cold: o.MinCold, Warm: o.MinWarm * (o.Warmup + o.Iterations), Burst: o.Burst, Soak: o.Soak,
		Parallel: *a.parallel, Timeout: o.FunctionTimeout, Keep: *a.keep, DryRun: *a.dry, EstimateMS: *a.estimate,
		RunID: awsdeploy.NewRunID(time.Now()), BinDir: s.BinDir, SrcDir: sourceDir(s.BinDir),
		Getenv: awsdeploy.Env(s.Getenv), Log: s.Stderr, Argv: s.Argv,
		// An S3 endpoint of one's own (a local S3) has no bucket host names.
		Client: awsdeploy.ClientOptions{S3PathStyle: s.Getenv("AWS_ENDPOINT_URL_S3") != ""},
	}
	if *a.dry {
		ao.Log = s.Stdout
	}
	// --price-* replace the region's prices from the table; a region the
	// table lacks needs them all.
	ao.PriceOverrides.GBSecond = map[string]float64{}
	if set["price-gbs-x86_64"] {
		ao.PriceOverrides.GBSecond[pricing.X86_64] = *a.priceX86
	}
	if set["price-gbs-arm64"] {
		ao.PriceOverrides.GBSecond[pricing.ARM64] = *a.priceARM
	}
	if set["price-requests"] {
		ao.PriceOverrides.PerMillionRequests = a.priceReq
	}
	if err := ao.Resolve(s.Ctx); err != nil {
		if errors.Is(err, awsdeploy.ErrNoRegion) || errors.Is(err, awsdeploy.ErrUnknownRegion) || errors.Is(err, pricing.ErrNoPrices) {
			return ao, deployError(err)
		}
		return ao, usageError("%v", err)
	}
	return ao, nil
}
