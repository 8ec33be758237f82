package cli

import (
	"flag"
	"fmt"
	"github.com/wasmbench/bench/deploy"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/deploy/targets"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/workloads"
)

func runList(s *State, args []string) error {
	fs := flag.NewFlagSet("bench list", flag.ContinueOnError)
	fs.SetOutput(s.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	tw := tabwriter.NewWriter(s.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RUNTIME\tTIER\tSTATUS\tWHAT\n")
	for _, r := range run.Discover(s.Ctx, s.BinDir) {
		if r.Unavailable != "" {
			fmt.Fprintf(tw, "%s\t-\tunavailable\t%s\n", r.Name, r.Unavailable)
			continue
		}
		for _, t := range r.Tiers {
			status := "available"
			what := t.Description
			if t.Unavailable != "" {
				status, what = "unavailable", t.Unavailable
			}
			if len(t.Limits) > 0 {
				what += " [limits: " + strings.Join(t.Limits, "; ") + "]"
			}
			if run.IsInterpreter(r.Name, t.Name) && t.Unavailable == "" {
				what += " [" + run.OutOfDefault + "]"
			}
			if t.Prepared {
				what += " [needs a prepare step; artifact kept in the run folder]"
			}
			fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", r.Name, r.Version, t.Name, status, what)
		}
	}
	fmt.Fprintf(tw, "\nWORKLOAD\tLANGUAGES\tPARAMETER\tWHAT\n")
	for _, w := range workloads.All() {
		p := w.Param
		param := fmt.Sprintf("%s=%d (quick %d; %d..%d)", w.Name, p.Default, p.Quick, p.Min, p.Max)
		if p.Fixed {
			param = fmt.Sprintf("fixed: %s %d", p.Meaning, p.Default)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Name, strings.Join(w.Langs, ","), param, w.Description)
	}
	fmt.Fprintf(tw, "\nTARGET\tSTATUS\t\t\n")
	tg, closeTargets, err := openTargets(s, targets.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = closeTargets() }()
	var names []string
	for n := range tg {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		status := "available"
		if _, remote := tg[n].(deploy.Concurrent); remote {
			// Checking would call the cloud: a run checks its credentials
			// and limits before it builds anything.
			fmt.Fprintf(tw, "%s\t%s\t\t\n", n, "remote: a run checks its credentials and the account's limits first (bench run --target "+n+" --dry-run plans without them)")
			continue
		}
		if err := tg[n].Available(s.Ctx); err != nil {
			status = "unavailable: " + err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t\t\n", n, status)
	}
	return tw.Flush()
}
