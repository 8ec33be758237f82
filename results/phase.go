package results

import (
	"slices"
	"strings"
)

// Phase names: the Phase of a Sample, in results.jsonl, results.bench and
// every report. Each is declared here and only here; workers, targets and
// reports use these constants. The values are on disk in old runs: never
// change one.
const (
	// A worker's phases (the worker protocol's phase events), in ns.
	PhaseSpawn       = "spawn"       // exec to the worker's main (orchestrator-computed)
	PhaseSandbox     = "sandbox"     // the part of spawn bubblewrap took: exec to the worker's own process image (orchestrator-computed)
	PhaseInit        = "init"        // runtime/engine creation
	PhaseCompile     = "compile"     // wasm bytes to executable module
	PhaseLoad        = "load"        // ahead-of-time artifact to executable module
	PhaseInstantiate = "instantiate" // imports, memory, start function
	PhaseExecute     = "execute"     // the guest's _start (or the bench.start..bench.end region)
	PhaseExecuteAll  = "execute_all" // the whole _start when bench.start/end narrowed PhaseExecute
	PhaseTotal       = "total"       // client-side, process start to result (orchestrator); on AWS the Invoke round trip
	PhaseCall        = "call"        // one host-to-guest call of a no-op export (runners.OpCallCost), ns/call

	// Sizes and process figures, recorded as samples so one file holds
	// everything a report draws.
	PhaseModuleBytes   = "module_bytes"   // the .wasm (or native executable)
	PhaseArtifactBytes = "artifact_bytes" // the AOT artifact on disk
	PhaseWorkerBytes   = "worker_bytes"   // the worker binary (and its libraries)
	PhasePackageBytes  = "package_bytes"  // a deployment package (zip, image)
	PhaseMaxRSS        = "max_rss"        // the worker's peak resident set
	PhasePrepare       = "prepare"        // time the prepare step took

	// The serverless targets' phases (lambda-local, container-local, aws):
	// from each invocation's REPORT line in ns and bytes, and from the
	// launcher.
	PhaseInitDuration   = "init_duration"   // REPORT Init Duration: launch to the runtime's first /next
	PhaseDuration       = "duration"        // REPORT Duration: event handed over to response
	PhaseBilledDuration = "billed_duration" // REPORT Billed Duration (INIT included when cold)
	PhaseMaxMemoryUsed  = "max_memory_used" // REPORT Max Memory Used, bytes (lambda-local: the measured peak, not rounded)
	PhasePrice          = "price"           // USD the invocation costs (would cost, off AWS) on Lambda (pricing.Default)
	// PhaseSuppressedInit is a first INIT cut off at Lambda's INIT limit
	// (10 s), after which the INIT was re-run inside the invocation
	// (whose duration holds the re-run).
	PhaseSuppressedInit  = "suppressed_init"
	PhaseBurstColdStarts = "burst_cold_starts" // AWS: how many of a burst's invokes were cold starts, count

	// A container cold start (container-local), in ns; with init_duration
	// (launch to the runtime's first /next) and duration (the first
	// invocation) they split client total = create + start + init +
	// invoke + transport.
	PhaseContainerCreate = "container_create" // docker create / writing the runc bundle
	PhaseContainerStart  = "container_start"  // starting the container to the bootstrap's main
	PhaseRuntimeInit     = "runtime_init"     // the bootstrap's main to its first /next

	// A soak (bench run --soak N): N warm invocations of one environment,
	// one record of each per invocation (Iteration: the invocation, from
	// 0), in bytes. They are a series over time, not samples of one
	// quantity: never in warm or cold statistics (see Counts), only in the
	// report's soak section.
	PhaseSoakMaxMemory = "soak_max_memory" // the environment's Max Memory Used after the invocation (REPORT; lambda-local: its cgroup's peak)
	PhaseSoakRSS       = "soak_rss"        // the bootstrap's (worker's) resident set, VmRSS, right after the invocation
)

// IsSetupPhase reports whether phase is part of making a module ready
// (init, compile, load): in a warm process's (a warm task's new
// environment's) first invocation, setup, not a warm figure.
func IsSetupPhase(phase string) bool {
	return phase == PhaseInit || phase == PhaseCompile || phase == PhaseLoad
}

// TaskBurst is the kind part of a burst task's ID ("<cell>|burst|<n>"):
// its invocations are recorded, but are no sample of a cold or warm
// start (Counts).
const TaskBurst = "burst"

// IsBurstTask reports whether a task ID is a burst's.
func IsBurstTask(id string) bool { return strings.Contains(id, "|"+TaskBurst+"|") }

// JoinNotes joins the non-empty notes with "; ", each once.
func JoinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// IsSoakPhase reports whether phase is one of a soak's per-invocation
// series.
func IsSoakPhase(phase string) bool {
	return phase == PhaseSoakMaxMemory || phase == PhaseSoakRSS
}

// Units of Sample.Value.
const (
	UnitNS      = "ns"
	UnitBytes   = "bytes"
	UnitNSCall  = "ns/call"
	UnitUSD     = "usd"
	UnitCount   = "count"
	UnitPercent = "percent"
)
