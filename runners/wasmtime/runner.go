package wasmtime

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	wasmtime "github.com/bytecodealliance/wasmtime-go/v25"

	"github.com/wasmbench/bench/runners"
)

// Tier names shared by every wasmtime flavour.
const (
	TierJIT         = "jit"
	TierAOT         = "aot"
	TierBaseline    = "baseline"
	TierInterpreter = "interpreter"
)

// noInterrupt is every compiling tier's limit: epoch interruption would
// let a timeout stop the guest, but it costs about 1.3x on call-heavy
// code (fib(42) in C: 983 ms with it, 748 ms without), which a benchmark
// cannot pay. So it is off, and a guest past its timeout is stopped by
// the worker's watchdog, which ends the worker.
const noInterrupt = "no interruption: a timed-out guest ends the worker (epoch interruption would cost ~1.3x on call-heavy code)"

// pageSize is the size of one wasm linear memory page.
const pageSize = 64 << 10

// Runner runs modules under wasmtime through wasmtime-go.
type Runner struct{}

var _ runners.Runner = (*Runner)(nil)

// New returns the wasmtime runner. Unless RUST_LIB_BACKTRACE is set, it
// sets it to 0 for this process: with RUST_BACKTRACE=1 in the environment,
// wasmtime would capture a host backtrace for every error, including the
// WASI exit every Go guest ends with, and add that to its execute time.
func New() *Runner {
	if _, ok := os.LookupEnv("RUST_LIB_BACKTRACE"); !ok {
		os.Setenv("RUST_LIB_BACKTRACE", "0")
	}
	return &Runner{}
}

// Name is the runtime's name in results.
func (*Runner) Name() string { return runtimeName }

// Version is the wasmtime-go module version linked into this binary.
func (*Runner) Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == wasmtimeModule {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				if d.Version != "" && d.Version != "(devel)" {
					return d.Version
				}
			}
		}
	}
	return fallbackVersion
}

// Tiers lists every tier, with the reason when one cannot run.
func (*Runner) Tiers() []runners.TierInfo { return tiers() }

// NewEngine creates a wasmtime engine for a tier. Epoch interruption is
// off in every tier (see noInterrupt), which also keeps the engine
// configuration identical between prepare and load, as wasmtime requires
// for an artifact to deserialize.
func (r *Runner) NewEngine(_ context.Context, cfg runners.EngineConfig) (runners.Engine, error) {
	var ti *runners.TierInfo
	for _, t := range tiers() {
		if t.Name == cfg.Tier {
			t := t
			ti = &t
		}
	}
	if ti == nil {
		return nil, runners.Errorf(runners.KindBadJob, "%s has no tier %q", runtimeName, cfg.Tier)
	}
	if ti.Unavailable != "" {
		return nil, runners.Errorf(runners.KindUnsupported, "%s tier %s is unavailable: %s", runtimeName, cfg.Tier, ti.Unavailable)
	}
	if ti.Prepared && cfg.ArtifactDir == "" {
		return nil, runners.Errorf(runners.KindBadJob, "%s tier %s needs an artifact directory", runtimeName, cfg.Tier)
	}
	if cfg.MaxMemoryBytes < 0 {
		return nil, runners.Errorf(runners.KindBadJob, "negative memory cap %d", cfg.MaxMemoryBytes)
	}
	c := wasmtime.NewConfig()
	c.SetEpochInterruption(false)
	if err := configure(c, cfg.Tier); err != nil {
		c.Close()
		return nil, fmt.Errorf("configure tier %s: %w", cfg.Tier, err)
	}
	var target *runners.Target
	if cfg.Target != nil {
		var err error
		if target, err = setTarget(c, *ti, cfg.Target); err != nil {
			c.Close()
			return nil, err
		}
	}
	return &engine{
		eng:     wasmtime.NewEngineWithConfig(c),
		tier:    cfg.Tier,
		maxMem:  cfg.MaxMemoryBytes,
		dir:     cfg.ArtifactDir,
		loads:   ti.Prepared,
		runtime: runtimeName,
		target:  target,
	}, nil
}

