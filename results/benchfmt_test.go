package results

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// benchRecords is a small run: six cold processes, and three warm
// processes of two executions each (3.00+3.01 ms, 3.02+3.03, 3.04+3.05).
func benchRecords() []Record {
	env := &Env{CPU: "Test CPU @ 1.00GHz", Cores: 2, OS: "linux", Arch: "amd64", GoVersion: "go1.26.8", Kernel: "6.1.0",
		BenchVersion: "devel", Runtimes: map[string]string{"wazero": "v1.12.0", "My Runtime": "1"},
		Command: []string{"bench", "run", "--param", "fib=30"}, Started: "2026-09-20T10:00:00Z", LoadAvg: []float64{0.5, 0.4, 0.3}}
	recs := []Record{{Kind: KindEnv, Env: env}}
	c := Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "local"}
	for i := 0; i < 6; i++ {
		v := float64(3_000_000 + 10_000*i)
		warm := 6 + i/2
		recs = append(recs,
			Record{Kind: KindSample, Cell: c, Phase: "execute", Value: v, Unit: UnitNS, Verified: true, Process: warm, Iteration: i % 2,
				Task: c.Key() + "|warm|" + strconv.Itoa(warm)},
			Record{Kind: KindSample, Cell: c, Phase: "execute", Cold: true, Value: 2 * v, Unit: UnitNS, Verified: true, Process: i,
				Task: c.Key() + "|cold|" + strconv.Itoa(i)},
			Record{Kind: KindSample, Cell: c, Phase: PhaseMaxRSS, Cold: true, Value: 12e6 + float64(i), Unit: UnitBytes, Verified: true, Process: i,
				Task: c.Key() + "|cold|" + strconv.Itoa(i)})
	}
	cal := Cell{Runtime: "native", Tier: "native", Workload: "calibration", Lang: "c", Param: "start", Target: "local"}
	recs = append(recs, Record{Kind: KindSample, Cell: cal, Phase: "execute", Cold: true, Value: 75e6, Unit: UnitNS, Verified: true})
	recs = append(recs,
		// Left out: a warm-up and an unverified sample.
		Record{Kind: KindSample, Cell: c, Phase: "execute", Value: 9e9, Unit: UnitNS, Verified: true, Warmup: true},
		Record{Kind: KindSample, Cell: c, Phase: "execute", Value: 8e9, Unit: UnitNS, Verified: false},
		// A size counts whether or not it is marked verified.
		Record{Kind: KindSample, Cell: c, Phase: PhaseModuleBytes, Value: 19842, Unit: UnitBytes},
		Record{Kind: KindSample, Cell: Cell{Runtime: "wazero", Tier: "jit", Workload: "noop", Lang: "wat", Target: "local"},
			Phase: "call", Value: 18.5, Unit: UnitNSCall, Verified: true},
		Record{Kind: KindSample, Cell: Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "aws-lambda"},
			Phase: "price", Value: 2.1e-6, Unit: UnitUSD, Verified: true, MemoryMB: 128, Arch: "arm64"},
		Record{Kind: KindFailure, Cell: c, Error: "boom"},
	)
	return recs
}

func TestWriteBenchReadBack(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBench(&buf, Env{}, benchRecords()); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "results.bench")
	count := map[string]int{}
	units := map[string]string{}
	iters := map[string][]int{}
	var exact bool
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt cannot read its own output: %v", rec)
		case *benchfmt.UnitMetadata:
			exact = exact || rec.Unit == "B" && rec.Key == "assume" && rec.Value == "exact"
		case *benchfmt.Result:
			name := string(rec.Name)
			count[name]++
			if len(rec.Values) != 1 {
				t.Errorf("%s: %d values", name, len(rec.Values))
			}
			iters[name] = append(iters[name], rec.Iters)
			units[name] = rec.Values[0].Unit
			if got := rec.GetConfig("cpu"); got != "Test CPU @ 1.00GHz" {
				t.Errorf("cpu config = %q", got)
			}
			if rec.GetConfig("goos") != "linux" || rec.GetConfig("goarch") != "amd64" || rec.GetConfig("cores") != "2" {
				t.Errorf("config %q %q %q", rec.GetConfig("goos"), rec.GetConfig("goarch"), rec.GetConfig("cores"))
			}
			// Per-run facts are not configuration: two runs share a table.
			for _, k := range []string{"started", "command", "commit", "runtime-my_runtime", "runtime-wazero", "go", "kernel", "bench"} {
				if rec.GetConfig(k) != "" {
					t.Errorf("per-run fact %s is a config key (%q): benchstat would split tables on it", k, rec.GetConfig(k))
				}
			}
			if name == "Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=execute/cold=false" {
				if v := rec.Values[0].Value; v < 0.003 || v > 0.00306 {
					t.Errorf("warm execute read back as %v sec/op: a warm-up or unverified sample got in", v)
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	warm := "Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=execute/cold=false"
	want := map[string]struct {
		n    int
		unit string
	}{
		warm: {3, "sec/op"},
		"Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=execute/cold=true":                          {6, "sec/op"},
		"Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=max_rss/cold=true":                          {6, "peak-B"},
		"Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=module_bytes/cold=false":                    {1, "B"},
		"Noop/runtime=wazero/tier=jit/lang=wat/target=local/phase=call/cold=false":                                  {1, "sec/call"},
		"Fib/runtime=wazero/tier=jit/lang=c/param=30/target=aws-lambda/phase=price/cold=false/mem=128MB/arch=arm64": {1, "USD/op"},
	}
	for name, w := range want {
		if count[name] != w.n || units[name] != w.unit {
			t.Errorf("%s: %d results in %q, want %d in %q", name, count[name], units[name], w.n, w.unit)
		}
	}
	if len(count) != len(want) {
		t.Errorf("names %v, want exactly %d (no calibration)", count, len(want))
	}
	// One line per warm process: the median of its two executions.
	if got := iters[warm]; len(got) != 3 || got[0] != 2 || got[1] != 2 || got[2] != 2 {
		t.Errorf("warm lines' iterations %v, want one line of 2 per process", got)
	}
	for _, want := range []string{"# started: 2026-09-20T10:00:00Z\n", "# command: bench run --param fib=30\n", "# runtime-my_runtime: 1\n", "# load-start: 0.50 0.40 0.30\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("results.bench lacks %q", want)
		}
	}
	if !exact {
		t.Error("sizes not marked assume=exact")
	}
}

