// Package wasmtime39 runs WebAssembly modules under wasmtime 39 (through
// wasmtime-go v39) for the bench worker bench-wasmtime39: the same runner as
// runners/wasmtime, plus Pulley, wasmtime's interpreter, which wasmtime-go
// v25 does not have.
//
// runner.go and runner_test.go are generated copies of the files of the
// same name in runners/wasmtime (go generate, which runs internal/gencopy,
// whose test fails when a copy is stale); flavor.go holds what differs.
package wasmtime39