// craneliftFlags are Cranelift's names for the features a runners.Target
// names, by architecture. A feature with no flag is one Cranelift does not
// use on that architecture: it is left out of the artifact's record.
var craneliftFlags = map[string]map[string]string{
	runners.ArchX86: {
		"sse3": "has_sse3", "ssse3": "has_ssse3", "sse4.1": "has_sse41", "sse4.2": "has_sse42",
		"popcnt": "has_popcnt", "avx": "has_avx", "avx2": "has_avx2", "fma": "has_fma",
		"bmi1": "has_bmi1", "bmi2": "has_bmi2", "lzcnt": "has_lzcnt",
		"avx512f": "has_avx512f", "avx512dq": "has_avx512dq", "avx512vl": "has_avx512vl",
		"avx512vbmi": "has_avx512vbmi", "avx512bitalg": "has_avx512bitalg",
	},
	runners.ArchARM: {"lse": "has_lse"},
}

// targetTriples are the target triples wasmtime is given.
var targetTriples = map[string]string{
	runners.ArchX86: "x86_64-unknown-linux-gnu",
	runners.ArchARM: "aarch64-unknown-linux-gnu",
}

// setTarget makes c compile for t with only t's features: an explicit
// target turns off the detection of this CPU's features, and each
// feature is turned back on by its Cranelift flag. It returns what the
// artifact is compiled for. wasmtime-go's libwasmtime.a holds Cranelift's
// backend for its own architecture only (no aarch64 code generator in the
// x86_64 library, nor the reverse), so the architecture must be this
// worker's: an artifact for another is prepared by that architecture's
// worker (under qemu-user here).
func setTarget(c *wasmtime.Config, ti runners.TierInfo, t *runners.Target) (*runners.Target, error) {
	if !ti.MachineCode {
		return nil, runners.Errorf(runners.KindUnsupported, "%s tier %s cannot compile for a target (%s): its artifact is not machine code for one CPU",
			runtimeName, ti.Name, t)
	}
	if host := runners.HostArch(); t.Arch != host {
		return nil, runners.Errorf(runners.KindUnsupported,
			"%s cannot compile for %s here: wasmtime-go's libwasmtime.a for %s has Cranelift's %s backend only; prepare with the %s worker (bench runs it under qemu-user)",
			runtimeName, t.Arch, host, host, t.Arch)
	}
	if err := c.SetTarget(targetTriples[t.Arch]); err != nil {
		return nil, fmt.Errorf("target %s: %w", targetTriples[t.Arch], err)
	}
	out := &runners.Target{Arch: t.Arch}
	var flags []string
	for _, f := range t.Features {
		flag, ok := craneliftFlags[t.Arch][f]
		if !ok {
			continue
		}
		c.SetCraneliftFlag(flag, "true")
		out.Features = append(out.Features, f)
		flags = append(flags, flag)
	}
	out.Note = "Cranelift target " + targetTriples[t.Arch] + ", flags " + strings.Join(flags, " ")
	return out, nil
}

type engine struct {
	eng     *wasmtime.Engine
	tier    string
	maxMem  int64
	dir     string
	loads   bool
	runtime string
	// target is what Prepare compiles for; nil: this machine.
	target *runners.Target
}

var (
	_ runners.Engine   = (*engine)(nil)
	_ runners.Preparer = (*engine)(nil)
	_ runners.Targeter = (*engine)(nil)
)

// Target implements runners.Targeter.
func (e *engine) Target() *runners.Target { return e.target }

func (e *engine) Loads() bool { return e.loads }

func (e *engine) Close(context.Context) error {
	e.eng.Close()
	return nil
}

