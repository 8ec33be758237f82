package cli

import (
	"fmt"

	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
)

// finishRun writes what a run leaves besides results.jsonl.
func finishRun(s *State, res *run.Result, withReport bool) error {
	var samples, failures int
	for _, r := range res.Records {
		switch r.Kind {
		case results.KindSample:
			samples++
		case results.KindFailure:
			failures++
			fmt.Fprintf(s.Stdout, "FAILED %s: %s: %s\n", r.Key(), r.ErrorKind, r.Error)
		}
	}
	fmt.Fprintf(s.Stdout, "%d samples, %d failures in %s\n", samples, failures, res.Out)
	return nil
}
