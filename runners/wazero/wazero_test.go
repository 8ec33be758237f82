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

// slowEnv, set to 1, also runs the image workload under the interpreter:
// about 10 s (C) and 40 s (Go) on an idle 2-core machine, minutes on a
// loaded one. The jit and aot cells run the same modules every time.
const slowEnv = "BENCH_CONFORMANCE_SLOW"

func TestConformance(t *testing.T) {
	skip := map[string]string{}
	if os.Getenv(slowEnv) != "1" {
		why := "the image workload under the interpreter takes minutes on a loaded machine; set " + slowEnv + "=1 to run it"
		skip["interp/workloads/image/c"] = why
		skip["interp/workloads/image/go"] = why
	}
	conformance.Run(t, conformance.Config{
		Command:        conformance.SelfCommand(),
		Runtime:        "wazero",
		CanLimitMemory: true,
		// Built without wazero's termination checks (see doc.go): a
		// timeout ends the worker.
		CanInterrupt: false,
		Skip:         skip,
	})
}

// TestSandbox: a guest sees only its preopened folders, whatever links
// and paths it tries (see conformance.RunSandbox).
func TestSandbox(t *testing.T) {
	conformance.RunSandbox(t, conformance.SandboxConfig{Command: conformance.SelfCommand(), Runtime: "wazero"})
}