// ArtifactPath is where the AOT artifact of a module is kept in dir: the
// module's name and a CRC-32C of its bytes, so that a rebuilt module never
// loads a stale artifact (wasmtime itself checks only its own version and
// the engine configuration).
func ArtifactPath(dir string, src runners.Source) string {
	stem := strings.TrimSuffix(filepath.Base(src.Name), ".wasm")
	if stem == "" || stem == "." || stem == string(filepath.Separator) {
		stem = "module"
	}
	sum := crc32.Checksum(src.Wasm, crc32.MakeTable(crc32.Castagnoli))
	return filepath.Join(dir, fmt.Sprintf("%s-%08x-%d.cwasm", stem, sum, len(src.Wasm)))
}

// Prepare compiles src and writes the serialized module into the artifact
// directory.
func (e *engine) Prepare(_ context.Context, src runners.Source) (string, int64, error) {
	if !e.loads {
		return "", 0, runners.Errorf(runners.KindBadJob, "%s tier %s has no ahead-of-time artifact", e.runtime, e.tier)
	}
	m, err := wasmtime.NewModule(e.eng, src.Wasm)
	if err != nil {
		return "", 0, runners.Errorf(runners.KindCompile, "%s", errText(err.Error()))
	}
	defer m.Close()
	b, err := m.Serialize()
	if err != nil {
		return "", 0, fmt.Errorf("serialize %s: %w", src.Name, err)
	}
	path := ArtifactPath(e.dir, src)
	if err := runners.WriteArtifact(path, b); err != nil {
		return "", 0, err
	}
	return path, int64(len(b)), nil
}

// Compile compiles src with the tier's compiler, or on the AOT tier maps
// the prepared artifact from disk.
func (e *engine) Compile(_ context.Context, src runners.Source) (runners.Module, error) {
	var m *wasmtime.Module
	if e.loads {
		path := ArtifactPath(e.dir, src)
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w (looked for %s)", runners.ErrNotPrepared, path)
			}
			return nil, fmt.Errorf("artifact %s: %w", path, err)
		}
		var err error
		m, err = wasmtime.NewModuleDeserializeFile(e.eng, path)
		if err != nil {
			// A stale artifact (another wasmtime version or engine
			// configuration) is cured by preparing again.
			return nil, fmt.Errorf("%w: %s does not load: %s", runners.ErrNotPrepared, path, errText(err.Error()))
		}
	} else {
		var err error
		m, err = wasmtime.NewModule(e.eng, src.Wasm)
		if err != nil {
			return nil, runners.Errorf(runners.KindCompile, "%s", errText(err.Error()))
		}
	}
	return &module{e: e, m: m, name: src.Name}, nil
}

type module struct {
	e    *engine
	m    *wasmtime.Module
	name string

	// importsChecked is set once the module's imports were found to be
	// all defined by the linker.
	importsChecked bool
}

func (m *module) Close(context.Context) error {
	m.m.Close()
	return nil
}

// Instantiate links WASI preview1 (and bench.start/bench.end) and creates
// an instance in a fresh store without running _start.
func (m *module) Instantiate(_ context.Context, io runners.IO) (runners.Instance, error) {
	store := wasmtime.NewStore(m.e.eng)
	ok := false
	defer func() {
		if !ok {
			store.Close()
		}
	}()
	if m.e.maxMem > 0 {
		store.Limiter(m.e.maxMem, -1, -1, -1, -1)
	}
	wasi, err := wasiConfig(io)
	if err != nil {
		return nil, err
	}
	store.SetWasi(wasi)

	linker := wasmtime.NewLinker(m.e.eng)
	defer linker.Close()
	if err := linker.DefineWasi(); err != nil {
		return nil, fmt.Errorf("define WASI: %w", err)
	}
	// bench.start and bench.end are always defined (as no-ops when IO has
	// no hook), so that the set of imports a module may use does not
	// depend on the job.
	for _, h := range []struct {
		name string
		f    func()
	}{{"start", io.BenchStart}, {"end", io.BenchEnd}} {
		f := h.f
		if f == nil {
			f = func() {}
		}
		if err := linker.FuncWrap("bench", h.name, f); err != nil {
			return nil, fmt.Errorf("define bench.%s: %w", h.name, err)
		}
	}
	if !m.importsChecked {
		if err := checkImports(m.m, linker, store); err != nil {
			return nil, err
		}
		m.importsChecked = true
	}
	inst, err := linker.Instantiate(store, m.m)
	if err != nil {
		return nil, m.classifyInstantiate(err)
	}
	ok = true
	return &instance{m: m, store: store, inst: inst, io: io}, nil
}

