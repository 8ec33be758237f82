package aws

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"time"

	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/results"
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
	// Arches, MemoryMB and Packages are the run's architectures, memory
	// sizes and package types (the orchestrator makes one cell of each
	// combination): the prices are resolved for the architectures, and
	// the account's memory maximum is checked against the sizes.
	Arches   []string
	MemoryMB []int
	Packages []string
	// Cold, Warm, Burst and Soak are the invocations the run asks of
	// each function at most: cold starts, warm invokes, concurrent ones
	// in a burst and a soak's. The dry run's cost estimate counts them;
	// Burst is checked against the account's concurrency.
	Cold, Warm, Burst, Soak int
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
	Name     string
	Artifact *Artifact
}

// Key names the configuration in messages and its tag.
func (f *Function) Key() string {
	return fmt.Sprintf("%s/arch=%s/mem=%d/pkg=%s", f.Cell.Key(), f.Arch, f.MemoryMB, f.Package)
}

// Invocations is how many invocations measuring one function makes at
// most.
func (o *Options) Invocations() int { return o.Cold + o.Warm + o.Burst + o.Soak }

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
