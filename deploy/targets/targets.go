package targets

import (
	"fmt"
	"io"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/container"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/local"
)

// Options configure the serverless targets.
type Options struct {
	// ContainerRuntime is docker (when empty) or runc.
	ContainerRuntime string
	MemoryMB         int
	// Stderr receives a line for each target that fails to clean up when
	// closed; nothing is written when nil.
	Stderr io.Writer
}

// New returns every place a task can run, by name, and close, which
// releases what the targets made (hosts, images, bundles). Its error is
// the container engine's when ContainerRuntime names none.
func New(o Options) (map[string]deploy.Target, func(), error) {
	if o.ContainerRuntime == "" {
		o.ContainerRuntime = container.Docker
	}
	lambda := lambdalocal.New(lambdalocal.Options{MemoryMB: o.MemoryMB})
	ctr, err := container.New(container.Options{Engine: o.ContainerRuntime, MemoryMB: o.MemoryMB})
	if err != nil {
		_ = lambda.Close()
		return nil, nil, err
	}
	list := []deploy.Target{local.Local{}, lambda, ctr}
	closeAll := func() {
		for _, t := range list {
			c, ok := t.(deploy.Closer)
			if !ok {
				continue
			}
			if err := c.Close(); err != nil && o.Stderr != nil {
				fmt.Fprintf(o.Stderr, "bench: cleaning up a target: %v\n", err)
			}
		}
	}
	m := map[string]deploy.Target{}
	for _, t := range list {
		m[t.Name()] = t
	}
	return m, closeAll, nil
}