// wasiConfig maps the guest's environment onto a WASI configuration.
// Output goes to files only: wasmtime-go cannot hand WASI output to Go, and
// inheriting the worker's stdout would corrupt the protocol.
func wasiConfig(io runners.IO) (*wasmtime.WasiConfig, error) {
	w := wasmtime.NewWasiConfig()
	w.SetArgv(io.Args)
	keys := make([]string, 0, len(io.Env))
	for k := range io.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = io.Env[k]
	}
	w.SetEnv(keys, vals)
	if io.StdinPath != "" {
		if err := w.SetStdinFile(io.StdinPath); err != nil {
			w.Close()
			return nil, runners.Errorf(runners.KindBadJob, "stdin %s: %v", io.StdinPath, err)
		}
	}
	for _, o := range []struct {
		path string
		set  func(string) error
		what string
	}{{io.StdoutPath, w.SetStdoutFile, "stdout"}, {io.StderrPath, w.SetStderrFile, "stderr"}} {
		p := o.path
		if p == "" {
			p = os.DevNull
		}
		if err := o.set(p); err != nil {
			w.Close()
			return nil, fmt.Errorf("guest %s file %s: %w", o.what, p, err)
		}
	}
	for _, d := range io.Dirs {
		if err := preopen(w, d); err != nil {
			w.Close()
			return nil, runners.Errorf(runners.KindBadJob, "preopen %s as %s: %v", d.Host, d.Guest, err)
		}
	}
	return w, nil
}

// checkImports fails with KindUnsupported naming every import the linker
// does not define, before instantiation would fail on the first one.
func checkImports(m *wasmtime.Module, l *wasmtime.Linker, store *wasmtime.Store) error {
	var missing []string
	for _, imp := range m.Imports() {
		name := ""
		if n := imp.Name(); n != nil {
			name = *n
		}
		if l.Get(store, imp.Module(), name) == nil {
			missing = append(missing, imp.Module()+"."+name)
		}
	}
	if len(missing) > 0 {
		return runners.Errorf(runners.KindUnsupported, "%s does not provide the import(s) %s (wasmtime links WASI preview1 and bench.start/bench.end only)",
			runtimeName, strings.Join(missing, ", "))
	}
	return nil
}

func (m *module) classifyInstantiate(err error) error {
	msg := err.Error()
	var trap *wasmtime.Trap
	switch {
	case m.e.maxMem > 0 && strings.Contains(msg, "memory") && strings.Contains(msg, "limit"):
		return runners.Errorf(runners.KindMemory, "the module needs more memory than the cap of %d bytes: %s", m.e.maxMem, errText(msg))
	case errors.As(err, &trap):
		return runners.Errorf(runners.KindTrap, "start function trapped: %s", errText(msg))
	default:
		return runners.Errorf(runners.KindUnsupported, "%s", errText(msg))
	}
}

type instance struct {
	m     *module
	store *wasmtime.Store
	inst  *wasmtime.Instance
	io    runners.IO
}

func (in *instance) Close(context.Context) error {
	in.store.Close()
	return nil
}

// Run calls _start. A WASI exit (a Go guest's proc_exit(0) included) comes
// back from wasmtime as an error carrying the exit status: it is the exit
// code, not a failure.
func (in *instance) Run(ctx context.Context) (int, error) {
	f := in.inst.GetFunc(in.store, "_start")
	if f == nil {
		return 0, runners.Errorf(runners.KindUnsupported, "%s exports no _start function: not a WASI command", in.m.name)
	}
	err := in.call(ctx, f)
	if err == nil {
		return 0, nil
	}
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			if code != 0 && in.outOfMemory() {
				return int(code), runners.Errorf(runners.KindMemory, "%s ran out of memory under the cap of %d bytes and exited with code %d",
					in.m.name, in.m.e.maxMem, code)
			}
			return int(code), nil
		}
	}
	return 0, in.classifyRun(ctx, err)
}

