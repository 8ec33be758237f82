package wazero

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmbench/bench/runners"
)

var (
	_ runners.Module   = (*module)(nil)
	_ runners.Instance = (*instance)(nil)
)

// benchModule is the host module of Sightglass-style bench.start and
// bench.end imports.
const benchModule = "bench"

type module struct {
	e          *engine
	cm         wazero.CompiledModule
	importsBen bool  // the module imports bench.start or bench.end
	importErr  error // imports the runner cannot provide, reported by Instantiate
}

// checkImports returns a KindUnsupported error naming every import this
// runner cannot provide, so that Instantiate can fail before it links
// anything.
func (m *module) checkImports() error {
	var missing []string
	for _, d := range m.cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		switch {
		case mod == wasi_snapshot_preview1.ModuleName && m.e.wasiFuncs[name]:
		case mod == benchModule && (name == "start" || name == "end"):
			if len(d.ParamTypes()) != 0 || len(d.ResultTypes()) != 0 {
				missing = append(missing, fmt.Sprintf("%s.%s with a type other than [] -> []", mod, name))
				continue
			}
			m.importsBen = true
		default:
			missing = append(missing, fmt.Sprintf("function %s.%s", mod, name))
		}
	}
	for _, d := range m.cm.ImportedMemories() {
		mod, name, _ := d.Import()
		missing = append(missing, fmt.Sprintf("memory %s.%s", mod, name))
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return runners.Errorf(runners.KindUnsupported, "the module imports %s, which wazero's runner does not provide "+
		"(it provides wasi_snapshot_preview1 and bench.start/bench.end)", strings.Join(missing, ", "))
}

func (m *module) Close(ctx context.Context) error { return m.cm.Close(ctx) }

// hooksKey carries the running instance's IO to the bench host functions.
type hooksKey struct{}

// ensureBench instantiates the bench host module once per engine.
func (e *engine) ensureBench(ctx context.Context) error {
	e.benchOnce.Do(func() {
		call := func(pick func(*runners.IO) func()) api.GoFunc {
			return func(ctx context.Context, _ []uint64) {
				if io, ok := ctx.Value(hooksKey{}).(*runners.IO); ok {
					if f := pick(io); f != nil {
						f()
					}
				}
			}
		}
		_, e.benchErr = e.rt.NewHostModuleBuilder(benchModule).
			NewFunctionBuilder().WithGoFunction(call(func(io *runners.IO) func() { return io.BenchStart }), nil, nil).Export("start").
			NewFunctionBuilder().WithGoFunction(call(func(io *runners.IO) func() { return io.BenchEnd }), nil, nil).Export("end").
			Instantiate(ctx)
	})
	return e.benchErr
}

// Instantiate links WASI (and bench) and instantiates the module without
// running _start.
func (m *module) Instantiate(ctx context.Context, sio runners.IO) (runners.Instance, error) {
	if m.importErr != nil {
		return nil, m.importErr
	}
	inst := &instance{m: m, io: sio}
	ok := false
	defer func() {
		if !ok {
			inst.closeFiles()
		}
	}()
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithArgs(sio.Args...).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader)
	keys := make([]string, 0, len(sio.Env))
	for k := range sio.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cfg = cfg.WithEnv(k, sio.Env[k])
	}
	if sio.StdinPath != "" {
		f, err := os.Open(sio.StdinPath)
		if err != nil {
			return nil, runners.Errorf(runners.KindBadJob, "guest stdin: %v", err)
		}
		inst.files = append(inst.files, f)
		cfg = cfg.WithStdin(f)
	}
	stdout, err := openOut(sio.StdoutPath)
	if err != nil {
		return nil, err
	}
	if stdout != nil {
		inst.files = append(inst.files, stdout)
		cfg = cfg.WithStdout(stdout)
	}
	stderr, err := openOut(sio.StderrPath)
	if err != nil {
		return nil, err
	}
	if stderr != nil {
		inst.files = append(inst.files, stderr)
		cfg = cfg.WithStderr(stderr)
	}
	if len(sio.Dirs) > 0 {
		// Not WithDirMount: wazero's DirFS lets the kernel follow links
		// out of the folder (see rootfs.go).
		fsc := wazero.NewFSConfig()
		for _, d := range sio.Dirs {
			rfs, err := newRootFS(d.Host)
			if err != nil {
				return nil, runners.Errorf(runners.KindBadJob, "preopened folder %s (guest %s): %v", d.Host, d.Guest, err)
			}
			inst.roots = append(inst.roots, rfs)
			fsc = fsc.(sysfs.FSConfig).WithSysFSMount(rfs, d.Guest)
		}
		cfg = cfg.WithFSConfig(fsc)
	}
	if m.importsBen {
		if err := m.e.ensureBench(ctx); err != nil {
			return nil, fmt.Errorf("instantiate the bench host module: %w", err)
		}
	}
	if m.e.maxMemory > 0 {
		inst.mem = &cappedAllocator{max: uint64(m.e.maxMemory)}
		ctx = experimental.WithMemoryAllocator(ctx, inst.mem)
	}
	mod, err := m.e.rt.InstantiateModule(ctx, m.cm, cfg)
	if err != nil {
		if inst.mem != nil && inst.mem.refused > 0 {
			return nil, inst.mem.error(err)
		}
		return nil, err
	}
	inst.mod = mod
	if inst.mem != nil && inst.mem.overAtStart {
		_ = mod.Close(ctx)
		return nil, runners.Errorf(runners.KindMemory, "the module starts with %s of linear memory, over the %s cap",
			mib(inst.mem.initial), mib(inst.mem.max))
	}
	ok = true
	return inst, nil
}

