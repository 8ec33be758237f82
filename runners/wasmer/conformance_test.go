package wasmer

import (
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
)

// TestConformance runs the suite every runner must pass against this
// package's worker (the test binary itself, see TestMain). Wasmer cannot
// interrupt a guest; its memory is capped through the module's declared
// maximum (memcap.go).
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{
		Command:        conformance.SelfCommand(),
		Runtime:        "wasmer",
		CanInterrupt:   false,
		CanLimitMemory: true,
	})
}
