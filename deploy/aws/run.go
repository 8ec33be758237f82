package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

// Result is what a run did.
type Result struct {
	RunID     string
	Identity  Identity
	Functions []*Function
	// Stats per function key, for the summary.
	Stats map[string]*Stats
	// Failed counts configurations that failed, had failed invocations
	// (a trap, a wrong output) or could not be built.
	Failed int
	// Leftovers are the resources teardown could not delete; Kept those
	// --keep left on purpose.
	Leftovers []error
	Kept      []string
	// Limits are the account's Lambda limits in the region.
	Limits AccountLimits
}

// Stats are one function's figures, for the end-of-run summary.
type Stats struct {
	ColdInitMS, ColdTotalMS, WarmDurationMS, WarmTotalMS []float64
	ColdPriceUSD, WarmPriceUSD                           []float64
	BurstColdStarts                                      int
	// Throttled counts invocations throttled and retried: not in the
	// figures above.
	Throttled int
	Failures  int
	// FirstError is the first failure's message.
	FirstError string
}

// ErrLeftovers means teardown could not delete everything.
var ErrLeftovers = errors.New("some resources could not be deleted")

// ErrNoRegion means no region was given and none is configured.
var ErrNoRegion = errors.New("no AWS region")

// Run deploys, measures and tears down (see the package doc). With
// DryRun it builds and prints the plan and makes no AWS call. The
// returned error is ctx's when interrupted; teardown has run either way.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	o.Log = &syncWriter{w: o.Log} // functions measured at once log at once
	if err := o.absPaths(); err != nil {
		return nil, err
	}
	if err := o.Resolve(ctx); err != nil {
		return nil, err
	}
	if len(o.Cells) == 0 {
		return nil, errors.New("nothing to deploy: no runtime/tier/workload/language combination selected")
	}
	res := &Result{RunID: o.RunID, Stats: map[string]*Stats{}}
	var c *clients
	if !o.DryRun {
		// Credentials first: nothing is built or created without them.
		cfg, err := LoadConfig(ctx, o.Region, o.Getenv, o.Client)
		if err != nil {
			return nil, err
		}
		res.Identity, err = CheckCredentials(ctx, cfg, o.Client)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "AWS account %s as %s, region %s, run %s\n", res.Identity.Account, res.Identity.ARN, o.Region, o.RunID)
		c = newClients(cfg, o.Client)
		// Then the account's limits, before anything is planned or built.
		res.Limits, err = readAccountLimits(ctx, c, &o)
		if err != nil {
			return nil, err
		}
		res.Limits.setParallel(&o)
		fmt.Fprintf(o.Log, "Lambda limits in %s: %s; %d functions at a time\n", o.Region, res.Limits, o.Parallel)
		if err := res.Limits.check(&o); err != nil {
			return nil, err
		}
	} else if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}

	fns := o.functions()
	res.Functions = fns
	if err := setCheckers(fns); err != nil {
		return nil, err
	}
	b := newBuilder(&o)
	arts := map[string]*Artifact{}
	for _, f := range fns {
		key := strings.Join([]string{f.cell.Runtime.Name, f.cell.Tier, f.Cell.Workload, f.Cell.Lang, f.Arch, f.Package}, "-")
		a, ok := arts[key]
		if !ok {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			a = b.artifact(ctx, f.cell, f.Arch, f.Package)
			arts[key] = a
		}
		f.Artifact = a
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if o.DryRun {
		printPlan(o.Log, &o, fns)
		return res, nil
	}

	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	w, err := results.Create(filepath.Join(o.Out, results.FileName))
	if err != nil {
		return nil, err
	}
	defer w.Close()
	env := results.Fingerprint()
	env.Command = o.Argv
	if err := w.Write(results.Record{Kind: results.KindEnv, Env: &env,
		Note: fmt.Sprintf("aws-lambda region %s, run %s; %s", o.Region, o.RunID, o.Prices)}); err != nil {
		return nil, err
	}
	if err := w.Write(results.Record{Kind: results.KindNote, Cell: results.Cell{Target: Target},
		Note: "every price_usd is priced with " + o.Prices.String()}); err != nil {
		return nil, err
	}
	for _, n := range o.Notes {
		n.Target = Target
		if err := w.Write(n); err != nil {
			return nil, err
		}
	}
	noted := map[*Artifact]bool{}
	for _, f := range fns {
		if a := f.Artifact; a.AOTTarget != "" && !noted[a] {
			// What the artifact was compiled for: the architecture and CPU
			// features Lambda's hardware is assumed to have.
			noted[a] = true
			if err := w.Write(results.Record{Kind: results.KindNote, Cell: f.Cell, Arch: f.Arch, Package: f.Package,
				Note: "AOT artifact compiled for " + a.AOTTarget}); err != nil {
				return nil, err
			}
		}
		if f.Artifact.Unavailable != "" {
			res.Failed++
			if err := w.Write(results.Record{Kind: results.KindNote, Cell: f.Cell, Arch: f.Arch, MemoryMB: f.MemoryMB,
				Package: f.Package, Note: "unavailable: " + f.Artifact.Unavailable}); err != nil {
				return nil, err
			}
			fmt.Fprintf(o.Log, "%s: unavailable: %s\n", f.Key(), f.Artifact.Unavailable)
		}
	}

	d := newDeployer(&o, c, res.Identity)
	runErr := deployAll(ctx, &o, d, fns, w, res)
	if o.Keep {
		for _, r := range d.Created() {
			res.Kept = append(res.Kept, r.String())
		}
		if len(res.Kept) > 0 {
			fmt.Fprintf(o.Log, "--keep: left in place (delete later with bench deploy aws --cleanup --region %s --run-id %s):\n  %s\n",
				o.Region, o.RunID, strings.Join(res.Kept, "\n  "))
		}
	} else {
		res.Leftovers = d.teardown(ctx)
		if len(res.Leftovers) > 0 {
			var msgs []string
			for _, e := range res.Leftovers {
				msgs = append(msgs, e.Error())
			}
			fmt.Fprintf(o.Log, "could NOT delete (retry with bench deploy aws --cleanup --region %s --run-id %s):\n  %s\n",
				o.Region, o.RunID, strings.Join(msgs, "\n  "))
		}
	}
	printSummary(o.Log, fns, res)
	if runErr != nil {
		return res, runErr
	}
	if len(res.Leftovers) > 0 {
		return res, fmt.Errorf("%w: %d left (see above)", ErrLeftovers, len(res.Leftovers))
	}
	return res, nil
}

