package lambdalocal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Cgroup is one execution environment's control group. It enforces the
// function's memory size and measures the environment's peak (Max Memory
// Used), as Lambda does, and gives the environment the CPU share Lambda
// gives that memory size (a CFS bandwidth quota, see CPUShare), for every
// process in it. Each controller comes from cgroup v2 when this machine
// delegates it there, else from cgroup v1: with cgroup v2 the environment
// is one group with both controllers, with cgroup v1 a same-named group in
// the memory hierarchy and one in the cpu hierarchy.
type Cgroup struct {
	groups []group
	// mem and cpu index the groups the memory and cpu controllers govern;
	// -1 when the environment's memory or CPU is not controlled here.
	mem, cpu int
	limit    int64
	share    CPUShare
	// others are same-named folders other v1 hierarchies got when a
	// container engine used the memory group's path as a parent; Close
	// removes them.
	others []string
}

// group is one cgroup folder.
type group struct {
	dir string // the folder
	rel string // its path from the hierarchy's root (docker's --cgroup-parent, runc's cgroupsPath)
	v2  bool
}

// place is this process's own cgroup in the hierarchy that has a
// controller: the parent of the environments' groups.
type place struct {
	dir, rel string
	v2       bool
}

// cgroupMount is where a cgroup hierarchy is mounted, which cgroup path
// its mount root is, and (cgroup v1) the controllers it has.
type cgroupMount struct {
	point, root string
	v2          bool
	ctrls       []string
}

var envSeq atomic.Int64

// cgroupMode says whether this process can make child groups with a
// controller ("memory", "cpu"): "cgroup2", "cgroup1", or "" with the reason.
func cgroupMode(ctrl string) (mode string, why string) {
	p, err := locate(ctrl)
	if err != nil {
		return "", err.Error()
	}
	if err := writable(p.dir); err != nil {
		return "", fmt.Sprintf("the %s cgroup %s is not writable (run as root, or delegate it): %v", ctrl, p.dir, err)
	}
	if ctrl == "cpu" && !p.v2 {
		if _, err := os.Stat(filepath.Join(p.dir, "cpu.cfs_quota_us")); err != nil {
			return "", fmt.Sprintf("the kernel has no CFS bandwidth control (%s/cpu.cfs_quota_us): %v", p.dir, err)
		}
	}
	if p.v2 {
		return "cgroup2", ""
	}
	return "cgroup1", ""
}

func writable(dir string) error {
	return syscall.Access(dir, 2 /* W_OK */)
}

// locate finds this process's own cgroup in the hierarchy that has the
// controller: cgroup v2 when the controller is available to its group
// there, else the cgroup v1 hierarchy of that controller.
func locate(ctrl string) (place, error) {
	mounts, err := readMounts()
	if err != nil {
		return place{}, err
	}
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return place{}, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	var v1Path, v2Path string
	for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2Path = parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == ctrl {
				v1Path = parts[2]
			}
		}
	}
	for _, m := range mounts {
		if !m.v2 || v2Path == "" {
			continue
		}
		dir := filepath.Join(m.point, strings.TrimPrefix(v2Path, m.root))
		ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err == nil && hasWord(string(ctl), ctrl) {
			return place{dir: dir, rel: v2Path, v2: true}, nil
		}
	}
	for _, m := range mounts {
		if m.v2 || v1Path == "" || !hasWord(strings.Join(m.ctrls, " "), ctrl) {
			continue
		}
		return place{dir: filepath.Join(m.point, strings.TrimPrefix(v1Path, m.root)), rel: v1Path}, nil
	}
	return place{}, fmt.Errorf("no cgroup %s controller is mounted (neither cgroup v2 with %[1]s nor cgroup v1 %[1]s)", ctrl)
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// readMounts lists the cgroup mounts in /proc/self/mountinfo.
func readMounts() ([]cgroupMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		fstype, opts := fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup2":
			out = append(out, cgroupMount{point: fields[4], root: fields[3], v2: true})
		case "cgroup":
			out = append(out, cgroupMount{point: fields[4], root: fields[3], ctrls: strings.Split(opts, ",")})
		}
	}
	return out, sc.Err()
}

