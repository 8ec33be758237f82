// Package wasmtime runs WebAssembly modules under wasmtime (through the cgo
// bindings wasmtime-go v25) for the bench worker bench-wasmtime.
//
// Tiers: jit (Cranelift at load) and aot (a serialized Cranelift artifact
// written by prepare and mapped from its file at load). Winch and Pulley
// are listed with the reason they cannot run; Pulley runs in the nested
// module runners/wasmtime/wasmtime39 (runtime wasmtime39, wasmtime-go v39),
// whose runner.go and runner_test.go are generated copies of this package's:
// after editing them, run go generate in runners/wasmtime/wasmtime39.
// flavor.go holds what differs between the two.
package wasmtime
