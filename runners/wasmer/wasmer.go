package wasmer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/wasmerio/wasmer-go/wasmer"

	"github.com/wasmbench/bench/runners"
)

// Tier names.
const (
	TierBaseline = "baseline"
	TierJIT      = "jit"
	TierAOT      = "aot"
	TierLLVM     = "llvm"
)

// goModule is the Go binding this package is written against, and the
// version go.mod requires (TestGoModVersion keeps the two in step). Build
// info names the version linked when it is there (not in test binaries).
const (
	goModule        = "github.com/wasmerio/wasmer-go"
	goModuleVersion = "v1.0.4"
)

// limits are what no tier of Wasmer can enforce through wasmer-go.
var limits = []string{
	"memory cap: Wasmer has no limit API; the module's declared memory maximum is lowered to the cap before it is compiled (memcap.go)",
	"no interruption: a timeout ends the worker process",
}

// Runner is the wasmer runners.Runner. The zero value is ready to use.
type Runner struct{}

var _ runners.Runner = Runner{}

// Name implements runners.Runner.
func (Runner) Name() string { return "wasmer" }

// Version is the wasmer-go module version and the version of the
// libwasmer.so actually loaded: "v1.0.4 (libwasmer 2.0.0-rc2)".
func (Runner) Version() string {
	v := goModuleVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == goModule && d.Version != "" {
				v = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					v = d.Replace.Version
				}
			}
		}
	}
	return fmt.Sprintf("%s (libwasmer %s)", v, libraryVersion())
}

// quietAbort makes an abort() inside libwasmer (a Rust panic across the C
// boundary, e.g. a Go guest that sleeps) end the worker with Wasmer's own
// message last on its stderr. Go's default SIGABRT handling would print
// every goroutine after it (8 KiB and more), pushing the one line that says
// what happened out of the stderr tail the orchestrator keeps. With the
// signal caught, glibc's abort() restores the default action and raises it
// again: the process still dies of SIGABRT, without the dump.
var quietAbort sync.Once

// tierSpec is how a tier configures Wasmer.
type tierSpec struct {
	info     runners.TierInfo
	compiler wasmer.CompilerKind
	aot      bool
}

func tierSpecs() []tierSpec {
	specs := []tierSpec{
		{info: runners.TierInfo{Name: TierBaseline,
			Description: "Singlepass: Wasmer's one-pass baseline compiler, compiling at load (Universal engine)"},
			compiler: wasmer.SINGLEPASS},
		{info: runners.TierInfo{Name: TierJIT,
			Description: "Cranelift: Wasmer's optimizing compiler, compiling at load (Universal engine)"},
			compiler: wasmer.CRANELIFT},
		{info: runners.TierInfo{Name: TierAOT, Prepared: true, MachineCode: true,
			Description: "Cranelift artifact written by the prepare step (Module.Serialize), loaded with DeserializeModule"},
			compiler: wasmer.CRANELIFT, aot: true},
		{info: runners.TierInfo{Name: TierLLVM,
			Description: "LLVM: Wasmer's most optimizing compiler, compiling at load (Universal engine)"},
			compiler: wasmer.LLVM},
	}
	universal := wasmer.IsEngineAvailable(wasmer.UNIVERSAL)
	for i := range specs {
		s := &specs[i]
		s.info.Limits = limits
		switch {
		case !universal:
			s.info.Unavailable = "this libwasmer.so has no Universal engine"
		case !wasmer.IsCompilerAvailable(s.compiler):
			s.info.Unavailable = fmt.Sprintf("the libwasmer.so shipped with wasmer-go is built without the %s compiler", s.compiler)
		}
	}
	return specs
}

func findTier(name string) (tierSpec, error) {
	var names []string
	for _, s := range tierSpecs() {
		if s.info.Name == name {
			if s.info.Unavailable != "" {
				return s, runners.Errorf(runners.KindUnsupported, "wasmer tier %q is unavailable: %s", name, s.info.Unavailable)
			}
			return s, nil
		}
		names = append(names, s.info.Name)
	}
	return tierSpec{}, runners.Errorf(runners.KindBadJob, "wasmer has no tier %q (tiers: %s)", name, strings.Join(names, ", "))
}

