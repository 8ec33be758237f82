package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmbench/bench/results"
)

// writeRun writes a small run: two cells of five warm processes of two
// executions each, the second cell slowed by slow; host names the
// machine.
func writeRun(t *testing.T, slow float64, host string) string {
	t.Helper()
	dir := t.TempDir()
	w, err := results.Create(filepath.Join(dir, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	recs := []results.Record{{Kind: results.KindEnv, Env: &results.Env{CPU: "Test CPU", Cores: 2, OS: "linux", Arch: "amd64", Hostname: host,
		Command: []string{"bench", "run", "--workload", "fib"}}}}
	for i := 0; i < 10; i++ {
		jitter := float64(i%5) * 1e4
		for _, c := range []struct {
			rt, tier string
			v        float64
		}{{"native", "native", 1e6}, {"wazero", "jit", 1.7e6 * slow}} {
			cell := results.Cell{Runtime: c.rt, Tier: c.tier, Workload: "fib", Lang: "c", Param: "30", Target: "local"}
			proc := i % 5
			recs = append(recs, results.Record{Kind: results.KindSample, Cell: cell, Phase: "execute", Value: c.v + jitter + float64(i/5)*1e3,
				Unit: results.UnitNS, Verified: true, Process: proc, Iteration: i / 5, Task: cell.Key() + "|warm|" + strconv.Itoa(proc)})
		}
	}
	if err := w.Write(recs...); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportCommand(t *testing.T) {
	dir := writeRun(t, 1, "a")
	s, out, errb := testState(t)
	if code := Run(s, []string{"report", dir, "--no-charts"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"local · fib(30)", "wazero jit", "1.69×", "report: " + filepath.Join(dir, "report.html")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"report.html", "report.md", "summary.txt", "stats.csv", results.BenchFileName} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// The committed synthetic run, truncated last line and all, with charts.
	src, err := os.ReadFile("../../report/testdata/run/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, results.FileName), src, 0o644)
	outDir := filepath.Join(t.TempDir(), "rep")
	s, out, errb = testState(t)
	if code := Run(s, []string{"report", "--quiet", "--out", outDir, full}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.Contains(out.String(), "machine") || !strings.Contains(out.String(), "charts in") {
		t.Errorf("--quiet output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(outDir, "charts", "01-cold-start-local-fib-25.png")); err != nil {
		t.Error(err)
	}
}

func TestReportBadInput(t *testing.T) {
	notRun := t.TempDir()
	os.WriteFile(filepath.Join(notRun, "notes.txt"), []byte("hello"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report"}, 2, "want one run folder"},
		{[]string{"report", "a", "b"}, 2, "want one run folder, got 2"},
		{[]string{"report", "--bogus", notRun}, 2, "flag provided but not defined"},
		{[]string{"report", notRun}, 1, "is not a bench run folder: it has no results.jsonl"},
		{[]string{"report", filepath.Join(notRun, "missing")}, 1, "no such file or directory"},
	} {
		s, _, errb := testState(t)
		if code := Run(s, tc.args); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errb, tc.code, tc.want)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"a", "-x", "b"}, "a b|true"},
		{[]string{"-x", "a", "b"}, "a b|true"},
		{[]string{"a", "b"}, "a b|false"},
		{[]string{"a", "--", "-x"}, "a -x|false"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		x := fs.Bool("x", false, "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(pos, " ") + "|" + map[bool]string{true: "true", false: "false"}[*x]
		if got != tc.want {
			t.Errorf("%v: %s, want %s", tc.args, got, tc.want)
		}
	}
}

// --strategy picks what the summary's power-tuning section leads with; a
// bad value is refused, naming the valid ones, before anything runs.
func TestReportStrategy(t *testing.T) {
	src, err := os.ReadFile("../../report/testdata/run/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, results.FileName), src, 0o644)
	s, out, errb := testState(t)
	if code := Run(s, []string{"report", "--no-charts", "--strategy", "speed", dir}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.Contains(out.String(), "power tuning: memory size by speed, then by cost and balanced") {
		t.Errorf("summary does not lead with speed:\n%s", out)
	}
	for _, args := range [][]string{{"report", "--strategy", "fastest", dir}, {"run", "--strategy", "fastest"}} {
		s, _, errb = testState(t)
		if code := Run(s, args); code != ExitUsage || !strings.Contains(errb.String(), "want one of cost, speed, balanced") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb)
		}
	}
}
