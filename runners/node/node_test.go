package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
)

// needNode returns the node on PATH, skipping the test when there is none
// (failing it on CI, where Node.js is part of the set-up).
func needNode(t *testing.T) string {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Node.js is required on CI: %v", err)
		}
		t.Skipf("skipping the Node.js worker's tests: %v", err)
	}
	return path
}

// script is worker.mjs in this folder, the file Script embeds.
func script(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("worker.mjs")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		tier  string
		flags []string
	}{
		{"", nil},
		{TierTiered, nil},
		{TierAOT, nil},
		{TierBaseline, []string{"--liftoff-only"}},
		{TierJIT, []string{"--no-liftoff"}},
	} {
		c, err := Command("/usr/bin/node", "/bin/bench-node.mjs", tc.tier)
		if err != nil {
			t.Fatalf("Command(%q): %v", tc.tier, err)
		}
		want := append(append([]string{"--no-warnings"}, tc.flags...), "/bin/bench-node.mjs")
		if c.Path != "/usr/bin/node" || !reflect.DeepEqual(c.Args, want) {
			t.Errorf("Command(%q) = %s %q, want /usr/bin/node %q", tc.tier, c.Path, c.Args, want)
		}
	}
	_, err := Command("node", "w.mjs", "interp")
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindBadJob || !strings.Contains(e.Message, `"interp"`) {
		t.Errorf("Command(interp) error = %v, want a bad_job error naming the tier", err)
	}
}

func TestParseMajor(t *testing.T) {
	for v, want := range map[string]int{"v20.20.2": 20, "v18.0.0": 18, "v9.11.1\n": 9} {
		got, err := parseMajor(strings.TrimSpace(v))
		if err != nil || got != want {
			t.Errorf("parseMajor(%q) = %d, %v; want %d", v, got, err, want)
		}
	}
	for _, v := range []string{"", "20.1.0", "vX.1.2"} {
		if _, err := parseMajor(v); err == nil {
			t.Errorf("parseMajor(%q) succeeded", v)
		}
	}
}

func TestScriptIsWorkerFile(t *testing.T) {
	b, err := os.ReadFile("worker.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, Script) {
		t.Fatal("the embedded Script differs from worker.mjs")
	}
	dir := t.TempDir()
	p, err := WriteScript(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, Script) || filepath.Base(p) != ScriptName {
		t.Fatalf("WriteScript wrote %s (%d bytes)", p, len(got))
	}
}

func TestVersion(t *testing.T) {
	needNode(t)
	v, err := Version()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "v") || !strings.Contains(v, "(V8 ") {
		t.Fatalf("Version() = %q, want \"vN.N.N (V8 ...)\"", v)
	}
	if err := Available(); err != nil {
		t.Fatal(err)
	}
}

// fibJob is a cold fib.c job with the quick parameter, and its oracle.
func fibJob(t *testing.T, dir, tier string) (runners.Job, workloads.Expectation) {
	t.Helper()
	w, err := workloads.Get("fib")
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Wasm(workloads.LangC)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, w.ModuleName(workloads.LangC))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	n := w.Param.Quick
	want, err := w.Expect(workloads.LangC, n)
	if err != nil {
		t.Fatal(err)
	}
	return runners.Job{ID: "fib-" + tier, Op: runners.OpCold, Tier: tier,
		Module: runners.ModuleRef{Name: w.ModuleName(workloads.LangC), Path: p}, Args: w.Args(n)}, want
}

func start(t *testing.T, ctx context.Context, nodePath, tier string) *client.Client {
	t.Helper()
	cmd, err := Command(nodePath, script(t), tier)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.Start(ctx, cmd)
	if err != nil {
		t.Fatalf("start the %s worker: %v", tier, err)
	}
	t.Cleanup(func() { cl.Kill(); _, _ = cl.Close() })
	return cl
}

