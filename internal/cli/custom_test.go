package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunWasmFolder: bench run --wasm <Sightglass folder> with the real
// wazero worker; the run finishes (exit ExitCellsFailed: some cells
// failed, the others are results), says how many cells failed, and the
// summary names each failing cell with its reason.
func TestRunWasmFolder(t *testing.T) {
	bin := os.Getenv("BENCH_BIN_DIR")
	if bin == "" {
		bin, _ = filepath.Abs("../../bin")
	}
	if _, err := os.Stat(filepath.Join(bin, "bench-wazero")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no bench-wazero in %s (BENCH_BIN_DIR): run make build", bin)
		}
		t.Skipf("no bench-wazero in %s: run make build (or set BENCH_BIN_DIR) to run this test", bin)
	}
	s, stdout, stderr := testState(t)
	s.BinDir = bin
	out := filepath.Join(t.TempDir(), "run")
	code := Run(s, []string{"run", "--wasm", "../../testdata/sightglass", "--runtime", "wazero", "--quick", "--out", out})
	if code != ExitCellsFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitCellsFailed, stderr.String())
	}
	// 7 modules on wazero's 3 tiers; trap, wrong, missing and atomics fail on each.
	if !strings.Contains(stderr.String(), "12 of 21 cells failed: their errors are in the summary and in "+filepath.Join(out, "results.jsonl")) {
		t.Errorf("stderr does not count the failed cells:\n%s", stderr.String())
	}
	sum := stdout.String()
	if !strings.Contains(sum, "failures (12)") {
		t.Errorf("the summary lists no 12 failures:\n%s", sum)
	}
	for _, tier := range []string{"interp", "jit", "aot"} {
		for _, want := range []string{
			"local · wrong · wasm · wazero " + tier + `: output: not verified: iteration 0: stdout differs from wrong.stdout.expected: line 2: expected "answer 41", got "answer 42"`,
			"local · trap · wasm · wazero " + tier + ": trap: wazero: run trap.wasm: wasm error: unreachable",
			"local · missing · wasm · wazero " + tier + ": unsupported: wazero: instantiate missing.wasm: the module imports function env.host_secret",
			"local · atomics · wasm · wazero " + tier + ": unsupported: atomics.wasm uses threads (atomics), which this runtime and tier reject",
		} {
			if !strings.Contains(sum, want) {
				t.Errorf("the summary lacks %q", want)
			}
		}
	}
	for _, mod := range []string{"checksum", "logs", "simd"} {
		if !strings.Contains(sum, "local · "+mod+"\n") {
			t.Errorf("the summary has no table for %s, which ran:\n%s", mod, sum)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
}
