package cli

import (
	"fmt"
	"io"

	"github.com/wasmbench/bench/deploy/container"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/internal/target"
)

// targetOptions configure the serverless targets.
type targetOptions struct {
	// ContainerRuntime is docker or runc.
	ContainerRuntime string
	MemoryMB         int
}

// targets is the one explicit list of places a task can run. close
// releases what the targets made (hosts, images, bundles).
func targets(s *State, o targetOptions) (map[string]target.Target, func(), error) {
	if o.ContainerRuntime == "" {
		o.ContainerRuntime = container.Docker
	}
	lambda := lambdalocal.New(lambdalocal.Options{MemoryMB: o.MemoryMB})
	ctr, err := container.New(container.Options{Engine: o.ContainerRuntime, MemoryMB: o.MemoryMB})
	if err != nil {
		_ = lambda.Close()
		return nil, nil, usageError("--container-runtime %s: %v (want docker or runc)", o.ContainerRuntime, err)
	}
	closeAll := func() {
		for _, c := range []io.Closer{lambda, ctr} {
			if err := c.Close(); err != nil {
				fmt.Fprintf(s.Stderr, "bench: cleaning up a target: %v\n", err)
			}
		}
	}
	return map[string]target.Target{
		"local":       target.Local{},
		lambda.Name(): lambda,
		ctr.Name():    ctr,
	}, closeAll, nil
}
