package wasmer

import (
	"os"
	"testing"

	"github.com/wasmbench/bench/runners/confine"
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

// TestSandbox: a guest sees only its preopened folders, and no link it
// makes or finds ends the worker (see conformance.RunSandbox). Wasmer's
// WASI needs both the path guard (guard.go) and bubblewrap, as the
// orchestrator runs it.
func TestSandbox(t *testing.T) {
	if err := confine.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	conformance.RunSandbox(t, conformance.SandboxConfig{Command: conformance.SelfCommand(), Runtime: "wasmer",
		Confine: confine.Command})
}
