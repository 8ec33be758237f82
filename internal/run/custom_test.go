package run

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// sightglassDir is the committed Sightglass-layout folder of test modules.
const sightglassDir = "../../testdata/sightglass"

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct {
		want, got             string
		wantComplete, gotFull bool
		diff                  string
	}{
		{"a\nb\nc\n", "a\nB\nc\n", true, true, `line 2: expected "b", got "B"`},
		{"a\nb\n", "a\n", true, true, `line 2: expected "b", got the end of the output (1 lines)`},
		{"a\n", "a\nextra\n", true, true, `line 2: expected the end of the output (1 lines), got "extra"`},
		{"a\nb\n", "a\nb", true, true, `line 2: expected a newline at the end of "b"`},
		{"a\nb", "a\nb\n", true, true, `line 2: expected no newline at the end of "b"`},
		{"", "x\n", true, true, `line 1: expected the end of the output (0 lines), got "x"`},
		// got is only a head: a difference on its cut last line proves nothing.
		{"a\nbcdef\n", "a\nbc", true, false, "the first 1 lines agree; the difference is past the part kept for messages (got 9 bytes, expected 8)"},
		// ...but a difference before the cut does.
		{"a\nbcdef\n", "A\nbc", true, false, `line 1: expected "a", got "A"`},
		{strings.Repeat("x", 100) + "\n", strings.Repeat("y", 100) + "\n", true, true,
			`line 1: expected "` + strings.Repeat("x", 80) + `"..., got "` + strings.Repeat("y", 80) + `"...`},
	} {
		n := int64(len(tc.got))
		if !tc.gotFull {
			n = 9
		}
		if d := lineDiff([]byte(tc.want), tc.wantComplete, []byte(tc.got), tc.gotFull, n); d != tc.diff {
			t.Errorf("lineDiff(%q, %q):\n got %s\nwant %s", tc.want, tc.got, d, tc.diff)
		}
	}
}

func TestStderrDiff(t *testing.T) {
	if d := stderrDiff([]byte("step 1\n"), "step 1\n"); d != "" {
		t.Errorf("equal stderr: %q", d)
	}
	if d := stderrDiff([]byte("step 1\nstep 2\n"), "step 1\nstep 3\n"); d != `line 2: expected "step 2", got "step 3"` {
		t.Errorf("different stderr: %q", d)
	}
	if d := stderrDiff(nil, "oops\n"); d != `line 1: expected the end of the output (0 lines), got "oops"` {
		t.Errorf("unexpected stderr: %q", d)
	}
	// A stderr longer than the 4 KiB the worker keeps: tails compared.
	long := strings.Repeat("0123456789abcde\n", 1000)
	if d := stderrDiff([]byte(long), long[len(long)-4096:]); d != "" {
		t.Errorf("equal long stderr: %q", d)
	}
	bad := long[len(long)-4096:len(long)-5] + "XXXX\n"
	if d := stderrDiff([]byte(long), bad); !strings.HasPrefix(d, "in the last 4 KiB: line 256: expected") {
		t.Errorf("different long stderr: %q", d)
	}
	if d := stderrDiff([]byte("short\n"), long[:4096]); !strings.Contains(d, "got at least 4096 bytes") {
		t.Errorf("long stderr, short expectation: %q", d)
	}
}

func TestCustomModulesSightglassFolder(t *testing.T) {
	mods, err := CustomModules([]string{sightglassDir}, []string{"-v"}, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
		dir, _ := filepath.Abs(sightglassDir)
		if !m.Sightglass || len(m.Dirs) != 1 || m.Dirs[0] != (runners.Preopen{Host: dir, Guest: "."}) {
			t.Errorf("%s: sightglass %v, dirs %+v; want the folder preopened as .", m.Name, m.Sightglass, m.Dirs)
		}
		if filepath.Base(m.ExpectStdout) != m.Name+".stdout.expected" || filepath.Base(m.ExpectStderr) != m.Name+".stderr.expected" {
			t.Errorf("%s: expected files %q, %q", m.Name, m.ExpectStdout, m.ExpectStderr)
		}
		if !slices.Equal(m.Args, []string{"-v"}) {
			t.Errorf("%s: args %q", m.Name, m.Args)
		}
	}
	want := []string{"atomics", "checksum", "logs", "missing", "simd", "trap", "wrong"}
	if !slices.Equal(names, want) {
		t.Errorf("modules %v, want %v", names, want)
	}
}

