package confine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// Package is the Debian package that provides bwrap.
const Package = "bubblewrap"

// Needed reports whether a job must run confined: it runs the guest (any
// op but prepare) with a preopened folder. Without one a guest has no
// path to open, so the worker runs as it is.
func Needed(job runners.Job) bool {
	return job.Op != runners.OpPrepare && len(job.Dirs) > 0
}

var (
	availOnce sync.Once
	availErr  error
	bwrapPath string
)

// Available reports whether bwrap can start a sandbox here: nil, or an
// error that names the package to install or says why bwrap fails (a
// kernel without unprivileged user namespaces, a container that forbids
// mounts). It runs bwrap once per process.
func Available() error {
	availOnce.Do(func() {
		p, err := exec.LookPath("bwrap")
		if err != nil {
			availErr = fmt.Errorf("%w: bwrap is not installed (Debian: apt-get install %s)", ErrUnavailable, Package)
			return
		}
		// A trial sandbox with the flags Command uses, running bwrap's
		// own binary (bound in) to print its version.
		args := append(baseArgs(), "--ro-bind", p, p)
		for _, lib := range libraries(p) {
			args = append(args, "--ro-bind", lib, lib)
		}
		out, err := exec.Command(p, append(args, p, "--version")...).CombinedOutput()
		if err != nil {
			availErr = fmt.Errorf("%w: bwrap (%s) cannot start a sandbox here: %v: %s", ErrUnavailable, p, err, bytes.TrimSpace(out))
			return
		}
		bwrapPath = p
	})
	return availErr
}

// baseArgs are the namespaces and the minimal root of every sandbox.
func baseArgs() []string {
	return []string{
		"--unshare-all", "--die-with-parent",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--chdir", "/", "--setenv", runners.EnvSandbox, "bwrap",
	}
}

// Command returns the command that runs cmd inside bwrap for job: cmd's
// executable and libraries, the files its arguments name, the job's
// module, stdin and artifact folder read-only, its preopened folders
// read-write. A job that does not need it (see Needed) gets cmd as it
// is.
func Command(cmd client.Command, job runners.Job) (client.Command, error) {
	if !Needed(job) {
		return cmd, nil
	}
	if err := Available(); err != nil {
		return client.Command{}, err
	}
	exe, err := exec.LookPath(cmd.Path)
	if err != nil {
		return client.Command{}, fmt.Errorf("confine: worker %s: %w", cmd.Path, err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return client.Command{}, fmt.Errorf("confine: worker %s: %w", cmd.Path, err)
	}
	var ro, rw []string
	ro = append(ro, exe)
	libs := libraries(exe)
	ro = append(ro, libs...)
	// Debian's libnode loads Node.js's own JavaScript dependencies
	// (cjs-module-lexer, acorn, undici) from /usr/share/nodejs at start-up
	// (deploy/pkg ships them in the Node.js function's image for the same
	// reason): without them node aborts inside the sandbox.
	for _, l := range libs {
		if strings.HasPrefix(filepath.Base(l), "libnode.so") && isDir(nodeShare) {
			ro = append(ro, nodeShare)
			break
		}
	}
	for _, a := range cmd.Args {
		if filepath.IsAbs(a) && isFile(a) {
			ro = append(ro, a)
		}
	}
	// Node.js reads this file at start-up (parsing a CA bundle there
	// costs ~0.2 s on a loaded machine): the sandbox holds it, so that a
	// confined worker starts as an unconfined one does. It holds public
	// certificates.
	if f := envValue(cmd.Env, "NODE_EXTRA_CA_CERTS"); filepath.IsAbs(f) && isFile(f) {
		ro = append(ro, f)
	}
	files, dirs, err := jobPaths(job)
	if err != nil {
		return client.Command{}, err
	}
	ro = append(ro, files...)
	rw = append(rw, dirs...)

	args := baseArgs()
	seen := map[string]bool{}
	for _, p := range ro {
		if !seen[p] {
			seen[p] = true
			args = append(args, "--ro-bind", p, p)
		}
	}
	for _, p := range rw {
		args = append(args, "--bind", p, p)
	}
	args = append(args, "--", exe)
	args = append(args, cmd.Args...)
	return client.Command{Path: bwrapPath, Args: args, Env: cmd.Env, Dir: cmd.Dir}, nil
}

// nodeShare is where Debian's libnode finds its bundled JavaScript.
const nodeShare = "/usr/share/nodejs"

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// jobPaths lists what a job names on disk: files and folders to bind
// read-only, and the preopened folders to bind read-write. A preopen must
// be a folder: bwrap would otherwise bind whatever the path leads to.
//
// Every field of runners.Job that names a path must be listed here
// (TestJobPathsCoverJob fails otherwise): a path the worker needs and the
// sandbox lacks fails the job, and a folder bound by mistake is a folder
// a guest may reach.
func jobPaths(job runners.Job) (ro, rw []string, err error) {
	abs := func(what, p string) (string, error) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("confine: %s %s: %w", what, p, err)
		}
		return a, nil
	}
	if job.Module.Path != "" {
		p, err := abs("module", job.Module.Path)
		if err != nil {
			return nil, nil, err
		}
		ro = append(ro, p)
	}
	if job.StdinPath != "" {
		p, err := abs("stdin", job.StdinPath)
		if err != nil {
			return nil, nil, err
		}
		ro = append(ro, p)
	}
	if job.ArtifactDir != "" {
		p, err := abs("artifact folder", job.ArtifactDir)
		if err != nil {
			return nil, nil, err
		}
		if _, err := os.Stat(p); err == nil {
			ro = append(ro, p)
		}
	}
	for _, d := range job.Dirs {
		p, err := abs("preopened folder", d.Host)
		if err != nil {
			return nil, nil, err
		}
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("confine: preopened folder %s (guest %s) is not a folder", d.Host, d.Guest)
		}
		rw = append(rw, p)
	}
	if job.IODir != "" {
		// The worker writes the guest's stdout and stderr there; the
		// guest itself never sees it (it is no preopen).
		p, err := abs("I/O folder", job.IODir)
		if err != nil {
			return nil, nil, err
		}
		rw = append(rw, p)
	}
	return ro, rw, nil
}

// envValue is a variable as the worker will see it: from env (added to
// the orchestrator's environment) or else the orchestrator's own.
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return os.Getenv(key)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

var libCache sync.Map // executable path -> []string

// libraries lists the shared libraries an executable loads, and its
// program interpreter, as ldd resolves them here; nil for a static one.
func libraries(exe string) []string {
	if v, ok := libCache.Load(exe); ok {
		return v.([]string)
	}
	out, err := exec.Command("ldd", exe).Output()
	var libs []string
	if err == nil {
		libs = parseLdd(out)
	}
	libCache.Store(exe, libs)
	return libs
}

// parseLdd reads ldd's output: "name => /path (0x...)" and
// "/path/ld.so (0x...)" lines; the vDSO has no path.
func parseLdd(out []byte) []string {
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if _, after, ok := strings.Cut(line, "=>"); ok {
			line = strings.TrimSpace(after)
		}
		p, _, _ := strings.Cut(line, " ")
		if filepath.IsAbs(p) && !slices.Contains(libs, p) {
			libs = append(libs, p)
		}
	}
	return libs
}

// ErrUnavailable is wrapped by Available's errors.
var ErrUnavailable = errors.New("no sandbox")
