package native

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"unsafe"

	"github.com/wasmbench/bench/runners"
)

// TierNative is the runtime's one tier.
const TierNative = "native"

var (
	_ runners.Runner   = (*Runner)(nil)
	_ runners.Engine   = engine{}
	_ runners.Module   = (*module)(nil)
	_ runners.Instance = (*instance)(nil)
)

// Runner runs native executables.
type Runner struct {
	version string
}

// New returns the native runner.
func New() *Runner { return &Runner{} }

// Name implements runners.Runner.
func (*Runner) Name() string { return "native" }

// Version is the compilers that built the native executables (see
// DirEnv), or the worker's Go version.
func (r *Runner) Version() string {
	if r.version == "" {
		r.version = version()
	}
	return r.version
}

// Tiers implements runners.Runner.
func (*Runner) Tiers() []runners.TierInfo {
	return []runners.TierInfo{{
		Name: TierNative,
		Description: "the same source compiled to a native executable (clang -O2, go build, rustc -C opt-level=2); " +
			"execute includes the child's fork and exec (~1 ms)",
		Limits: []string{"memory cap on the child process's data segment (RLIMIT_DATA: its heap, data and anonymous " +
			"mappings), the native counterpart of a linear memory"},
		MemoryCap: runners.MemoryCapProcess,
	}}
}

// NewEngine implements runners.Runner; there is nothing to set up.
func (*Runner) NewEngine(_ context.Context, cfg runners.EngineConfig) (runners.Engine, error) {
	if cfg.Tier != TierNative {
		return nil, runners.Errorf(runners.KindBadJob, "native has no tier %q (tiers: native)", cfg.Tier)
	}
	if cfg.MaxMemoryBytes < 0 {
		return nil, runners.Errorf(runners.KindBadJob, "negative memory cap %d", cfg.MaxMemoryBytes)
	}
	return engine{maxMem: cfg.MaxMemoryBytes}, nil
}

type engine struct {
	maxMem int64 // RLIMIT_DATA of each child, 0 for none
}

func (engine) Loads() bool                   { return false }
func (engine) Close(_ context.Context) error { return nil }

// Compile checks that src is an executable this machine can run: an ELF
// executable or a #! script, with an execute permission bit.
func (e engine) Compile(_ context.Context, src runners.Source) (runners.Module, error) {
	path, err := filepath.Abs(src.Path)
	if err != nil {
		return nil, fmt.Errorf("module path: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, runners.Errorf(runners.KindBadJob, "%v", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return nil, runners.Errorf(runners.KindCompile, "%s is not an executable file (mode %v)", path, st.Mode())
	}
	switch {
	case bytes.HasPrefix(src.Wasm, []byte("#!")):
	case bytes.HasPrefix(src.Wasm, []byte(elf.ELFMAG)):
		f, err := elf.NewFile(bytes.NewReader(src.Wasm))
		if err != nil {
			return nil, runners.Errorf(runners.KindCompile, "not a valid ELF executable: %v", err)
		}
		typ := f.Type
		_ = f.Close()
		if typ != elf.ET_EXEC && typ != elf.ET_DYN {
			return nil, runners.Errorf(runners.KindCompile, "ELF file of type %v, not an executable", typ)
		}
	default:
		return nil, runners.Errorf(runners.KindCompile, "not an executable: neither an ELF header nor a #! line")
	}
	return &module{path: path, maxMem: e.maxMem}, nil
}

type module struct {
	path   string
	maxMem int64
}

func (*module) Close(_ context.Context) error { return nil }

// Instantiate prepares the child's exec: argv, environment (the job's
// only) and files. Preopens are not remapped: the child runs in the first
// preopened host directory, and sees the real file system.
func (m *module) Instantiate(_ context.Context, sio runners.IO) (runners.Instance, error) {
	cmd := &exec.Cmd{Path: m.path, Args: sio.Args}
	if len(cmd.Args) == 0 {
		cmd.Args = []string{m.path}
	}
	keys := make([]string, 0, len(sio.Env))
	for k := range sio.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cmd.Env = []string{}
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+sio.Env[k])
	}
	if len(sio.Dirs) > 0 {
		cmd.Dir = sio.Dirs[0].Host
	}
	inst := &instance{cmd: cmd, maxMem: m.maxMem}
	ok := false
	defer func() {
		if !ok {
			_ = inst.closeFiles()
		}
	}()
	if sio.StdinPath != "" {
		f, err := os.Open(sio.StdinPath)
		if err != nil {
			return nil, runners.Errorf(runners.KindBadJob, "child's stdin: %v", err)
		}
		inst.files = append(inst.files, f)
		cmd.Stdin = f
	}
	if sio.StdoutPath != "" {
		f, err := os.OpenFile(sio.StdoutPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("child's stdout: %w", err)
		}
		inst.files = append(inst.files, f)
		cmd.Stdout = f
	}
	if sio.StderrPath != "" {
		f, err := os.OpenFile(sio.StderrPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("child's stderr: %w", err)
		}
		inst.files = append(inst.files, f)
		cmd.Stderr = f
	}
	ok = true
	return inst, nil
}

