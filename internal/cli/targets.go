package cli

import (
	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/targets"
)

// openTargets makes the targets (deploy/targets); an unknown container
// runtime is a usage error.
func openTargets(s *State, o targets.Options) (map[string]deploy.Target, func() error, error) {
	o.Stderr = s.Stderr
	tg, closeAll, err := targets.New(o)
	if err != nil {
		return nil, nil, usageError("--container-runtime %s: %v (want docker or runc)", o.ContainerRuntime, err)
	}
	return tg, closeAll, nil
}
