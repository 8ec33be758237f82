package wazero

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmbench/bench/runners"
)

// Tier names.
const (
	TierInterp = "interp"
	TierJIT    = "jit"
	TierAOT    = "aot"
)

const modulePath = "github.com/tetratelabs/wazero"

// LimitNoInterrupt is every tier's limit: they are built without wazero's
// termination checks, so a timeout ends the worker process.
const LimitNoInterrupt = "no interruption: a timed-out guest ends the worker (wazero's termination checks would slow compiled loops ~15x and each call ~30x)"

var (
	_ runners.Runner   = (*Runner)(nil)
	_ runners.Engine   = (*engine)(nil)
	_ runners.Preparer = (*engine)(nil)
)

// Runner is the wazero runtime.
type Runner struct{}

// New returns the wazero runner.
func New() *Runner { return &Runner{} }

// Name implements runners.Runner.
func (*Runner) Name() string { return "wazero" }

// Version is the wazero module version linked into this binary.
func (*Runner) Version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == modulePath {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return linkedVersion
}

// linkedVersion is the wazero version in go.mod, for binaries without
// module build information (test binaries). A test checks it against
// go.mod.
const linkedVersion = "v1.12.0"

// compilerUnavailable says why wazero's compiler cannot run here, or "".
// wazero v1.12 compiles for amd64 and arm64 only and otherwise falls back
// to its interpreter, which would make jit and aot silently mislabelled.
func compilerUnavailable() string {
	switch runtime.GOARCH {
	case "amd64", "arm64":
		return ""
	}
	return fmt.Sprintf("wazero's compiler targets amd64 and arm64 only, not %s", runtime.GOARCH)
}

// Tiers implements runners.Runner.
func (*Runner) Tiers() []runners.TierInfo {
	noCompiler := compilerUnavailable()
	return []runners.TierInfo{
		{Name: TierInterp, Description: "wazero interpreter: no compilation, slowest execution", Limits: []string{LimitNoInterrupt}},
		{Name: TierJIT, Description: "wazero optimizing compiler, whole module compiled at load", Unavailable: noCompiler,
			Limits: []string{LimitNoInterrupt}},
		{Name: TierAOT, Description: "wazero compiler with an on-disk compilation cache filled by the prepare step; cold starts load it",
			Unavailable: noCompiler, Prepared: true, Limits: []string{LimitNoInterrupt}},
	}
}

// NewEngine creates a wazero runtime for the tier, with WASI preview1
// instantiated in it.
func (r *Runner) NewEngine(ctx context.Context, cfg runners.EngineConfig) (runners.Engine, error) {
	var rc wazero.RuntimeConfig
	e := &engine{tier: cfg.Tier, maxMemory: cfg.MaxMemoryBytes}
	switch cfg.Tier {
	case TierInterp:
		rc = wazero.NewRuntimeConfigInterpreter()
	case TierJIT, TierAOT:
		if why := compilerUnavailable(); why != "" {
			return nil, runners.Errorf(runners.KindUnsupported, "wazero tier %s: %s", cfg.Tier, why)
		}
		rc = wazero.NewRuntimeConfigCompiler()
	default:
		return nil, runners.Errorf(runners.KindBadJob, "wazero has no tier %q (tiers: interp, jit, aot)", cfg.Tier)
	}
	// No WithCloseOnContextDone: in the compiler it makes every loop
	// iteration call into Go (fib 15-20x slower), and in both engines it
	// starts a goroutine per call (a no-op call 35 ns -> 1-2 us). A guest
	// that overruns its timeout is ended by runners.Serve's watchdog,
	// which ends the worker (see doc.go).
	rc = rc.WithCloseOnContextDone(false)
	if cfg.Tier == TierAOT {
		if cfg.ArtifactDir == "" {
			return nil, runners.Errorf(runners.KindBadJob, "wazero tier aot needs an artifact directory (Job.ArtifactDir)")
		}
		dir, err := filepath.Abs(cfg.ArtifactDir)
		if err != nil {
			return nil, fmt.Errorf("artifact dir %s: %w", cfg.ArtifactDir, err)
		}
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			e.createdDir = true
		}
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache in %s: %w", dir, err)
		}
		e.cache, e.cacheDir = cache, dir
		rc = rc.WithCompilationCache(cache)
	}
	e.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		_ = e.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI preview1: %w", err)
	}
	e.wasiFuncs = map[string]bool{}
	if m := e.rt.Module(wasi_snapshot_preview1.ModuleName); m != nil {
		for name := range m.ExportedFunctionDefinitions() {
			e.wasiFuncs[name] = true
		}
	}
	return e, nil
}