// TestTiers starts a worker per tier: each runs its own tier, refuses the
// others as bad jobs, and reports aot as unavailable with its reason.
func TestTiers(t *testing.T) {
	nodePath := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	for _, tier := range Tiers() {
		t.Run(tier, func(t *testing.T) {
			cl := start(t, ctx, nodePath, tier)
			h := cl.Hello
			if h.Runtime != "node" || !strings.HasPrefix(h.Version, "v") || h.PID == 0 || h.StartUnixNano == 0 {
				t.Errorf("hello = %+v", h)
			}
			if cl.Spawn() <= 0 {
				t.Errorf("spawn %v: the script's start time is not after exec", cl.Spawn())
			}
			var names []string
			for _, ti := range h.Tiers {
				names = append(names, ti.Name)
				if (ti.Name == TierAOT) != (ti.Unavailable != "") {
					t.Errorf("tier %s: unavailable = %q", ti.Name, ti.Unavailable)
				}
				if ti.Description == "" {
					t.Errorf("tier %s has no description", ti.Name)
				}
			}
			if want := append(Tiers(), TierAOT); !reflect.DeepEqual(names, want) {
				t.Errorf("hello tiers %q, want %q", names, want)
			}

			job, want := fibJob(t, dir, tier)
			var outs []*runners.Output
			var phases []string
			if err := cl.Do(ctx, job, func(ev runners.Event) {
				switch ev.Type {
				case runners.EventOutput:
					outs = append(outs, ev.Output)
				case runners.EventPhase:
					phases = append(phases, ev.Phase)
					if ev.NS <= 0 {
						t.Errorf("phase %s: %v ns", ev.Phase, ev.NS)
					}
				}
			}); err != nil {
				t.Fatalf("own tier: %v", err)
			}
			if wantPhases := []string{"init", "compile", "instantiate", "execute"}; !reflect.DeepEqual(phases, wantPhases) {
				t.Errorf("phases %q, want %q", phases, wantPhases)
			}
			if len(outs) != 1 {
				t.Fatalf("%d outputs, want 1", len(outs))
			}
			if err := want.Check(outs[0]); err != nil {
				t.Errorf("fib output: %v", err)
			}

			for _, other := range append(Tiers(), TierAOT) {
				if other == tier {
					continue
				}
				job, _ := fibJob(t, dir, other)
				err := cl.Do(ctx, job, func(runners.Event) {})
				wantKind := runners.KindBadJob
				if other == TierAOT {
					wantKind = runners.KindUnsupported
				}
				var e *runners.Error
				if !errors.As(err, &e) || e.Kind != wantKind {
					t.Errorf("job for tier %s in a %s worker: %v, want %s", other, tier, err, wantKind)
				}
			}
		})
	}
}

