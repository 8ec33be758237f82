package node

import (
	"testing"

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
