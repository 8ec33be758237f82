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

// Memory is one execution environment's memory cgroup: it enforces the
// function's memory size and measures the environment's peak (Max Memory
// Used), as Lambda does, for every process in it. A cgroup v2 memory
// controller is used when this machine delegates one, else cgroup v1's.
type Memory struct {
	dir   string // the cgroup's folder
	rel   string // its path from the hierarchy's root (docker's --cgroup-parent, runc's cgroupsPath)
	v2    bool
	limit int64
	// others are same-named folders other v1 hierarchies got when a
	// container engine used rel as a parent; Close removes them.
	others []string
}

// cgroupMount is where a cgroup hierarchy is mounted and which cgroup
// path its mount root is.
type cgroupMount struct {
	point, root string
	v2          bool
}

var envSeq atomic.Int64

// memoryMode says how memory can be enforced here: "cgroup2", "cgroup1",
// or "" with the reason.
func memoryMode() (mode string, why string) {
	m, self, err := memoryHierarchy()
	if err != nil {
		return "", err.Error()
	}
	dir := filepath.Join(m.point, strings.TrimPrefix(self, m.root))
	if err := writable(dir); err != nil {
		return "", fmt.Sprintf("the memory cgroup %s is not writable (run as root, or delegate it): %v", dir, err)
	}
	if m.v2 {
		return "cgroup2", ""
	}
	return "cgroup1", ""
}

func writable(dir string) error {
	return syscall.Access(dir, 2 /* W_OK */)
}

// memoryHierarchy finds the hierarchy with the memory controller and this
// process's cgroup in it.
func memoryHierarchy() (cgroupMount, string, error) {
	mounts, err := readMounts()
	if err != nil {
		return cgroupMount{}, "", err
	}
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return cgroupMount{}, "", fmt.Errorf("read /proc/self/cgroup: %w", err)
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
			if c == "memory" {
				v1Path = parts[2]
			}
		}
	}
	// cgroup v2 first, when its memory controller is available to us.
	for _, m := range mounts {
		if !m.v2 || v2Path == "" {
			continue
		}
		ctl, err := os.ReadFile(filepath.Join(m.point, "cgroup.controllers"))
		if err == nil && hasWord(string(ctl), "memory") {
			return m, v2Path, nil
		}
	}
	for _, m := range mounts {
		if !m.v2 && v1Path != "" {
			return m, v1Path, nil
		}
	}
	return cgroupMount{}, "", errors.New("no cgroup memory controller is mounted (neither cgroup v2 with memory nor cgroup v1 memory)")
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
			for _, o := range strings.Split(opts, ",") {
				if o == "memory" {
					out = append(out, cgroupMount{point: fields[4], root: fields[3]})
				}
			}
		}
	}
	return out, sc.Err()
}

// newMemory creates a cgroup for one environment, under this process's
// own memory cgroup, capped at limit bytes (swap included).
func newMemory(limit int64) (*Memory, error) {
	m, self, err := memoryHierarchy()
	if err != nil {
		return nil, err
	}
	parent := filepath.Join(m.point, strings.TrimPrefix(self, m.root))
	name := fmt.Sprintf("bench-lambda-%d-%d", os.Getpid(), envSeq.Add(1))
	mem := &Memory{dir: filepath.Join(parent, name), rel: filepath.Join(self, name), v2: m.v2, limit: limit}
	if m.v2 {
		// The memory controller must be enabled for our children; that
		// fails (EBUSY) when our own cgroup holds processes and is not the
		// root, cgroup v2's no-internal-processes rule.
		if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory"), 0); err != nil {
			return nil, fmt.Errorf("enable the memory controller under %s: %w", parent, err)
		}
	}
	if err := os.Mkdir(mem.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", mem.dir, err)
	}
	lim := []byte(strconv.FormatInt(limit, 10))
	var files []string
	if m.v2 {
		files = []string{"memory.max", "memory.swap.max"}
	} else {
		files = []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}
	}
	for i, f := range files {
		p := filepath.Join(mem.dir, f)
		if i > 0 {
			if _, err := os.Stat(p); err != nil {
				continue // no swap accounting: nothing to cap
			}
			if m.v2 {
				lim = []byte("0")
			}
		}
		if err := os.WriteFile(p, lim, 0); err != nil {
			mem.Close()
			return nil, fmt.Errorf("set %s: %w", p, err)
		}
	}
	return mem, nil
}

