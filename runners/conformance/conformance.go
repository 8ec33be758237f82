package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/registry"
	"github.com/wasmbench/bench/workloads"
)

// Config says which worker to test and what its runtime can do.
type Config struct {
	// Command starts the worker process.
	Command client.Command
	// Runtime is the name the worker's hello must carry ("wazero").
	Runtime string
	// Tiers to test; nil means every tier the hello marks available. A
	// listed tier that the hello marks unavailable is skipped, with the
	// hello's reason.
	Tiers []string
	// Workloads and Langs narrow the built-in workloads run; nil means all.
	Workloads []string
	Langs     []string
	// CanLimitMemory: the runtime enforces Job.MaxMemoryBytes.
	CanLimitMemory bool
	// CanInterrupt: the runtime stops a running guest at Job.TimeoutNS and
	// the worker serves the next job. Without it the worker must still
	// report KindTimeout, and may then exit.
	CanInterrupt bool
	// NativeDir, set for the native runner only, is the folder of native
	// executables (workloads.NativeName: "fib-c"). Modules are then
	// executables, not wasm, and the wasm-only checks are skipped.
	NativeDir string
	// Skip maps a subtest name below the suite ("jit/workloads/image/go",
	// "interp/memory") to why it cannot pass: for a runtime's documented
	// limitations, which then show in the test log.
	Skip map[string]string
	// JobTimeout bounds each job; 0 means 5 minutes.
	JobTimeout time.Duration
}

// Run runs the whole suite against the worker c.Command starts.
func Run(t *testing.T, c Config) {
	t.Helper()
	s := &suite{c: c, native: c.NativeDir != "", dir: t.TempDir()}
	if s.c.JobTimeout == 0 {
		s.c.JobTimeout = 5 * time.Minute
	}
	var err error
	if s.mods, err = writeModules(s.dir, s.native); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	s.hello, err = client.Info(ctx, c.Command)
	cancel()
	if err != nil {
		t.Fatalf("start worker %s: %v", c.Command.Path, err)
	}
	t.Run("hello", s.testHello)
	t.Run("protocol", s.testProtocol)
	for _, tier := range s.tiers(t) {
		t.Run(tier.Name, func(t *testing.T) {
			if tier.Unavailable != "" {
				t.Skipf("%s tier %s is unavailable here: %s", c.Runtime, tier.Name, tier.Unavailable)
			}
			s.testTier(t, tier)
		})
	}
}

type suite struct {
	c      Config
	native bool
	dir    string
	mods   map[string]string
	hello  runners.Event
	ids    atomic.Int64
}

// tiers are the tiers to test, as the hello describes them.
func (s *suite) tiers(t *testing.T) []runners.TierInfo {
	if s.c.Tiers == nil {
		var out []runners.TierInfo
		for _, ti := range s.hello.Tiers {
			if ti.Unavailable == "" {
				out = append(out, ti)
			}
		}
		if len(out) == 0 {
			t.Fatalf("%s offers no available tier: %+v", s.c.Runtime, s.hello.Tiers)
		}
		return out
	}
	var out []runners.TierInfo
	for _, name := range s.c.Tiers {
		i := slices.IndexFunc(s.hello.Tiers, func(ti runners.TierInfo) bool { return ti.Name == name })
		if i < 0 {
			t.Errorf("Config.Tiers names %q, which the hello does not list", name)
			continue
		}
		out = append(out, s.hello.Tiers[i])
	}
	return out
}

func (s *suite) skip(t *testing.T) {
	t.Helper()
	name := t.Name()
	if i := strings.Index(name, "/"); i >= 0 {
		name = name[i+1:] // drop the top-level test's name
	}
	if why, ok := s.c.Skip[name]; ok {
		t.Skipf("skipped by the runner's Config.Skip: %s", why)
	}
}

