// Package runners is the worker side of the worker protocol: the
// JSON-lines contract between the orchestrator and one worker process per
// wasm runtime (protocol.go), the Runner, Engine, Module and Instance
// interfaces a Go worker implements (runner.go), the worker loop that
// times every phase around them (serve.go), and its Lambda bootstrap mode
// (lambda.go). The orchestrator's side, which starts a worker and sends it
// jobs, is runners/client. The phases' names are results.Phase*.
//
// A cold sample is one job in a fresh worker process; a warm sample is one
// execution in a live worker that has already compiled the module, each on
// a fresh instance of it (the "compiled module, new instance per request"
// serverless pattern), because a WASI command's _start runs once per
// instance. The conformance suite every runner must pass lives in
// runners/conformance.
package runners
