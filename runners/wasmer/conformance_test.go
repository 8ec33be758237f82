package wasmer

import (
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
)

// TestConformance runs the suite every runner must pass against this
// package's worker (the test binary itself, see TestMain). Wasmer can
// neither interrupt a guest nor cap its memory.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{
		Command:        conformance.SelfCommand(),
		Runtime:        "wasmer",
		CanInterrupt:   false,
		CanLimitMemory: false,
	})
}
