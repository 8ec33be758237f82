package cli

import "github.com/wasmbench/bench/internal/target"

// targets is the one explicit list of places a task can run.
func targets(s *State) map[string]target.Target {
	return map[string]target.Target{
		"local": target.Local{},
	}
}
