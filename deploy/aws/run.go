package aws

import (
	"context"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/deploy"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/runners"
)

// ErrLeftovers means teardown could not delete everything.
var ErrLeftovers = errors.New("some resources could not be deleted")

// ErrNoRegion means no region was given and none is configured.
var ErrNoRegion = errors.New("no AWS region")

// printPlan is the dry run's output: what would be deployed, how big,
// how many invocations, and what the run itself would cost.
func printPlan(w io.Writer, o *Options, fns []*Function, tasks map[*Function]deploy.Task) {
	region := o.Region
	if region == "" {
		region = "(none given: " + dryRunPriceRegion + "'s prices for the estimate)"
	}
	fmt.Fprintf(w, "aws-lambda dry run: run %s, region %s — nothing was sent to AWS\n\n", o.RunID, region)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "function\tpackage\tsize\tunzipped\tupload\tinvocations\t")
	var n, invokes, updates int
	var estimate, worst float64
	var unavailable []string
	for _, f := range fns {
		a := f.Artifact
		if a.Unavailable != "" {
			unavailable = append(unavailable, f.Key()+": "+a.Unavailable)
			continue
		}
		n++
		upload := "inline"
		switch {
		case f.Package == PackageImage:
			upload = "ecr"
		case int64(len(a.Zip)) >= o.DirectUploadLimit:
			upload = "s3"
		}
		unz := "-"
		if f.Package == PackageZip {
			unz = fmtBytes(a.UnzippedBytes)
		}
		inv := o.Invocations()
		invokes += inv
		updates += o.Cold
		if o.Soak > 0 {
			updates++
		}
		if o.Burst > 0 {
			updates++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", f.Name, f.Package, fmtBytes(a.Bytes), unz, upload, inv)
		e, _ := o.Prices.Invocation(f.Arch, f.MemoryMB, o.EstimateMS)
		x, _ := o.Prices.Invocation(f.Arch, f.MemoryMB, float64(o.Timeout.Milliseconds()))
		estimate += e * float64(inv)
		worst += x * float64(inv)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d functions, %d invocations (%d cold, %d warm, %d in bursts, %d in a soak per function), %d configuration updates to force cold starts\n",
		n, invokes, o.Cold, o.Warm, o.Burst, o.Soak, updates)
	fmt.Fprintf(w, "%d functions at a time (--parallel; a real run lowers the default to half the account's unreserved concurrency, and refuses more than all of it)\n",
		o.Parallel)
	fmt.Fprintf(w, "estimated cost of this run: USD %.4f if each invocation bills %.0f ms (--estimate-ms), at most USD %.4f if every one runs to the %s timeout\n",
		estimate, o.EstimateMS, worst, o.Timeout)
	fmt.Fprintf(w, "%s\n", o.Prices)
	fmt.Fprintln(w, "not counted: ECR and S3 storage for the minutes the run lasts, and CloudWatch Logs ingestion of each function's log lines (a few cents at most)")
	fmt.Fprintf(w, "each function's log group (%s<function>) would be created first, kept %d day, and deleted with the function\n", logGroupPrefix, logRetentionDays)
	if o.RoleARN == "" {
		fmt.Fprintln(w, "an execution role would be created (it may only write the run's log groups) and deleted at the end")
	}
	for _, l := range packageLimits(fns) {
		fmt.Fprintln(w, l)
	}
	printModules(w, fns, tasks)
	if len(unavailable) > 0 {
		fmt.Fprintf(w, "\nunavailable (%d):\n  %s\n", len(unavailable), strings.Join(unavailable, "\n  "))
	}
}

// packageLimits sets a plan's packages against Lambda's limits: the
// unzipped size of a zip (250 MB), an image's size (10 GB), and
// Lambda@Edge's zipped 1 MB (viewer triggers) and 50 MB (origin
// triggers). A package over a limit of Lambda's own is named; the
// Lambda@Edge lines count the zips that would not fit there.
func packageLimits(fns []*Function) []string {
	var out []string
	seen := map[*Artifact]bool{}
	var zips, overViewer, overOrigin int
	var smallest int64 = -1
	for _, f := range fns {
		a := f.Artifact
		if a == nil || a.Unavailable != "" || seen[a] {
			continue
		}
		seen[a] = true
		switch f.Package {
		case PackageImage:
			if a.Bytes > MaxImageBytes {
				out = append(out, fmt.Sprintf("warning: %s: image of %s, over Lambda's %s for a container image", f.Name, fmtBytes(a.Bytes), fmtBytes(MaxImageBytes)))
			}
		default:
			zips++
			if a.UnzippedBytes > MaxUnzippedBytes {
				out = append(out, fmt.Sprintf("warning: %s: %s unzipped, over Lambda's %s", f.Name, fmtBytes(a.UnzippedBytes), fmtBytes(MaxUnzippedBytes)))
			}
			if a.Bytes > EdgeViewerZipBytes {
				overViewer++
			}
			if a.Bytes > EdgeOriginZipBytes {
				overOrigin++
			}
			if smallest < 0 || a.Bytes < smallest {
				smallest = a.Bytes
			}
		}
	}
	if zips > 0 {
		out = append(out, fmt.Sprintf("Lambda@Edge (zipped package limits): %d of %d zips over the %s of a viewer trigger, %d over the %s of an origin trigger; the smallest is %s",
			overViewer, zips, fmtBytes(EdgeViewerZipBytes), overOrigin, fmtBytes(EdgeOriginZipBytes), fmtBytes(smallest)))
	}
	return out
}