// cgroupSpec is what an environment's cgroup controls: its memory (a
// limit in bytes, 0 for none) and its CPU (a zero share for none).
type cgroupSpec struct {
	memory int64
	cpu    CPUShare
}

// controllerError is a failure to set up one controller's group.
type controllerError struct {
	ctrl string
	err  error
}

func (e *controllerError) Error() string { return "cgroup " + e.ctrl + " controller: " + e.err.Error() }
func (e *controllerError) Unwrap() error { return e.err }

// newCgroup creates one environment's cgroup, under this process's own
// groups: memory capped at spec.memory bytes (swap included), CPU at
// spec.cpu. A *controllerError says which controller failed.
func newCgroup(spec cgroupSpec) (*Cgroup, error) {
	name := fmt.Sprintf("bench-lambda-%d-%d", os.Getpid(), envSeq.Add(1))
	c := &Cgroup{mem: -1, cpu: -1, limit: spec.memory, share: spec.cpu}
	var ctrls []string
	if spec.memory > 0 {
		ctrls = append(ctrls, "memory")
	}
	if spec.cpu.QuotaUS > 0 {
		ctrls = append(ctrls, "cpu")
	}
	for _, ctrl := range ctrls {
		i, err := c.join(ctrl, name)
		if err != nil {
			_ = c.Close()
			return nil, &controllerError{ctrl, err}
		}
		if ctrl == "memory" {
			c.mem = i
			err = c.setMemory()
		} else {
			c.cpu = i
			err = c.setCPU()
		}
		if err != nil {
			_ = c.Close()
			return nil, &controllerError{ctrl, err}
		}
	}
	return c, nil
}

