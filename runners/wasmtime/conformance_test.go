package wasmtime

import (
	"os"
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
)

// TestMain lets the test binary double as the worker the conformance suite
// starts.
func TestMain(m *testing.M) {
	conformance.ServeIfWorker(New())
	os.Exit(m.Run())
}

// TestConformance runs the suite every runner must pass, on every
// available tier.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite runs every workload in every tier")
	}
	conformance.Run(t, conformance.Config{
		Command:        conformance.SelfCommand(),
		Runtime:        runtimeName,
		CanLimitMemory: true,
		CanInterrupt:   false,
	})
}
