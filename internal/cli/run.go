package cli

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	awsdeploy "github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/deploy/targets"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/scenarios"
	"github.com/wasmbench/bench/workloads/custom"
)

func runRun(s *State, args []string) error {
	fs := flag.NewFlagSet("bench run", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	var rts, tiers, wls, langs, tgts listFlag
	var params, wasm, wasmArgs, dirs repeatFlag
	fs.Var(&rts, "runtime", "runtimes to run, comma-separated (default: every available one; see bench list)")
	fs.Var(&tiers, "tier", "tiers to run (default: every available one)")
	fs.Var(&wls, "workload", "built-in workloads to run (default: all)")
	fs.Var(&langs, "lang", "source languages to run (default: all)")
	fs.Var(&tgts, "target", "targets: local, lambda-local, container-local, aws-lambda (default: local)")
	fs.Var(&params, "param", "workload parameter NAME=VALUE, or NAME=V1,V2,... to sweep (repeatable), e.g. fib=25,30,35")
	quick := fs.Bool("quick", false, "smaller parameters and budgets, interpreters included (not on the fixed-size image workload unless --tier names them): the whole matrix in under 5 minutes")
	samples := fs.Int("samples", 0, "minimum processes per cell of each kind, cold and warm (default 3: the fewest that give an interval)")
	coldN := fs.Int("cold", 0, "exactly N cold processes per cell (sets the minimum and the maximum; the first verifies the output)")
	warmN := fs.Int("warm", 0, "exactly N warm processes per cell (sets the minimum and the maximum; 0: none)")
	precision := fs.String("precision", "", "target half-width of each cell's 95% interval, in percent: a cell adds processes until its cold total and warm execute are within it, or its budget is spent (default 3; 0: sample every cell to its budget)")
	budget := fs.Duration("budget", 0, "time per cell, its minimum processes included; a cell short of --precision may use time other cells left, up to 6 budgets, where its minimums stop too (default 4s, or 4m split across the run's cells when that is more; quick 0.5s)")
	noCalibrate := fs.Bool("no-calibrate", false, "skip the short native calibration processes at the start and end of the run")
	timeout := fs.Duration("timeout", 0, "limit for one execution; longer is a timeout failure (default 5m, quick 3m)")
	maxMem := fs.String("max-memory", "", "cap on guest linear memory, e.g. 256MiB (64KiB to 4GiB; the native runtime caps its process's data; see bench list)")
	maxOut := fs.String("max-output", "", "most a guest may write to stdout, and to stderr, in one execution; more is an output_limit failure (default 64MiB; 1KiB to 1TiB)")
	warmup := fs.Int("warmup", run.Defaults(false).Warmup, "recorded warm-up executions per warm process")
	iters := fs.Int("iterations", 0, "measured executions per warm process, at most (default 3; the process, not the execution, is the unit)")
	out := fs.String("out", "", "output folder (default: results/run-<timestamp>)")
	resume := fs.String("resume", "", "continue the interrupted run in this folder")
	seed := fs.Int64("seed", 0, "seed for the interleaving order (default: time)")
	noReport := fs.Bool("no-report", false, "do not write report.html/report.md at the end")
	strategy := fs.String("strategy", string(report.StrategyBalanced), strategyUsage)
	noCall := fs.Bool("no-callcost", false, "skip the host-to-guest call-cost rows")
	ctrRuntime := fs.String("container-runtime", "docker", "engine of the container-local target: docker or runc")
	functionTimeout := fs.Duration("function-timeout", 0, "function timeout of lambda-local and container-local environments, as Lambda applies it: an invocation (and an INIT re-run inside it) that runs longer fails as a timeout (default 3s, Lambda's; at most 15m)")
	noCPUScaling := fs.Bool("no-cpu-scaling", false, "give lambda-local and container-local environments the whole machine's CPU instead of the share Lambda gives their --memory")
	var memory listFlag
	fs.Var(&memory, "memory", "memory sizes in MB of lambda-local, container-local and aws-lambda environments, one cell per size, e.g. 128,512,1024,1769 (128 to 10240; default 1024)")
	scenario := fs.String("scenario", "", "run a scenario: a shipped one by NAME (bench scenarios lists them) or your own FILE.scenario; "+
		"it sets the matrix and environment (flags that would change them are refused), sampling and output flags override it")
	fs.Var(&wasm, "wasm", "your own WASI command module FILE.wasm, or a Sightglass benchmark folder (repeatable)")
	fs.Var(&wasmArgs, "arg", "argument passed to every --wasm module (repeatable)")
	stdin := fs.String("stdin", "", "file fed to the --wasm modules' stdin")
	fs.Var(&dirs, "dir", "preopen HOST[:GUEST] for the --wasm modules (repeatable)")
	expect := fs.String("expect-stdout", "", "file with the --wasm modules' expected stdout")
	soak := fs.Int("soak", 0, "after sampling, N warm invocations of each cell in one environment (one process on local), recording Max Memory Used and the worker's resident set after each; the report fits the growth and flags a leak")
	af := addAWSFlags(fs)
	soakExport := fs.String("soak-export", "", "with --soak and --wasm: each soak invocation calls this export ([] -> []) of one live instance, where a guest's leak accumulates, instead of _start on a fresh instance")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (flags go before nothing else; see bench run -h)", fs.Arg(0))
	}
	set := setFlags(fs)
	// Every numeric flag given is checked against its range: a value
	// out of it is refused, never replaced by a default.
	for _, c := range []intRange{
		{"samples", int64(*samples), 1, 10000, "minimum processes per cell of each kind"},
		{"warmup", int64(*warmup), 0, 1000, "warm-up executions per warm process"},
		{"iterations", int64(*iters), 1, 100000, "measured executions per warm process"},
		{"soak", int64(*soak), 2, 1000000, "soak invocations per cell"},
		{"cold", int64(*coldN), 1, 10000, "cold processes per cell"},
		{"warm", int64(*warmN), 0, 10000, "warm processes per cell"},
	} {
		if set[c.name] {
			if err := intIn(c.name, c.v, c.lo, c.hi, c.what); err != nil {
				return err
			}
		}
	}
	if set["budget"] {
		if err := durationIn("budget", *budget, time.Millisecond, 24*time.Hour, "time per cell"); err != nil {
			return err
		}
	}
	if set["function-timeout"] {
		if err := durationIn("function-timeout", *functionTimeout, time.Millisecond, 15*time.Minute, "Lambda's function timeout"); err != nil {
			return err
		}
	}
	if set["timeout"] {
		if err := durationIn("timeout", *timeout, time.Millisecond, 24*time.Hour, "the limit of one execution"); err != nil {
			return err
		}
	}
	st, err := report.ParseStrategy(*strategy)
	if err != nil {
		return usageError("--strategy: %v", err)
	}
	if set["seed"] && *seed == 0 {
		return usageError("--seed 0: 0 stands for a seed taken from the clock; give another number")
	}

	o := run.Defaults(*quick)
	var sc *scenarios.Scenario
	if *scenario != "" {
		var err error
		if sc, err = scenarios.Load(*scenario); err != nil {
			return usageError("--scenario: %v", err)
		}
		if err := applyScenario(&o, sc, set); err != nil {
			return err
		}
	} else {
		o.Runtimes, o.Tiers, o.Workloads, o.Langs, o.Targets = rts, tiers, wls, langs, tgts
		p, err := run.ParseParams(params)
		if err != nil {
			return usageError("%v", err)
		}
		o.Params = p
		if o.Memory, err = memorySizes(memory); err != nil {
			return usageError("--memory: %v", err)
		}
		for _, m := range o.Memory {
			if err := intIn("memory", int64(m), 128, 10240, "Lambda memory sizes in MB"); err != nil {
				return err
			}
		}
		if err := run.CheckMemory(o.Memory); err != nil {
			return usageError("--memory: %v", err)
		}
		o.FunctionTimeout, o.NoCPUScaling = *functionTimeout, *noCPUScaling
	}
	if *samples > 0 {
		o.MinCold, o.MinWarm = *samples, *samples
		o.MaxCold, o.MaxWarm = max(o.MaxCold, *samples), max(o.MaxWarm, *samples)
	}
	if set["cold"] {
		o.MinCold, o.MaxCold = *coldN, *coldN
	}
	if set["warm"] {
		o.MinWarm, o.MaxWarm = *warmN, *warmN
	}
	if *precision != "" {
		p, err := parsePercent(*precision)
		if err != nil {
			return usageError("--precision %s: %v", *precision, err)
		}
		o.Precision = p
	}
	o.NoCalibrate = *noCalibrate
	if *budget < 0 || *timeout < 0 {
		return usageError("--budget and --timeout must be positive durations")
	}
	if *budget > 0 {
		o.Budget, o.AutoBudget = *budget, false
	}
	if *timeout > 0 {
		o.Timeout = *timeout
	}
	if set["warmup"] {
		o.Warmup = *warmup
	}
	if *iters > 0 {
		o.Iterations = *iters
	}
	if set["max-memory"] {
		n, err := bytesIn("max-memory", *maxMem, 64<<10, 4<<30, "a wasm32 linear memory's sizes")
		if err != nil {
			return err
		}
		o.MaxMemory = n
	}
	if set["max-output"] {
		n, err := bytesIn("max-output", *maxOut, 1<<10, 1<<40, "bytes per stream and execution")
		if err != nil {
			return err
		}
		o.MaxOutput = n
	}
	o.Seed = *seed
	o.CallCost = !*noCall
	if len(wasm) > 0 {
		mods, err := custom.Load(wasm, wasmArgs, *stdin, dirs, *expect)
		if err != nil {
			return usageError("%v", err)
		}
		o.Custom = mods
		if len(wls) > 0 || len(langs) > 0 || len(params) > 0 {
			return usageError("--wasm replaces the built-in workloads: drop --workload, --lang and --param")
		}
	}

	if *soakExport != "" && (*soak == 0 || len(o.Custom) == 0) {
		return usageError("--soak-export %s needs --soak N and a --wasm module that exports it", *soakExport)
	}
	o.Soak, o.SoakExport = *soak, *soakExport
	ao, err := af.apply(s, &o, set, *resume != "")
	if err != nil {
		return err
	}
	return execRun(s, runExec{o: o, aws: ao, dry: *af.dry, out: *out, resume: *resume, containerRuntime: *ctrRuntime,
		strategy: st, report: !*noReport, scenario: sc})
}

