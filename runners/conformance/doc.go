// Package conformance is the one test suite every runner must pass, run
// against a worker process through the JSON-lines protocol, so that it
// covers Go workers, the Node.js worker and the native runner alike.
//
// Run checks, for each tier: the hello event; every built-in workload in
// every language, cold, with its phases (init, compile or load,
// instantiate, execute, all positive) and its output verified against the
// workload's oracle (quick parameters; image once per language); the
// ahead-of-time cycle (cold before prepare fails with KindNotPrepared, as
// does an artifact made for another module; prepare reports a size; cold
// after prepare reports load); a warm job (one warm-up and three measured
// executions, each verified); the call cost of a no-op export; and the
// failures: a corrupt module (KindCompile), a trap (KindTrap), exit code 3
// (KindExit), an infinite loop under a 300 ms timeout (KindTimeout, the job
// ending within seconds), a memory hog under a 16 MiB cap (a failure, when
// Config.CanLimitMemory), an import nobody provides (KindUnsupported,
// naming it), and bench.start/bench.end markers (execute and execute_all).
// It also feeds the worker a line that is not a job and an unknown tier.
//
// RunSandbox is the sandbox suite: a C guest (testdata/sandbox/sandbox.c,
// its .wasm committed beside it, rebuilt by make sandbox-testdata) tries
// every way out of its preopened folder — "..", absolute paths, links of
// its own and links already in the folder, relative and absolute, to a
// file and to a folder outside — for reads, stats, readlink, listings,
// creates, writes, renames, links, unlinks and removals, and the suite
// fails when one got through, when the secret outside shows in any
// event, when anything outside changed, or when the worker died. A
// runner whose orchestrator confines its worker (node, wasmer) passes
// SandboxConfig.Confine.
//
// The test modules are WAT files in testdata/ with their .wasm committed
// beside them (each .wat says the wat2wasm command that rebuilds it); the
// native runner gets shell-script twins from testdata/native/.
//
// # Using it for a Go runner
//
// The runner's test binary doubles as its worker:
//
//	func TestMain(m *testing.M) {
//		conformance.ServeIfWorker(mypkg.New()) // serves and exits when started by SelfCommand
//		os.Exit(m.Run())
//	}
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Config{
//			Command:        conformance.SelfCommand(),
//			Runtime:        "wasmtime",
//			CanLimitMemory: true,
//			CanInterrupt:   true,
//		})
//	}
//
// A runner in its own Go module (wasmtime, wasmer) imports this package
// from the root module through a replace directive.
//
// # Using it for another worker
//
// Point Config.Command at the process, e.g. for Node.js
// client.Command{Path: "node", Args: []string{"--no-warnings", "worker.mjs"}}.
//
// Run only part of the suite with go test -run, e.g.
// -run 'TestConformance/jit/workloads/fib' or -run 'TestConformance/interp/(trap|timeout)'.
package conformance
