package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/wasmbench/bench/deploy/pricing"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

// sightglassModules reads testdata/sightglass as bench deploy aws --wasm
// does and keeps the named modules.
func sightglassModules(t *testing.T, names ...string) []custom.Module {
	t.Helper()
	all, err := custom.Load([]string{filepath.Join(srcDir, "testdata", "sightglass")}, nil, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []custom.Module
	for _, m := range all {
		if slices.Contains(names, m.Name) {
			out = append(out, m)
		}
	}
	if len(out) != len(names) {
		t.Fatalf("found %d of the modules %v in testdata/sightglass", len(out), names)
	}
	return out
}

// customCells plans wazero jit cells of custom modules for aws-lambda.
func customCells(t *testing.T, mods []custom.Module) ([]*run.Cell, []results.Record) {
	t.Helper()
	o := run.Options{Runtimes: []string{"wazero"}, Tiers: []string{"jit"}, Custom: mods}
	c, n, err := run.Plan(o, run.Discover(context.Background(), binDir), []string{Target}, binDir)
	if err != nil {
		t.Fatal(err)
	}
	return c, n
}

// TestDeployCustomModules deploys Sightglass-layout modules (--wasm
// testdata/sightglass) through the fake cloud, each invocation running the
// real bootstrap: checksum reads input.txt from its folder, shipped in the
// package and preopened as ".", and is verified against its expected
// files with execute narrowed to bench.start..bench.end; wrong's output
// is a failure with the line diff, never a verified sample; missing's
// refusal at init names the import.
func TestDeployCustomModules(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Cells, e.o.Notes = customCells(t, sightglassModules(t, "checksum", "wrong", "missing"))
	e.o.Cold, e.o.Warm = 1, 1
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if len(res.Functions) != 3 || res.Failed != 2 {
		t.Errorf("%d functions, %d failed; want 3 and 2 (wrong, missing)\n%s", len(res.Functions), res.Failed, e.log)
	}
	for _, f := range res.Functions {
		if f.Name != "bench-"+res.RunID+"-wazero-jit-"+f.Cell.Workload+"-wasm-x86-512-zip" {
			t.Errorf("function name %q", f.Name)
		}
		a := f.Artifact
		var names []string
		for _, pf := range a.Files {
			names = append(names, pf.Name)
		}
		// The folder travels as lambda-local ships it.
		for _, want := range []string{"bootstrap", "task/" + f.Cell.Workload + ".wasm", "task/dirs/0/input.txt", "task/dirs/0/checksum.wasm"} {
			if !slices.Contains(names, want) {
				t.Errorf("%s: package has no %s: %v", f.Cell.Workload, want, names)
			}
		}
		if len(a.Dirs) != 1 || a.Dirs[0] != (runners.Preopen{Host: "task/dirs/0", Guest: "."}) || a.InputBytes == 0 {
			t.Errorf("%s: preopens %+v, input bytes %d", f.Cell.Workload, a.Dirs, a.InputBytes)
		}
		if a.Env[runners.EnvModuleName] != f.Cell.Workload+".wasm" {
			t.Errorf("%s: argv[0] %q", f.Cell.Workload, a.Env[runners.EnvModuleName])
		}
	}

	recs := e.records(t)
	byModule := map[string][]results.Record{}
	for _, r := range recs {
		if r.Kind == results.KindEnv {
			continue
		}
		byModule[r.Workload] = append(byModule[r.Workload], r)
		if r.Kind != results.KindNote && (r.Lang != "wasm" || r.Target != Target || r.Param != "" || r.Runtime != "wazero") {
			t.Errorf("record has the wrong cell: %+v", r)
		}
	}

	// checksum: verified, and execute is the region inside execute_all.
	cs := byModule["checksum"]
	if f := kinds(cs, results.KindFailure); len(f) > 0 {
		t.Fatalf("checksum failed: %+v\n%s", f, e.log)
	}
	exec, all := samples(cs, results.PhaseExecute), samples(cs, results.PhaseExecuteAll)
	if len(exec) != 2 || len(all) != 2 {
		t.Fatalf("checksum: %d execute and %d execute_all samples, want 2 each", len(exec), len(all))
	}
	for i := range exec {
		if !exec[i].Verified || !all[i].Verified || exec[i].Cold != all[i].Cold {
			t.Errorf("checksum: execute %+v, execute_all %+v: want both verified", exec[i], all[i])
		}
		// bench.start..bench.end lies inside _start, after 2M unmeasured
		// loop iterations: a nesting, not a timing threshold.
		if exec[i].Value >= all[i].Value {
			t.Errorf("checksum: execute %.0f ns is not inside execute_all %.0f ns", exec[i].Value, all[i].Value)
		}
		t.Logf("checksum (cold %v): execute / execute_all = %.2f", exec[i].Cold, exec[i].Value/all[i].Value)
	}
	if got := len(samples(cs, results.PhaseInitDuration)); got != 1 {
		t.Errorf("checksum: %d init_duration samples, want 1", got)
	}

	// wrong: failures with the diff, no verified execution.
	wr := byModule["wrong"]
	fails := kinds(wr, results.KindFailure)
	if len(fails) != 2 {
		t.Fatalf("wrong: %d failures, want 2 (cold and warm): %+v", len(fails), wr)
	}
	for _, f := range fails {
		if f.ErrorKind != string(runners.KindOutput) || !strings.Contains(f.Error, `wrong.stdout.expected: line 2: expected "answer 41", got "answer 42"`) {
			t.Errorf("wrong: failure %s: %s", f.ErrorKind, f.Error)
		}
	}
	for _, r := range kinds(wr, results.KindSample) {
		if r.Verified && r.Phase != results.PhasePackageBytes {
			t.Errorf("wrong: a verified sample: %+v", r)
		}
	}

	// missing: the bootstrap's init refuses it, naming the import.
	ms := kinds(byModule["missing"], results.KindFailure)
	if len(ms) == 0 || ms[0].ErrorKind != string(runners.KindUnsupported) || !strings.Contains(ms[0].Error, "host_secret") {
		t.Errorf("missing: failures %+v", ms)
	}
	t.Logf("log:\n%s", e.log)
}

// TestCustomAgreementAcrossConfigurations checks, without a cloud, how the
// outputs of a module without an expected stdout are judged: the first
// configuration's output becomes the reference (and a note says so),
// another configuration printing the same is verified, one printing
// something else fails with a diff naming the reference.
func TestCustomAgreementAcrossConfigurations(t *testing.T) {
	mods, err := custom.Load([]string{filepath.Join(srcDir, "testdata", "sightglass", "logs.wasm")}, nil, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &mods[0]
	if c.ExpectStdout != "" {
		t.Fatalf("a single file has no expected stdout: %+v", c)
	}
	v, err := c.NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	chk := verifier{v}
	o := &Options{Prices: pricing.Default}
	fn := func(mem int) *Function {
		return &Function{Cell: results.Cell{Runtime: "wazero", Tier: "jit", Workload: c.Name, Lang: "wasm", Target: Target},
			Arch: ArchX86, MemoryMB: mem, Package: PackageZip, Custom: c, Artifact: &Artifact{}, chk: chk}
	}
	output := func(s string) runners.Output {
		sum := sha256.Sum256([]byte(s))
		return runners.Output{StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(len(s)), StdoutHead: s}
	}
	invoke := func(mem int, stdout string) []results.Record {
		var got []results.Record
		out := output(stdout)
		m := &measurer{o: o, f: fn(mem), chk: chk, out: func(r ...results.Record) error { got = append(got, r...); return nil }}
		inv := invocation{kind: "cold", report: lambdareport.Report{RequestID: "r", Duration: 3 * time.Millisecond, BilledDuration: 3 * time.Millisecond, Cold: true, InitDuration: 10 * time.Millisecond},
			resp: runners.LambdaResponse{Events: []runners.Event{
				{Type: runners.EventPhase, Phase: results.PhaseExecute, NS: 1000},
				{Type: runners.EventOutput, Output: &out}}}}
		if err := m.record(inv); err != nil {
			t.Fatal(err)
		}
		return got
	}

	first := invoke(128, "sum 3276000\n")
	notes := kinds(first, results.KindNote)
	if len(notes) != 1 || !strings.Contains(notes[0].Note, "is the reference") || !strings.Contains(notes[0].Note, "128 MB") {
		t.Errorf("first output: notes %+v", notes)
	}
	if ex := samples(first, results.PhaseExecute); len(ex) != 1 || !ex[0].Verified {
		t.Errorf("first output: execute %+v", ex)
	}

	same := invoke(1024, "sum 3276000\n")
	if ex := samples(same, results.PhaseExecute); len(ex) != 1 || !ex[0].Verified || len(kinds(same, results.KindNote)) != 0 {
		t.Errorf("agreeing output: %+v", same)
	}

	other := invoke(512, "sum 3276001\n")
	if ex := samples(other, results.PhaseExecute); len(ex) != 1 || ex[0].Verified {
		t.Errorf("disagreeing output: execute %+v", ex)
	}
	f := kinds(other, results.KindFailure)
	if len(f) != 1 || f[0].ErrorKind != string(runners.KindOutput) ||
		!strings.Contains(f[0].Error, `disagrees with that of wazero/jit (aws-lambda, x86_64, 128 MB, zip)`) ||
		!strings.Contains(f[0].Error, `line 1: expected "sum 3276000", got "sum 3276001"`) {
		t.Errorf("disagreeing output: failures %+v", f)
	}
}

// TestCustomExpectedFileMissing: a --wasm module whose expected file
// vanished before the run fails before anything is created.
func TestCustomExpectedFileMissing(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(srcDir, "testdata", "sightglass", "logs.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	mod, exp := filepath.Join(dir, "logs.wasm"), filepath.Join(dir, "expected")
	for p, b := range map[string][]byte{mod: src, exp: []byte("x\n")} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mods, err := custom.Load([]string{mod}, nil, "", nil, exp)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(exp)
	e := newTestEnv(t, fib)
	e.o.Cells, e.o.Notes = customCells(t, mods)
	if _, err := Run(context.Background(), e.o); err == nil || !strings.Contains(err.Error(), "expected stdout of logs") {
		t.Fatalf("Run: err = %v", err)
	}
	if e.cloud.Lambda.Creates != 0 || len(e.cloud.Leftovers()) != 0 {
		t.Errorf("something was created: %d functions, %v", e.cloud.Lambda.Creates, e.cloud.Leftovers())
	}
}

// TestDryRunCustomModules: the plan lists each --wasm module with its
// inputs, how it is checked, that its preopens are read-only on Lambda,
// and its package sizes; nothing is sent.
func TestDryRunCustomModules(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Cells, e.o.Notes = customCells(t, sightglassModules(t, "checksum"))
	e.o.DryRun, e.o.Region = true, ""
	e.o.Packages = []string{PackageZip, PackageImage}
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log)
	}
	if n := e.tr.n.Load() + e.cloud.Requests.Load(); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
	out := e.log.String()
	var zipSize string
	for _, f := range res.Functions {
		if f.Package == PackageZip {
			zipSize = fmtBytes(f.Artifact.Bytes)
		}
	}
	for _, want := range []string{"--wasm modules (1)", "read-only at /var/task", "checksum: checksum.wasm",
		`preopens ` + filepath.Join(srcDir, "testdata", "sightglass") + ` as "."`, "checked against checksum.stdout.expected and checksum.stderr.expected",
		"packages: wazero/jit x86_64 zip " + zipSize + "; wazero/jit x86_64 image", "2 functions"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
}

func TestFunctionErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		inv  invocation
		rep  lambdareport.Report
		kind runners.ErrorKind
		msg  string
	}{
		{invocation{funcError: `Unhandled: {...}`, funcErrType: "Bench.compile", funcErrMsg: "wasmer: compile simd.wasm: V128Const"}, lambdareport.Report{},
			runners.KindCompile, "function error (Bench.compile): wasmer: compile simd.wasm: V128Const"},
		{invocation{funcError: `Unhandled: {"errorType":"Sandbox.Timedout"}`, funcErrType: "Sandbox.Timedout"}, lambdareport.Report{Status: "timeout"},
			runners.KindTimeout, "function error: Unhandled"},
		{invocation{funcError: `Unhandled: {"errorType":"Runtime.OutOfMemory"}`, funcErrType: "Runtime.OutOfMemory"}, lambdareport.Report{},
			runners.KindMemory, "OutOfMemory"},
		{invocation{funcError: `Unhandled: {"errorType":"Runtime.ExitError"}`, funcErrType: "Runtime.ExitError"}, lambdareport.Report{},
			runners.KindCrash, "Runtime.ExitError"},
	} {
		e := functionError(tc.inv, tc.rep)
		if e.Kind != tc.kind || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%+v: %s %q; want %s and %q", tc.inv, e.Kind, e.Message, tc.kind, tc.msg)
		}
	}
}

// TestCustomRequest: an invocation of a --wasm module carries its
// arguments, the packaged stdin file and preopens, and the first cold one
// asks for the whole stdout when an expected stdout is there to diff.
func TestCustomRequest(t *testing.T) {
	mods := sightglassModules(t, "checksum")
	mods[0].Args = []string{"input.txt"}
	v, err := mods[0].NewVerifier()
	if err != nil {
		t.Fatal(err)
	}
	a := &Artifact{StdinPath: "task/input/in.txt", Dirs: []runners.Preopen{{Host: "task/dirs/0", Guest: "."}}}
	m := &measurer{o: &Options{Timeout: 30e9}, f: &Function{Custom: &mods[0], Artifact: a}, chk: verifier{v}}
	first := m.request("cold", 0, 0)
	if !slices.Equal(first.Args, []string{"input.txt"}) || first.StdinPath != a.StdinPath || !slices.Equal(first.Dirs, a.Dirs) ||
		!first.KeepStdout || first.TimeoutNS != 30e9 {
		t.Errorf("first cold request %+v", first)
	}
	if m.request("cold", 1, 0).KeepStdout || m.request("warm", 1, 0).KeepStdout {
		t.Errorf("only the first cold invocation should ask for the whole stdout")
	}
}
