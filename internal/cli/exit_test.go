package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report/compare"
)

// realBin is the folder of built workers, or the test is skipped.
func realBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("BENCH_BIN_DIR")
	if bin == "" {
		bin, _ = filepath.Abs("../../bin")
	}
	if _, err := os.Stat(filepath.Join(bin, "bench-wazero")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no bench-wazero in %s (BENCH_BIN_DIR): run make build", bin)
		}
		t.Skipf("no bench-wazero in %s: run make build (or set BENCH_BIN_DIR) to run this test", bin)
	}
	return bin
}

// TestExitCodes: each exit code of the one list (exit.go), from the
// command that produces it (ExitInterrupted: TestSignalsAndKills, which
// signals a real bench process). A run whose every cell failed once
// exited 0.
func TestExitCodes(t *testing.T) {
	bin := realBin(t)
	conf := filepath.Join("..", "..", "runners", "conformance", "testdata")
	hello, trap, bigout := filepath.Join(conf, "hello.wasm"), filepath.Join(conf, "trap.wasm"), filepath.Join(conf, "bigout.wasm")
	expect := filepath.Join(t.TempDir(), "hello.expected")
	if err := os.WriteFile(expect, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	quick := []string{"--runtime", "wazero", "--tier", "jit", "--samples", "1", "--budget", "1ms", "--no-report", "--no-callcost"}
	run := func(args ...string) []string { return append(append([]string{"run"}, quick...), args...) }
	for _, tc := range []struct {
		name string
		args []string
		ctx  context.Context
		code int
		want string
	}{
		{"every cell verified", run("--wasm", hello, "--expect-stdout", expect), nil, ExitOK, ""},
		{"help", []string{"run", "-h"}, nil, ExitOK, "-max-output"},
		{"a failing module", []string{"report", filepath.Join(t.TempDir(), "none")}, nil, ExitFailure, "no such file"},
		{"bad flag value", run("--memory", "0"), nil, ExitUsage, "--memory 0: out of range: Lambda memory sizes in MB, from 128 to 10240"},
		{"unknown runtime", []string{"run", "--runtime", "wasm3"}, nil, ExitUsage, `unknown runtime "wasm3"`},
		{"credentials", []string{"deploy", "aws", "--region", "us-east-1", "--out", filepath.Join(t.TempDir(), "aws")}, nil,
			ExitCredentials, "no AWS credentials"},
		{"some cells failed", run("--wasm", hello, "--wasm", trap, "--expect-stdout", expect), nil, ExitCellsFailed,
			"1 of 2 cells failed"},
		{"every cell failed", run("--wasm", trap), nil, ExitNothingVerified, "1 of 1 cells failed and no execution was verified"},
		{"output over the limit", run("--wasm", bigout, "--arg", "2048", "--max-output", "1MiB"), nil, ExitNothingVerified,
			"no execution was verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, stdout, stderr := testState(t)
			s.BinDir = bin
			if tc.ctx != nil {
				s.Ctx = tc.ctx
			}
			args := tc.args
			if tc.args[0] == "run" && tc.name != "help" && tc.name != "unknown runtime" {
				args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
			}
			code := Run(s, args)
			if code != tc.code || !strings.Contains(stderr.String()+stdout.String(), tc.want) {
				t.Errorf("bench %s: exit %d; want %d and %q; stderr:\n%s", strings.Join(args, " "), code, tc.code, tc.want, stderr.String())
			}
		})
	}
}

// TestOutputLimitFailure: a guest over --max-output fails with its own
// kind, and the summary names the limit and the flag.
func TestOutputLimitFailure(t *testing.T) {
	bin := realBin(t)
	s, stdout, stderr := testState(t)
	s.BinDir = bin
	out := filepath.Join(t.TempDir(), "run")
	bigout := filepath.Join("..", "..", "runners", "conformance", "testdata", "bigout.wasm")
	code := Run(s, []string{"run", "--wasm", bigout, "--arg", "2048", "--max-output", "1MiB", "--runtime", "wazero", "--tier", "jit",
		"--samples", "1", "--budget", "1ms", "--no-report", "--no-callcost", "--out", out})
	if code != ExitNothingVerified {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{"output_limit", "more than 1 MiB to stdout", "--max-output"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary does not say %q:\n%s", want, stdout.String())
		}
	}
}

// report/compare names bench compare's exit statuses (they are in its
// JSON output) without importing the CLI: they must be the CLI's codes.
func TestCompareExitCodesAgree(t *testing.T) {
	if compare.ExitRegressed != ExitCellsFailed || compare.ExitNothingToCompare != ExitNothingVerified {
		t.Errorf("report/compare exit statuses (regressed %d, nothing %d) differ from the CLI's (%d, %d)",
			compare.ExitRegressed, compare.ExitNothingToCompare, ExitCellsFailed, ExitNothingVerified)
	}
}
