package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
)

// dockerLauncher runs each environment as a Docker container of the
// function's image (loaded with docker load: there is no registry).
type dockerLauncher struct {
	bin    string
	mu     sync.Mutex
	images map[string]string // package folder -> image reference
	loaded []string
	// cgroupfs is true when the daemon's cgroup driver is cgroupfs, which
	// takes a cgroup path as --cgroup-parent (systemd takes a slice name).
	cgroupfs bool
	checked  bool // the daemon answered once; not asked again
}

func (d *dockerLauncher) Name() string           { return Docker }
func (d *dockerLauncher) TaskRoot(string) string { return pkg.TaskRoot }
func (d *dockerLauncher) MemoryLimit() string    { return "docker --memory (and --memory-swap)" }

// CPULimit implements lambdalocal.CPULimiter: the container's own cgroup
// gets the quota.
func (d *dockerLauncher) CPULimit(s lambdalocal.CPUShare) string {
	return fmt.Sprintf("docker --cpu-quota %d --cpu-period %d --cpu-shares %d", s.QuotaUS, s.PeriodUS, s.Shares)
}
func (d *dockerLauncher) available(ctx context.Context) error {
	d.mu.Lock()
	checked := d.checked
	d.mu.Unlock()
	if checked {
		return nil
	}
	if _, err := exec.LookPath(d.bin); err != nil {
		return fmt.Errorf("container-local: docker is not installed (%v): install Docker, or use --container-runtime runc", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := run(ctx, d.bin, "version", "--format", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("container-local: the Docker daemon is not reachable: %w", err)
	}
	out, err := run(ctx, d.bin, "info", "--format", "{{.CgroupDriver}}")
	if err != nil {
		return fmt.Errorf("container-local: docker info: %w", err)
	}
	d.mu.Lock()
	d.cgroupfs = strings.TrimSpace(string(out)) == "cgroupfs"
	d.checked = true
	d.mu.Unlock()
	return nil
}

// prepare builds the image and loads it, unless an image with its digest
// is already there.
func (d *dockerLauncher) prepare(ctx context.Context, dir string, files []pkg.File) (int64, error) {
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
	digest, err := img.Digest()
	if err != nil {
		return 0, fmt.Errorf("container-local: image: %w", err)
	}
	ref := "bench-local/function:" + digest.Hex[:20]
	if _, err := run(ctx, d.bin, "image", "inspect", "--format", "{{.Id}}", ref); err != nil {
		tarPath := dir + ".image.tar"
		if _, err := pkg.WriteImageTarball(tarPath, img, ref); err != nil {
			return 0, fmt.Errorf("container-local: %w", err)
		}
		defer os.Remove(tarPath)
		if _, err := run(ctx, d.bin, "load", "--quiet", "--input", tarPath); err != nil {
			return 0, fmt.Errorf("container-local: %w", err)
		}
		d.mu.Lock()
		d.loaded = append(d.loaded, ref)
		d.mu.Unlock()
	}
	d.mu.Lock()
	d.images[dir] = ref
	d.mu.Unlock()
	return size, nil
}

func (d *dockerLauncher) close() {
	d.mu.Lock()
	refs := d.loaded
	d.loaded = nil
	d.mu.Unlock()
	if len(refs) > 0 {
		_, _ = run(context.Background(), d.bin, append([]string{"image", "rm", "--force"}, refs...)...)
	}
}

// Launch implements lambdalocal.Launcher: docker create, then docker
// start --attach as the environment's process.
func (d *dockerLauncher) Launch(ctx context.Context, s lambdalocal.LaunchSpec) (lambdalocal.Proc, error) {
	d.mu.Lock()
	ref, ok := d.images[s.Dir]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no image was built for %s", s.Dir)
	}
	// The function runs as an unprivileged user, as on Lambda; its /tmp
	// is the environment's folder.
	if err := os.Chmod(s.Tmp, 0o1777); err != nil {
		return nil, err
	}
	name := "bench-lambda-" + s.ID + "-" + strconv.Itoa(os.Getpid())
	d.mu.Lock()
	cgroupfs := d.cgroupfs
	d.mu.Unlock()
	args := dockerCreateArgs(name, ref, s, cgroupfs)
	t0 := time.Now()
	if _, err := run(ctx, d.bin, args...); err != nil {
		return nil, err
	}
	create := time.Since(t0)
	remove := func() { _, _ = run(context.Background(), d.bin, "rm", "--force", name) }
	cmd := exec.Command(d.bin, "start", "--attach", name)
	cmd.Stdout, cmd.Stderr = s.Output, s.Output
	if err := cmd.Start(); err != nil {
		remove()
		return nil, fmt.Errorf("docker start: %w", err)
	}
	p := &proc{cmd: cmd, phases: map[string]time.Duration{results.PhaseContainerCreate: create}}
	var oomOnce sync.Once
	var oom bool
	p.oom = func() bool {
		oomOnce.Do(func() {
			out, err := run(context.Background(), d.bin, "inspect", "--format", "{{.State.OOMKilled}}", name)
			oom = err == nil && strings.TrimSpace(string(out)) == "true"
		})
		return oom
	}
	p.kill = func() { _, _ = run(context.Background(), d.bin, "kill", name) }
	p.peak = func() int64 { return dockerPeak(d.bin, name) }
	p.cleanup = func() {
		p.oom() // before the container is gone
		remove()
	}
	return p, nil
}

// dockerCreateArgs are the arguments of the docker create of one
// environment. With the cgroupfs driver the environment's memory cgroup
// is the container's parent: its limit applies and its peak counts the
// container. Else docker limits the memory itself. The CPU share is the
// container's own quota.
func dockerCreateArgs(name, ref string, s lambdalocal.LaunchSpec, cgroupfs bool) []string {
	args := []string{"create", "--name", name, "--network", "host", "--read-only", "--user", "65534:65534",
		"--log-driver", "none", "--volume", s.Tmp + ":/tmp", "--pids-limit", "1024"}
	if s.Cgroup != nil && s.Cgroup.LimitsMemory() && cgroupfs {
		args = append(args, "--cgroup-parent", s.Cgroup.Path())
		s.Cgroup.AlsoRemove()
	} else {
		m := strconv.Itoa(s.MemoryMB) + "m"
		args = append(args, "--memory", m, "--memory-swap", m)
	}
	if s.CPU.QuotaUS > 0 {
		args = append(args, "--cpu-period", strconv.FormatInt(s.CPU.PeriodUS, 10),
			"--cpu-quota", strconv.FormatInt(s.CPU.QuotaUS, 10))
		if s.CPU.Shares > 0 {
			args = append(args, "--cpu-shares", strconv.FormatInt(s.CPU.Shares, 10))
		}
	}
	for _, kv := range s.Env {
		args = append(args, "--env", kv)
	}
	return append(args, ref)
}

// dockerPeak reads a running container's memory peak from its cgroup
// (cgroup v1 memory.max_usage_in_bytes or v2 memory.peak), 0 when it
// cannot be found.
func dockerPeak(bin, name string) int64 {
	out, err := run(context.Background(), bin, "inspect", "--format", "{{.State.Pid}}", name)
	if err != nil {
		return 0
	}
	pid := strings.TrimSpace(string(out))
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if strings.Contains(","+parts[1]+",", ",memory,") {
			if n := readInt(filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.max_usage_in_bytes")); n > 0 {
				return n
			}
		}
		if parts[0] == "0" {
			if n := readInt(filepath.Join("/sys/fs/cgroup", parts[2], "memory.peak")); n > 0 {
				return n
			}
		}
	}
	return 0
}

func readInt(p string) int64 {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
