package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	awsdeploy "github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/deploy/pricing"
)

// stdinIsTerminal says whether a --cleanup may ask its question on stdin
// (tests replace it).
var stdinIsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

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
	region := fs.String("region", "", "AWS region to deploy in (default: the SDK's: AWS_REGION, or the profile's region)")
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
	fs.Int("cold", 0, "cold processes (forced cold starts) per function, exactly (default: bench run's sampling: at least 3, more until the interval is within --precision)")
	fs.Int("warm", 0, "warm processes per function, exactly: each a new environment, a warm-up invoke and up to 3 measured ones (default: as --cold)")
	burst := fs.Int("burst", 0, "concurrent invocations fired at once after a forced cold start")
	soak := fs.Int("soak", 0, "after each function's measurement, N invocations of one fresh environment, recording Max Memory Used and the bootstrap's resident set after each; the report fits the growth and flags a leak (as bench run --soak)")
	soakExport := fs.String("soak-export", "", "with --soak and --wasm: each soak invocation calls this export of one live instance instead of _start on a fresh one")
	parallel := fs.Int("parallel", 0, fmt.Sprintf("functions deployed and measured at once, each with its own cold starts in sequence "+
		"(default %d, lowered to half the account's unreserved concurrency; more than all of it is refused)", awsdeploy.DefaultParallel))
	timeout := fs.Duration("timeout", 60*time.Second, "each function's timeout (at most 15m)")
	keep := fs.Bool("keep", false, "leave every resource deployed (delete later with --cleanup)")
	out := fs.String("out", "", "output folder (default: results/aws-<run id>)")
	dry := fs.Bool("dry-run", false, "build every artifact and print the plan and its cost; no AWS call")
	cleanup := fs.Bool("cleanup", false, "list what bench left in the region (found by the bench:run-id tag), ask, and delete it")
	runID := fs.String("run-id", "", "with --cleanup: only this run's resources, whatever their age")
	olderThan := fs.Duration("older-than", awsdeploy.DefaultOlderThan,
		"with --cleanup and no --run-id: leave runs active more recently than this (they may still be running; 0: no guard)")
	yes := fs.Bool("yes", false, "with --cleanup: delete without asking (needed when stdin is not a terminal)")
	printPolicy := fs.Bool("print-policy", false, "print the least-privilege IAM policy a run and a cleanup need, and exit")
	fs.Float64("price-gbs-x86_64", 0, "USD per GB-second on x86_64 (default: the region's, from bench's dated table)")
	fs.Float64("price-gbs-arm64", 0, "USD per GB-second on arm64 (default: the region's, from bench's dated table)")
	fs.Float64("price-requests", 0, "USD per million requests (default: the region's, from bench's dated table)")
	fs.Float64("estimate-ms", 1000, "with --dry-run: billed milliseconds per invocation the cost estimate assumes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (see bench deploy aws -h)", fs.Arg(0))
	}
	// The counts, prices and estimate are checked by bench run, which
	// this command runs.
	if err := durationIn("timeout", *timeout, time.Second, 15*time.Minute, "a Lambda function's timeout"); err != nil {
		return err
	}
	set := setFlags(fs)
	getenv := awsdeploy.Env(s.Getenv)
	if *region != "" {
		if err := awsdeploy.CheckRegion(*region); err != nil {
			return usageError("--region: %v", err)
		}
	}

	if *printPolicy {
		r := *region
		if r == "" {
			r, _ = awsdeploy.ResolveRegion(s.Ctx)
		}
		doc, err := awsdeploy.Policy(awsdeploy.PolicyOptions{Region: r, RoleARN: *role})
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Stdout, "%s\n", doc)
		return nil
	}
	if !*cleanup {
		for _, f := range []string{"older-than", "yes"} {
			if set[f] {
				return usageError("--%s goes with --cleanup", f)
			}
		}
	}
	if *cleanup {
		if *dry {
			fmt.Fprintln(s.Stderr, "--cleanup --dry-run: listing what would be deleted")
		}
		if *olderThan < 0 {
			return usageError("--older-than %s: want a duration of 0 or more (0: no guard)", *olderThan)
		}
		co := awsdeploy.CleanupOptions{Region: *region, RunID: *runID, OlderThan: *olderThan, Getenv: getenv,
			Log: s.Stdout, DryRun: *dry, Client: awsdeploy.ClientOptions{S3PathStyle: s.Getenv("AWS_ENDPOINT_URL_S3") != ""}}
		if *olderThan == 0 {
			co.OlderThan = -1
		}
		if !*yes {
			co.Confirm = func(n int) (bool, error) { return confirm(s, n) }
		}
		res, err := awsdeploy.Cleanup(s.Ctx, co)
		if err != nil {
			return err
		}
		if len(res.Deleted) == 0 && len(res.Skipped) == 0 {
			fmt.Fprintf(s.Stdout, "nothing of bench's found\n")
		}
		return nil
	}
	if *runID != "" {
		return usageError("--run-id goes with --cleanup")
	}

	if len(wasm) == 0 && (len(wasmArgs) > 0 || *stdin != "" || len(dirs) > 0 || *expect != "") {
		return usageError("--arg, --stdin, --dir and --expect-stdout go with --wasm")
	}
	if len(wasm) > 0 && (len(wls) > 0 || len(langs) > 0 || len(params) > 0) {
		return usageError("--wasm replaces the built-in workloads: drop --workload, --lang and --param")
	}
	if *soakExport != "" && (*soak == 0 || len(wasm) == 0) {
		return usageError("--soak-export %s needs --soak N and a --wasm module that exports it", *soakExport)
	}
	if len(rts) == 0 {
		rts = listFlag{"wazero"}
	}
	if len(wls) == 0 && len(wasm) == 0 {
		wls = listFlag{"fib"}
	}
	if len(mems) == 0 {
		mems = listFlag{"128", "512", "1024", "1769"}
	}
	// The same run as bench run --target aws-lambda: its flags, with this
	// command's defaults and --cold/--warm as process counts.
	runArgs := []string{"--target", awsdeploy.TargetName, "--runtime", rts.String(), "--memory", mems.String(),
		"--function-timeout", timeout.String(), "--no-callcost", "--no-calibrate"}
	add := func(flag string, l listFlag) {
		if len(l) > 0 {
			runArgs = append(runArgs, "--"+flag, l.String())
		}
	}
	add("tier", tiers)
	add("workload", wls)
	add("lang", langs)
	add("arch", arches)
	add("package", pkgs)
	for _, p := range params {
		runArgs = append(runArgs, "--param", p)
	}
	for _, w := range wasm {
		runArgs = append(runArgs, "--wasm", w)
	}
	for _, a := range wasmArgs {
		runArgs = append(runArgs, "--arg", a)
	}
	for _, d := range dirs {
		runArgs = append(runArgs, "--dir", d)
	}
	if len(params) == 0 && len(wasm) == 0 {
		runArgs = append(runArgs, "--quick") // each workload's quick value, as before
	}
	for flag, v := range map[string]string{"stdin": *stdin, "expect-stdout": *expect, "soak-export": *soakExport, "region": *region,
		"role": *role, "out": *out} {
		if v != "" {
			runArgs = append(runArgs, "--"+flag, v)
		}
	}
	for flag, v := range map[string]int{"burst": *burst, "parallel": *parallel, "soak": *soak} {
		if v > 0 {
			runArgs = append(runArgs, "--"+flag, fmt.Sprint(v))
		}
	}
	for flag, on := range map[string]bool{"keep": *keep, "dry-run": *dry} {
		if on {
			runArgs = append(runArgs, "--"+flag)
		}
	}
	for _, f := range []string{"price-gbs-x86_64", "price-gbs-arm64", "price-requests", "estimate-ms"} {
		if set[f] {
			runArgs = append(runArgs, "--"+f, fs.Lookup(f).Value.String())
		}
	}
	for _, f := range []string{"cold", "warm"} {
		if set[f] {
			runArgs = append(runArgs, "--"+f, fs.Lookup(f).Value.String())
		}
	}
	return runRun(s, runArgs)
}