func openOut(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("guest output file: %w", err)
	}
	return f, nil
}

type instance struct {
	m     *module
	mod   api.Module
	io    runners.IO
	files []*os.File
	roots []*rootFS // the preopened folders, closed with the instance
	mem   *cappedAllocator
}

// Run calls _start and returns the guest's exit code.
func (i *instance) Run(ctx context.Context) (int, error) {
	start := i.mod.ExportedFunction("_start")
	if start == nil {
		return 0, runners.Errorf(runners.KindUnsupported, "no _start export: not a WASI command")
	}
	_, err := start.Call(context.WithValue(ctx, hooksKey{}, &i.io))
	if err == nil {
		return 0, nil
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return 0, runners.Errorf(runners.KindTimeout, "stopped at the deadline: %v", err)
		case sys.ExitCodeContextCanceled:
			return 0, runners.Errorf(runners.KindInternal, "cancelled: %v", err)
		}
		code := int(exit.ExitCode())
		if code != 0 && i.mem != nil && i.mem.refused > 0 {
			return code, i.mem.error(fmt.Errorf("the guest then exited with code %d", code))
		}
		return code, nil
	}
	if i.mem != nil && i.mem.refused > 0 {
		return 0, i.mem.error(fmt.Errorf("the guest then failed: %w", err))
	}
	return 0, err
}

// Func returns a closure calling an exported [] -> [] function.
func (i *instance) Func(name string) (func(ctx context.Context) error, error) {
	f := i.mod.ExportedFunction(name)
	if f == nil {
		return nil, runners.Errorf(runners.KindUnsupported, "no exported function %q", name)
	}
	if d := f.Definition(); len(d.ParamTypes()) != 0 || len(d.ResultTypes()) != 0 {
		return nil, runners.Errorf(runners.KindUnsupported, "export %q takes %d parameters and returns %d results; want [] -> []",
			name, len(d.ParamTypes()), len(d.ResultTypes()))
	}
	stack := make([]uint64, 1)
	return func(ctx context.Context) error { return f.CallWithStack(ctx, stack) }, nil
}

func (i *instance) Close(ctx context.Context) error {
	var err error
	if i.mod != nil {
		err = i.mod.Close(ctx)
	}
	return errors.Join(err, i.closeFiles())
}

func (i *instance) closeFiles() error {
	var errs []error
	for _, f := range i.files {
		errs = append(errs, f.Close())
	}
	for _, r := range i.roots {
		errs = append(errs, r.Close())
	}
	i.files, i.roots = nil, nil
	return errors.Join(errs...)
}

// cappedAllocator backs one instance's linear memory and refuses to grow
// it past max bytes, remembering that it did.
type cappedAllocator struct {
	max         uint64
	buf         []byte
	started     bool
	initial     uint64
	overAtStart bool
	refused     int    // memory.grow calls refused because of the cap
	asked       uint64 // the largest size a refused grow asked for
}

func (a *cappedAllocator) Allocate(capacity, _ uint64) experimental.LinearMemory {
	if capacity > a.max {
		capacity = a.max
	}
	a.buf = make([]byte, 0, capacity)
	return a
}

// Reallocate implements experimental.LinearMemory. wazero only calls it
// within the module's own declared maximum, so every refusal is the cap's.
func (a *cappedAllocator) Reallocate(size uint64) []byte {
	if !a.started {
		a.started, a.initial = true, size
		if size > a.max {
			// wazero cannot fail an allocation at instantiation: give the
			// memory, and Instantiate reports it at once.
			a.overAtStart = true
			a.buf = make([]byte, size)
			return a.buf
		}
	}
	if size > a.max {
		a.refused++
		a.asked = max(a.asked, size)
		return nil
	}
	if size <= uint64(cap(a.buf)) {
		a.buf = a.buf[:size]
		return a.buf
	}
	newCap := min(max(size, 2*uint64(cap(a.buf))), a.max)
	nb := make([]byte, size, newCap)
	copy(nb, a.buf)
	a.buf = nb
	return nb
}

func (a *cappedAllocator) Free() { a.buf = nil }

func (a *cappedAllocator) error(cause error) *runners.Error {
	return runners.Errorf(runners.KindMemory, "memory.grow to %s refused %d time(s): over the %s cap; %v",
		mib(a.asked), a.refused, mib(a.max), cause)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
