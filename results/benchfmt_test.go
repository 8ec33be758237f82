package results

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

func benchRecords() []Record {
	env := &Env{CPU: "Test CPU @ 1.00GHz", Cores: 2, OS: "linux", Arch: "amd64", GoVersion: "go1.26.8", Kernel: "6.1.0",
		BenchVersion: "devel", Runtimes: map[string]string{"wazero": "v1.12.0", "My Runtime": "1"},
		Command: []string{"bench", "run", "--param", "fib=30"}}
	recs := []Record{{Kind: KindEnv, Env: env}}
	c := Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "local"}
	for i := 0; i < 6; i++ {
		v := float64(3_000_000 + 10_000*i)
		recs = append(recs,
			Record{Kind: KindSample, Cell: c, Phase: "execute", Value: v, Unit: UnitNS, Verified: true, Iteration: i},
			Record{Kind: KindSample, Cell: c, Phase: "execute", Cold: true, Value: 2 * v, Unit: UnitNS, Verified: true, Process: i},
			Record{Kind: KindSample, Cell: c, Phase: PhaseMaxRSS, Cold: true, Value: 12e6 + float64(i), Unit: UnitBytes, Verified: true, Process: i})
	}
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
			if rec.Iters != 1 || len(rec.Values) != 1 {
				t.Errorf("%s: iters %d, %d values", name, rec.Iters, len(rec.Values))
			}
			units[name] = rec.Values[0].Unit
			if got := rec.GetConfig("cpu"); got != "Test CPU @ 1.00GHz" {
				t.Errorf("cpu config = %q", got)
			}
			if rec.GetConfig("goos") != "linux" || rec.GetConfig("goarch") != "amd64" || rec.GetConfig("runtime-my_runtime") != "1" {
				t.Errorf("config %q %q %q", rec.GetConfig("goos"), rec.GetConfig("goarch"), rec.GetConfig("runtime-my_runtime"))
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
		warm: {6, "sec/op"},
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
		t.Errorf("names %v, want exactly %d", count, len(want))
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

// TestBenchstatReadsIt runs the real benchstat (the version in go.mod) on
// a results.bench file, unchanged.
func TestBenchstatReadsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "benchstat")
	build := exec.Command("go", "build", "-o", bin, "golang.org/x/perf/cmd/benchstat")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build benchstat: %v\n%s", err, out)
	}
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
		"3.025m", // the median of the six warm samples, in seconds
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
