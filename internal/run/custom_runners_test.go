package run

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
)

// knownRejects are the test modules each runtime here refuses, by tier:
// wazero v1.12 keeps the threads proposal behind an experimental flag the
// runner does not set; wasmtime 39's Pulley interpreter is built without
// threads; Wasmer 2.0 validates without threads, and its single-pass
// compiler has no SIMD. wasmtime v25 (Cranelift) and Node.js 20 (V8) run
// them all.
var knownRejects = map[string][]string{
	"wazero":     {"interp/atomics", "jit/atomics", "aot/atomics"},
	"wasmtime39": {"interpreter/atomics", "interpreter-aot/atomics"},
	"wasmer":     {"baseline/simd", "baseline/atomics", "jit/atomics", "aot/atomics"},
}

// binDir is the folder of worker binaries for tests: $BENCH_BIN_DIR, else
// the repository's bin/ when make build filled it; "" skips (fails in CI).
func binDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("BENCH_BIN_DIR")
	if d == "" {
		d, _ = filepath.Abs("../../bin")
	}
	if _, err := os.Stat(filepath.Join(d, "bench-wazero")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no workers in %s (BENCH_BIN_DIR): run make build", d)
		}
		t.Skipf("no workers in %s: run make build (or set BENCH_BIN_DIR) to run this test", d)
	}
	return d
}

// TestCustomSuiteEveryRunner runs the bring-your-own-wasm conformance
// suite over every wasm worker built here.
func TestCustomSuiteEveryRunner(t *testing.T) {
	dir := binDir(t)
	ran := 0
	for _, rt := range Discover(context.Background(), dir) {
		if rt.Native {
			continue // a custom wasm module has no native build
		}
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Unavailable != "" {
				if os.Getenv("CI") == "true" && rt.Name != "node" {
					t.Fatalf("%s is unavailable: %s", rt.Name, rt.Unavailable)
				}
				t.Skipf("%s is unavailable: %s", rt.Name, rt.Unavailable)
			}
			ran++
			for _, tier := range rt.Tiers {
				if tier.Unavailable != "" {
					continue
				}
				cmd, err := rt.Command(tier.Name)
				if err != nil {
					t.Fatal(err)
				}
				// A command per tier: node fixes its tier at start-up.
				conformance.RunCustom(t, conformance.CustomConfig{Command: cmd, Runtime: rt.Name,
					Tiers: []string{tier.Name}, Rejects: rejectsOf(rt.Name, tier.Name)})
			}
		})
	}
	if ran == 0 {
		t.Fatal("no wasm runtime ran")
	}
}

func rejectsOf(runtime, tier string) []string {
	var out []string
	for _, r := range knownRejects[runtime] {
		if filepath.Dir(r) == tier {
			out = append(out, r)
		}
	}
	return out
}
