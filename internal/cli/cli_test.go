package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testState(t *testing.T) (*State, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	return &State{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" }, BinDir: t.TempDir(), Argv: []string{"bench"}}, &out, &errb
}

func TestArgumentErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage: bench <command>"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate" (commands: compare, deploy, list, report, run, scenarios, version)`},
		// Every bad flag or name is a usage error (2); some were 1.
		{[]string{"run", "--runtime", "wasm3", "--out", out}, 2, `unknown runtime "wasm3" (valid: native, wazero, wasmtime, wasmtime39, wasmer, node)`},
		{[]string{"run", "--workload", "sort", "--out", out}, 2, `unknown workload "sort" (valid: fib, primes, image)`},
		{[]string{"run", "--lang", "cobol", "--out", out}, 2, `unknown language "cobol" (valid: c, go, rust)`},
		{[]string{"run", "--param", "fib=x", "--out", out}, 2, `--param fib: "x" is not an integer`},
		{[]string{"run", "--param", "fib", "--out", out}, 2, `want NAME=VALUE`},
		{[]string{"run", "--param", "fib=51", "--out", out}, 2, `fib=51 is out of range: n must be from 1 to 50`},
		{[]string{"run", "--max-memory", "lots", "--out", out}, 2, `--max-memory: "lots" is not a size`},
		{[]string{"run", "--target", "mars", "--out", out}, 2, `unknown target "mars" (valid: `},
		// Out of range: refused, naming the flag and the range, never
		// replaced by a default (--memory 0 once became 1024 MB).
		{[]string{"run", "--memory", "0", "--out", out}, 2, "--memory 0: out of range: Lambda memory sizes in MB, from 128 to 10240"},
		{[]string{"run", "--memory", "64", "--out", out}, 2, "--memory 64: out of range"},
		{[]string{"run", "--samples", "0", "--out", out}, 2, "--samples 0: out of range: minimum processes per cell of each kind, from 1 to 10000"},
		{[]string{"run", "--samples", "-3", "--out", out}, 2, "--samples -3: out of range"},
		{[]string{"run", "--iterations", "0", "--out", out}, 2, "--iterations 0: out of range"},
		{[]string{"run", "--warmup", "-1", "--out", out}, 2, "--warmup -1: out of range: warm-up executions per warm process, from 0 to 1000"},
		{[]string{"run", "--budget", "0s", "--out", out}, 2, "--budget 0s: out of range: time per cell, from 1ms to 24h0m0s"},
		{[]string{"run", "--timeout", "-1s", "--out", out}, 2, "--timeout -1s: out of range"},
		{[]string{"run", "--function-timeout", "16m", "--out", out}, 2, "--function-timeout 16m0s: out of range: Lambda's function timeout, from 1ms to 15m0s"},
		{[]string{"run", "--max-memory", "8GiB", "--out", out}, 2, "--max-memory 8GiB: out of range: a wasm32 linear memory's sizes, from 64 KiB to 4 GiB"},
		{[]string{"run", "--max-output", "0", "--out", out}, 2, `--max-output: "0" is not a size`},
		{[]string{"run", "--max-output", "100", "--out", out}, 2, "--max-output 100: out of range: bytes per stream and execution, from 1 KiB to 1 TiB"},
		{[]string{"run", "--soak", "1", "--out", out}, 2, "--soak 1: out of range: soak invocations per cell, from 2 to 1000000"},
		{[]string{"run", "--soak-export", "handle", "--soak", "10", "--out", out}, 2, "--soak-export handle needs --soak N and a --wasm module that exports it"},
		{[]string{"run", "--seed", "0", "--out", out}, 2, "--seed 0: 0 stands for a seed taken from the clock"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--timeout", "0s", "--out", out}, 2, "--timeout 0s: out of range: a Lambda function's timeout, from 1s to 15m0s"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--burst", "5000", "--out", out}, 2, "--burst 5000: out of range"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--estimate-ms", "0", "--out", out}, 2, "--estimate-ms 0: out of range"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--price-requests", "-1", "--out", out}, 2, "--price-requests -1: out of range"},
		{[]string{"compare", "--alpha", "2", "a", "b"}, 2, "-alpha must be between 0 and 1"},
		{[]string{"run", "--wasm", "/nonexistent.wasm", "--out", out}, 2, `--wasm /nonexistent.wasm`},
		{[]string{"run", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"run", "extra"}, 2, `unexpected argument "extra"`},
	} {
		s, _, errb := testState(t)
		code := Run(s, tc.args)
		if code != tc.code || !strings.Contains(errb.String()+s.Stdout.(*bytes.Buffer).String(), tc.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a rejected run created its output folder")
	}
}

func TestRunRefusesForeignFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, errb := testState(t)
	if code := Run(s, []string{"run", "--out", dir}); code == 0 || !strings.Contains(errb.String(), "is not a bench run") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if code := Run(s, []string{"run", "--resume", dir}); code == 0 || !strings.Contains(errb.String(), "not a bench run folder") {
		t.Fatalf("resume of a foreign folder: exit %d, stderr %q", code, errb.String())
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "64M": 64 << 20, "4096": 4096, "1.5GB": 1.5e9} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1M", "lots", "0"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
}
