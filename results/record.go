package results

import "strconv"

// Kind tags each line of results.jsonl.
type Kind string

const (
	KindEnv     Kind = "env"     // first line: the machine and the run
	KindSample  Kind = "sample"  // one measured value
	KindFailure Kind = "failure" // a cell (or one of its tasks) that failed
	KindTask    Kind = "task"    // a finished task: for budgets and --resume
	KindNote    Kind = "note"    // something a reader must know (a skipped cell, say)
)

// Cell identifies one combination of the matrix.
type Cell struct {
	Runtime  string `json:"runtime"`
	Tier     string `json:"tier"`
	Workload string `json:"workload"`
	Lang     string `json:"lang"`
	Param    string `json:"param"`
	Target   string `json:"target"`
}

// Key is the cell's stable name: runtime/tier/workload/lang/param/target.
func (c Cell) Key() string {
	return c.Runtime + "/" + c.Tier + "/" + c.Workload + "/" + c.Lang + "/" + c.Param + "/" + c.Target
}

// KeyAt is the key of the cell at a memory size of a sweep (Key when
// memoryMB is 0): runtime/tier/workload/lang/param/target@128MB.
func (c Cell) KeyAt(memoryMB int) string {
	if memoryMB == 0 {
		return c.Key()
	}
	return c.Key() + "@" + strconv.Itoa(memoryMB) + "MB"
}

// KeyIn is the key of the cell in one deployment: at a memory size, on
// an architecture and in a package type, each when set (KeyAt when arch
// and pkg are empty): runtime/tier/workload/lang/param/aws-lambda@1024MB@arm64@zip.
func (c Cell) KeyIn(memoryMB int, arch, pkg string) string {
	k := c.KeyAt(memoryMB)
	for _, v := range []string{arch, pkg} {
		if v != "" {
			k += "@" + v
		}
	}
	return k
}

// Record is one line of results.jsonl. Which fields are set depends on Kind.
type Record struct {
	Kind Kind `json:"kind"`
	Cell
	RuntimeVersion string `json:"runtime_version,omitempty"`

	// Samples.
	Phase     string  `json:"phase,omitempty"`
	Cold      bool    `json:"cold"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit,omitempty"`
	Verified  bool    `json:"verified"`
	Process   int     `json:"process"`
	Iteration int     `json:"iteration"`
	// Warmup marks warm-up executions and a warm process's setup phases:
	// recorded, never in warm statistics.
	Warmup bool `json:"warmup,omitempty"`

	// Task is the task that produced the record (cell key, cold|warm|...,
	// process index); every record of a finished task carries it.
	Task string `json:"task,omitempty"`
	// WallNS is a task record's wall time, for per-cell budgets.
	WallNS int64 `json:"wall_ns,omitempty"`

	// Failures and notes.
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
	Stderr    string `json:"stderr,omitempty"`

	// Optional context.
	Arch       string  `json:"arch,omitempty"`      // deployment architecture (x86_64, arm64)
	MemoryMB   int     `json:"memory_mb,omitempty"` // configured function memory
	Package    string  `json:"package,omitempty"`   // zip | image
	PriceUSD   float64 `json:"price_usd,omitempty"` // cost of this invocation, where priced
	CPUQuota   float64 `json:"cpu_quota,omitempty"` // vCPUs a serverless environment's CPU quota allowed (memory/1769 MB)
	Cache      string  `json:"cache,omitempty"`     // AOT cache state: none | disk
	WarmMode   string  `json:"warm_mode,omitempty"` // fresh-instance | live-instance
	ModuleName string  `json:"module,omitempty"`    // the module file a custom workload came from
	Note       string  `json:"note,omitempty"`
	// Env is the KindEnv record's fingerprint; a run's end note and a
	// resume note carry a partial one (the load average then, see
	// RunEndNote).
	Env *Env `json:"env,omitempty"`
}

// Env fingerprints the machine and the run (the KindEnv record).
type Env struct {
	CPU          string            `json:"cpu"`
	Cores        int               `json:"cores"`
	MemoryBytes  int64             `json:"memory_bytes,omitempty"`
	Kernel       string            `json:"kernel"`
	OS           string            `json:"os"`
	Arch         string            `json:"arch"`
	GoVersion    string            `json:"go_version"`
	Governor     string            `json:"governor,omitempty"`
	Hostname     string            `json:"hostname,omitempty"`
	BenchVersion string            `json:"bench_version"`
	Commit       string            `json:"commit,omitempty"`
	Runtimes     map[string]string `json:"runtimes,omitempty"` // runtime -> version
	Command      []string          `json:"command,omitempty"`  // the exact argv of the run
	Started      string            `json:"started"`            // RFC 3339
	Seed         int64             `json:"seed,omitempty"`
	// Journal is the file's commit rule: with JournalTasks, a record
	// carrying a Task counts only once that task's KindTask line is
	// written (see ReadFile). 0 (older files, bench deploy aws): every
	// well-formed record counts.
	Journal int `json:"journal,omitempty"`
	// LoadAvg is the 1, 5 and 15-minute load average when the run (or a
	// resume) started; LoadAvgEnd the same when it ended (on the run-end
	// note, see RunEndNote), and Ended that time (RFC 3339).
	LoadAvg    []float64 `json:"load_avg,omitempty"`
	LoadAvgEnd []float64 `json:"load_avg_end,omitempty"`
	Ended      string    `json:"ended,omitempty"`
}

// JournalTasks is Env.Journal for a file whose tasks commit their records
// with their task line.
const JournalTasks = 1
