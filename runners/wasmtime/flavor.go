package wasmtime

import (
	wasmtime "github.com/bytecodealliance/wasmtime-go/v25"

	"github.com/wasmbench/bench/runners"
)

// This file is what the wasmtime-go v25 flavour of the runner does not
// share with the wasmtime39 one (runners/wasmtime/wasmtime39).

const (
	runtimeName     = "wasmtime"
	wasmtimeModule  = "github.com/bytecodealliance/wasmtime-go/v25"
	fallbackVersion = "v25.0.0"
)

// Why the tiers wasmtime-go v25 cannot reach are unavailable.
const (
	noWinch = "Winch, wasmtime's baseline compiler, is built into wasmtime-go's libwasmtime.a (WASMTIME_FEATURE_WINCH) " +
		"but wasmtime's C API accepts only the Auto and Cranelift strategies up to and including wasmtime 39 " +
		"(wasmtime/config.h, wasmtime_strategy_enum); Winch became selectable from C only after wasmtime PR #13155 (2026), " +
		"newer than any wasmtime-go major the module proxy serves here (v25, v37, v39)"
	noPulley = "Pulley, wasmtime's interpreter, is not built into wasmtime-go v25's libwasmtime.a " +
		"(with the target \"pulley64\" engine creation aborts: \"Support for this target is disabled\"); " +
		"wasmtime-go v39 has it: runtime wasmtime39, tier interpreter"
)

func tiers() []runners.TierInfo {
	return []runners.TierInfo{
		{Name: TierJIT, Description: "Cranelift (optimizing), compiled when the module is loaded", Limits: []string{noInterrupt}},
		{Name: TierAOT, Description: "Cranelift artifact made by prepare (Module.Serialize), mapped from its file at load (NewModuleDeserializeFile)", Limits: []string{noInterrupt}, Prepared: true, MachineCode: true},
		{Name: TierBaseline, Description: "Winch (baseline compiler)", Unavailable: noWinch},
		{Name: TierInterpreter, Description: "Pulley (interpreter)", Unavailable: noPulley},
	}
}

// configure sets what a tier changes in an engine's configuration. Both
// tiers use Cranelift with wasmtime's defaults.
func configure(c *wasmtime.Config, tier string) error {
	c.SetStrategy(wasmtime.StrategyCranelift)
	return nil
}

// preopen maps a host directory into the guest, read-write (v25's
// PreopenDir has no permissions).
func preopen(w *wasmtime.WasiConfig, d runners.Preopen) error {
	return w.PreopenDir(d.Host, d.Guest)
}
