package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/wasmbench/bench/report"
)

// runReport is `bench report DIR`: statistics, charts, report.html,
// report.md, summary.txt and stats.csv for a run folder; the summary is
// printed too.
func runReport(s *State, args []string) error {
	fs := flag.NewFlagSet("bench report", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bench report [flags] DIR\n\n"+
			"Turns the run in DIR (its results.jsonl) into statistics, charts, report.html,\n"+
			"report.md, summary.txt and stats.csv, written into DIR, and prints the summary.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write the report into this folder instead of DIR")
	noCharts := fs.Bool("no-charts", false, "leave the charts out (faster; report.html has tables only)")
	quiet := fs.Bool("quiet", false, "do not print the summary")
	strategy := fs.String("strategy", string(report.StrategyBalanced), strategyUsage)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError("want one run folder, got %d arguments", len(pos))
	}
	st, err := report.ParseStrategy(*strategy)
	if err != nil {
		return usageError("--strategy: %v", err)
	}
	opts := report.Options{Out: *out, NoCharts: *noCharts, Strategy: st}
	if !*quiet {
		opts.Stdout = s.Stdout
	}
	rep, err := report.Write(pos[0], opts)
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintln(s.Stdout)
	}
	fmt.Fprintf(s.Stdout, "report: %s\n", filepath.Join(rep.Dir, report.HTMLFile))
	fmt.Fprintf(s.Stdout, "        %s (short, for an issue)\n", filepath.Join(rep.Dir, report.MarkdownFile))
	if len(rep.Charts) > 0 {
		fmt.Fprintf(s.Stdout, "        %d charts in %s (PNG and SVG)\n", len(rep.Charts), filepath.Join(rep.Dir, report.ChartDir))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(s.Stdout, "        not drawn: %s: %s\n", sk.Kind, sk.Reason)
	}
	return nil
}

// strategyUsage is the --strategy flag's help, on bench report and bench
// run.
const strategyUsage = "power-tuning strategy the summary leads with, where cells were measured at several memory sizes: " +
	"cost (cheapest), speed (fastest; a cheaper size within its interval wins a tie) or balanced (cost and time normalised over the sweep, equal weights)"

// parseInterspersed parses flags wherever they appear among the
// positional arguments (bench compare OLD NEW --threshold 5) and returns
// the positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag (or after "--").
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