func TestBenchNameSafe(t *testing.T) {
	r := Record{Cell: Cell{Runtime: "my rt", Tier: "a/b", Workload: "my module", Lang: "c", Param: "x-8", Target: "local"}, Phase: "execute"}
	name := BenchName(r)
	if strings.ContainsAny(name, " ") || strings.Count(name, "/") != 7 || strings.HasSuffix(name, "-8") || !strings.HasPrefix(name, "My_module/") {
		t.Errorf("unsafe name %q", name)
	}
	if benchSafe("x-8") != "x_8" || benchSafe("live-instance") != "live-instance" {
		t.Errorf("benchSafe: %q %q", benchSafe("x-8"), benchSafe("live-instance"))
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchstatBin != "" {
		os.RemoveAll(filepath.Dir(benchstatBin))
	}
	os.Exit(code)
}

var (
	benchstatOnce sync.Once
	benchstatBin  string
	benchstatErr  error
)

// benchstat builds the real benchstat (the version in go.mod) once.
func benchstat(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	benchstatOnce.Do(func() {
		dir, err := os.MkdirTemp("", "benchstat")
		if err != nil {
			benchstatErr = err
			return
		}
		benchstatBin = filepath.Join(dir, "benchstat")
		if out, err := exec.Command("go", "build", "-o", benchstatBin, "golang.org/x/perf/cmd/benchstat").CombinedOutput(); err != nil {
			benchstatErr = fmt.Errorf("build benchstat: %v\n%s", err, out)
		}
	})
	if benchstatErr != nil {
		t.Fatal(benchstatErr)
	}
	return benchstatBin
}

// TestBenchstatReadsIt runs the real benchstat on a results.bench file,
// unchanged.
func TestBenchstatReadsIt(t *testing.T) {
	bin := benchstat(t)
	dir := t.TempDir()
	file := filepath.Join(dir, BenchFileName)
	var buf bytes.Buffer
	if err := WriteBench(&buf, Env{}, benchRecords()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, file).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{
		"cpu: Test CPU @ 1.00GHz", "sec/op", "peak-B", "USD/op", "sec/call",
		"Fib/runtime=wazero/tier=jit/lang=c/param=30/target=local/phase=execute/cold=false",
		"3.025m", // the median of the three warm processes' medians, in seconds
		"19.38Ki",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("benchstat output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "parsing") || strings.Contains(s, "syntax") {
		t.Errorf("benchstat complained:\n%s", s)
	}
}

// Two runs on one machine, with different start times, commands, commits
// and runtime versions: benchstat prints one table with a vs-base column,
// not one table per run.
func TestBenchstatComparesTwoRuns(t *testing.T) {
	bin := benchstat(t)
	dir := t.TempDir()
	write := func(name string, slow float64, commit, wazero string) string {
		recs := benchRecords()
		recs[0].Env.Commit, recs[0].Env.Runtimes["wazero"] = commit, wazero
		recs[0].Env.Started = "2026-09-2" + name[len(name)-1:] + "T10:00:00Z"
		recs[0].Env.Command = append(recs[0].Env.Command, "--out", name)
		for i := range recs {
			if recs[i].Phase == "execute" {
				recs[i].Value *= slow
			}
		}
		var buf bytes.Buffer
		if err := WriteBench(&buf, Env{}, recs); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("run1", 1, "aaaa", "v1.11.0")
	b := write("run2", 1.2, "bbbb", "v1.12.0")
	out, err := exec.Command(bin, a, b).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	s := string(out)
	t.Logf("benchstat %s %s:\n%s", filepath.Base(a), filepath.Base(b), s)
	if n := strings.Count(s, "cpu: Test CPU"); n != 1 {
		t.Errorf("%d tables, want one:\n%s", n, s)
	}
	if !strings.Contains(s, "vs base") || !strings.Contains(s, "+20.00%") {
		t.Errorf("no vs-base column with the 20%% difference:\n%s", s)
	}
}
