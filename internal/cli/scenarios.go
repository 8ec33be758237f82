package cli

import (
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/scenarios"
)

// runScenarios is `bench scenarios` (list the shipped scenarios) and
// `bench scenarios show NAME|FILE` (print one).
func runScenarios(s *State, args []string) error {
	fs := flag.NewFlagSet("bench scenarios", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bench scenarios             list the shipped scenarios: name and question\n"+
			"       bench scenarios show NAME   print a scenario's file (NAME, or a path to your own FILE%s)\n\n"+
			"Run one with: bench run --scenario NAME|FILE. The file format is in README, \"Scenarios\".\n", scenarios.FileExt)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	switch {
	case fs.NArg() == 0:
		all, err := scenarios.All()
		if err != nil {
			return fmt.Errorf("a shipped scenario does not parse (a bug): %w", err)
		}
		tw := tabwriter.NewWriter(s.Stdout, 0, 0, 2, ' ', 0)
		for _, sc := range all {
			fmt.Fprintf(tw, "%s\t%s\n", sc.Name, sc.Question)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(s.Stdout, "\nrun one: bench run --scenario NAME; print one: bench scenarios show NAME\n")
		return nil
	case fs.Arg(0) == "show" && fs.NArg() == 2:
		sc, err := scenarios.Load(fs.Arg(1))
		if err != nil {
			return usageError("%v", err)
		}
		_, err = s.Stdout.Write(sc.Text)
		return err
	}
	fs.Usage()
	return usageError("want no argument (list) or show NAME, got %q", strings.Join(fs.Args(), " "))
}

// scenarioRefused are bench run's flags that would change what a
// scenario asks (its matrix, its environment): given with --scenario they
// are refused, and the message says to copy the file and edit it. Every
// other flag (sampling, limits of one execution, output) overrides the
// scenario's value, since it changes how precisely, not what, the run
// answers.
var scenarioRefused = []string{"runtime", "tier", "workload", "lang", "target", "param", "memory", "function-timeout",
	"no-cpu-scaling", "quick", "wasm", "arg", "stdin", "dir", "expect-stdout", "resume"}

// applyScenario fills o from a scenario, leaving alone what the command
// line set (set names the flags given).
func applyScenario(o *run.Options, sc *scenarios.Scenario, set map[string]bool) error {
	var refused []string
	for _, f := range scenarioRefused {
		if set[f] {
			refused = append(refused, "--"+f)
		}
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return usageError("--scenario %s sets the matrix and environment itself; %s would change the question it answers: "+
			"drop %s, or copy the file (bench scenarios show %s > mine%s), edit it and run --scenario ./mine%s",
			sc.Name, strings.Join(refused, ", "), plural(len(refused), "it", "them"), sc.Name, scenarios.FileExt, scenarios.FileExt)
	}
	*o = run.Defaults(sc.Quick)
	o.Scenario = sc.Name
	o.Runtimes, o.Tiers, o.Workloads, o.Langs, o.Targets = sc.Runtimes, sc.Tiers, sc.Workloads, sc.Langs, sc.Targets
	o.Params = sc.Params
	o.Memory = sc.Memory
	o.FunctionTimeout = sc.FunctionTimeout
	if sc.Samples > 0 {
		o.MinCold, o.MinWarm = sc.Samples, sc.Samples
		o.MaxCold, o.MaxWarm = max(o.MaxCold, sc.Samples), max(o.MaxWarm, sc.Samples)
	}
	if sc.Budget > 0 {
		o.Budget, o.AutoBudget = sc.Budget, false
	}
	if sc.HasPrecision {
		o.Precision = sc.Precision
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
