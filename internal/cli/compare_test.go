package cli

import (
	"strings"
	"testing"
)

func TestCompareCommand(t *testing.T) {
	old := writeRun(t, 1, "a")
	same := writeRun(t, 1, "a")
	slower := writeRun(t, 1.2, "a")
	other := writeRun(t, 1, "b")

	s, out, errb := testState(t)
	if code := Run(s, []string{"compare", old, same, "--fail-on-regression", "5%"}); code != 0 {
		t.Fatalf("same runs: exit %d: %s\n%s", code, errb, out)
	}
	if !strings.Contains(out.String(), "equivalent") {
		t.Errorf("same runs not equivalent:\n%s", out)
	}

	s, out, errb = testState(t)
	if code := Run(s, []string{"compare", "--fail-on-regression", "5", old, slower}); code != ExitCellsFailed {
		t.Fatalf("20%% slower with --fail-on-regression 5: exit %d\n%s", code, out)
	}
	if !strings.Contains(out.String(), "slower +19.8%") || !strings.Contains(errb.String(), "significantly worse by more than 5.0%: local · fib(30) · c · wazero jit · warm execute") {
		t.Errorf("stdout:\n%s\nstderr: %s", out, errb)
	}
	s, _, _ = testState(t)
	if code := Run(s, []string{"compare", "--fail-on-regression", "25", old, slower}); code != 0 {
		t.Errorf("20%% slower with --fail-on-regression 25: exit %d", code)
	}
	s, out, _ = testState(t)
	if code := Run(s, []string{"compare", old, slower, "--format", "md"}); code != 0 || !strings.Contains(out.String(), "| lang | runtime |") {
		t.Errorf("md: exit %d\n%s", code, out)
	}

	s, out, _ = testState(t)
	if code := Run(s, []string{"compare", old, slower, "--format", "json", "--fail-on-regression", "5"}); code != ExitCellsFailed ||
		!strings.Contains(out.String(), `"schema": "bench-compare/1"`) || !strings.Contains(out.String(), `"regressions": [`) ||
		!strings.Contains(out.String(), `"status": 4`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}

	s, out, _ = testState(t)
	Run(s, []string{"compare", old, other})
	if !strings.Contains(out.String(), "different machines") || !strings.Contains(out.String(), "host: a (old) vs b (new)") {
		t.Errorf("two machines, no warning:\n%s", out)
	}
}

func TestCompareBadInput(t *testing.T) {
	old := writeRun(t, 1, "a")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"compare", old}, 2, "want two runs"},
		{[]string{"compare", "--threshold", "lots", old, old}, 2, "want a percentage"},
		{[]string{"compare", "--alpha", "2", old, old}, 2, "-alpha must be between 0 and 1"},
		{[]string{"compare", "--format", "pdf", old, old}, 2, "-format must be text, md or json"},
		{[]string{"compare", t.TempDir(), old}, 1, "OLD: "},
		{[]string{"compare", old, t.TempDir()}, 1, "NEW: "},
	} {
		s, _, errb := testState(t)
		if code := Run(s, tc.args); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errb, tc.code, tc.want)
		}
	}
}