// Tiers implements runners.Runner.
func (Runner) Tiers() []runners.TierInfo {
	var out []runners.TierInfo
	for _, s := range tierSpecs() {
		out = append(out, s.info)
	}
	return out
}

// NewEngine creates a Wasmer engine and store for a tier. Wasmer has no
// memory cap: cfg.MaxMemoryBytes becomes each module's declared memory
// maximum (capMemory).
func (Runner) NewEngine(_ context.Context, cfg runners.EngineConfig) (runners.Engine, error) {
	quietAbort.Do(func() { signal.Notify(make(chan os.Signal, 1), syscall.SIGABRT) })
	spec, err := findTier(cfg.Tier)
	if err != nil {
		return nil, err
	}
	conf := wasmer.NewConfig().UseUniversalEngine()
	switch spec.compiler {
	case wasmer.SINGLEPASS:
		conf.UseSinglepassCompiler()
	case wasmer.CRANELIFT:
		conf.UseCraneliftCompiler()
	case wasmer.LLVM:
		conf.UseLLVMCompiler()
	}
	if cfg.MaxMemoryBytes < 0 {
		return nil, runners.Errorf(runners.KindBadJob, "negative memory cap %d", cfg.MaxMemoryBytes)
	}
	var target *runners.Target
	if cfg.Target != nil {
		var err error
		if target, err = checkTarget(spec, cfg.Target); err != nil {
			return nil, err
		}
	}
	eng := wasmer.NewEngineWithConfig(conf)
	e := &engine{tier: spec, store: wasmer.NewStore(eng), artifactDir: cfg.ArtifactDir, maxMem: cfg.MaxMemoryBytes}
	if spec.aot {
		return &aotEngine{engine: e, target: target}, nil
	}
	return e, nil
}

// ignoresTarget is why Wasmer compiles for the CPU it runs on whatever it
// is told: measured here, the artifacts of fib.c.wasm for the targets
// x86_64 with SSE2 to POPCNT, x86_64 with no features and
// aarch64-unknown-linux-gnu were the same bytes.
const ignoresTarget = "wasmer-go's libwasmer (2.0.0-rc2) ignores Config.UseTarget and compiles for the CPU it runs on"

// checkTarget says whether this worker can compile for t. Wasmer cannot
// be told a target (ignoresTarget), so the worker must run on t's
// architecture with no CPU feature beyond t's: under qemu-user with a
// CPU model that has t's features (qemu-x86_64-static -cpu Haswell-v4
// for LambdaX86; qemu-aarch64-static for arm64, where Wasmer uses no
// optional feature). It returns what the artifact is compiled for.
func checkTarget(spec tierSpec, t *runners.Target) (*runners.Target, error) {
	if !spec.aot {
		return nil, runners.Errorf(runners.KindUnsupported, "wasmer tier %s cannot compile for a target (%s): its artifact is not machine code for one CPU",
			spec.info.Name, t)
	}
	if host := runners.HostArch(); t.Arch != host {
		return nil, runners.Errorf(runners.KindUnsupported, "wasmer cannot compile for %s on %s: %s; prepare with the %s worker (bench runs it under qemu-user)",
			t.Arch, host, ignoresTarget, t.Arch)
	}
	have := hostFeatures()
	var extra []string
	for _, f := range have {
		if !t.Has(f) {
			extra = append(extra, f)
		}
	}
	if len(extra) > 0 {
		return nil, runners.Errorf(runners.KindUnsupported, "wasmer cannot compile for %s here: %s, and this one has %s beyond the target; "+
			"prepare under qemu-x86_64-static -cpu with a model that has the target's features only (Haswell-v4 for Lambda's x86_64)",
			t, ignoresTarget, strings.Join(extra, " "))
	}
	note := ignoresTarget + ", whose features (CPUID) are these"
	if t.Arch == runners.ArchARM {
		note = ignoresTarget + "; Wasmer 2's CPU features are x86 ones only, so on aarch64 its Cranelift uses the architecture's defaults (Armv8.0, no LSE)"
	}
	return &runners.Target{Arch: t.Arch, Features: have, Note: note}, nil
}

// engine is a Wasmer store configured for one tier.
type engine struct {
	tier        tierSpec
	store       *wasmer.Store
	artifactDir string
	// maxMem is the memory cap in bytes, 0 for none (see capMemory).
	maxMem int64
	closed bool
}