func TestModuleFeatures(t *testing.T) {
	for mod, want := range map[string][]string{
		"checksum": nil,
		"simd":     {"SIMD"},
		"atomics":  {"threads (atomics)"},
	} {
		got, err := moduleFeatures(filepath.Join(sightglassDir, mod+".wasm"))
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s uses %q, want %q", mod, got, want)
		}
	}
	if _, err := moduleFeatures(filepath.Join(sightglassDir, "checksum.c")); err == nil {
		t.Error("a C source validated as a module")
	}
}

func TestExplainFailure(t *testing.T) {
	r := &runner{}
	simd := &CustomModule{Name: "simd", Path: filepath.Join(sightglassDir, "simd.wasm")}
	// wasmer's single-pass compiler does not say "SIMD".
	e := r.explainFailure(simd, runners.Errorf(runners.KindCompile,
		"wasmer: compile simd.wasm: singlepass compiler: Compilation error: not yet implemented: V128Const { value: V128([0, 0]) }"))
	if e.Kind != runners.KindUnsupported || !strings.HasPrefix(e.Message, "simd.wasm uses SIMD, which this runtime and tier reject: wasmer: compile") {
		t.Errorf("simd on wasmer baseline: %s: %s", e.Kind, e.Message)
	}
	// A message naming nothing: the module's only feature is named as such.
	e = r.explainFailure(simd, runners.Errorf(runners.KindCompile, "compile simd.wasm: invalid opcode 0xfd"))
	if e.Kind != runners.KindUnsupported || !strings.Contains(e.Message, "uses SIMD (its only feature beyond WebAssembly 1.0)") {
		t.Errorf("simd, vague message: %s: %s", e.Kind, e.Message)
	}
	// Other kinds, and plain WebAssembly 1.0 modules, are left alone.
	trap := runners.Errorf(runners.KindTrap, "wasm error: unreachable")
	if e := r.explainFailure(simd, trap); e != trap {
		t.Errorf("a trap was rewritten: %+v", e)
	}
	plain := &CustomModule{Name: "checksum", Path: filepath.Join(sightglassDir, "checksum.wasm")}
	c := runners.Errorf(runners.KindCompile, "bad module")
	if e := r.explainFailure(plain, c); e.Kind != runners.KindCompile || e.Message != "bad module" {
		t.Errorf("a 1.0 module's compile error was rewritten: %+v", e)
	}
}

// customFake answers a custom module's tasks without processes: each
// runtime prints what print says.
type customFake struct {
	mu    sync.Mutex
	print func(c results.Cell) (stdout, stderr string, err *runners.Error)
	tasks []deploy.Task
}

func (f *customFake) Name() string                    { return "local" }
func (f *customFake) Available(context.Context) error { return nil }

func (f *customFake) Run(_ context.Context, t deploy.Task) (deploy.Outcome, error) {
	f.mu.Lock()
	f.tasks = append(f.tasks, t)
	f.mu.Unlock()
	out := deploy.Outcome{RuntimeVersion: "v0"}
	if t.Job.Op == runners.OpPrepare {
		out.Events = append(out.Events, runners.Event{Type: runners.EventArtifact, ArtifactBytes: 10})
		return out, nil
	}
	stdout, stderr, err := f.print(t.Cell)
	if err != nil {
		out.Err = err
		return out, nil
	}
	n := 1
	if t.Job.Op == runners.OpWarm {
		n = t.Job.Warmup + t.Job.Iterations
	}
	for i := 0; i < n; i++ {
		warm := t.Job.Op == runners.OpWarm && i < t.Job.Warmup
		for _, p := range []string{runners.PhaseInit, runners.PhaseCompile, runners.PhaseInstantiate, runners.PhaseExecute} {
			out.Events = append(out.Events, runners.Event{Type: runners.EventPhase, Phase: p, Iteration: i, Warmup: warm, NS: 1000})
		}
		sum := sha256.Sum256([]byte(stdout))
		o := &runners.Output{StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(len(stdout)), Stderr: stderr}
		o.StdoutHead = stdout
		if len(stdout) > 256 {
			o.StdoutHead = stdout[:256]
		}
		if t.Job.KeepStdout {
			o.Stdout = []byte(stdout)
		}
		out.Events = append(out.Events, runners.Event{Type: runners.EventOutput, Iteration: i, Warmup: warm, Output: o})
	}
	if t.Job.Op == runners.OpCold {
		out.Spawn, out.Total = time.Millisecond, 2*time.Millisecond
	}
	return out, nil
}