// join returns the index of the environment's group in the hierarchy
// that has ctrl, creating the group (cgroup v2: enabling ctrl for it).
func (c *Cgroup) join(ctrl, name string) (int, error) {
	p, err := locate(ctrl)
	if err != nil {
		return -1, err
	}
	if p.v2 {
		// The controller must be enabled for our children; that fails
		// (EBUSY) when our own cgroup holds processes and is not the
		// root, cgroup v2's no-internal-processes rule.
		if err := os.WriteFile(filepath.Join(p.dir, "cgroup.subtree_control"), []byte("+"+ctrl), 0); err != nil {
			return -1, fmt.Errorf("enable the %s controller under %s: %w", ctrl, p.dir, err)
		}
	}
	dir := filepath.Join(p.dir, name)
	for i, g := range c.groups {
		if g.dir == dir {
			return i, nil // cgroup v2: one group for every controller
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return -1, fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	c.groups = append(c.groups, group{dir: dir, rel: filepath.Join(p.rel, name), v2: p.v2})
	return len(c.groups) - 1, nil
}

// setMemory writes the memory limit, and the same limit on memory plus
// swap where swap is accounted (cgroup v2: no swap at all).
func (c *Cgroup) setMemory() error {
	g := c.groups[c.mem]
	lim := []byte(strconv.FormatInt(c.limit, 10))
	files := []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}
	if g.v2 {
		files = []string{"memory.max", "memory.swap.max"}
	}
	for i, f := range files {
		p := filepath.Join(g.dir, f)
		if i > 0 {
			if _, err := os.Stat(p); err != nil {
				continue // no swap accounting: nothing to cap
			}
			if g.v2 {
				lim = []byte("0")
			}
		}
		if err := os.WriteFile(p, lim, 0); err != nil {
			return fmt.Errorf("set %s: %w", p, err)
		}
	}
	return nil
}

// setCPU writes the CFS bandwidth quota and the weight: cgroup v1's
// cpu.cfs_period_us, cpu.cfs_quota_us and cpu.shares, cgroup v2's cpu.max
// and cpu.weight.
func (c *Cgroup) setCPU() error {
	g := c.groups[c.cpu]
	type setting struct{ name, v string }
	files := []setting{
		{"cpu.cfs_period_us", strconv.FormatInt(c.share.PeriodUS, 10)},
		{"cpu.cfs_quota_us", strconv.FormatInt(c.share.QuotaUS, 10)},
	}
	if c.share.Shares > 0 {
		files = append(files, setting{"cpu.shares", strconv.FormatInt(c.share.Shares, 10)})
	}
	if g.v2 {
		files = []setting{{"cpu.max", fmt.Sprintf("%d %d", c.share.QuotaUS, c.share.PeriodUS)}}
		if c.share.Shares > 0 {
			files = append(files, setting{"cpu.weight", strconv.FormatInt(c.share.Weight(), 10)})
		}
	}
	for _, f := range files {
		p := filepath.Join(g.dir, f.name)
		if err := os.WriteFile(p, []byte(f.v), 0); err != nil {
			return fmt.Errorf("set %s: %w", p, err)
		}
	}
	return nil
}

// LimitsMemory reports whether the cgroup enforces the memory size.
func (c *Cgroup) LimitsMemory() bool { return c.mem >= 0 }

// LimitsCPU reports whether the cgroup enforces a CPU share.
func (c *Cgroup) LimitsCPU() bool { return c.cpu >= 0 }

// Path is the memory group's path from its hierarchy's root: what
// docker's --cgroup-parent and runc's cgroupsPath take.
func (c *Cgroup) Path() string {
	if c.mem >= 0 {
		return c.groups[c.mem].rel
	}
	if len(c.groups) > 0 {
		return c.groups[0].rel
	}
	return ""
}

// Add moves a process into the cgroup.
func (c *Cgroup) Add(pid int) error {
	for _, g := range c.groups {
		if err := os.WriteFile(filepath.Join(g.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("move process %d into %s: %w", pid, g.dir, err)
		}
	}
	return nil
}

// start starts cmd inside the cgroup, so that its first page and its
// first instruction count. A cgroup v2 group is entered by clone3's
// CLONE_INTO_CGROUP. cgroup v1 places threads, not processes, and a child
// starts in its forking thread's groups: so the forking thread is moved
// into each v1 group for the fork and back out after. (Go forks on the
// calling thread, and starts new threads of its own from a clean template
// thread while one is locked.)
func (c *Cgroup) start(cmd *exec.Cmd) error {
	var v1 []group
	for _, g := range c.groups {
		if !g.v2 {
			v1 = append(v1, g)
			continue
		}
		f, err := os.Open(g.dir)
		if err != nil {
			return fmt.Errorf("open cgroup %s: %w", g.dir, err)
		}
		defer f.Close()
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(f.Fd())
	}
	if len(v1) == 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	tid := []byte(strconv.Itoa(syscall.Gettid()))
	var back []string // the tasks files of the groups the thread left
	undo := func() error {
		var first error
		for _, own := range back {
			if err := os.WriteFile(own, tid, 0); err != nil && first == nil {
				first = fmt.Errorf("move the forking thread back to %s: %w", own, err)
			}
		}
		if first == nil {
			runtime.UnlockOSThread()
		}
		// Else the thread cannot go back: it stays locked to this
		// goroutine, and Go destroys it when the goroutine ends rather
		// than reuse it.
		return first
	}
	for _, g := range v1 {
		own := filepath.Join(filepath.Dir(g.dir), "tasks")
		if _, err := os.Stat(own); err != nil {
			_ = undo()
			return fmt.Errorf("cgroup v1 tasks file: %w", err)
		}
		if err := os.WriteFile(filepath.Join(g.dir, "tasks"), tid, 0); err != nil {
			_ = undo()
			return fmt.Errorf("move the forking thread into %s: %w", g.dir, err)
		}
		back = append(back, own)
	}
	startErr := cmd.Start()
	if err := undo(); err != nil && startErr == nil {
		startErr = err
	}
	return startErr
}

// Peak is the memory group's peak use in bytes, its descendants'
// included; 0 without one.
func (c *Cgroup) Peak() int64 {
	if c.mem < 0 {
		return 0
	}
	g := c.groups[c.mem]
	f := "memory.max_usage_in_bytes"
	if g.v2 {
		f = "memory.peak" // Linux 5.19 and later
	}
	return readInt(filepath.Join(g.dir, f))
}

// OOMKills counts the processes the kernel killed for exceeding the
// limit, in the group and the child groups still there (cgroup v1 counts a
// kill in the victim's own group only; v2's memory.events is hierarchical).
func (c *Cgroup) OOMKills() int64 {
	if c.mem < 0 {
		return 0
	}
	g := c.groups[c.mem]
	if g.v2 {
		return eventCount(filepath.Join(g.dir, "memory.events"), "oom_kill")
	}
	const f = "memory.oom_control" // "oom_kill N" since Linux 4.13
	var n int64
	_ = filepath.WalkDir(g.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == f {
			n += eventCount(p, "oom_kill")
		}
		return nil
	})
	return n
}

// LimitHit reports whether the group's use ever reached its limit: with a
// SIGKILL nobody else sent, the sign of an out-of-memory kill whose count
// went away with a container's own child group. (The failure counters do
// not always move when a child group's charge fails at this limit; the
// peak reaching the limit does.)
func (c *Cgroup) LimitHit() bool {
	if c.mem < 0 {
		return false
	}
	g := c.groups[c.mem]
	if g.v2 {
		return eventCount(filepath.Join(g.dir, "memory.events"), "max") > 0 || c.Peak() >= c.limit
	}
	return readInt(filepath.Join(g.dir, "memory.failcnt")) > 0 ||
		readInt(filepath.Join(g.dir, "memory.memsw.failcnt")) > 0 || c.Peak() >= c.limit
}

// CPUStat is what the cpu group's scheduler statistics say: periods with
// runnable tasks, periods in which the quota ran out, and the time its
// tasks were held back.
type CPUStat struct {
	Periods, Throttled int64
	ThrottledTime      time.Duration
}

// CPUStat reads the cpu group's bandwidth statistics (cpu.stat); zero
// without a cpu group.
func (c *Cgroup) CPUStat() CPUStat {
	if c.cpu < 0 {
		return CPUStat{}
	}
	g := c.groups[c.cpu]
	p := filepath.Join(g.dir, "cpu.stat")
	s := CPUStat{Periods: eventCount(p, "nr_periods"), Throttled: eventCount(p, "nr_throttled")}
	if g.v2 {
		s.ThrottledTime = time.Duration(eventCount(p, "throttled_usec")) * time.Microsecond
	} else {
		s.ThrottledTime = time.Duration(eventCount(p, "throttled_time"))
	}
	return s
}

// eventCount reads "key N" from a cgroup file of such lines.
func eventCount(p, key string) int64 {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// Kill sends SIGKILL to every process in the cgroup and its descendants.
func (c *Cgroup) Kill() {
	for _, g := range c.groups {
		_ = filepath.WalkDir(g.dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
	}
}

// Close kills what is left in the cgroup and removes its groups (and the
// folders a container engine made for it in other hierarchies).
func (c *Cgroup) Close() error {
	var errs []error
	for _, g := range c.groups {
		var err error
		for i := 0; i < 50; i++ {
			c.Kill()
			err = removeTree(g.dir)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				err = nil
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", g.dir, err))
		}
	}
	for _, d := range c.others {
		_ = removeTree(d)
	}
	return errors.Join(errs...)
}

// AlsoRemove registers same-named cgroup folders in the other v1
// hierarchies (cpu, pids, ...) for Close to remove: a container engine
// given Path as its parent creates them there.
func (c *Cgroup) AlsoRemove() {
	if c.mem < 0 || c.groups[c.mem].v2 {
		return
	}
	rel := c.groups[c.mem].rel
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return
	}
next:
	for _, e := range entries {
		d := filepath.Join("/sys/fs/cgroup", e.Name(), rel)
		for _, g := range c.groups {
			if d == g.dir {
				continue next
			}
		}
		c.others = append(c.others, d)
	}
}

// removeTree removes a cgroup folder and its child cgroups (rmdir only:
// cgroup files cannot be unlinked).
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return syscall.Rmdir(dir)
}

func readInt(p string) int64 {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// processMemory is a live process's resident set and its peak (VmRSS,
// VmHWM) in bytes; zeros when it is gone.
func processMemory(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, v, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		if key == "VmRSS" {
			rss = n * 1024
		} else {
			hwm = n * 1024
		}
	}
	return rss, hwm
}