// fatal marks an error that stops the whole run (the shared role could
// not be created), as opposed to one configuration failing.
type fatal struct{ error }

func (f fatal) Unwrap() error { return f.error }

// deployAll deploys and measures the functions, Options.Parallel at a
// time (a bounded pool: Lambda runs them; each function's own cold
// starts stay in sequence), deleting each right after (unless Keep). A
// failed configuration becomes a failure record and the next one goes
// on. A fatal error stops the others, as Ctrl-C does: what they measured
// is kept, and the caller tears down either way.
func deployAll(ctx context.Context, o *Options, d *deployer, fns []*Function, w *results.Writer, res *Result) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var mu sync.Mutex // res.Stats and res.Failed
	failed := func() {
		mu.Lock()
		res.Failed++
		mu.Unlock()
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(o.Parallel, 1) {
		wg.Go(func() {
			for i := range jobs {
				if err := deployIndexed(ctx, o, d, fns, i, w, res, &mu, failed); err != nil {
					stop(err)
				}
			}
		})
	}
feed:
	for i, f := range fns {
		if f.Artifact.Unavailable != "" {
			continue
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err // a fatal error (or the parent's deadline)
	}
	return ctx.Err()
}

// deployIndexed deploys and measures fns[i]. Its error stops the run: a
// fatal one, a write that failed, or ctx's.
func deployIndexed(ctx context.Context, o *Options, d *deployer, fns []*Function, i int, w *results.Writer, res *Result,
	mu *sync.Mutex, failed func()) error {
	f := fns[i]
	if ctx.Err() != nil {
		return ctx.Err()
	}
	st := &Stats{}
	mu.Lock()
	res.Stats[f.Key()] = st
	mu.Unlock()
	out := func(recs ...results.Record) error {
		st.add(recs)
		return w.Write(recs...)
	}
	if memCap := d.memoryCap(); memCap > 0 && f.MemoryMB > memCap {
		// An earlier create found the account's maximum: no need to be
		// refused again.
		failed()
		err := memoryCapError(f.MemoryMB, memCap, o.Region)
		fmt.Fprintf(o.Log, "%s: not deployed: %v\n", f.Name, err)
		return out(results.Record{Kind: results.KindFailure, Cell: f.Cell, Arch: f.Arch, MemoryMB: f.MemoryMB,
			Package: f.Package, Task: f.Key() + "/deploy/0", ErrorKind: string(runners.KindInternal), Error: err.Error()})
	}
	fmt.Fprintf(o.Log, "[%d/%d] %s (%s, %d KB)\n", i+1, len(fns), f.Name, f.Package, f.Artifact.Bytes>>10)
	pkgRec := results.Record{Kind: results.KindSample, Cell: f.Cell, Phase: results.PhasePackageBytes,
		Value: float64(f.Artifact.Bytes), Unit: results.UnitBytes, Verified: true, Arch: f.Arch,
		MemoryMB: f.MemoryMB, Package: f.Package, Task: f.Key() + "/package/0"}
	if err := out(pkgRec); err != nil {
		return err
	}
	err := deployOne(ctx, o, d, f, out)
	if err == nil && st.Failures > 0 {
		// Measured, but invocations failed (a trap, a wrong output).
		failed()
		fmt.Fprintf(o.Log, "%s: %d failed invocations, the first: %s\n", f.Name, st.Failures, clip(st.FirstError, 300))
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failed()
	fmt.Fprintf(o.Log, "%s: FAILED: %v\n", f.Name, err)
	if werr := out(results.Record{Kind: results.KindFailure, Cell: f.Cell, Arch: f.Arch, MemoryMB: f.MemoryMB,
		Package: f.Package, Task: f.Key() + "/deploy/0", ErrorKind: string(runners.KindInternal), Error: err.Error()}); werr != nil {
		return werr
	}
	var fe fatal
	if errors.As(err, &fe) {
		return fe.error
	}
	return nil
}

func deployOne(ctx context.Context, o *Options, d *deployer, f *Function, out func(...results.Record) error) error {
	if o.RoleARN == "" {
		if _, err := d.role(ctx); err != nil {
			return fatal{err}
		}
	}
	env := map[string]string{}
	for k, v := range f.Artifact.Env {
		env[k] = v
	}
	env[envColdKey] = "created"
	err := d.createFunction(ctx, f, env)
	if err == nil {
		m := &measurer{o: o, c: d.c, f: f, env: env, chk: f.chk, out: out}
		err = m.run(ctx)
	}
	if !o.Keep {
		if derr := d.deleteFunction(context.WithoutCancel(ctx), f.Name); derr != nil {
			fmt.Fprintf(o.Log, "%v (teardown will retry)\n", derr)
		}
	}
	return err
}

// setCheckers gives each function what verifies its outputs: a built-in
// workload's oracle, or its --wasm module's verifier, one per module for
// the whole run (without an expected stdout, every configuration must
// print what the first one did).
func setCheckers(fns []*Function) error {
	verifiers := map[*custom.Module]checker{}
	for _, f := range fns {
		if f.Custom == nil {
			exp, err := f.Workload.Expect(f.Cell.Lang, f.N)
			if err != nil {
				return err
			}
			f.chk = oracle{exp}
			continue
		}
		chk, ok := verifiers[f.Custom]
		if !ok {
			v, err := f.Custom.NewVerifier()
			if err != nil {
				return fmt.Errorf("--wasm %s: %w", f.Custom.Name, err)
			}
			chk = verifier{v}
			verifiers[f.Custom] = chk
		}
		f.chk = chk
	}
	return nil
}

// add folds written records into the summary figures.
func (s *Stats) add(recs []results.Record) {
	for _, r := range recs {
		switch {
		case r.Kind == results.KindFailure:
			s.Failures++
			if s.FirstError == "" {
				s.FirstError = r.Error
			}
		case r.Kind != results.KindSample:
		case isThrottled(r):
			if r.Phase == results.PhaseDuration {
				s.Throttled++
			}
		case r.Phase == results.PhaseBurstColdStarts:
			s.BurstColdStarts += int(r.Value)
		case strings.Contains(r.Task, "/burst/"):
			// burst invocations are not in the cold/warm figures
		case r.Phase == results.PhaseInitDuration:
			s.ColdInitMS = append(s.ColdInitMS, r.Value/1e6)
		case r.Phase == results.PhaseTotal && r.Cold:
			s.ColdTotalMS = append(s.ColdTotalMS, r.Value/1e6)
		case r.Phase == results.PhaseTotal:
			s.WarmTotalMS = append(s.WarmTotalMS, r.Value/1e6)
		case r.Phase == results.PhaseDuration && !r.Cold:
			s.WarmDurationMS = append(s.WarmDurationMS, r.Value/1e6)
		case r.Phase == results.PhasePrice && r.Cold:
			s.ColdPriceUSD = append(s.ColdPriceUSD, r.Value)
		case r.Phase == results.PhasePrice:
			s.WarmPriceUSD = append(s.WarmPriceUSD, r.Value)
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

func fmtMS(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtUSD(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

// printSummary prints each function's medians and its cost per million
// invocations (mean price times a million), cold and warm.
func printSummary(w io.Writer, fns []*Function, res *Result) {
	if len(res.Stats) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsummary (ms are medians; USD per million invocations, INIT billed; throttled invokes not in the figures):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "configuration\tinit\tcold total\twarm duration\twarm total\tUSD/1M cold\tUSD/1M warm\tburst colds\tthrottled\tfailures\t")
	for _, f := range fns {
		s, ok := res.Stats[f.Key()]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", f.Key(), fmtMS(median(s.ColdInitMS)), fmtMS(median(s.ColdTotalMS)),
			fmtMS(median(s.WarmDurationMS)), fmtMS(median(s.WarmTotalMS)), fmtUSD(mean(s.ColdPriceUSD)*1e6),
			fmtUSD(mean(s.WarmPriceUSD)*1e6), s.BurstColdStarts, s.Throttled, s.Failures)
	}
	tw.Flush()
}

// printPlan is the dry run's output: what would be deployed, how big,
// how many invocations, and what the run itself would cost.
func printPlan(w io.Writer, o *Options, fns []*Function) {
	region := o.Region
	if region == "" {
		region = "(none given: " + dryRunPriceRegion + "'s prices for the estimate)"
	}
	fmt.Fprintf(w, "bench deploy aws --dry-run: run %s, region %s — nothing was sent to AWS\n\n", o.RunID, region)
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
	printCustom(w, fns)
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

// printCustom lists the --wasm modules of a plan: what each package of
// theirs ships besides the worker, how it is checked, and the packages'
// sizes.
func printCustom(w io.Writer, fns []*Function) {
	var mods []*custom.Module
	pkgs := map[*custom.Module][]*Artifact{}
	for _, f := range fns {
		if f.Custom == nil {
			continue
		}
		as, seen := pkgs[f.Custom]
		if !seen {
			mods = append(mods, f.Custom)
		}
		if f.Artifact.Unavailable != "" || slices.Contains(as, f.Artifact) {
			continue
		}
		pkgs[f.Custom] = append(as, f.Artifact)
	}
	if len(mods) == 0 {
		return
	}
	fmt.Fprintf(w, "\n--wasm modules (%d), each shipped in its packages with its stdin file and preopened folders; "+
		"a function's package is read-only at %s on AWS Lambda, so a module cannot write into its preopened folders there:\n", len(mods), pkg.TaskRoot)
	for _, c := range mods {
		fmt.Fprintf(w, "  %s: %s, %s", c.Name, filepath.Base(c.Path), fmtBytes(fileBytes(c.Path)))
		if len(c.Args) > 0 {
			fmt.Fprintf(w, ", args %q", c.Args)
		}
		if c.StdinPath != "" {
			fmt.Fprintf(w, ", stdin %s", c.StdinPath)
		}
		for _, d := range c.Dirs {
			fmt.Fprintf(w, ", preopens %s as %q", d.Host, d.Guest)
		}
		if as := pkgs[c]; len(as) > 0 && as[0].InputBytes > 0 {
			fmt.Fprintf(w, " (inputs %s)", fmtBytes(as[0].InputBytes))
		}
		switch {
		case c.ExpectStdout != "" && c.ExpectStderr != "":
			fmt.Fprintf(w, "; checked against %s and %s", filepath.Base(c.ExpectStdout), filepath.Base(c.ExpectStderr))
		case c.ExpectStdout != "":
			fmt.Fprintf(w, "; checked against %s", filepath.Base(c.ExpectStdout))
		default:
			fmt.Fprint(w, "; no expected stdout: every configuration must print what the first one does")
		}
		fmt.Fprintln(w)
		var sizes []string
		for _, a := range pkgs[c] {
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

// isThrottled reports whether a record is of an invocation that was
// throttled and retried.
func isThrottled(r results.Record) bool { return strings.Contains(r.Task, throttledTask+"/") }

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