func fakeRuntimes() []*Runtime {
	return []*Runtime{
		{RuntimeSpec: RuntimeSpec{Name: "wazero", Binary: "bench-wazero"}, Version: "v1", Tiers: []runners.TierInfo{{Name: "jit"}, {Name: "interp"}}},
		{RuntimeSpec: RuntimeSpec{Name: "wasmer", Binary: "bench-wasmer"}, Version: "v2", Tiers: []runners.TierInfo{{Name: "jit"}}},
	}
}

// customRun runs mods through f and returns the records.
func customRun(t *testing.T, f *customFake, out string, mods ...CustomModule) []results.Record {
	t.Helper()
	o := Defaults(true)
	o.Custom, o.Seed, o.MinWarm, o.MaxWarm = mods, 1, 1, 1
	res, err := Run(context.Background(), Config{Options: o, Out: out, BinDir: t.TempDir(),
		Targets: map[string]deploy.Target{"local": f}, Runtimes: fakeRuntimes(), Preparer: f})
	if err != nil {
		t.Fatal(err)
	}
	return res.Records
}

func failures(recs []results.Record) map[string]results.Record {
	out := map[string]results.Record{}
	for _, r := range recs {
		if r.Kind == results.KindFailure {
			out[r.Runtime+"/"+r.Tier+"/"+r.Workload] = r
		}
	}
	return out
}

func verifiedSamples(recs []results.Record, workload string) (verified, unverified int) {
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Workload == workload && r.Unit == results.UnitNS {
			if r.Verified {
				verified++
			} else {
				unverified++
			}
		}
	}
	return
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCustomExpectedOutputs(t *testing.T) {
	dir := t.TempDir()
	mod := filepath.Join(sightglassDir, "checksum.wasm")
	good := CustomModule{Name: "good", Path: mod, ExpectStdout: writeFile(t, dir, "good.out", "a\nb\n"),
		ExpectStderr: writeFile(t, dir, "good.err", "log\n")}
	badOut := CustomModule{Name: "badout", Path: mod, ExpectStdout: writeFile(t, dir, "badout.out", "a\nc\n")}
	badErr := CustomModule{Name: "baderr", Path: mod, ExpectStdout: good.ExpectStdout, ExpectStderr: writeFile(t, dir, "baderr.err", "log\nmore\n")}
	f := &customFake{print: func(c results.Cell) (string, string, *runners.Error) { return "a\nb\n", "log\n", nil }}
	recs := customRun(t, f, filepath.Join(dir, "run"), good, badOut, badErr)
	fails := failures(recs)
	if len(fails) != 6 {
		t.Errorf("%d failures, want 6 (badout and baderr on 3 runtime tiers): %v", len(fails), fails)
	}
	for key, r := range fails {
		var want string
		switch r.Workload {
		case "badout":
			want = `not verified: iteration 0: stdout differs from badout.out: line 2: expected "c", got "b"`
		case "baderr":
			want = `not verified: iteration 0: stderr differs from baderr.err: line 2: expected "more", got the end of the output (1 lines)`
		default:
			t.Errorf("%s failed: %s", key, r.Error)
			continue
		}
		if r.Error != want {
			t.Errorf("%s: %q\nwant %q", key, r.Error, want)
		}
	}
	for _, w := range []string{"badout", "baderr"} {
		if v, _ := verifiedSamples(recs, w); v != 0 {
			t.Errorf("%s: %d verified samples from a wrong output", w, v)
		}
	}
	if v, u := verifiedSamples(recs, "good"); v == 0 || u != 0 {
		t.Errorf("good: %d verified, %d unverified samples", v, u)
	}
	// The first cold job of each cell asks for the whole stdout (for the
	// diff), later ones do not.
	kept := map[string]int{}
	for _, task := range f.tasks {
		if task.Job.KeepStdout {
			kept[task.Cell.Key()]++
			if task.Job.Op != runners.OpCold {
				t.Errorf("a %s job asked for the whole stdout", task.Job.Op)
			}
		}
	}
	if len(kept) == 0 {
		t.Error("no job asked for the whole stdout")
	}
	for k, n := range kept {
		if n != 1 {
			t.Errorf("%s: %d jobs kept the whole stdout, want 1", k, n)
		}
	}
}