var _ runners.Engine = (*engine)(nil)

// aotEngine is the engine of the aot tier: it prepares artifacts and loads
// them.
type aotEngine struct {
	*engine
	// target is what Prepare compiles for; nil: this machine.
	target *runners.Target
}

var (
	_ runners.Preparer = (*aotEngine)(nil)
	_ runners.Targeter = (*aotEngine)(nil)
)

// Target implements runners.Targeter.
func (e *aotEngine) Target() *runners.Target { return e.target }

func (e *engine) Loads() bool { return e.tier.aot }

func (e *engine) Close(context.Context) error {
	if !e.closed {
		e.closed = true
		e.store.Close()
	}
	return nil
}

var (
	wasmMagic  = []byte("\x00asm")
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// compile compiles wasm bytes with the tier's compiler.
func (e *engine) compile(src runners.Source) (*wasmer.Module, error) {
	// wasmer.NewModule takes text too; a module is binary here, and
	// anything else must not be parsed as WAT into a confusing message.
	if !bytes.HasPrefix(src.Wasm, wasmMagic) {
		return nil, runners.Errorf(runners.KindCompile, "%s is not a wasm binary (no \\0asm header)", src.Name)
	}
	m, err := wasmer.NewModule(e.store, src.Wasm)
	if err != nil {
		return nil, fmt.Errorf("%s compiler: %w", e.tier.compiler, err)
	}
	return m, nil
}

// Compile compiles src, or on the aot tier loads its prepared artifact.
func (e *engine) Compile(ctx context.Context, src runners.Source) (runners.Module, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := e.capped(src)
	if err != nil {
		return nil, err
	}
	var m *wasmer.Module
	if e.tier.aot {
		path, err := e.artifactPath(src)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, runners.ErrNotPrepared)
		}
		if err != nil {
			return nil, fmt.Errorf("read artifact: %w", err)
		}
		m, err = wasmer.DeserializeModule(e.store, b)
		if err != nil {
			return nil, fmt.Errorf("deserialize %s: %w", path, err)
		}
	} else {
		var err error
		if m, err = e.compile(src); err != nil {
			return nil, err
		}
	}
	return newModule(e, src.Name, m), nil
}

// capped is src with its memory maximum lowered to the engine's cap. The
// artifact of a capped module is named for the capped bytes: it is loaded
// only under the same cap.
func (e *engine) capped(src runners.Source) (runners.Source, error) {
	if e.maxMem <= 0 || !bytes.HasPrefix(src.Wasm, wasmMagic) {
		return src, nil
	}
	b, err := capMemory(src.Wasm, e.maxMem)
	if err != nil {
		return src, err
	}
	src.Wasm = b
	return src, nil
}

// artifactPath names the artifact of src in the artifact folder. The name
// carries a CRC-32C of the wasm bytes, cheap next to deserializing, so an
// artifact of another module (or an older build of it) is never loaded.
func (e *engine) artifactPath(src runners.Source) (string, error) {
	if e.artifactDir == "" {
		return "", runners.Errorf(runners.KindBadJob, "the aot tier needs an artifact folder (EngineConfig.ArtifactDir)")
	}
	sum := crc32.Checksum(src.Wasm, castagnoli)
	base := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, src.Name)
	name := fmt.Sprintf("%s.%08x.%s.wasmer", base, sum, e.tier.compiler)
	return filepath.Join(e.artifactDir, name), nil
}

// Prepare compiles src with Cranelift and writes the serialized module into
// the artifact folder.
func (e *aotEngine) Prepare(ctx context.Context, src runners.Source) (string, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	src, err := e.capped(src)
	if err != nil {
		return "", 0, err
	}
	path, err := e.artifactPath(src)
	if err != nil {
		return "", 0, err
	}
	m, err := e.compile(src)
	if err != nil {
		return "", 0, err
	}
	defer m.Close()
	b, err := m.Serialize()
	if err != nil {
		return "", 0, fmt.Errorf("serialize: %w", err)
	}
	if err := runners.WriteArtifact(path, b); err != nil {
		return "", 0, err
	}
	return path, int64(len(b)), nil
}
