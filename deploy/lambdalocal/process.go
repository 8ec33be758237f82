package lambdalocal

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process launches each environment as a local process: the package's
// bootstrap, started in the unpacked package with Lambda's environment,
// in its own process group and cgroup, TMPDIR its own /tmp folder.
type Process struct{}

var _ Launcher = Process{}

// Name implements Launcher.
func (Process) Name() string { return "process" }

// TaskRoot implements Launcher: the package folder itself.
func (Process) TaskRoot(dir string) string { return dir }

// MemoryLimit implements Launcher. Without a cgroup the limit is the
// bootstrap's resident set, polled: a resource limit would not do, since
// RLIMIT_AS counts wasm runtimes' multi-GiB reservations and RLIMIT_DATA
// counts Go's 64 MiB heap arenas as soon as they are mapped, untouched,
// so a Go bootstrap could not even start in a small function.
func (Process) MemoryLimit() string {
	return fmt.Sprintf("the bootstrap's resident set (VmRSS) polled every %v, killed above the size; peak from VmHWM", rssPoll)
}

// rssPoll is how often the resident set is read without a cgroup.
const rssPoll = 10 * time.Millisecond

// Launch implements Launcher.
func (Process) Launch(_ context.Context, s LaunchSpec) (Proc, error) {
	return startProcess(exec.Command(filepath.Join(s.Dir, "bootstrap")), s)
}

// startProcess starts cmd as the environment s describes.
func startProcess(cmd *exec.Cmd, s LaunchSpec) (Proc, error) {
	cmd.Dir = s.Dir
	cmd.Env = append(append([]string(nil), s.Env...), "TMPDIR="+s.Tmp)
	cmd.Stdout, cmd.Stderr = s.Output, s.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if s.Cgroup != nil {
		// Start inside the cgroup: every byte and every CPU cycle counts.
		err = s.Cgroup.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	if s.Cgroup == nil || !s.Cgroup.LimitsMemory() {
		go p.watch(int64(s.MemoryMB) << 20)
	}
	return p, nil
}

type process struct {
	cmd  *exec.Cmd
	once sync.Once
	err  error
	done chan struct{}
	mu   sync.Mutex
	peak int64 // VmHWM, last read
	oom  bool
}

// watch enforces the memory size without a cgroup: it kills the process
// group when the bootstrap's resident set passes limit.
func (p *process) watch(limit int64) {
	t := time.NewTicker(rssPoll)
	defer t.Stop()
	pid := p.cmd.Process.Pid
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		rss, hwm := processMemory(pid)
		p.mu.Lock()
		if hwm > p.peak {
			p.peak = hwm
		}
		over := rss > limit
		if over {
			p.oom = true
		}
		p.mu.Unlock()
		if over {
			p.Kill()
			return
		}
	}
}

func (p *process) Wait() error {
	p.once.Do(func() {
		p.err = p.cmd.Wait()
		close(p.done)
	})
	return p.err
}

func (p *process) Kill() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Process.Kill()
	}
}

// Peak is the bootstrap's peak resident set (VmHWM: exec resets it, unlike
// the rusage of a child forked from a large parent).
func (p *process) Peak() int64 {
	_, hwm := processMemory(p.cmd.Process.Pid)
	p.mu.Lock()
	defer p.mu.Unlock()
	if hwm > p.peak {
		p.peak = hwm
	}
	return p.peak
}

func (p *process) OOMKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.oom
}

// Unzip extracts a deployment zip into dir, keeping the files' modes and
// refusing names that leave dir.
func Unzip(zipPath, dir string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("lambda-local: open %s: %w", zipPath, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) ||
			strings.Contains(name, string(filepath.Separator)+".."+string(filepath.Separator)) {
			return fmt.Errorf("lambda-local: %s: entry %q leaves the task root", zipPath, f.Name)
		}
		dst := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("lambda-local: unzip: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("lambda-local: unzip: %w", err)
		}
		mode := f.Mode().Perm()
		if mode == 0 {
			mode = 0o644
		}
		if err := extract(f, dst, mode); err != nil {
			return fmt.Errorf("lambda-local: unzip %s: %w", f.Name, err)
		}
	}
	return nil
}

func extract(f *zip.File, dst string, mode os.FileMode) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