func TestCustomRuntimesMustAgree(t *testing.T) {
	dir := t.TempDir()
	mod := CustomModule{Name: "checksum", Path: filepath.Join(sightglassDir, "checksum.wasm")}
	agree := func(results.Cell) (string, string, *runners.Error) { return "42\n", "took 3 ms\n", nil }
	out := filepath.Join(dir, "agree")
	recs := customRun(t, &customFake{print: agree}, out, mod)
	if f := failures(recs); len(f) != 0 {
		t.Fatalf("runtimes that agree failed: %v", f)
	}
	if v, u := verifiedSamples(recs, "checksum"); v == 0 || u != 0 {
		t.Errorf("%d verified, %d unverified samples", v, u)
	}
	i := slices.IndexFunc(recs, func(r results.Record) bool {
		return r.Kind == results.KindNote && strings.HasPrefix(r.Note, "checksum has no expected stdout: the first output, from ")
	})
	if i < 0 {
		t.Fatal("no note says which output is the reference")
	}
	ref, err := os.ReadFile(filepath.Join(out, "modules", "checksum.stdout.reference"))
	if err != nil || string(ref) != "42\n" {
		t.Errorf("saved reference %q, %v", ref, err)
	}

	// wasmer disagrees with wazero's two tiers: whichever came first is
	// the reference, and the cells that differ fail naming it.
	disagree := func(c results.Cell) (string, string, *runners.Error) {
		if c.Runtime == "wasmer" {
			return "41\n", "", nil
		}
		return "42\n", "", nil
	}
	refs := map[string]bool{}
	for seed := int64(1); seed <= 30 && len(refs) < 3; seed++ {
		o := Defaults(true)
		o.Custom, o.Seed = []CustomModule{mod}, seed
		res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(dir, "disagree", strconv.FormatInt(seed, 10)),
			BinDir: dir, Targets: map[string]deploy.Target{"local": &customFake{print: disagree}}, Runtimes: fakeRuntimes()})
		if err != nil {
			t.Fatal(err)
		}
		var ref string
		for _, r := range res.Records {
			if r.Kind == results.KindNote {
				if _, after, ok := strings.Cut(r.Note, "the first output, from "); ok {
					ref, _, _ = strings.Cut(after, " (")
				}
			}
		}
		refs[ref] = true
		fails := failures(res.Records)
		wantFailed := []string{"wasmer/jit/checksum"}
		got, want := `"41"`, `"42"`
		if ref == "wasmer/jit" {
			wantFailed = []string{"wazero/interp/checksum", "wazero/jit/checksum"}
			got, want = want, got
		}
		if len(fails) != len(wantFailed) {
			t.Errorf("seed %d, reference %q: failures %v; want %v", seed, ref, fails, wantFailed)
		}
		for _, k := range wantFailed {
			msg := "not verified: iteration 0: stdout disagrees with that of " + ref + " (local), the reference for checksum " +
				"since no expected stdout was given: line 1: expected " + want + ", got " + got
			if fails[k].Error != msg {
				t.Errorf("seed %d: %s: %q\nwant %q", seed, k, fails[k].Error, msg)
			}
		}
	}
	if !refs["wasmer/jit"] || len(refs) < 2 {
		t.Errorf("references over the seeds: %v; want wasmer/jit and a wazero tier (change the seeds)", refs)
	}
}

func TestCustomFailureOfOneRuntime(t *testing.T) {
	mod := CustomModule{Name: "simd", Path: filepath.Join(sightglassDir, "simd.wasm"),
		ExpectStdout: filepath.Join(sightglassDir, "simd.stdout.expected")}
	f := &customFake{print: func(c results.Cell) (string, string, *runners.Error) {
		if c.Runtime == "wasmer" {
			return "", "", runners.Errorf(runners.KindCompile, "wasmer: compile simd.wasm: singlepass compiler: Compilation error: not yet implemented: V128Const")
		}
		return "sum 3276000\n", "", nil
	}}
	recs := customRun(t, f, filepath.Join(t.TempDir(), "run"), mod)
	fails := failures(recs)
	if len(fails) != 1 || fails["wasmer/jit/simd"].ErrorKind != string(runners.KindUnsupported) ||
		!strings.HasPrefix(fails["wasmer/jit/simd"].Error, "simd.wasm uses SIMD, which this runtime and tier reject") {
		t.Errorf("failures %+v; want wasmer/jit only, unsupported, naming SIMD", fails)
	}
	if v, _ := verifiedSamples(recs, "simd"); v == 0 {
		t.Error("the other runtimes recorded no verified samples")
	}
}