// Dir is the cgroup's folder.
func (m *Memory) Dir() string { return m.dir }

// Path is the cgroup's path from its hierarchy's root: what docker's
// --cgroup-parent and runc's cgroupsPath take.
func (m *Memory) Path() string { return m.rel }

// V2 reports whether it is a cgroup v2 group.
func (m *Memory) V2() bool { return m.v2 }

// Add moves a process into the cgroup.
func (m *Memory) Add(pid int) error {
	if err := os.WriteFile(filepath.Join(m.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("move process %d into %s: %w", pid, m.dir, err)
	}
	return nil
}

// startInside starts cmd inside a cgroup v1 group. cgroup v1 places
// threads, not processes, and a child starts in its forking thread's
// group: so the forking thread is moved into the group for the fork and
// back out after. (Go forks on the calling thread, and starts new threads
// of its own from a clean template thread while one is locked.)
func (m *Memory) startInside(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	tid := strconv.Itoa(syscall.Gettid())
	own, err := ownTasksFile(filepath.Dir(m.dir))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	if err := os.WriteFile(filepath.Join(m.dir, "tasks"), []byte(tid), 0); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("move the forking thread into %s: %w", m.dir, err)
	}
	startErr := cmd.Start()
	if err := os.WriteFile(own, []byte(tid), 0); err != nil {
		// The thread cannot go back: it stays locked to this goroutine, and
		// Go destroys it when the goroutine ends rather than reuse it.
		if startErr == nil {
			startErr = fmt.Errorf("move the forking thread back to %s: %w", own, err)
		}
		return startErr
	}
	runtime.UnlockOSThread()
	return startErr
}

// ownTasksFile is the tasks file of the group this process's threads are in.
func ownTasksFile(parent string) (string, error) {
	p := filepath.Join(parent, "tasks")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("cgroup v1 tasks file: %w", err)
	}
	return p, nil
}

// Peak is the cgroup's peak memory use in bytes, its descendants' included.
func (m *Memory) Peak() int64 {
	f := "memory.max_usage_in_bytes"
	if m.v2 {
		f = "memory.peak" // Linux 5.19 and later
	}
	return readInt(filepath.Join(m.dir, f))
}

// OOMKills counts the processes the kernel killed for exceeding the
// limit, in the group and the child groups still there (cgroup v1 counts a
// kill in the victim's own group only; v2's memory.events is hierarchical).
func (m *Memory) OOMKills() int64 {
	f := "memory.oom_control" // "oom_kill N" since Linux 4.13
	if m.v2 {
		return eventCount(filepath.Join(m.dir, "memory.events"), "oom_kill")
	}
	var n int64
	_ = filepath.WalkDir(m.dir, func(p string, d os.DirEntry, err error) error {
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
func (m *Memory) LimitHit() bool {
	if m.v2 {
		return eventCount(filepath.Join(m.dir, "memory.events"), "max") > 0 || m.Peak() >= m.limit
	}
	return readInt(filepath.Join(m.dir, "memory.failcnt")) > 0 ||
		readInt(filepath.Join(m.dir, "memory.memsw.failcnt")) > 0 || m.Peak() >= m.limit
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
func (m *Memory) Kill() {
	_ = filepath.WalkDir(m.dir, func(p string, d os.DirEntry, err error) error {
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

// Close kills what is left in the cgroup and removes it (and the folders
// a container engine made for it in other hierarchies).
func (m *Memory) Close() error {
	var err error
	for i := 0; i < 50; i++ {
		m.Kill()
		err = removeTree(m.dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			err = nil
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range m.others {
		_ = removeTree(d)
	}
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", m.dir, err)
	}
	return nil
}

// AlsoRemove registers same-named cgroup folders in the other v1
// hierarchies (cpu, pids, ...) for Close to remove: a container engine
// given Path as its parent creates them there.
func (m *Memory) AlsoRemove() {
	if m.v2 {
		return
	}
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return
	}
	for _, e := range entries {
		d := filepath.Join("/sys/fs/cgroup", e.Name(), m.rel)
		if d != m.dir {
			m.others = append(m.others, d)
		}
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