// runExec is a planned bench run (or bench deploy aws) to execute.
type runExec struct {
	o                run.Options
	aws              awsdeploy.Options
	dry              bool
	out, resume      string
	containerRuntime string
	strategy         report.Strategy
	report           bool
	scenario         *scenarios.Scenario
}

// execRun runs (or, dry, plans) a run on its targets, writes its report,
// and closes the targets (an AWS run's teardown): what teardown could not
// delete fails the command.
func execRun(s *State, x runExec) (err error) {
	tg, closeTargets, err := openTargets(s, targets.Options{ContainerRuntime: x.containerRuntime, AWS: x.aws})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeTargets(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	cfg := run.Config{Options: x.o, BinDir: s.BinDir, Targets: tg, Progress: s.Stderr, Argv: s.Argv}
	if x.scenario != nil { // the run folder keeps the scenario, for bench report
		cfg.Files = map[string][]byte{scenarios.RunFile: x.scenario.Text}
	}
	if f, ok := s.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cfg.Terminal = true
	}
	switch {
	case x.resume != "":
		if x.out != "" && x.out != x.resume {
			return usageError("--resume %s and --out %s disagree: --resume continues in its own folder", x.resume, x.out)
		}
		cfg.Out, cfg.Resume = x.resume, true
	case x.out != "":
		cfg.Out = x.out
	default:
		cfg.Out = filepath.Join("results", "run-"+time.Now().Format("20060102-150405"))
	}
	if x.dry {
		if x.resume != "" {
			return usageError("--dry-run plans a new run: drop --resume")
		}
		if err := run.DryRun(s.Ctx, cfg, s.Stdout); err != nil {
			return deployError(err)
		}
		fmt.Fprintf(s.Stdout, "\nbuild folder: %s (--dry-run leaves it for inspection)\n", cfg.Out)
		return nil
	}

	res, err := run.Run(s.Ctx, cfg)
	if res != nil {
		if ferr := finishRun(s, res, x.report, x.strategy); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil {
		return deployError(err)
	}
	if res.Interrupted {
		fmt.Fprintf(s.Stderr, "\ninterrupted: everything measured so far is kept in %s\nresume with: bench run --resume %s\n", res.Out, res.Out)
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	}
	where := filepath.Join(res.Out, results.FileName)
	if res.Verified == 0 {
		return &ExitError{Code: ExitNothingVerified, Err: fmt.Errorf("%d of %d cells failed and no execution was verified: "+
			"nothing in %s counts as a result; the errors are in the summary", res.Failed, res.Cells, where)}
	}
	return cellsError(res.Failed, res.Cells, "cells", where)
}

// parsePercent reads a percentage such as "3", "2.5" or "3%" as a
// fraction in [0, 1).
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("want a percentage such as 3 or 2.5%%")
	}
	if v < 0 || v >= 100 {
		return 0, fmt.Errorf("want a percentage from 0 (no target) up to, not including, 100")
	}
	return v / 100, nil
}