// TestSightglassModulesMatchSources rebuilds each committed test module
// with the command in its source's header comment and compares the bytes.
func TestSightglassModulesMatchSources(t *testing.T) {
	for _, tool := range []string{"clang", "wasm-ld", "wasm-strip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
			}
			t.Skipf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
		}
	}
	srcs, _ := filepath.Glob(filepath.Join(sightglassDir, "*.c"))
	if len(srcs) != 7 {
		t.Fatalf("%d C sources in %s, want 7", len(srcs), sightglassDir)
	}
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var cmd string
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "//") {
				break
			}
			if c := strings.TrimSpace(strings.TrimPrefix(line, "//")); strings.Contains(c, "-o "+name+".wasm ") {
				cmd = c
			}
		}
		if cmd == "" {
			t.Errorf("%s: no build command in the header comment", src)
			continue
		}
		dir := t.TempDir()
		for _, f := range []string{filepath.Base(src), "bench.h"} {
			data, err := os.ReadFile(filepath.Join(sightglassDir, f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, f, string(data))
		}
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s: %s: %v\n%s", name, cmd, err, out)
			continue
		}
		got, _ := os.ReadFile(filepath.Join(dir, name+".wasm"))
		want, _ := os.ReadFile(filepath.Join(sightglassDir, name+".wasm"))
		if !bytes.Equal(got, want) {
			t.Errorf("%s.wasm does not match its source (%d bytes rebuilt, %d committed): run make custom-testdata", name, len(got), len(want))
		}
	}
}

// TestConformanceCopyOfSightglass: the conformance suite embeds a copy of
// the Sightglass folder's modules, expected files and input.
func TestConformanceCopyOfSightglass(t *testing.T) {
	const copyDir = "../../runners/conformance/testdata/custom"
	var want []string
	for _, pat := range []string{"*.wasm", "*.expected", "input.txt"} {
		m, _ := filepath.Glob(filepath.Join(sightglassDir, pat))
		want = append(want, m...)
	}
	entries, err := os.ReadDir(copyDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%s holds %d files, %s %d to copy: run make custom-testdata", copyDir, len(entries), sightglassDir, len(want))
	}
	for _, p := range want {
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(copyDir, filepath.Base(p)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s is not a copy of %s (%v): run make custom-testdata", filepath.Join(copyDir, filepath.Base(p)), p, err)
		}
	}
}

func TestCustomEmptyExpectationAndReusedOptions(t *testing.T) {
	dir := t.TempDir()
	mods := []CustomModule{
		{Name: "quiet", Path: filepath.Join(sightglassDir, "checksum.wasm"), ExpectStdout: writeFile(t, dir, "quiet.out", "")},
		{Name: "free", Path: filepath.Join(sightglassDir, "checksum.wasm")},
	}
	print := func(out string) func(results.Cell) (string, string, *runners.Error) {
		return func(c results.Cell) (string, string, *runners.Error) {
			if c.Workload == "quiet" {
				return "", "", nil
			}
			return out, "", nil
		}
	}
	// The same modules (and so the same Options) in two runs: the second
	// has a reference of its own.
	for i, out := range []string{"42\n", "41\n"} {
		recs := customRun(t, &customFake{print: print(out)}, filepath.Join(dir, strconv.Itoa(i)), mods...)
		if f := failures(recs); len(f) != 0 {
			t.Errorf("run %d: failures %v", i, f)
		}
		if v, u := verifiedSamples(recs, "quiet"); v == 0 || u != 0 {
			t.Errorf("run %d: an empty expected stdout: %d verified, %d unverified samples", i, v, u)
		}
		if !slices.ContainsFunc(recs, func(r results.Record) bool {
			return r.Kind == results.KindNote && strings.HasPrefix(r.Note, "free has no expected stdout")
		}) {
			t.Errorf("run %d: no reference note", i)
		}
	}
}
