package wasmtime39

//go:generate go run ./internal/gencopy

import (
	wasmtime "github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmbench/bench/runners"
)

// This file is what the wasmtime-go v39 flavour of the runner does not share
// with runners/wasmtime.

const (
	runtimeName     = "wasmtime39"
	wasmtimeModule  = "github.com/bytecodealliance/wasmtime-go/v39"
	fallbackVersion = "v39.0.1"
)

// pulleyTarget is the target triple that selects Pulley: wasmtime spells
// its interpreter as a compilation target, and wasmtime-go v39's
// libwasmtime.a is built with it (WASMTIME_FEATURE_PULLEY).
const pulleyTarget = "pulley64"

// TierInterpreterAOT is Pulley bytecode prepared ahead of time: the
// interpreter without its load-time translation.
const TierInterpreterAOT = "interpreter-aot"

const noWinch = "Winch, wasmtime's baseline compiler, is built into wasmtime-go's libwasmtime.a (WASMTIME_FEATURE_WINCH) " +
	"but wasmtime 39's C API accepts only the Auto and Cranelift strategies (wasmtime/config.h, wasmtime_strategy_enum); " +
	"Winch became selectable from C only after wasmtime PR #13155 (2026), newer than any wasmtime-go major the module proxy serves here (v25, v37, v39)"

func tiers() []runners.TierInfo {
	return []runners.TierInfo{
		{Name: TierJIT, Description: "Cranelift (optimizing), compiled when the module is loaded", Limits: []string{noInterrupt}},
		{Name: TierAOT, Description: "Cranelift artifact made by prepare (Module.Serialize), mapped from its file at load (NewModuleDeserializeFile)", Limits: []string{noInterrupt}, Prepared: true, MachineCode: true},
		{Name: TierInterpreter, Description: "Pulley (interpreter); Cranelift translates the wasm to Pulley bytecode when the module is loaded, which costs about what a Cranelift compile costs", Limits: []string{noInterrupt}},
		{Name: TierInterpreterAOT, Description: "Pulley (interpreter) bytecode made by prepare (Module.Serialize), mapped from its file at load", Limits: []string{noInterrupt}, Prepared: true},
		{Name: TierBaseline, Description: "Winch (baseline compiler)", Unavailable: noWinch},
	}
}

// configure sets what a tier changes in an engine's configuration.
func configure(c *wasmtime.Config, tier string) error {
	c.SetStrategy(wasmtime.StrategyCranelift)
	if tier == TierInterpreter || tier == TierInterpreterAOT {
		return c.SetTarget(pulleyTarget)
	}
	return nil
}

// preopen maps a host directory into the guest, read-write like v25's
// PreopenDir, which has no permissions.
func preopen(w *wasmtime.WasiConfig, d runners.Preopen) error {
	return w.PreopenDir(d.Host, d.Guest, wasmtime.DIR_READ|wasmtime.DIR_WRITE, wasmtime.FILE_READ|wasmtime.FILE_WRITE)
}
