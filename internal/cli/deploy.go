package cli

import (
	"errors"
	"flag"
	"fmt"
	"github.com/wasmbench/bench/deploy/pricing"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	awsdeploy "github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
)

// runDeploy is `bench deploy aws ...`: deploy to AWS Lambda, measure,
// tear down (deploy/aws does the work).
func runDeploy(s *State, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(s.Stderr, "usage: bench deploy aws [flags]   (bench deploy aws -h for the flags)")
		return usageError("which cloud? the only one is aws")
	}
	if args[0] != "aws" {
		return usageError("unknown cloud %q: the only one is aws", args[0])
	}
	return runDeployAWS(s, args[1:])
}

func runDeployAWS(s *State, args []string) error {
	fs := flag.NewFlagSet("bench deploy aws", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(s.Stderr, "Usage: bench deploy aws --region R [flags]\n\n"+
			"Deploys one Lambda function per runtime x tier x workload x language x architecture x memory x package,\n"+
			"forces cold starts, invokes warm and in bursts, writes results.jsonl (target aws-lambda) and deletes\n"+
			"everything it created. Credentials come from the standard AWS chain (environment, ~/.aws, SSO, roles).\n"+
			"\nWith --wasm, your own WASI command modules (FILE.wasm, or a Sightglass benchmark folder: every *.wasm in it,\n"+
			"checked against <name>.stdout.expected, the folder preopened as \".\") replace the built-in workloads. Each\n"+
			"function package ships the module, its --stdin file and its preopened folders; AWS Lambda mounts a package\n"+
			"read-only at /var/task, so a module cannot write into its preopened folders there (only /tmp is writable).\n"+
			"A wrong output is a failure record with a line diff, never a verified sample.\n"+
			"\nFlags:")
		fs.PrintDefaults()
	}
	var rts, tiers, wls, langs, arches, mems, pkgs listFlag
	var params, wasm, wasmArgs, dirs repeatFlag
	region := fs.String("region", "", "AWS region to deploy in (required unless --dry-run)")
	role := fs.String("role", "", "execution role ARN to use (default: create a minimal one for the run and delete it)")
	fs.Var(&rts, "runtime", "runtimes, comma-separated (default: wazero)")
	fs.Var(&tiers, "tier", "tiers (default: every available tier of each runtime)")
	fs.Var(&wls, "workload", "workloads (default: fib)")
	fs.Var(&langs, "lang", "source languages (default: all the workload has)")
	fs.Var(&params, "param", "workload parameter NAME=V1,V2 (repeatable; default: each workload's quick value)")
	fs.Var(&wasm, "wasm", "your own WASI command module FILE.wasm, or a Sightglass benchmark folder, instead of the workloads (repeatable)")
	fs.Var(&wasmArgs, "arg", "argument passed to every --wasm module (repeatable)")
	stdin := fs.String("stdin", "", "file fed to the --wasm modules' stdin (shipped in the package)")
	fs.Var(&dirs, "dir", "preopen HOST[:GUEST] for the --wasm modules (repeatable; shipped in the package, read-only on Lambda)")
	expect := fs.String("expect-stdout", "", "file with the --wasm modules' expected stdout")
	fs.Var(&arches, "arch", "architectures: x86_64, arm64 (default: x86_64)")
	fs.Var(&mems, "memory", "memory sizes in MB (default: 128,512,1024,1769; 1769 MB is one full vCPU)")
	fs.Var(&pkgs, "package", "package types: zip, image (default: zip)")
	cold := fs.Int("cold", 5, "forced cold starts per function")
	warm := fs.Int("warm", 10, "warm invocations per function")
	burst := fs.Int("burst", 0, "concurrent invocations fired at once after a forced cold start")
	timeout := fs.Duration("timeout", 60*time.Second, "each function's timeout (at most 15m)")
	keep := fs.Bool("keep", false, "leave every resource deployed (delete later with --cleanup)")
	out := fs.String("out", "", "output folder (default: results/aws-<run id>)")
	dry := fs.Bool("dry-run", false, "build every artifact and print the plan and its cost; no AWS call")
	cleanup := fs.Bool("cleanup", false, "delete everything bench created in --region (found by the bench:run-id tag)")
	runID := fs.String("run-id", "", "with --cleanup: only this run's resources")
	priceX86 := fs.Float64("price-gbs-x86_64", pricing.Default.GBSecond[awsdeploy.ArchX86], "USD per GB-second on x86_64")
	priceARM := fs.Float64("price-gbs-arm64", pricing.Default.GBSecond[awsdeploy.ArchARM], "USD per GB-second on arm64")
	priceReq := fs.Float64("price-requests", pricing.Default.PerMillionRequests, "USD per million requests")
	estimate := fs.Float64("estimate-ms", 1000, "with --dry-run: billed milliseconds per invocation the cost estimate assumes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (see bench deploy aws -h)", fs.Arg(0))
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int64
		what      string
	}{
		{"cold", int64(*cold), 0, 1000, "forced cold starts per function"},
		{"warm", int64(*warm), 0, 100000, "warm invocations per function"},
		{"burst", int64(*burst), 0, 1000, "concurrent invocations (Lambda's default concurrency limit is 1000)"},
	} {
		if err := intIn(c.name, c.v, c.lo, c.hi, c.what); err != nil {
			return err
		}
	}
	if err := durationIn("timeout", *timeout, time.Second, 15*time.Minute, "a Lambda function's timeout"); err != nil {
		return err
	}
	for name, v := range map[string]float64{"price-gbs-x86_64": *priceX86, "price-gbs-arm64": *priceARM, "price-requests": *priceReq} {
		if v < 0 || v > 1000 {
			return usageError("--%s %v: out of range: a price in USD, from 0 to 1000", name, v)
		}
	}
	if *estimate <= 0 || *estimate > 900000 {
		return usageError("--estimate-ms %v: out of range: billed milliseconds per invocation, above 0 and at most 900000 (15 minutes)", *estimate)
	}
	if *region == "" {
		*region = s.Getenv("AWS_REGION")
	}
	getenv := awsdeploy.Env(s.Getenv)

	if *cleanup {
		if *dry {
			fmt.Fprintln(s.Stderr, "--cleanup --dry-run: listing what would be deleted")
		}
		res, err := awsdeploy.Cleanup(s.Ctx, awsdeploy.CleanupOptions{Region: *region, RunID: *runID, Getenv: getenv,
			Log: s.Stdout, DryRun: *dry, Client: awsdeploy.ClientOptions{S3PathStyle: s.Getenv("AWS_ENDPOINT_URL_S3") != ""}})
		if err != nil {
			return err
		}
		if len(res.Deleted) == 0 {
			fmt.Fprintf(s.Stdout, "nothing of bench's found in %s\n", *region)
		}
		return nil
	}
	if *runID != "" {
		return usageError("--run-id goes with --cleanup")
	}

	var custom []run.CustomModule
	switch {
	case len(wasm) > 0:
		if len(wls) > 0 || len(langs) > 0 || len(params) > 0 {
			return usageError("--wasm replaces the built-in workloads: drop --workload, --lang and --param")
		}
		var err error
		if custom, err = run.CustomModules(wasm, wasmArgs, *stdin, dirs, *expect); err != nil {
			return usageError("%v", err)
		}
	case len(wasmArgs) > 0 || *stdin != "" || len(dirs) > 0 || *expect != "":
		return usageError("--arg, --stdin, --dir and --expect-stdout go with --wasm")
	}

	memMB, err := parseMemory(mems)
	if err != nil {
		return usageError("--memory: %v", err)
	}
	if len(rts) == 0 {
		rts = listFlag{"wazero"}
	}
	if len(wls) == 0 && len(custom) == 0 {
		wls = listFlag{"fib"}
	}
	if len(arches) == 0 {
		arches = listFlag{awsdeploy.ArchX86}
	}
	if len(pkgs) == 0 {
		pkgs = listFlag{awsdeploy.PackageZip}
	}
	p, err := run.ParseParams(params)
	if err != nil {
		return usageError("%v", err)
	}
	o := awsdeploy.Options{
		Region: *region, RoleARN: *role, Arches: arches, MemoryMB: memMB, Packages: pkgs,
		Cold: *cold, Warm: *warm, Burst: *burst, Timeout: *timeout, Keep: *keep, DryRun: *dry, EstimateMS: *estimate,
		RunID: awsdeploy.NewRunID(time.Now()), BinDir: s.BinDir, SrcDir: sourceDir(s.BinDir),
		Prices: pricing.Prices{Region: pricing.Default.Region, AsOf: pricing.Default.AsOf,
			Source: pricing.Default.Source, PerMillionRequests: *priceReq,
			GBSecond: map[string]float64{awsdeploy.ArchX86: *priceX86, awsdeploy.ArchARM: *priceARM}},
		Getenv: getenv, Log: s.Stdout, Argv: s.Argv,
		// An S3 endpoint of one's own (a local S3) has no bucket host names.
		Client: awsdeploy.ClientOptions{S3PathStyle: s.Getenv("AWS_ENDPOINT_URL_S3") != ""},
	}
	if *priceX86 != pricing.Default.GBSecond[awsdeploy.ArchX86] || *priceARM != pricing.Default.GBSecond[awsdeploy.ArchARM] ||
		*priceReq != pricing.Default.PerMillionRequests {
		o.Prices.Source, o.Prices.AsOf = "given by flags", time.Now().Format("2006-01-02")
	}
	if err := o.Check(); err != nil {
		return usageError("%v", err)
	}
	o.Out = *out
	if o.Out == "" {
		o.Out = filepath.Join("results", "aws-"+o.RunID)
	}
	if _, err := os.Stat(filepath.Join(o.Out, results.FileName)); err == nil && !*dry {
		return usageError("%s already holds a run: choose another --out", o.Out)
	}

	// The credentials are checked inside Run before anything is built; the
	// planning below only reads this machine's workers.
	rtsFound := run.Discover(s.Ctx, s.BinDir)
	ro := run.Options{Runtimes: rts, Tiers: tiers, Workloads: wls, Langs: langs, Params: p, Quick: len(p) == 0, Custom: custom}
	cells, notes, err := run.Plan(ro, rtsFound, []string{awsdeploy.Target}, s.BinDir)
	if err != nil {
		return err
	}
	o.Cells, o.Notes = cells, notes
	for _, n := range notes {
		fmt.Fprintf(s.Stderr, "note: %s %s: %s\n", n.Runtime, n.Tier, n.Note)
	}
	res, err := awsdeploy.Run(s.Ctx, o)
	if err != nil {
		return err // exitCode: ExitCredentials for credentials, else ExitFailure (leftovers included)
	}
	if !*dry {
		fmt.Fprintf(s.Stdout, "\nresults: %s\nreport:  bench report %s\n", filepath.Join(o.Out, results.FileName), o.Out)
		return cellsError(res.Failed, len(res.Functions), "configurations (failed or unavailable)", filepath.Join(o.Out, results.FileName))
	}
	return nil
}

func parseMemory(l listFlag) ([]int, error) {
	if len(l) == 0 {
		return []int{128, 512, 1024, 1769}, nil
	}
	var out []int
	for _, s := range l {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToUpper(s), "MB"))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number of MB", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// sourceDir finds bench's source tree (for cross-compiling workers): the
// folder above the bin folder, or the working directory or one of its
// parents, whichever holds bench's go.mod.
func sourceDir(binDir string) string {
	isBench := func(dir string) bool {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		return err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module github.com/wasmbench/bench\n")
	}
	if binDir != "" {
		if d := filepath.Dir(binDir); isBench(d) {
			return d
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isBench(d) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
