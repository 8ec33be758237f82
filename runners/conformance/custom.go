package conformance

import (
	"embed"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
)

// The bring-your-own-wasm suite: C modules in the Sightglass benchmark
// layout (copies of the repository's testdata/sightglass, where their
// sources are; make custom-testdata refreshes them), run as a user's
// modules are, with the folder preopened as the guest's working directory.
//
//go:embed testdata/custom
var customFS embed.FS

// CustomConfig says which worker RunCustom tests.
type CustomConfig struct {
	Command client.Command
	// Runtime is the name the worker's hello must carry.
	Runtime string
	// Tiers to test; nil means every tier the hello marks available.
	Tiers []string
	// Rejects lists the "tier/module" pairs this runtime is known to
	// refuse ("baseline/simd"): the job must then fail at compile or
	// prepare with KindCompile or KindUnsupported and a message naming the
	// feature; every other pair must run. The feature modules are simd
	// (fixed-width SIMD) and atomics (the threads proposal's atomic
	// instructions).
	Rejects []string
	// JobTimeout bounds each job; 0 means 2 minutes.
	JobTimeout time.Duration
}

// featureWords are words by which a runtime's message may name the
// feature a feature module needs.
var featureWords = map[string][]string{
	"simd":    {"simd", "v128"},
	"atomics": {"thread", "atomic"},
}

// CustomModules are the suite's modules, in the order it runs them.
var CustomModules = []string{"checksum", "logs", "wrong", "trap", "missing", "simd", "atomics"}

// RunCustom runs the bring-your-own-wasm suite against a wasm runner's
// worker: for each tier, each module of testdata/custom cold (with the
// folder preopened as "."), checking what a Sightglass benchmark needs:
// execute narrowed by bench.start/bench.end and the whole _start as
// execute_all, the input file read through the preopen (and from stdin),
// stdout and stderr equal to the .expected files (the whole stdout asked
// for with KeepStdout), a warm job whose every execution is narrowed and
// verified, the trap as KindTrap, the missing import as KindUnsupported
// naming env.host_secret, and the feature modules either run and verified
// or, where CustomConfig.Rejects says so, refused naming the feature.
func RunCustom(t *testing.T, c CustomConfig) {
	t.Helper()
	if c.JobTimeout == 0 {
		c.JobTimeout = 2 * time.Minute
	}
	dir := t.TempDir()
	if err := writeCustom(dir); err != nil {
		t.Fatal(err)
	}
	s := &suite{c: Config{Command: c.Command, Runtime: c.Runtime, Tiers: c.Tiers, JobTimeout: c.JobTimeout}, dir: dir}
	h, err := client.Info(t.Context(), c.Command)
	if err != nil {
		t.Fatalf("start worker %s: %v", c.Command.Path, err)
	}
	if h.Runtime != c.Runtime {
		t.Fatalf("hello runtime %q, want %q", h.Runtime, c.Runtime)
	}
	s.hello = h
	for _, r := range c.Rejects {
		tier, mod, ok := strings.Cut(r, "/")
		if !ok || !slices.Contains(CustomModules, mod) || !slices.ContainsFunc(h.Tiers, func(ti runners.TierInfo) bool { return ti.Name == tier }) {
			t.Errorf("CustomConfig.Rejects: %q is not tier/module with a tier of %s and a module of %v", r, c.Runtime, CustomModules)
		}
	}
	for _, tier := range s.tiers(t) {
		t.Run(tier.Name, func(t *testing.T) {
			if tier.Unavailable != "" {
				t.Skipf("%s tier %s is unavailable here: %s", c.Runtime, tier.Name, tier.Unavailable)
			}
			for _, mod := range CustomModules {
				t.Run(mod, func(t *testing.T) {
					cs := &customSuite{suite: s, tier: tier, mod: mod,
						reject: slices.Contains(c.Rejects, tier.Name+"/"+mod)}
					cs.test(t)
				})
			}
		})
	}
}

