package run

import (
	"errors"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

// TestNothingToRunSaysWhy: when the filters select no cell, the error
// names the filter that removed what (it once said only "the filters
// select nothing"), and it is a bad option (a usage error).
func TestNothingToRunSaysWhy(t *testing.T) {
	rts := []*Runtime{
		{RuntimeSpec: RuntimeSpec{Name: "wazero"}, Version: "v1", Tiers: []runners.TierInfo{{Name: "interp"}, {Name: "jit"}}},
		{RuntimeSpec: RuntimeSpec{Name: "wasmtime"}, Version: "v25", Tiers: []runners.TierInfo{
			{Name: "jit"}, {Name: "aot", Prepared: true}, {Name: "baseline", Unavailable: "no Winch"}}},
		{RuntimeSpec: RuntimeSpec{Name: "native", Native: true}, Version: "v", Tiers: []runners.TierInfo{{Name: "native"}}},
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Tiers: []string{"interp"}, Runtimes: []string{"wasmtime"}},
			"nothing to run: wasmtime has no tier interp; its tiers: jit, aot, baseline (unavailable here)"},
		{Options{Runtimes: []string{"native"}, Custom: []custom.Module{{Name: "m", Path: "m.wasm"}}},
			"nothing to run: native runs no --wasm module"},
	} {
		_, _, err := Plan(tc.o, rts, []string{"local"}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrBadOption) {
			t.Errorf("Plan(%+v): %v; want a bad option saying %q", tc.o, err, tc.want)
		}
	}
}
