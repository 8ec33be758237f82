package container

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
)

// runcLauncher runs each environment as `runc run` of an OCI bundle: the
// function image's root file system, unpacked once per package and shared
// read-only, and a config.json per environment (the host's network, so
// the Runtime API on 127.0.0.1 is reachable).
type runcLauncher struct {
	bin    string
	mu     sync.Mutex
	rootfs map[string]string // package folder -> unpacked image root
}

func (r *runcLauncher) Name() string           { return Runc }
func (r *runcLauncher) TaskRoot(string) string { return pkg.TaskRoot }
func (r *runcLauncher) MemoryLimit() string {
	return "runc linux.resources.memory (limit and swap)"
}

// CPULimit implements lambdalocal.CPULimiter: the container's own cgroup
// gets the quota.
func (r *runcLauncher) CPULimit(s lambdalocal.CPUShare) string {
	return fmt.Sprintf("runc linux.resources.cpu quota %d period %d shares %d", s.QuotaUS, s.PeriodUS, s.Shares)
}

func (r *runcLauncher) available(context.Context) error {
	if _, err := exec.LookPath(r.bin); err != nil {
		return fmt.Errorf("container-local: runc is not installed (%v): apt-get install runc, or use --container-runtime docker", err)
	}
	if !isRoot() {
		return fmt.Errorf("container-local: %w", errNotRoot)
	}
	return nil
}

// prepare builds the image and unpacks it into a root file system.
func (r *runcLauncher) prepare(_ context.Context, dir string, files []pkg.File) (int64, error) {
	all, err := imageFiles(files)
	if err != nil {
		return 0, fmt.Errorf("container-local: image: %w", err)
	}
	img, err := pkg.Image(all, pkg.ImageOptions{})
	if err != nil {
		return 0, fmt.Errorf("container-local: image: %w", err)
	}
	size, err := pkg.ImageSize(img)
	if err != nil {
		return 0, fmt.Errorf("container-local: image: %w", err)
	}
	root := dir + ".rootfs"
	if err := os.RemoveAll(root); err != nil {
		return 0, fmt.Errorf("container-local: %w", err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untar(rc, root); err != nil {
		return 0, fmt.Errorf("container-local: unpack image: %w", err)
	}
	r.mu.Lock()
	r.rootfs[dir] = root
	r.mu.Unlock()
	return size, nil
}

// untar writes a flattened image into dir: folders and regular files only
// (what pkg.Image makes), refusing paths that leave dir.
func untar(rd io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(rd)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("entry %q leaves the root", h.Name)
		}
		dst := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(dst, os.FileMode(h.Mode).Perm()|stickyOf(h.Mode)); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(h.Mode).Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Chmod(dst, os.FileMode(h.Mode).Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q: unsupported type %c", h.Name, h.Typeflag)
		}
	}
}

// stickyOf maps tar's sticky bit (01000) to Go's.
func stickyOf(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

// Launch implements lambdalocal.Launcher.
func (r *runcLauncher) Launch(_ context.Context, s lambdalocal.LaunchSpec) (lambdalocal.Proc, error) {
	r.mu.Lock()
	root, ok := r.rootfs[s.Dir]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no root file system was unpacked for %s", s.Dir)
	}
	t0 := time.Now()
	if err := os.Chmod(s.Tmp, 0o1777); err != nil {
		return nil, err
	}
	bundle, err := os.MkdirTemp("", "bench-runc-bundle-")
	if err != nil {
		return nil, err
	}
	id := "bench-lambda-" + s.ID + "-" + strconv.Itoa(os.Getpid())
	cgroupsPath := "/bench-runc/" + id
	if s.Cgroup != nil && s.Cgroup.LimitsMemory() {
		cgroupsPath = s.Cgroup.Path() + "/runc"
		s.Cgroup.AlsoRemove()
	}
	cfg := ociConfig(root, s, cgroupsPath)
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		os.RemoveAll(bundle)
		return nil, err
	}
	create := time.Since(t0)
	cmd := exec.Command(r.bin, "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = s.Output, s.Output
	if err := cmd.Start(); err != nil {
		os.RemoveAll(bundle)
		return nil, fmt.Errorf("runc run: %w", err)
	}
	p := &proc{cmd: cmd, phases: map[string]time.Duration{results.PhaseContainerCreate: create}}
	p.kill = func() { _, _ = run(context.Background(), r.bin, "kill", id, "KILL") }
	p.cleanup = func() {
		_, _ = run(context.Background(), r.bin, "delete", "--force", id)
		os.RemoveAll(bundle)
	}
	return p, nil
}

// ociConfig is the runtime spec of one environment: the image root
// read-only, /tmp its own writable folder, an unprivileged user, no
// capabilities, its own pid/ipc/uts/mount namespaces and the host's
// network; its memory limit when the environment's cgroup has none, its
// CPU quota.
func ociConfig(root string, s lambdalocal.LaunchSpec, cgroupsPath string) map[string]any {
	linux := map[string]any{
		"namespaces":  []map[string]string{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}},
		"cgroupsPath": cgroupsPath,
		"maskedPaths": []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
		"readonlyPaths": []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
	}
	res := map[string]any{}
	if s.Cgroup == nil || !s.Cgroup.LimitsMemory() {
		lim := int64(s.MemoryMB) << 20
		res["memory"] = map[string]any{"limit": lim, "swap": lim}
	}
	if s.CPU.QuotaUS > 0 {
		cpu := map[string]any{"quota": s.CPU.QuotaUS, "period": s.CPU.PeriodUS}
		if s.CPU.Shares > 0 {
			cpu["shares"] = s.CPU.Shares // runc converts it to cpu.weight on cgroup v2
		}
		res["cpu"] = cpu
	}
	if len(res) > 0 {
		linux["resources"] = res
	}
	return map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]int{"uid": 65534, "gid": 65534},
			"args":            []string{pkg.TaskRoot + "/bootstrap"},
			"env":             s.Env,
			"cwd":             pkg.TaskRoot,
			"noNewPrivileges": true,
			"rlimits":         []map[string]any{{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}},
		},
		"root":     map[string]any{"path": root, "readonly": true},
		"hostname": "bench-lambda",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
			{"destination": "/tmp", "type": "bind", "source": s.Tmp, "options": []string{"rbind", "rw"}},
		},
		"linux": linux,
	}
}