// printModules lists the plan's modules: what each package ships
// besides the worker (arguments, stdin file, preopened folders) and the
// packages' sizes.
func printModules(w io.Writer, fns []*Function, tasks map[*Function]deploy.Task) {
	var mods []string
	jobs := map[string]runners.Job{}
	pkgs := map[string][]*Artifact{}
	for _, f := range fns {
		job := tasks[f].Job
		m := job.Module.Path
		if _, seen := jobs[m]; !seen {
			mods = append(mods, m)
			jobs[m] = job
		}
		if f.Artifact.Unavailable != "" || slices.Contains(pkgs[m], f.Artifact) {
			continue
		}
		pkgs[m] = append(pkgs[m], f.Artifact)
	}
	if len(mods) == 0 {
		return
	}
	fmt.Fprintf(w, "\nmodules (%d), each shipped in its packages with its stdin file and preopened folders; "+
		"a function's package is read-only at %s on AWS Lambda, so a module cannot write into its preopened folders there:\n", len(mods), pkg.TaskRoot)
	for _, m := range mods {
		job := jobs[m]
		fmt.Fprintf(w, "  %s: %s", job.Module.Name, fmtBytes(fileBytes(m)))
		if len(job.Args) > 0 {
			fmt.Fprintf(w, ", args %q", job.Args)
		}
		if job.StdinPath != "" {
			fmt.Fprintf(w, ", stdin %s", job.StdinPath)
		}
		for _, d := range job.Dirs {
			fmt.Fprintf(w, ", preopens %s as %q", d.Host, d.Guest)
		}
		if as := pkgs[m]; len(as) > 0 && as[0].InputBytes > 0 {
			fmt.Fprintf(w, " (inputs %s)", fmtBytes(as[0].InputBytes))
		}
		fmt.Fprintln(w)
		var sizes []string
		for _, a := range pkgs[m] {
			sizes = append(sizes, fmt.Sprintf("%s/%s %s %s %s", a.Runtime, a.Tier, a.Arch, a.Package, fmtBytes(a.Bytes)))
		}
		if len(sizes) == 0 {
			sizes = []string{"none can be built (see unavailable)"}
		}
		fmt.Fprintf(w, "    packages: %s\n", strings.Join(sizes, "; "))
	}
}

func fileBytes(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func fmtBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KB", n>>10)
	}
}

// Resolve settles what the run needs before planning, with no network:
// the region (--region, else the SDK's: AWS_REGION, AWS_DEFAULT_REGION,
// the profile's), checked against the partitions' regions, the options,
// and the prices (the region's from the table, with PriceOverrides). A
// dry run may have no region: it prices at us-east-1's and says so. Run
// calls it; the CLI calls it first, to refuse bad flags before planning.
func (o *Options) Resolve(ctx context.Context) error {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Region == "" {
		r, err := ResolveRegion(ctx)
		if err != nil {
			return err
		}
		if r != "" {
			o.Region = r
			fmt.Fprintf(o.Log, "region %s (from the AWS configuration: AWS_REGION or the profile)\n", r)
		}
	}
	if o.Region == "" && !o.DryRun {
		return fmt.Errorf("%w: pass --region (e.g. --region us-east-1), set AWS_REGION, or set region in your profile in ~/.aws/config", ErrNoRegion)
	}
	if err := o.Check(); err != nil {
		return err
	}
	if o.Prices.GBSecond == nil {
		region := o.Region
		if region == "" {
			region = dryRunPriceRegion
		}
		p, err := pricing.Resolve(region, o.PriceOverrides, o.Arches)
		if err != nil {
			return err
		}
		o.Prices = p
	}
	return nil
}

// dryRunPriceRegion prices a dry run that names no region.
const dryRunPriceRegion = "us-east-1"

// syncWriter serialises writes: each progress line is one Write.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