type instance struct {
	cmd    *exec.Cmd
	files  []*os.File
	maxMem int64
}

// limitData caps a process's data segment (RLIMIT_DATA, soft and hard).
func limitData(pid int, n int64) error {
	lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_DATA,
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Run starts the child and waits for it; at ctx's deadline it kills it.
// The child stays in the worker's process group, so a client that kills
// the worker's group kills it too.
func (i *instance) Run(ctx context.Context) (int, error) {
	if err := i.cmd.Start(); err != nil {
		if errors.Is(err, syscall.ENOEXEC) {
			return 0, runners.Errorf(runners.KindCompile, "cannot execute: %v", err)
		}
		return 0, fmt.Errorf("start: %w", err)
	}
	if i.maxMem > 0 {
		// Right after exec: what the child allocated before this line
		// stays, every later growth counts against the cap.
		if err := limitData(i.cmd.Process.Pid, i.maxMem); err != nil {
			_ = i.cmd.Process.Kill()
			_ = i.cmd.Wait()
			return 0, fmt.Errorf("memory cap: prlimit RLIMIT_DATA: %w", err)
		}
	}
	done := make(chan struct{})
	killed := make(chan bool, 1)
	go func() {
		select {
		case <-ctx.Done():
			_ = i.cmd.Process.Kill()
			killed <- true
		case <-done:
			killed <- false
		}
	}()
	err := i.cmd.Wait()
	close(done)
	wasKilled := <-killed
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if wasKilled && ws.Signal() == syscall.SIGKILL {
				return 0, runners.Errorf(runners.KindTimeout, "killed the child at the deadline: %v", ctx.Err())
			}
			return 0, runners.Errorf(runners.KindTrap, "the child was killed by %s", signalName(ws.Signal()))
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("wait: %w", err)
	}
	return 0, nil
}

// Func implements runners.Instance: a native executable has no exports.
func (i *instance) Func(name string) (func(context.Context) error, error) {
	return nil, runners.Errorf(runners.KindUnsupported, "a native executable has no exported function %q to call", name)
}

func (i *instance) Close(_ context.Context) error { return i.closeFiles() }

func (i *instance) closeFiles() error {
	var errs []error
	for _, f := range i.files {
		errs = append(errs, f.Close())
	}
	i.files = nil
	return errors.Join(errs...)
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGILL: "SIGILL",
	syscall.SIGKILL: "SIGKILL", syscall.SIGPIPE: "SIGPIPE", syscall.SIGSEGV: "SIGSEGV", syscall.SIGTERM: "SIGTERM",
	syscall.SIGTRAP: "SIGTRAP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGSYS: "SIGSYS",
	syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ",
}

// signalName is "SIGSEGV (segmentation fault)".
func signalName(s syscall.Signal) string {
	name, ok := signalNames[s]
	if !ok {
		name = fmt.Sprintf("signal %d", int(s))
	}
	return name + " (" + s.String() + ")"
}