// writeCustom writes the embedded Sightglass folder into dir.
func writeCustom(dir string) error {
	entries, err := customFS.ReadDir("testdata/custom")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := customFS.ReadFile(path.Join("testdata/custom", e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type customSuite struct {
	*suite
	tier   runners.TierInfo
	mod    string
	reject bool
}

func (cs *customSuite) expected(t *testing.T, stream string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cs.dir, cs.mod+"."+stream+".expected"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// job is a job for the module with the folder preopened as "."; on a
// prepared tier the module is prepared first, and a failed prepare is
// returned as the outcome.
func (cs *customSuite) job(t *testing.T, op runners.Op) (runners.Job, *result) {
	t.Helper()
	ref := runners.ModuleRef{Name: cs.mod + ".wasm", Path: filepath.Join(cs.dir, cs.mod+".wasm")}
	job := runners.Job{ID: cs.id(), Op: op, Tier: cs.tier.Name, Module: ref, KeepStdout: true,
		Dirs: []runners.Preopen{{Host: cs.dir, Guest: "."}}, TimeoutNS: int64(cs.c.JobTimeout)}
	if cs.tier.Prepared {
		job.ArtifactDir = filepath.Join(t.TempDir(), "artifact")
		prep := job
		prep.ID, prep.Op = cs.id(), runners.OpPrepare
		r := cs.run(t, prep)
		if r.err != nil {
			return job, &r
		}
	}
	return job, nil
}

func (cs *customSuite) test(t *testing.T) {
	job, failed := cs.job(t, runners.OpCold)
	var r result
	if failed != nil {
		r = *failed
	} else {
		r = cs.run(t, job)
	}
	_, feature := featureWords[cs.mod]
	switch {
	case cs.mod == "trap":
		r.wantKind(t, "a module executing unreachable", runners.KindTrap)
		return
	case cs.mod == "missing":
		r.wantKind(t, "a module importing env.host_secret", runners.KindUnsupported)
		if !strings.Contains(r.err.Message, "host_secret") {
			t.Errorf("the error does not name the missing import env.host_secret: %s", r.err.Message)
		}
		return
	case cs.reject:
		r.wantKind(t, cs.mod+" on "+cs.tier.Name+" (listed in CustomConfig.Rejects)", runners.KindCompile, runners.KindUnsupported)
		msg := strings.ToLower(strings.ReplaceAll(r.err.Message, cs.mod+".wasm", ""))
		if !slices.ContainsFunc(featureWords[cs.mod], func(w string) bool { return strings.Contains(msg, w) }) {
			t.Errorf("the rejection of %s does not name its feature (any of %q): %s", cs.mod, featureWords[cs.mod], r.err.Message)
		}
		return
	case feature && r.err != nil:
		t.Fatalf("%s %s rejects %s, which CustomConfig.Rejects does not list: %s: %s", cs.c.Runtime, cs.tier.Name, cs.mod, r.err.Kind, r.err.Message)
	}
	r.wantOK(t, cs.mod)
	checkCold(t, r, cs.tier, results.PhaseExecuteAll)
	checkNarrowed(t, r, 0)
	cs.checkOutputs(t, r, 1)

	if cs.mod == "checksum" {
		// The same input through stdin ("-"), with nothing preopened.
		in, _ := cs.job(t, runners.OpCold)
		in.Args, in.StdinPath, in.Dirs = []string{"-"}, filepath.Join(cs.dir, "input.txt"), nil
		r := cs.run(t, in)
		r.wantOK(t, "checksum - < input.txt")
		cs.checkOutputs(t, r, 1)

		// A warm process: every execution a fresh instance, each narrowed.
		job, _ := cs.job(t, runners.OpWarm)
		job.Warmup, job.Iterations = 1, 2
		w := cs.run(t, job)
		w.wantOK(t, "warm "+cs.mod)
		for i := 0; i < 3; i++ {
			checkNarrowed(t, w, i)
		}
		cs.checkOutputs(t, w, 3)
	}
}

// checkNarrowed checks that execution iter reported execute (bench.start
// to bench.end) shorter than execute_all (the whole _start).
func checkNarrowed(t *testing.T, r result, iter int) {
	t.Helper()
	var ex, all []runners.Event
	for _, ev := range r.events(runners.EventPhase) {
		if ev.Iteration != iter {
			continue
		}
		switch ev.Phase {
		case results.PhaseExecute:
			ex = append(ex, ev)
		case results.PhaseExecuteAll:
			all = append(all, ev)
		}
	}
	if len(ex) != 1 || len(all) != 1 {
		t.Fatalf("iteration %d: %d execute and %d execute_all phases, want 1 each (phases: %s)", iter, len(ex), len(all), phaseList(r))
	}
	if ex[0].NS <= 0 || ex[0].NS >= all[0].NS {
		t.Errorf("iteration %d: execute %s is not within execute_all %s: bench.start/bench.end did not narrow it", iter, ms(ex[0].NS), ms(all[0].NS))
	}
}

// checkOutputs checks n outputs against the module's expected files
// (for "wrong", that they differ from its deliberately wrong
// expectation on line 2).
func (cs *customSuite) checkOutputs(t *testing.T, r result, n int) {
	t.Helper()
	outs := r.events(runners.EventOutput)
	if len(outs) != n {
		t.Fatalf("%d output events, want %d", len(outs), n)
	}
	wantOut, wantErr := cs.expected(t, "stdout"), cs.expected(t, "stderr")
	for _, ev := range outs {
		o := ev.Output
		if o.Stdout == nil && o.StdoutBytes > 0 {
			t.Errorf("iteration %d: KeepStdout was set but the output has no stdout (head %q)", ev.Iteration, o.StdoutHead)
		}
		got := string(o.Stdout)
		if cs.mod == "wrong" {
			if got == wantOut || !strings.Contains(got, "answer 42\n") {
				t.Errorf("iteration %d: stdout %q; want the real answer 42, which wrong.stdout.expected (%q) gets wrong", ev.Iteration, got, wantOut)
			}
		} else if err := workloads.Exact(wantOut).Check(o); err != nil || got != wantOut {
			t.Errorf("iteration %d: stdout %q, want %q (%v)", ev.Iteration, got, wantOut, err)
		}
		if o.Stderr != wantErr {
			t.Errorf("iteration %d: stderr %q, want %q", ev.Iteration, o.Stderr, wantErr)
		}
	}
}
