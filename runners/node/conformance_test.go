package node

import (
	"os"
	"testing"

	"github.com/wasmbench/bench/runners/confine"
	"github.com/wasmbench/bench/runners/conformance"
)

// TestConformance runs the suite once per tier, each against a worker
// started with that tier's flags (a node worker serves one tier).
func TestConformance(t *testing.T) {
	nodePath := needNode(t)
	for _, tier := range Tiers() {
		t.Run(tier, func(t *testing.T) {
			cmd, err := Command(nodePath, script(t), tier)
			if err != nil {
				t.Fatal(err)
			}
			conformance.Run(t, conformance.Config{
				Command:        cmd,
				Runtime:        "node",
				Tiers:          []string{tier},
				CanLimitMemory: true,
				CanInterrupt:   true,
			})
		})
	}
}

// TestSandbox runs the sandbox suite on every tier as the orchestrator
// runs a node worker with a preopened folder: inside bubblewrap.
// node:wasi alone follows links to folders out of the preopen (see
// confine's doc and RATIONALE.md).
func TestSandbox(t *testing.T) {
	nodePath := needNode(t)
	if err := confine.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	for _, tier := range Tiers() {
		t.Run(tier, func(t *testing.T) {
			cmd, err := Command(nodePath, script(t), tier)
			if err != nil {
				t.Fatal(err)
			}
			conformance.RunSandbox(t, conformance.SandboxConfig{Command: cmd, Runtime: "node", Tiers: []string{tier},
				Confine: confine.Command})
		})
	}
}
