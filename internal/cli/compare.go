package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/report/compare"
)

// percentFlag is a percentage: "2", "2%" and "2.5%" all read as percent.
type percentFlag float64

func (p *percentFlag) String() string { return strconv.FormatFloat(float64(*p)*100, 'f', -1, 64) + "%" }

func (p *percentFlag) Set(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "%"), 64)
	if err != nil || f < 0 || f >= 1000 {
		return fmt.Errorf("want a percentage such as 2 or 2.5%%, got %q", v)
	}
	*p = percentFlag(f / 100)
	return nil
}

// runCompare is `bench compare OLD NEW`.
func runCompare(s *State, args []string) error {
	fs := flag.NewFlagSet("bench compare", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bench compare [flags] OLD NEW\n\n"+
			"Compares two runs (folders or results.jsonl files) cell by cell, with the process\n"+
			"as the unit: NEW/OLD as a ratio of geometric means with its 95%% interval, a t-test\n"+
			"on log units, Benjamini-Hochberg across the rows (false discovery rate = -alpha)\n"+
			"and a verdict (faster, slower, equivalent, inconclusive; never from fewer than 3\n"+
			"processes per side), a geometric mean, and the cells found on one side only.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	threshold := percentFlag(report.DefaultThreshold)
	fs.Var(&threshold, "threshold", "equivalence margin in percent: a cell whose interval lies within ±this is equivalent")
	var failOn percentFlag
	fs.Var(&failOn, "fail-on-regression", "exit 4 when any cell is significantly slower (larger, dearer) by more than this percentage: its 95% interval lies above 1+PCT")
	alpha := fs.Float64("alpha", report.DefaultAlpha, "false discovery rate across the compared rows (Benjamini-Hochberg)")
	phases := fs.String("phases", "", "comma-separated phases to compare, or \"all\" (default: warm execute, cold start, init duration, call, sizes, price)")
	format := fs.String("format", "text", "output format: text, md or json (schema "+compare.JSONSchema+", see README)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if len(pos) != 2 {
		fs.Usage()
		return usageError("want two runs, OLD and NEW, got %d arguments", len(pos))
	}
	if *alpha <= 0 || *alpha >= 1 {
		return usageError("-alpha must be between 0 and 1, got %v", *alpha)
	}
	if *format != "text" && *format != "md" && *format != "json" {
		return usageError("-format must be text, md or json, got %q", *format)
	}
	var o compare.Options
	o.Threshold, o.Alpha, o.FailOnRegression = float64(threshold), *alpha, float64(failOn)
	if *phases != "" {
		for _, p := range strings.Split(*phases, ",") {
			if p = strings.TrimSpace(p); p != "" {
				o.Phases = append(o.Phases, p)
			}
		}
	}
	old, err := report.Load(pos[0])
	if err != nil {
		return fmt.Errorf("OLD: %w", err)
	}
	new, err := report.Load(pos[1])
	if err != nil {
		return fmt.Errorf("NEW: %w", err)
	}
	res := compare.Compare(old, new, pos[0], pos[1], o)
	switch *format {
	case "md":
		err = res.WriteMarkdown(s.Stdout)
	case "json":
		err = res.WriteJSON(s.Stdout)
	default:
		err = res.WriteText(s.Stdout)
	}
	if err != nil {
		return err
	}
	if code, why := res.Exit(); code != 0 {
		return &ExitError{Code: code, Err: errors.New(why)}
	}
	return nil
}
