package wazero_test

import (
	"os"
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
	"github.com/wasmbench/bench/runners/wazero"
)

func TestMain(m *testing.M) {
	conformance.ServeIfWorker(wazero.New())
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{
		Command:        conformance.SelfCommand(),
		Runtime:        "wazero",
		CanLimitMemory: true,
		CanInterrupt:   true,
		// Built without termination checks: see doc.go.
		UninterruptibleTiers: []string{wazero.TierJIT, wazero.TierAOT},
	})
}