// TestTierFlags checks that the worker knows its tier from its flags, and
// that flags matching no tier (the baseline flags that do not stop V8's
// dynamic tier-up) are refused for every job.
func TestTierFlags(t *testing.T) {
	nodePath := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, client.Command{Path: nodePath,
		Args: []string{"--no-warnings", "--liftoff", "--no-wasm-tier-up", script(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, tier := range Tiers() {
		job, _ := fibJob(t, t.TempDir(), tier)
		err := cl.Do(ctx, job, func(runners.Event) {})
		var e *runners.Error
		if !errors.As(err, &e) || e.Kind != runners.KindBadJob || !strings.Contains(e.Message, "--no-wasm-tier-up") {
			t.Errorf("tier %s under --liftoff --no-wasm-tier-up: %v, want bad_job naming the flags", tier, err)
		}
	}
}

// loopWasm is (module (memory (export "memory") 1) (func (export "_start")
// (loop $l (br $l)))), from wat2wasm.
var loopWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
	0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07,
	0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06,
	0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07,
	0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
}

// TestTimeoutStopsGuest: V8 stops a spinning guest in the worker itself
// (KindTimeout from the worker, not the orchestrator's kill), and the same
// worker then runs the next job, timed out or not.
func TestTimeoutStopsGuest(t *testing.T) {
	nodePath := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	p := filepath.Join(dir, "loop.wasm")
	if err := os.WriteFile(p, loopWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tier := range Tiers() {
		cl := start(t, ctx, nodePath, tier)
		for i := range 2 {
			job := runners.Job{ID: fmt.Sprint("loop", i), Op: runners.OpWarm, Tier: tier, Iterations: 1,
				TimeoutNS: int64(200 * time.Millisecond), Module: runners.ModuleRef{Name: "loop.wasm", Path: p}}
			err := cl.Do(ctx, job, func(runners.Event) {})
			var e *runners.Error
			if !errors.As(err, &e) || e.Kind != runners.KindTimeout || !strings.Contains(e.Message, "TerminateExecution") {
				t.Errorf("%s, loop %d: %v, want a timeout the worker detected", tier, i, err)
			}
		}
		job, want := fibJob(t, dir, tier)
		job.TimeoutNS = int64(time.Minute)
		var out *runners.Output
		if err := cl.Do(ctx, job, func(ev runners.Event) {
			if ev.Type == runners.EventOutput {
				out = ev.Output
			}
		}); err != nil {
			t.Fatalf("%s: the job after two timeouts: %v", tier, err)
		}
		if err := want.Check(out); err != nil {
			t.Errorf("%s: the job after two timeouts: %v", tier, err)
		}
		if _, err := cl.Close(); err != nil {
			t.Errorf("%s: worker exit: %v", tier, err)
		}
	}
}

// TestImportedRunsNoLoop imports worker.mjs as a module, as lambda.mjs
// does: importing serves nothing, and runJob reports a job's events.
func TestImportedRunsNoLoop(t *testing.T) {
	nodePath := needNode(t)
	job, want := fibJob(t, t.TempDir(), TierTiered)
	jb, _ := json.Marshal(job)
	code := `import { runJob, hello } from ` + jsString(script(t)) + `;
const job = ` + string(jb) + `;
if (hello().type !== 'hello') throw new Error('hello');
runJob(job, (ev) => process.stdout.write(JSON.stringify(ev) + '\n'));
`
	cmd := exec.Command(nodePath, "--no-warnings", "--input-type=module", "-e", code)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var types []runners.EventType
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		types = append(types, ev.Type)
		if ev.Type == runners.EventOutput {
			if err := want.Check(ev.Output); err != nil {
				t.Error(err)
			}
		}
	}
	if slices.Contains(types, runners.EventHello) {
		t.Error("importing worker.mjs started the protocol loop")
	}
	if len(types) == 0 || types[len(types)-1] != runners.EventDone || !slices.Contains(types, runners.EventOutput) {
		t.Errorf("events %q, want phases, an output and done", types)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// memhogWasm is runners/conformance/testdata/memhog.wat (wat2wasm): it grows
// its memory 1 MiB at a time to 64 MiB, trapping when refused, then
// prints "memhog: grew to 64 MiB".
var memhogWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
	0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x23,
	0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
	0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
	0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03,
	0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06,
	0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74,
	0x61, 0x72, 0x74, 0x00, 0x01, 0x0a, 0x37, 0x01, 0x35, 0x01, 0x01, 0x7f,
	0x03, 0x40, 0x41, 0x10, 0x40, 0x00, 0x21, 0x00, 0x20, 0x00, 0x41, 0x7f,
	0x46, 0x04, 0x40, 0x00, 0x0b, 0x20, 0x00, 0x41, 0x80, 0x80, 0x04, 0x6c,
	0x41, 0x01, 0x3a, 0x00, 0x00, 0x3f, 0x00, 0x41, 0x80, 0x08, 0x49, 0x0d,
	0x00, 0x0b, 0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x30, 0x10, 0x00,
	0x1a, 0x0b, 0x0b, 0x2a, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x08, 0x10, 0x00,
	0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x41, 0x10, 0x0b, 0x17, 0x6d,
	0x65, 0x6d, 0x68, 0x6f, 0x67, 0x3a, 0x20, 0x67, 0x72, 0x65, 0x77, 0x20,
	0x74, 0x6f, 0x20, 0x36, 0x34, 0x20, 0x4d, 0x69, 0x42, 0x0a,
}

// TestMemoryCapPerJob: the cap is V8's process-wide page limit, set per
// job, so a capped job must not leave its cap on the next job in the same
// worker (a warm worker serves many).
func TestMemoryCapPerJob(t *testing.T) {
	nodePath := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := filepath.Join(t.TempDir(), "memhog.wasm")
	if err := os.WriteFile(p, memhogWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	cl := start(t, ctx, nodePath, TierTiered)
	job := runners.Job{ID: "capped", Op: runners.OpCold, Tier: TierTiered, MaxMemoryBytes: 16 << 20,
		Module: runners.ModuleRef{Name: "memhog.wasm", Path: p}}
	err := cl.Do(ctx, job, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindMemory {
		t.Errorf("memhog under a 16 MiB cap: %v, want a memory error", err)
	}
	job.ID, job.MaxMemoryBytes = "uncapped", 0
	var out *runners.Output
	if err := cl.Do(ctx, job, func(ev runners.Event) {
		if ev.Type == runners.EventOutput {
			out = ev.Output
		}
	}); err != nil {
		t.Fatalf("memhog without a cap, after a capped job: %v", err)
	}
	if err := workloads.Exact("memhog: grew to 64 MiB\n").Check(out); err != nil {
		t.Error(err)
	}
	job.ID, job.MaxMemoryBytes = "negative", -1
	if err := cl.Do(ctx, job, func(runners.Event) {}); !errors.As(err, &e) || e.Kind != runners.KindBadJob {
		t.Errorf("negative cap: %v, want bad_job", err)
	}
}
