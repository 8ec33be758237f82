// Package wasmtime runs WebAssembly modules under wasmtime (through the cgo
// bindings wasmtime-go v25) for the bench worker bench-wasmtime.
//
// Tiers: jit (Cranelift at load) and aot (a serialized Cranelift artifact
// written by prepare and mapped from its file at load). Winch and Pulley
// are listed with the reason they cannot run; Pulley runs in the sibling
// module runners/wasmtime/v39 (runtime wasmtime39), whose runner.go is a
// generated copy of this package's (go generate; see gen.go).
package wasmtime
