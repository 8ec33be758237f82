package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"github.com/wasmbench/bench/internal/run"
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
	fs.Var(&tgts, "target", "targets: local, lambda-local, container-local (default: local)")
	fs.Var(&params, "param", "workload parameter NAME=VALUE, or NAME=V1,V2,... to sweep (repeatable), e.g. fib=25,30,35")
	quick := fs.Bool("quick", false, "smaller parameters and fewer samples, interpreter tiers included: the default matrix in about 5 minutes on 2 cores")
	samples := fs.Int("samples", 0, "cold samples per cell (minimum; default 3, quick 2)")
	budget := fs.Duration("budget", 0, "time budget per cell once its minimum samples are taken (default 3s, quick 1s)")
	timeout := fs.Duration("timeout", 0, "limit for one execution; longer is a timeout failure (default 5m, quick 3m)")
	maxMem := fs.String("max-memory", "", "cap on guest linear memory, e.g. 256MiB (where the runtime can enforce it)")
	warmup := fs.Int("warmup", -1, "recorded warm-up executions per warm process (default 1)")
	iters := fs.Int("iterations", 0, "measured executions per warm process, at most (default 5)")
	out := fs.String("out", "", "output folder (default: results/run-<timestamp>)")
	resume := fs.String("resume", "", "continue the interrupted run in this folder")
	seed := fs.Int64("seed", 0, "seed for the interleaving order (default: time)")
	noReport := fs.Bool("no-report", false, "do not write report.html/report.md at the end")
	noCall := fs.Bool("no-callcost", false, "skip the host-to-guest call-cost rows")
	ctrRuntime := fs.String("container-runtime", "docker", "engine of the container-local target: docker or runc")
	memoryMB := fs.Int("memory", 0, "memory size in MB of lambda-local and container-local environments (default 1024)")
	fs.Var(&wasm, "wasm", "your own WASI command module FILE.wasm, or a Sightglass benchmark folder (repeatable)")
	fs.Var(&wasmArgs, "arg", "argument passed to every --wasm module (repeatable)")
	stdin := fs.String("stdin", "", "file fed to the --wasm modules' stdin")
	fs.Var(&dirs, "dir", "preopen HOST[:GUEST] for the --wasm modules (repeatable)")
	expect := fs.String("expect-stdout", "", "file with the --wasm modules' expected stdout")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (flags go before nothing else; see bench run -h)", fs.Arg(0))
	}

	o := run.Defaults(*quick)
	o.Runtimes, o.Tiers, o.Workloads, o.Langs, o.Targets = rts, tiers, wls, langs, tgts
	p, err := run.ParseParams(params)
	if err != nil {
		return usageError("%v", err)
	}
	o.Params = p
	if *samples < 0 || *iters < 0 {
		return usageError("--samples and --iterations must be positive")
	}
	if *samples > 0 {
		o.MinCold = *samples
		if o.MaxCold < *samples {
			o.MaxCold = *samples
		}
	}
	if *budget < 0 || *timeout < 0 {
		return usageError("--budget and --timeout must be positive durations")
	}
	if *budget > 0 {
		o.Budget = *budget
	}
	if *timeout > 0 {
		o.Timeout = *timeout
	}
	if *warmup >= 0 {
		o.Warmup = *warmup
	}
	if *iters > 0 {
		o.Iterations = *iters
	}
	if *maxMem != "" {
		n, err := parseBytes(*maxMem)
		if err != nil {
			return usageError("--max-memory: %v", err)
		}
		o.MaxMemory = n
	}
	o.Seed = *seed
	o.CallCost = !*noCall
	if len(wasm) > 0 {
		custom, err := run.CustomModules(wasm, wasmArgs, *stdin, dirs, *expect)
		if err != nil {
			return usageError("%v", err)
		}
		o.Custom = custom
		if len(wls) > 0 || len(langs) > 0 || len(params) > 0 {
			return usageError("--wasm replaces the built-in workloads: drop --workload, --lang and --param")
		}
	}

	if *memoryMB < 0 || (*memoryMB > 0 && *memoryMB < 128) || *memoryMB > 10240 {
		return usageError("--memory %d: Lambda memory sizes run from 128 to 10240 MB", *memoryMB)
	}
	o.MemoryMB = *memoryMB
	tg, closeTargets, err := targets(s, targetOptions{ContainerRuntime: *ctrRuntime, MemoryMB: *memoryMB})
	if err != nil {
		return err
	}
	defer closeTargets()
	cfg := run.Config{Options: o, BinDir: s.BinDir, Targets: tg, Progress: s.Stderr, Argv: s.Argv}
	if f, ok := s.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cfg.Terminal = true
	}
	switch {
	case *resume != "":
		if *out != "" && *out != *resume {
			return usageError("--resume %s and --out %s disagree: --resume continues in its own folder", *resume, *out)
		}
		cfg.Out, cfg.Resume = *resume, true
	case *out != "":
		cfg.Out = *out
	default:
		cfg.Out = filepath.Join("results", "run-"+time.Now().Format("20060102-150405"))
	}

	res, err := run.Run(s.Ctx, cfg)
	if res != nil {
		if ferr := finishRun(s, res, !*noReport); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		fmt.Fprintf(s.Stderr, "\ninterrupted: everything measured so far is kept in %s\nresume with: bench run --resume %s\n", res.Out, res.Out)
		return &ExitError{Code: 130, Err: fmt.Errorf("interrupted")}
	}
	if res.Failed > 0 {
		fmt.Fprintf(s.Stderr, "%d of %d cells failed: their errors are in the summary and in %s\n", res.Failed, res.Cells,
			filepath.Join(res.Out, "results.jsonl"))
	}
	return nil
}