// Func returns a closure calling an exported [] -> [] function.
func (in *instance) Func(name string) (func(ctx context.Context) error, error) {
	f := in.inst.GetFunc(in.store, name)
	if f == nil {
		return nil, runners.Errorf(runners.KindUnsupported, "%s exports no function %q", in.m.name, name)
	}
	ty := f.Type(in.store)
	if len(ty.Params()) != 0 || len(ty.Results()) != 0 {
		return nil, runners.Errorf(runners.KindUnsupported, "export %q of %s is not of type [] -> []", name, in.m.name)
	}
	return func(ctx context.Context) error {
		if err := in.call(ctx, f); err != nil {
			return in.classifyRun(ctx, err)
		}
		return nil
	}, nil
}

// call calls f. The guest cannot be interrupted (see noInterrupt): a run
// past its deadline is ended by the worker's watchdog.
func (in *instance) call(ctx context.Context, f *wasmtime.Func) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	_, err := f.Call(in.store)
	return err
}

func (in *instance) classifyRun(ctx context.Context, err error) error {
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		if c := trap.Code(); c != nil && *c == wasmtime.Interrupt {
			cause := "the run was interrupted"
			if ctx.Err() != nil {
				cause = "the run exceeded its time limit: " + ctx.Err().Error()
			}
			return runners.Errorf(runners.KindTimeout, "%s (epoch interruption)", cause)
		}
	}
	msg := errText(err.Error())
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// call found the context already done.
		return runners.Errorf(runners.KindTimeout, "not started: %v", err)
	}
	if in.outOfMemory() {
		return runners.Errorf(runners.KindMemory, "out of memory under the cap of %d bytes: %s", in.m.e.maxMem, msg)
	}
	return runners.Errorf(runners.KindTrap, "%s", msg)
}

// outOfMemory guesses, after a failed run under a memory cap, whether the
// cap was the cause: wasmtime's store limiter makes memory.grow return -1
// (it does not trap), so the guest fails in its own way. The signs are a
// linear memory within 1/16 of the cap, or the out-of-memory message of a
// common guest runtime (Go, Rust, C) on stderr.
func (in *instance) outOfMemory() bool {
	limit := in.m.e.maxMem
	if limit <= 0 {
		return false
	}
	if mem := in.inst.GetExport(in.store, "memory"); mem != nil && mem.Memory() != nil {
		size := int64(mem.Memory().Size(in.store)) * pageSize
		if size+limit/16 >= limit {
			return true
		}
	}
	tail := readTail(in.io.StderrPath, 4096)
	for _, s := range []string{"out of memory", "memory allocation of", "Cannot allocate memory"} {
		if strings.Contains(tail, s) {
			return true
		}
	}
	return false
}

func readTail(path string, n int64) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	b := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil {
		return ""
	}
	return string(b)
}

// errText turns a wasmtime error message (an anyhow chain: a head, a wasm
// backtrace, "Caused by:" and indented causes) into one line: the head and
// causes joined by ": ", without the backtrace.
func errText(s string) string {
	var parts []string
	inTrace := false
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "":
			inTrace = false
		case l == "Caused by:":
			inTrace = false
		case l == "Stack backtrace:":
			// The host's own backtrace, present when RUST_BACKTRACE is
			// set; nothing after it is the error.
			return strings.Join(parts, ": ")
		case strings.HasSuffix(l, "wasm backtrace:"):
			inTrace = true
		case inTrace:
		default:
			// Numbered causes ("0: ...") when there are several.
			if i := strings.Index(l, ": "); i > 0 && strings.Trim(l[:i], "0123456789") == "" {
				l = l[i+2:]
			}
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return strings.TrimSpace(s)
	}
	return strings.Join(parts, ": ")
}
