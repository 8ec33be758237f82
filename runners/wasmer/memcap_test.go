package wasmer

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wasmerio/wasmer-go/wasmer"

	"github.com/wasmbench/bench/runners"
)

// TestCapMemory: the memory section's maximum becomes min(declared, cap)
// and the rest of the module is untouched; a module starting over the cap
// is KindMemory.
func TestCapMemory(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name     string
		wat      string
		cap      int64
		min, max uint32 // want; max 0: unchanged module
		kind     runners.ErrorKind
	}{
		{"no maximum", `(module (memory (export "memory") 2) (func (export "f")))`, 16 * mib, 2, 256, ""},
		{"larger maximum", `(module (memory (export "memory") 1 1000) (func (export "f")))`, 16 * mib, 1, 256, ""},
		{"smaller maximum", `(module (memory (export "memory") 1 3) (func (export "f")))`, 16 * mib, 1, 3, ""},
		{"no cap", `(module (memory (export "memory") 1) (func (export "f")))`, 0, 0, 0, ""},
		{"no memory", `(module (func (export "f")))`, 16 * mib, 0, 0, ""},
		{"over the cap at start", `(module (memory (export "memory") 300))`, 16 * mib, 0, 0, runners.KindMemory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wasm, err := wasmer.Wat2Wasm(tc.wat)
			if err != nil {
				t.Fatal(err)
			}
			got, err := capMemory(wasm, tc.cap)
			if tc.kind != "" {
				var e *runners.Error
				if !errors.As(err, &e) || e.Kind != tc.kind {
					t.Fatalf("capMemory = %v; want a %s error", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.max == 0 {
				if !bytes.Equal(got, wasm) {
					t.Errorf("the module changed")
				}
				return
			}
			m, err := wasmer.NewModule(wasmer.NewStore(wasmer.NewEngine()), got)
			if err != nil {
				t.Fatalf("the capped module does not compile: %v", err)
			}
			defer m.Close()
			for _, ex := range m.Exports() {
				if ex.Name() != "memory" {
					continue
				}
				lim := ex.Type().IntoMemoryType().Limits()
				if lim.Minimum() != tc.min || lim.Maximum() != tc.max {
					t.Errorf("limits %d..%d pages; want %d..%d", lim.Minimum(), lim.Maximum(), tc.min, tc.max)
				}
				return
			}
			t.Error("the capped module exports no memory")
		})
	}
}
