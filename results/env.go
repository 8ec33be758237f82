package results

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Fingerprint describes this machine.
func Fingerprint() Env {
	e := Env{
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		GoVersion: runtime.Version(),
		Started:   time.Now().UTC().Format(time.RFC3339),
		LoadAvg:   LoadAvg(),
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		e.Kernel = utsString(u.Release[:])
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		e.MemoryBytes = int64(si.Totalram) * int64(si.Unit)
	}
	if b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"); err == nil {
		e.Governor = strings.TrimSpace(string(b))
	}
	e.Hostname, _ = os.Hostname()
	e.BenchVersion, e.Commit = BuildVersion()
	return e
}

// LoadAvg is the machine's 1, 5 and 15-minute load average (nil where
// /proc/loadavg cannot be read).
func LoadAvg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	return parseLoadAvg(string(b))
}

func parseLoadAvg(s string) []float64 {
	f := strings.Fields(s)
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 3)
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil
		}
		out[i] = v
	}
	return out
}

// Note texts of the run-level notes that carry a partial Env.
const (
	NoteRunEnded       = "run ended"
	NoteRunInterrupted = "run interrupted"
	NoteRunResumed     = "run resumed"
)

// RunEndNote is the note a run appends when it ends, finished or
// interrupted: its Env holds only Ended and LoadAvgEnd. A resumed run
// appends another, so the last one describes the run's end (EndLoadAvg).
func RunEndNote(interrupted bool) Record {
	e := &Env{Ended: time.Now().UTC().Format(time.RFC3339), LoadAvgEnd: LoadAvg()}
	what := NoteRunEnded
	if interrupted {
		what = NoteRunInterrupted
	}
	return Record{Kind: KindNote, Note: what + " at " + e.Ended + loadText(e.LoadAvgEnd), Env: e}
}

// ResumeNote is the note a resumed run appends first: its Env holds only
// Started (the resume's) and LoadAvg.
func ResumeNote() Record {
	e := &Env{Started: time.Now().UTC().Format(time.RFC3339), LoadAvg: LoadAvg()}
	return Record{Kind: KindNote, Note: NoteRunResumed + " at " + e.Started + loadText(e.LoadAvg), Env: e}
}

func loadText(l []float64) string {
	if len(l) != 3 {
		return ""
	}
	return fmt.Sprintf("; load average %.2f %.2f %.2f (1, 5, 15 min)", l[0], l[1], l[2])
}

// EndLoadAvg is the load average when the run last ended: the
// LoadAvgEnd of the last note that carries one (nil when the run never
// ended, e.g. it was killed).
func EndLoadAvg(recs []Record) []float64 {
	var out []float64
	for _, r := range recs {
		if r.Kind == KindNote && r.Env != nil && len(r.Env.LoadAvgEnd) > 0 {
			out = r.Env.LoadAvgEnd
		}
	}
	return out
}

// BuildVersion is bench's module version and VCS commit as built.
func BuildVersion() (version, commit string) {
	version = "devel"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" && commit != "" {
			commit += "-dirty"
		}
	}
	return version, commit
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func utsString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
