package targets

import (
	"errors"
	"fmt"
	"io"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/deploy/container"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/local"
)

// Options configure the serverless targets.
type Options struct {
	// ContainerRuntime is docker (when empty) or runc.
	ContainerRuntime string
	MemoryMB         int
	// AWS configures the aws-lambda target (nothing is sent to AWS until
	// a run uses it).
	AWS aws.Options
	// Stderr receives a line for each target that fails to clean up when
	// closed; nothing is written when nil.
	Stderr io.Writer
}

// New returns every place a task can run, by name, and close, which
// releases what the targets made (hosts, images, bundles, AWS resources)
// and returns what it could not. Its error is the container engine's when
// ContainerRuntime names none, or the AWS options'.
func New(o Options) (map[string]deploy.Target, func() error, error) {
	if o.ContainerRuntime == "" {
		o.ContainerRuntime = container.Docker
	}
	lambda := lambdalocal.New(lambdalocal.Options{MemoryMB: o.MemoryMB})
	ctr, err := container.New(container.Options{Engine: o.ContainerRuntime, MemoryMB: o.MemoryMB})
	if err != nil {
		_ = lambda.Close()
		return nil, nil, err
	}
	cloud, err := aws.NewTarget(o.AWS)
	if err != nil {
		_ = lambda.Close()
		_ = ctr.Close()
		return nil, nil, fmt.Errorf("aws-lambda: %w", err)
	}
	list := []deploy.Target{local.Local{}, lambda, ctr, cloud}
	closeAll := func() error {
		var errs []error
		for _, t := range list {
			c, ok := t.(deploy.Closer)
			if !ok {
				continue
			}
			if err := c.Close(); err != nil {
				errs = append(errs, err)
				if o.Stderr != nil {
					fmt.Fprintf(o.Stderr, "bench: cleaning up %s: %v\n", t.Name(), err)
				}
			}
		}
		return errors.Join(errs...)
	}
	m := map[string]deploy.Target{}
	for _, t := range list {
		m[t.Name()] = t
	}
	return m, closeAll, nil
}