// deployError gives credential problems and a region that is not enabled
// their own exit code (3), so a script can tell "log in first" from a
// failed deployment; a run the flags or the account's limits rule out
// (no region or prices, an unknown region, a burst or memory beyond the
// account's limits, an unconfirmed cleanup) is a usage error (2).
func deployError(err error) error {
	switch {
	case errors.Is(err, awsdeploy.ErrNoCredentials), errors.Is(err, awsdeploy.ErrBadCredentials),
		errors.Is(err, awsdeploy.ErrRegionNotEnabled):
		return &ExitError{Code: ExitCredentials, Err: err}
	case errors.Is(err, awsdeploy.ErrNoRegion), errors.Is(err, awsdeploy.ErrUnknownRegion), errors.Is(err, pricing.ErrNoPrices),
		errors.Is(err, awsdeploy.ErrAccountLimit), errors.Is(err, awsdeploy.ErrNotConfirmed):
		return &ExitError{Code: ExitUsage, Err: err}
	}
	return err
}

// confirm asks on the terminal whether --cleanup may delete the n
// resources it listed; without a terminal it refuses, as a script must
// say --yes.
func confirm(s *State, n int) (bool, error) {
	if !stdinIsTerminal(s.Stdin) {
		return false, fmt.Errorf("%w: stdin is not a terminal, so nothing was deleted: pass --yes to delete the %d resources listed above (or --dry-run to list only)",
			awsdeploy.ErrNotConfirmed, n)
	}
	fmt.Fprintf(s.Stderr, "delete these %d resources? [y/N] ", n)
	line, err := bufio.NewReader(s.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
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
