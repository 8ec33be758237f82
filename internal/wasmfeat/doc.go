// Package wasmfeat reads a WebAssembly binary's sections and instructions
// and names the features beyond WebAssembly 1.0 it uses (SIMD, threads,
// bulk memory, ...), without linking a wasm runtime into the orchestrator.
//
// It is a reader, not a validator: it decodes every section and every
// instruction far enough to see which proposal each construct belongs to,
// and reports a malformed or truncated module as an error, but it does not
// type-check. A construct that no feature it knows explains (garbage
// collection types, 64-bit memories) is an error too, so that a caller
// never takes an unknown module for plain WebAssembly 1.0.
package wasmfeat