type engine struct {
	tier       string
	maxMemory  int64
	rt         wazero.Runtime
	cache      wazero.CompilationCache
	cacheDir   string
	createdDir bool // the artifact dir did not exist before this engine
	prepared   bool
	wasiFuncs  map[string]bool

	benchOnce sync.Once
	benchErr  error
}

func (e *engine) Loads() bool { return e.tier == TierAOT }

func (e *engine) Close(ctx context.Context) error {
	var errs []error
	if e.rt != nil {
		errs = append(errs, e.rt.Close(ctx))
	}
	if e.cache != nil {
		errs = append(errs, e.cache.Close(ctx))
	}
	if e.createdDir && !e.prepared {
		// A cold job on a missing artifact dir must not leave an empty
		// cache behind (Remove only removes empty directories).
		if subs, err := os.ReadDir(e.cacheDir); err == nil {
			for _, s := range subs {
				_ = os.Remove(filepath.Join(e.cacheDir, s.Name()))
			}
		}
		_ = os.Remove(e.cacheDir)
	}
	return errors.Join(errs...)
}

// Compile compiles the module; on the aot tier it loads it from the
// compilation cache and fails with runners.ErrNotPrepared when the cache
// does not hold it.
func (e *engine) Compile(ctx context.Context, src runners.Source) (runners.Module, error) {
	var before map[string]bool
	if e.tier == TierAOT {
		var err error
		if before, err = cacheFiles(e.cacheDir); err != nil {
			return nil, fmt.Errorf("read artifact dir: %w", err)
		}
		if len(before) == 0 {
			return nil, fmt.Errorf("artifact dir %s is empty: %w", e.cacheDir, runners.ErrNotPrepared)
		}
	}
	cm, err := e.rt.CompileModule(ctx, src.Wasm)
	if err != nil {
		return nil, runners.Errorf(runners.KindCompile, "not a module wazero accepts: %v", err)
	}
	if e.tier == TierAOT {
		// wazero compiles and caches a module it does not find: a new
		// file means this module was never prepared (or was prepared by
		// another wazero version or for another CPU).
		after, err := cacheFiles(e.cacheDir)
		if err != nil {
			_ = cm.Close(ctx)
			return nil, fmt.Errorf("read artifact dir: %w", err)
		}
		var added []string
		for f := range after {
			if !before[f] {
				added = append(added, f)
			}
		}
		if len(added) > 0 {
			for _, f := range added {
				_ = os.Remove(f)
			}
			_ = cm.Close(ctx)
			return nil, fmt.Errorf("artifact dir %s holds no artifact for this module (it was prepared for another module, wazero version or CPU): %w",
				e.cacheDir, runners.ErrNotPrepared)
		}
	}
	m := &module{e: e, cm: cm}
	m.importErr = m.checkImports()
	return m, nil
}

// Prepare compiles src into the compilation cache and returns the cache
// directory and its total size on disk.
func (e *engine) Prepare(ctx context.Context, src runners.Source) (string, int64, error) {
	if e.tier != TierAOT {
		return "", 0, runners.Errorf(runners.KindBadJob, "wazero tier %s has no artifact to prepare", e.tier)
	}
	e.prepared = true
	cm, err := e.rt.CompileModule(ctx, src.Wasm)
	if err != nil {
		return "", 0, runners.Errorf(runners.KindCompile, "not a module wazero accepts: %v", err)
	}
	if err := cm.Close(ctx); err != nil {
		return "", 0, fmt.Errorf("close compiled module: %w", err)
	}
	files, err := cacheFiles(e.cacheDir)
	if err != nil {
		return "", 0, fmt.Errorf("read artifact dir: %w", err)
	}
	if len(files) == 0 {
		return "", 0, fmt.Errorf("wazero wrote nothing into %s", e.cacheDir)
	}
	var size int64
	for f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return "", 0, fmt.Errorf("artifact size: %w", err)
		}
		size += st.Size()
	}
	return e.cacheDir, size, nil
}

// cacheFiles lists the finished entries of a wazero compilation cache:
// the files in its version directories (dir/wazero-<version>-<arch>-<os>/),
// without the temporary files of a write in progress.
func cacheFiles(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	subs, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if !s.IsDir() {
			continue
		}
		sub := filepath.Join(dir, s.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.Type().IsRegular() && !strings.HasSuffix(f.Name(), ".tmp") {
				out[filepath.Join(sub, f.Name())] = true
			}
		}
	}
	return out, nil
}
