package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/results"
)

// finishRun writes what a run leaves besides results.jsonl — results.bench
// (rewritten from every record, so a resumed run's file is whole), the
// summary on stdout and, unless turned off, the report — also after an
// interruption, for whatever was measured.
func finishRun(s *State, res *run.Result, withReport bool, strategy report.Strategy) error {
	var env results.Env
	for _, r := range res.Records {
		if r.Kind == results.KindEnv && r.Env != nil {
			env = *r.Env
			break
		}
	}
	bench := filepath.Join(res.Out, results.BenchFileName)
	f, err := os.Create(bench)
	if err != nil {
		return fmt.Errorf("write %s: %w", bench, err)
	}
	werr := results.WriteBench(f, env, res.Records)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", bench, werr)
	}
	fmt.Fprintln(s.Stdout)
	if !withReport {
		if err := report.SummaryStrategy(s.Stdout, res.Records, strategy); err != nil {
			return err
		}
		fmt.Fprintf(s.Stdout, "\nresults: %s\n", res.Out)
		return nil
	}
	rep, err := report.Write(res.Out, report.Options{Stdout: s.Stdout, Strategy: strategy})
	if err != nil {
		return fmt.Errorf("report: %w (the results in %s are intact; retry with bench report %s)", err, res.Out, res.Out)
	}
	fmt.Fprintf(s.Stdout, "\nresults: %s (results.jsonl, results.bench)\nreport:  %s\n", res.Out, filepath.Join(rep.Dir, report.HTMLFile))
	return nil
}