func (s *suite) testHello(t *testing.T) {
	h := s.hello
	if h.Type != runners.EventHello {
		t.Errorf("first event type %q, want hello", h.Type)
	}
	if h.Runtime != s.c.Runtime {
		t.Errorf("hello runtime %q, want %q", h.Runtime, s.c.Runtime)
	}
	if h.Version == "" {
		t.Error("hello has no version")
	}
	if h.StartUnixNano <= 0 {
		t.Error("hello has no start_unix_nano: the orchestrator cannot compute the spawn phase")
	}
	if len(h.Tiers) == 0 {
		t.Fatal("hello lists no tiers")
	}
	seen := map[string]bool{}
	for _, ti := range h.Tiers {
		if ti.Name == "" || ti.Description == "" {
			t.Errorf("tier %+v lacks a name or a description", ti)
		}
		if seen[ti.Name] {
			t.Errorf("tier %q listed twice", ti.Name)
		}
		seen[ti.Name] = true
	}
	checkRegistryTiers(t, s.c.Runtime, h.Tiers)
	t.Logf("%s %s, tiers %v", h.Runtime, h.Version, h.Tiers)
}

// checkRegistryTiers checks that a worker's hello lists the tiers the
// runtime registry lists for it, in the same order: the orchestrator plans
// from the hello, and the scheduler, report and deploy builder read the
// registry, so the two must not drift.
func checkRegistryTiers(t *testing.T, runtime string, tiers []runners.TierInfo) {
	t.Helper()
	rt, ok := registry.Lookup(runtime)
	if !ok {
		t.Errorf("runtime %q has no entry in runners/registry: a runtime is its registry entry plus its runner folder", runtime)
		return
	}
	var got []string
	for _, ti := range tiers {
		got = append(got, ti.Name)
	}
	if want := rt.TierNames(); !slices.Equal(got, want) {
		t.Errorf("hello tiers %v, the registry's tiers for %s %v: update one to match the other", got, runtime, want)
	}
}

// testProtocol feeds the worker what the client never sends: a line that
// is not a job, then a job for a tier that does not exist, and jobs for
// its unavailable tiers; then EOF, on which it must exit 0.
func (s *suite) testProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	raw, err := startRaw(ctx, s.c.Command)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.kill()
	if ev, err := raw.read(); err != nil || ev.Type != runners.EventHello {
		t.Fatalf("first line: %+v, %v; want hello", ev, err)
	}
	if err := raw.write("this is not a job\n"); err != nil {
		t.Fatal(err)
	}
	ev, err := raw.read()
	if err != nil {
		t.Fatalf("after a bad line: %v (stderr: %s)", err, raw.stderr.String())
	}
	if ev.Type != runners.EventError || ev.Error == nil || ev.Error.Kind != runners.KindBadJob {
		t.Errorf("after a bad line: %+v; want an error event of kind %s", ev, runners.KindBadJob)
	}

	jobs := []struct {
		tier string
		want runners.ErrorKind
	}{{"no-such-tier", runners.KindBadJob}}
	for _, ti := range s.hello.Tiers {
		if ti.Unavailable != "" {
			jobs = append(jobs, struct {
				tier string
				want runners.ErrorKind
			}{ti.Name, runners.KindUnsupported})
		}
	}
	for _, j := range jobs {
		job := runners.Job{ID: s.id(), Op: runners.OpCold, Tier: j.tier, Module: s.ref(modHello)}
		if err := raw.writeJob(job); err != nil {
			t.Fatal(err)
		}
		ev, err := raw.read()
		if err != nil {
			t.Fatalf("after a job for tier %q: %v (stderr: %s)", j.tier, err, raw.stderr.String())
		}
		if ev.Type != runners.EventError || ev.Job != job.ID || ev.Error == nil || ev.Error.Kind != j.want {
			t.Errorf("job for tier %q: %+v (error %+v); want an error event of kind %s for job %s", j.tier, ev, ev.Error, j.want, job.ID)
		} else if ev.Error.Message == "" {
			t.Errorf("job for tier %q: error without a message", j.tier)
		}
	}
	if err := raw.closeAndWait(); err != nil {
		t.Errorf("worker at EOF: %v (stderr: %s)", err, raw.stderr.String())
	}
}

