package run

import (
	"context"
	"os"
	"testing"

	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/confine"
	"github.com/wasmbench/bench/runners/conformance"
)

// TestSandboxEveryRunner runs the sandbox suite over every wasm worker
// built here, on every tier, each job under the command the orchestrator
// gives it on the local target (workerFor: inside bubblewrap for the
// runtimes that need it).
func TestSandboxEveryRunner(t *testing.T) {
	dir := binDir(t)
	for _, rt := range Discover(context.Background(), dir) {
		if rt.Native {
			continue // the native runner has no preopens: a native program sees the host
		}
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Unavailable != "" {
				if os.Getenv("CI") == "true" && rt.Name != "node" {
					t.Fatalf("%s is unavailable: %s", rt.Name, rt.Unavailable)
				}
				t.Skipf("%s is unavailable: %s", rt.Name, rt.Unavailable)
			}
			if rt.Confine {
				if err := confine.Available(); err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatal(err)
					}
					t.Skipf("%s runs in bubblewrap with a preopened folder: %v", rt.Name, err)
				}
			}
			for _, tier := range rt.Tiers {
				if tier.Unavailable != "" {
					continue
				}
				cmd, err := rt.Command(tier.Name)
				if err != nil {
					t.Fatal(err)
				}
				c := &Cell{Runtime: rt, Cell: results.Cell{Runtime: rt.Name, Tier: tier.Name}}
				r := &runner{}
				conformance.RunSandbox(t, conformance.SandboxConfig{Command: cmd, Runtime: rt.Name, Tiers: []string{tier.Name},
					Confine: func(_ client.Command, job runners.Job) (client.Command, error) {
						return r.workerFor(c, local.Local{}, job)
					}})
			}
		})
	}
}
