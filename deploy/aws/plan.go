package aws

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/workloads"
	"github.com/wasmbench/bench/workloads/custom"
)

// Lambda's limits that bench checks before deploying (lambdalimits holds
// them; these names stay for the code that uses them).
const (
	// DirectUploadLimit is the largest zip CreateFunction takes inline;
	// larger ones go through S3.
	DirectUploadLimit = lambdalimits.DirectUploadZipBytes
	// MaxUnzippedBytes is the largest a function's unpacked zip may be.
	MaxUnzippedBytes = lambdalimits.UnzippedBytes
	// MaxImageBytes is the largest container image Lambda runs
	// (uncompressed; the compressed size is checked, a lower bound).
	MaxImageBytes = lambdalimits.ImageBytes
	// EdgeViewerZipBytes and EdgeOriginZipBytes are Lambda@Edge's limits
	// on a zipped package: 1 MB for viewer triggers, 50 MB for origin
	// triggers. bench does not deploy to Lambda@Edge; the dry run says
	// which packages would fit.
	EdgeViewerZipBytes = lambdalimits.EdgeViewerZipBytes
	EdgeOriginZipBytes = lambdalimits.EdgeOriginZipBytes
	// MinMemoryMB and MaxMemoryMB bound a function's memory.
	MinMemoryMB = lambdalimits.MinMemoryMB
	MaxMemoryMB = lambdalimits.MaxMemoryMB
)

// Options configure one `bench deploy aws` run.
type Options struct {
	// Region is the AWS region everything is created in; empty: the
	// SDK's (AWS_REGION, AWS_DEFAULT_REGION, the profile's region).
	Region string
	// RoleARN is the execution role to use; empty: bench creates a
	// minimal one (AWSLambdaBasicExecutionRole only) and deletes it.
	RoleARN string
	// Cells are the runtime x tier x workload x language x parameter
	// combinations (run.Plan with target "aws-lambda").
	Cells []*run.Cell
	// Notes are the planner's notes (unavailable runtimes and tiers),
	// written to results.jsonl.
	Notes []results.Record
	// Arches, MemoryMB and Packages multiply the cells into functions.
	Arches   []string
	MemoryMB []int
	Packages []string
	// Cold forced cold starts, Warm warm invokes, and Burst concurrent
	// invokes per function.
	Cold, Warm, Burst int
	// Soak, when positive, ends each function's measurement with N
	// invocations of one fresh environment, recording its Max Memory Used
	// and the bootstrap's resident set after each (bench run --soak's
	// records); SoakExport calls that export on one live instance
	// instead of running _start on a fresh one.
	Soak       int
	SoakExport string
	// Parallel is how many functions are deployed and measured at once
	// (0: DefaultParallel, lowered to what the account's concurrency
	// allows). Each function's own invocations stay in sequence.
	Parallel int
	// Timeout is each function's timeout (default 60s, at most 900s).
	Timeout time.Duration
	// Keep leaves everything deployed (and says what).
	Keep bool
	// DryRun builds every artifact and prints the plan; no AWS calls.
	DryRun bool
	// EstimateMS is the billed duration per invocation the dry run's cost
	// estimate assumes.
	EstimateMS float64
	// Out is the run folder (results.jsonl, build/).
	Out string
	// BuildDir is where workers, modules, artifacts and packages are
	// built (default <Out>/build). Runs may share one: a worker built for
	// another architecture is then relinked only when its sources change.
	BuildDir string
	// RunID names and tags everything (default NewRunID).
	RunID string
	// Prices price every invocation; zero: the region's from the table
	// in deploy/pricing, with PriceOverrides (--price-*) replacing its
	// figures. A region the table lacks needs every figure given.
	Prices         pricing.Prices
	PriceOverrides pricing.Overrides
	// BinDir holds the workers (bin/), SrcDir the source tree for
	// cross-compiling them (empty: no cross-compiling).
	BinDir, SrcDir string
	// DirectUploadLimit overrides the inline zip limit (tests).
	DirectUploadLimit int64
	// RoleWait bounds how long CreateFunction is retried while a new
	// role propagates through IAM (default 3 minutes).
	RoleWait time.Duration
	// WaitDelay is the shortest poll interval of the SDK's waiters
	// (default 1s; tests use less).
	WaitDelay time.Duration
	Client    ClientOptions
	Getenv    Env
	// Log receives progress lines and the plan.
	Log  io.Writer
	Argv []string
}