func (s *suite) testTier(t *testing.T, tier runners.TierInfo) {
	t.Run("workloads", func(t *testing.T) {
		for _, w := range workloads.All() {
			if s.c.Workloads != nil && !slices.Contains(s.c.Workloads, w.Name) {
				continue
			}
			for _, lang := range w.Langs {
				if s.c.Langs != nil && !slices.Contains(s.c.Langs, lang) {
					continue
				}
				t.Run(w.Name+"/"+lang, func(t *testing.T) {
					s.skip(t)
					s.testWorkload(t, tier, w, lang)
				})
			}
		}
	})
	if tier.Prepared {
		t.Run("prepare", func(t *testing.T) { s.skip(t); s.testPrepare(t, tier) })
	}
	t.Run("warm", func(t *testing.T) { s.skip(t); s.testWarm(t, tier) })
	t.Run("callcost", func(t *testing.T) { s.skip(t); s.testCallCost(t, tier) })
	t.Run("soak", func(t *testing.T) { s.skip(t); s.testSoak(t, tier) })
	t.Run("corrupt", func(t *testing.T) { s.skip(t); s.testCorrupt(t, tier) })
	t.Run("trap", func(t *testing.T) { s.skip(t); s.testTrap(t, tier) })
	t.Run("exit", func(t *testing.T) { s.skip(t); s.testExit(t, tier) })
	t.Run("timeout", func(t *testing.T) { s.skip(t); s.testTimeout(t, tier) })
	t.Run("memory", func(t *testing.T) { s.skip(t); s.testMemory(t, tier) })
	t.Run("output", func(t *testing.T) { s.skip(t); s.testOutput(t, tier) })
	t.Run("missing-import", func(t *testing.T) { s.skip(t); s.testMissingImport(t, tier) })
	t.Run("bench-markers", func(t *testing.T) { s.skip(t); s.testBenchMarkers(t, tier) })
}

func (s *suite) id() string { return fmt.Sprintf("conformance-%d", s.ids.Add(1)) }

// ref names one of the test modules.
func (s *suite) ref(name string) runners.ModuleRef {
	p := s.mods[name]
	return runners.ModuleRef{Name: filepath.Base(p), Path: p}
}

// workloadModule is the module (or native executable) of a workload.
func (s *suite) workloadModule(t *testing.T, w *workloads.Workload, lang string) runners.ModuleRef {
	t.Helper()
	if s.native {
		p := filepath.Join(s.c.NativeDir, w.NativeName(lang))
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no native build of %s in %s: %v (build it with make, or see the runner's test)", w.NativeName(lang), s.c.NativeDir, err)
		}
		return runners.ModuleRef{Name: w.NativeName(lang), Path: p}
	}
	p := filepath.Join(s.dir, w.ModuleName(lang))
	if _, err := os.Stat(p); err != nil {
		b, err := w.Wasm(lang)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return runners.ModuleRef{Name: w.ModuleName(lang), Path: p}
}

// stdin is the path of a workload's input, or "".
func (s *suite) stdin(t *testing.T, w *workloads.Workload) string {
	t.Helper()
	if !w.HasStdin {
		return ""
	}
	p := filepath.Join(s.dir, w.Name+".input")
	if _, err := os.Stat(p); err != nil {
		if err := os.WriteFile(p, w.Stdin(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// job is a cold job on a tier; on a prepared tier its module is prepared
// first, in a worker of its own.
func (s *suite) job(t *testing.T, tier runners.TierInfo, op runners.Op, mod runners.ModuleRef) runners.Job {
	t.Helper()
	return s.cappedJob(t, tier, op, mod, 0)
}

// cappedJob is job under a memory cap, prepared under the same cap (as a
// run prepares: an artifact may depend on it).
func (s *suite) cappedJob(t *testing.T, tier runners.TierInfo, op runners.Op, mod runners.ModuleRef, maxMem int64) runners.Job {
	t.Helper()
	job := runners.Job{ID: s.id(), Op: op, Tier: tier.Name, Module: mod, MaxMemoryBytes: maxMem}
	if tier.Prepared {
		job.ArtifactDir = s.prepare(t, tier, mod, maxMem)
	}
	return job
}

// prepare runs the prepare step for mod into a new folder and returns it.
func (s *suite) prepare(t *testing.T, tier runners.TierInfo, mod runners.ModuleRef, maxMem int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "artifact")
	r := s.run(t, runners.Job{ID: s.id(), Op: runners.OpPrepare, Tier: tier.Name, Module: mod, ArtifactDir: dir, MaxMemoryBytes: maxMem})
	r.wantOK(t, "prepare "+mod.Name)
	arts := r.events(runners.EventArtifact)
	if len(arts) != 1 {
		t.Fatalf("prepare %s: %d artifact events, want 1", mod.Name, len(arts))
	}
	if arts[0].ArtifactBytes <= 0 {
		t.Fatalf("prepare %s: artifact size %d, want > 0", mod.Name, arts[0].ArtifactBytes)
	}
	return dir
}
