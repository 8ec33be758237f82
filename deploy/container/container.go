package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
)

// Engines.
const (
	Docker = "docker"
	Runc   = "runc"
)

// Options configures the container-local target.
type Options struct {
	// Engine is "docker" (default) or "runc".
	Engine string
	// MemoryMB is the function's memory size when a task names none.
	MemoryMB int
	// FunctionTimeout is the function timeout; Lambda's default, 3 s,
	// when zero (see lambdalocal.Options).
	FunctionTimeout time.Duration
	// InitTimeout bounds an environment's init; 10 s when zero.
	InitTimeout time.Duration
	// NoCPUScaling lets every container use the whole machine's CPU at
	// any memory size, instead of the share Lambda gives that size.
	NoCPUScaling bool
	// WorkDir holds the packages, images and bundles; a temporary folder
	// when empty.
	WorkDir string
	// Log, when set, receives the functions' logs and REPORT lines.
	Log io.Writer
	// Docker and Runc are the engines' executables; found on PATH when empty.
	Docker, Runc string
}

// Target is the container-local target: each task's function package,
// built into an OCI image from scratch (bootstrap, module, artifact,
// input, and the shared libraries a dynamically linked worker or node
// needs), runs as a Lambda container image does — one container per
// execution environment, on the host's network so that it reaches the
// Runtime API host on 127.0.0.1.
type Target struct {
	opts  Options
	inner *lambdalocal.Target
	l     launcher
}

var (
	_ deploy.Target = (*Target)(nil)
	_ deploy.Closer = (*Target)(nil)
	_ deploy.Sized  = (*Target)(nil)
)

// launcher is an engine's lambdalocal.Launcher plus its image handling.
type launcher interface {
	lambdalocal.Launcher
	// prepare makes the package in dir runnable: loads the image, or
	// unpacks its root file system.
	prepare(ctx context.Context, dir string, files []pkg.File) (size int64, err error)
	available(ctx context.Context) error
}

// New returns the container-local target for an engine.
func New(opts Options) (*Target, error) {
	if opts.Engine == "" {
		opts.Engine = Docker
	}
	t := &Target{opts: opts}
	switch opts.Engine {
	case Docker:
		if opts.Docker == "" {
			opts.Docker = "docker"
		}
		t.l = &dockerLauncher{bin: opts.Docker, images: map[string]string{}}
	case Runc:
		if opts.Runc == "" {
			opts.Runc = "runc"
		}
		t.l = &runcLauncher{bin: opts.Runc, rootfs: map[string]string{}}
	default:
		return nil, fmt.Errorf("container-local: unknown container engine %q (want docker or runc)", opts.Engine)
	}
	t.opts = opts
	t.inner = lambdalocal.New(lambdalocal.Options{Name: "container-local", Launcher: t.l, MemoryMB: opts.MemoryMB,
		FunctionTimeout: opts.FunctionTimeout, InitTimeout: opts.InitTimeout, NoCPUScaling: opts.NoCPUScaling,
		WorkDir: opts.WorkDir, Log: opts.Log,
		Prepare: func(ctx context.Context, dir string, files []pkg.File) (string, int64, error) {
			size, err := t.l.prepare(ctx, dir, files)
			return "image", size, err
		}})
	return t, nil
}

// Name implements deploy.Target.
func (t *Target) Name() string { return "container-local" }

// DefaultMemoryMB implements deploy.Sized.
func (t *Target) DefaultMemoryMB() int { return t.inner.DefaultMemoryMB() }

// Engine is the container engine the target runs.
func (t *Target) Engine() string { return t.opts.Engine }

// Available implements deploy.Target: it says what is missing — the
// engine's executable, a reachable Docker daemon, root for runc — or
// what is wrong with the options.
func (t *Target) Available(ctx context.Context) error {
	if err := t.inner.Available(ctx); err != nil {
		return err
	}
	return t.l.available(ctx)
}

// MemoryEnforcement says how the memory size is enforced.
func (t *Target) MemoryEnforcement() string { return t.inner.MemoryEnforcement() }

// CPUScaling says what CPU a container of a memory size (0: the default)
// gets, and how.
func (t *Target) CPUScaling(memoryMB int) string { return t.inner.CPUScaling(memoryMB) }

// FunctionTimeout is the function timeout the target applies.
func (t *Target) FunctionTimeout() time.Duration { return t.inner.FunctionTimeout() }

// Close removes the packages, bundles and the images it loaded.
func (t *Target) Close() error {
	if c, ok := t.l.(interface{ close() }); ok {
		c.close()
	}
	return t.inner.Close()
}

// Run implements deploy.Target.
func (t *Target) Run(ctx context.Context, task deploy.Task) (deploy.Outcome, error) {
	if err := t.Available(ctx); err != nil {
		return deploy.Outcome{}, err
	}
	out, err := t.inner.Run(ctx, task)
	if err != nil {
		return out, err
	}
	// Split a cold start: create, start (to the bootstrap's main), the
	// runtime's init (to its first /next).
	var create, initDur *results.Record
	for i := range out.Extra {
		switch r := &out.Extra[i]; r.Phase {
		case results.PhaseContainerCreate:
			create = r
		case results.PhaseInitDuration:
			initDur = r
		}
	}
	if create != nil && out.Spawn > 0 {
		base := *create
		start := base
		start.Phase, start.Value = results.PhaseContainerStart, float64(out.Spawn)-create.Value
		out.Extra = append(out.Extra, start)
		if initDur != nil {
			ri := base
			ri.Phase, ri.Value = results.PhaseRuntimeInit, initDur.Value-float64(out.Spawn)
			out.Extra = append(out.Extra, ri)
		}
	}
	return out, nil
}

// imageFiles is a package's files plus what running them from scratch
// needs: the shared libraries of dynamically linked executables, and node
// itself for the Node.js function.
func imageFiles(files []pkg.File) ([]pkg.File, error) {
	node := false
	for _, f := range files {
		if f.Name == pkg.NodeHandler {
			node = true
		}
	}
	if node {
		nf, err := pkg.NodeFiles()
		if err != nil {
			return nil, err
		}
		files = append(append([]pkg.File(nil), files...), nf...)
		// The bootstrap script needs a shell.
		sh, err := filepath.EvalSymlinks("/bin/sh")
		if err != nil {
			return nil, fmt.Errorf("node function image: /bin/sh: %w", err)
		}
		files = append(files, pkg.File{Name: "/bin/sh", Src: sh, Mode: 0o755})
	}
	return pkg.SystemLibraries(files)
}

// run runs a command and returns its output, with stderr in the error.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// proc is a container's foreground process (docker start -a, runc run).
type proc struct {
	cmd     *exec.Cmd
	once    sync.Once
	err     error
	kill    func()
	oom     func() bool
	peak    func() int64
	phases  map[string]time.Duration
	cleanup func()
}

func (p *proc) Wait() error {
	p.once.Do(func() {
		p.err = p.cmd.Wait()
		if p.cleanup != nil {
			p.cleanup()
		}
	})
	return p.err
}

func (p *proc) Kill() {
	if p.kill != nil {
		p.kill()
	}
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

func (p *proc) Peak() int64 {
	if p.peak != nil {
		return p.peak()
	}
	return 0
}

func (p *proc) OOMKilled() bool { return p.oom != nil && p.oom() }

func (p *proc) LaunchPhases() map[string]time.Duration { return p.phases }

var errNotRoot = errors.New("runc needs root here (rootless runc needs a user namespace set-up bench does not do): run bench as root, or use --container-runtime docker")

func isRoot() bool { return os.Geteuid() == 0 }