func (o *Options) defaults() {
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.RunID == "" {
		o.RunID = NewRunID(time.Now())
	}
	if o.DirectUploadLimit == 0 {
		o.DirectUploadLimit = DirectUploadLimit
	}
	if o.RoleWait == 0 {
		o.RoleWait = 3 * time.Minute
	}
	if o.WaitDelay == 0 {
		o.WaitDelay = time.Second
	}
	if o.EstimateMS == 0 {
		o.EstimateMS = 1000
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// absPaths makes the folders absolute: workers for another architecture
// are built in their Go module's folder, and a relative --out would land
// there.
func (o *Options) absPaths() error {
	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(o.Out, "build")
	}
	for _, p := range []*string{&o.Out, &o.BuildDir, &o.BinDir, &o.SrcDir} {
		if *p == "" || filepath.IsAbs(*p) {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("make %s absolute: %w", *p, err)
		}
		*p = abs
	}
	return nil
}

// Check validates the options that do not need the cells. An empty
// region is left to Run, which takes the SDK's.
func (o *Options) Check() error {
	if o.Region != "" {
		if err := CheckRegion(o.Region); err != nil {
			return err
		}
	}
	for _, a := range o.Arches {
		if a != ArchX86 && a != ArchARM {
			return fmt.Errorf("unknown architecture %q (valid: %s, %s)", a, ArchX86, ArchARM)
		}
	}
	for _, m := range o.MemoryMB {
		if m < MinMemoryMB || m > MaxMemoryMB {
			return fmt.Errorf("memory %d MB is outside Lambda's %d-%d MB", m, MinMemoryMB, MaxMemoryMB)
		}
	}
	for _, p := range o.Packages {
		if p != PackageZip && p != PackageImage {
			return fmt.Errorf("unknown package %q (valid: %s, %s)", p, PackageZip, PackageImage)
		}
	}
	if o.Cold < 0 || o.Warm < 0 || o.Burst < 0 {
		return fmt.Errorf("--cold, --warm and --burst must not be negative")
	}
	if o.Cold+o.Warm+o.Burst == 0 {
		return fmt.Errorf("nothing to measure: --cold, --warm and --burst are all 0")
	}
	if o.Timeout < 0 || o.Timeout > 900*time.Second {
		return fmt.Errorf("--timeout %s: Lambda allows 1s to 15m", o.Timeout)
	}
	if o.RunID != "" {
		if err := CheckRunID(o.RunID); err != nil {
			return err
		}
	}
	for arch, p := range o.Prices.GBSecond {
		if p < 0 {
			return fmt.Errorf("negative price for %s", arch)
		}
	}
	if o.Prices.PerMillionRequests < 0 {
		return fmt.Errorf("negative request price")
	}
	return nil
}

// Function is one configuration: a cell on one architecture, memory size
// and package type, deployed as one Lambda function.
type Function struct {
	Cell     results.Cell
	Arch     string
	MemoryMB int
	Package  string
	// Name is the function's name: bench-<run id>-<configuration>.
	Name string
	// Workload and N are what an invocation runs: a built-in workload,
	// or Custom, a user's own module (bench deploy aws --wasm).
	Workload *workloads.Workload
	N        int64
	Custom   *custom.Module
	Artifact *Artifact
	cell     *run.Cell
	chk      checker
}

// Key names the configuration in task ids and messages.
func (f *Function) Key() string {
	return fmt.Sprintf("%s/arch=%s/mem=%d/pkg=%s", f.Cell.Key(), f.Arch, f.MemoryMB, f.Package)
}

// Invocations is how many invocations measuring one function makes.
func (o *Options) Invocations() int { return o.Cold + o.Warm + o.Burst + o.Soak }

// functions expands the cells into configurations, in a stable order:
// cells, then package, architecture and memory.
func (o *Options) functions() []*Function {
	var out []*Function
	for _, c := range o.Cells {
		for _, p := range o.Packages {
			for _, a := range o.Arches {
				for _, m := range o.MemoryMB {
					cell := c.Cell
					cell.Target = Target
					f := &Function{Cell: cell, Arch: a, MemoryMB: m, Package: p, Workload: c.Workload, N: c.N, Custom: c.Custom, cell: c}
					param := strconv.FormatInt(c.N, 10)
					if c.Custom != nil {
						param = "" // a custom module has no parameter
					}
					f.Name = functionName(o.RunID, c.Runtime.Name, c.Tier, cell.Workload, cell.Lang, param, archShort(a), strconv.Itoa(m), p)
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func archShort(a string) string {
	if a == ArchARM {
		return "arm"
	}
	return "x86"
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
