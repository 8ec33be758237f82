package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/results"
)

func TestDeployArgumentErrors(t *testing.T) {
	// No region, credentials or endpoints from this machine's environment.
	deployEnv(t, false, awstest.Endpoints{})
	out := filepath.Join(t.TempDir(), "aws")
	sg := filepath.Join("..", "..", "testdata", "sightglass")
	notWasm := filepath.Join(t.TempDir(), "x.wasm")
	if err := os.WriteFile(notWasm, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"deploy"}, 2, "the only one is aws"},
		{[]string{"deploy", "gcp"}, 2, `unknown cloud "gcp"`},
		{[]string{"deploy", "aws", "--out", out}, 2, "no AWS region: pass --region"},
		{[]string{"deploy", "aws", "--region", "eu-west-9", "--out", out}, 2, `unknown AWS region "eu-west-9" (did you mean eu-west-1?)`},
		{[]string{"deploy", "aws", "--region", "ap-southeast-5", "--out", out}, 2,
			`no Lambda prices for this region: bench's table (as of 2025-08-01) has none for "ap-southeast-5"`},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--price-requests", "-1", "--out", out}, 2, "--price-requests -1"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--older-than", "2h"}, 2, "--older-than goes with --cleanup"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--yes"}, 2, "--yes goes with --cleanup"},
		{[]string{"deploy", "aws", "--cleanup", "--region", "us-east-1", "--older-than", "-1h"}, 2, "--older-than -1h0m0s"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--arch", "sparc", "--out", out}, 2, `unknown architecture "sparc"`},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--memory", "64", "--out", out}, 2, "--memory 64: out of range: Lambda memory sizes in MB, from 128 to 10240"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--memory", "lots", "--out", out}, 2, `"lots" is not a number`},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--package", "tar", "--out", out}, 2, `unknown package "tar"`},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--cold", "0", "--warm", "0", "--out", out}, 2, "--cold 0: out of range: cold processes per cell, from 1 to 10000"},
		{[]string{"deploy", "aws", "--run-id", "x"}, 2, "--run-id goes with --cleanup"},
		{[]string{"deploy", "aws", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", sg, "--workload", "fib", "--out", out}, 2,
			"--wasm replaces the built-in workloads: drop --workload, --lang and --param"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", sg, "--param", "fib=20", "--out", out}, 2, "--wasm replaces the built-in workloads"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", filepath.Join(sg, "nope.wasm"), "--out", out}, 2, "nope.wasm: stat"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", notWasm, "--out", out}, 2, "not a WebAssembly binary"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", t.TempDir(), "--out", out}, 2, "a folder must hold *.wasm files"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", sg, "--stdin", filepath.Join(sg, "missing-input"), "--out", out}, 2, "--stdin"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--wasm", sg, "--dir", filepath.Join(sg, "input.txt"), "--out", out}, 2, "not a folder"},
		{[]string{"deploy", "aws", "--region", "us-east-1", "--stdin", filepath.Join(sg, "input.txt"), "--out", out}, 2,
			"--arg, --stdin, --dir and --expect-stdout go with --wasm"},
		{[]string{"deploy", "aws", "--wasm", sg, "--out", out}, 2, "no AWS region"},
	} {
		s, _, errb := testState(t)
		code := Run(s, tc.args)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a rejected deploy created its output folder")
	}
}

// deployEnv gives the test process an AWS environment of its own: no
// shared files, no metadata service, every endpoint at url (a local
// server), and static keys when creds is set.
func deployEnv(t *testing.T, creds bool, endpoints awstest.Endpoints) {
	home := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", endpoints.Lambda)
	t.Setenv("AWS_ENDPOINT_URL_IAM", endpoints.IAM)
	t.Setenv("AWS_ENDPOINT_URL_STS", endpoints.STS)
	t.Setenv("AWS_ENDPOINT_URL_S3", endpoints.S3)
	t.Setenv("AWS_ENDPOINT_URL_ECR", endpoints.ECR)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", endpoints.Logs)
	if creds {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFORTESTS0000")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-tests")
	}
}

// workerBin is a bin folder with the wazero worker: $BENCH_BIN_DIR's, or
// one built for the test.
func workerBin(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("BENCH_BIN_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bench-wazero")); err == nil {
			return d
		}
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bench-wazero"), "./cmd/bench-wazero")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build bench-wazero: %v\n%s", err, out)
	}
	return dir
}

func deployState(t *testing.T, bin string) (*State, *bytes.Buffer, *bytes.Buffer) {
	s, out, errb := testState(t)
	s.Getenv, s.BinDir = os.Getenv, bin
	return s, out, errb
}

// TestDeployCLI runs `bench deploy aws` with one worker build: without
// credentials, then against the local fakes.
func TestDeployCLI(t *testing.T) {
	bin := workerBin(t)
	t.Run("without credentials", func(t *testing.T) { deployWithoutCredentials(t, bin) })
	t.Run("against local fakes", func(t *testing.T) { deployAgainstFakes(t, bin) })
	t.Run("your own modules", func(t *testing.T) { runCustomOnFakes(t, bin) })
}

// runCustomOnFakes: bench run --target aws-lambda --wasm on Sightglass
// modules, through the fake cloud and the real bootstrap, verifies as
// every target does: checksum reads input.txt from its folder (shipped in
// the package, preopened as ".") and is verified against its expected
// files; wrong's output is a failure with the line diff, never a verified
// sample; missing's refusal at init names the import; nothing is left.
func runCustomOnFakes(t *testing.T, bin string) {
	cloud := awstest.New()
	defer cloud.Close()
	deployEnv(t, true, cloud.Endpoints())
	// A Sightglass folder of three of testdata/sightglass's modules, each
	// with its expected files.
	src, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "sightglass"))
	sg := t.TempDir()
	for _, name := range []string{"checksum", "wrong", "missing"} {
		for _, ext := range []string{".wasm", ".stdout.expected", ".stderr.expected"} {
			b, err := os.ReadFile(filepath.Join(src, name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sg, name+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(src, "input.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sg, "input.txt"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, stdout, errb := deployState(t, bin)
	out := filepath.Join(t.TempDir(), "custom")
	args := []string{"run", "--target", "aws-lambda", "--region", awstest.Region, "--runtime", "wazero", "--tier", "jit",
		"--wasm", sg, "--cold", "1", "--warm", "1", "--no-calibrate", "--no-report", "--out", out}
	if code := Run(s, args); code != ExitCellsFailed {
		t.Fatalf("exit %d, want %d (2 of 3 cells fail)\nstdout:\n%s\nstderr:\n%s", code, ExitCellsFailed, stdout, errb)
	}
	recs, _, err := results.ReadFile(filepath.Join(out, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var checksumExec int
	var wrongDiff, missingImport bool
	for _, r := range recs {
		switch {
		case r.Kind == results.KindSample && r.Workload == "checksum" && r.Phase == "execute":
			if !r.Verified {
				t.Errorf("checksum: unverified execute %+v", r)
			}
			checksumExec++
		case r.Kind == results.KindSample && r.Workload == "wrong" && r.Verified && r.Phase == "execute":
			t.Errorf("wrong: a verified execute: %+v", r)
		case r.Kind == results.KindFailure && r.Workload == "checksum":
			t.Errorf("checksum failed: %s", r.Error)
		case r.Kind == results.KindFailure && r.Workload == "wrong":
			wrongDiff = r.ErrorKind == "output" && strings.Contains(r.Error, `line 2: expected "answer 41", got "answer 42"`)
		case r.Kind == results.KindFailure && r.Workload == "missing":
			missingImport = strings.Contains(r.Error, "host_secret")
		}
	}
	if checksumExec < 2 || !wrongDiff || !missingImport {
		t.Errorf("checksum %d verified executes (want 2 or more), wrong's diff %v, missing's import named %v\n%s", checksumExec, wrongDiff, missingImport, errb)
	}
	if left := cloud.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// deployWithoutCredentials: exit 3, a message naming what to set, and
// not one request to any endpoint.
func deployWithoutCredentials(t *testing.T, bin string) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	deployEnv(t, false, awstest.Endpoints{Lambda: srv.URL, IAM: srv.URL, STS: srv.URL, S3: srv.URL, ECR: srv.URL, Logs: srv.URL})
	s, _, errb := deployState(t, bin)
	out := filepath.Join(t.TempDir(), "aws")
	code := Run(s, []string{"deploy", "aws", "--region", "us-east-1", "--tier", "jit", "--lang", "c", "--memory", "128", "--out", out})
	if code != 3 || !strings.Contains(errb.String(), "AWS_ACCESS_KEY_ID") || !strings.Contains(errb.String(), "no AWS credentials") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if code := Run(s, []string{"deploy", "aws", "--cleanup", "--region", "us-east-1"}); code != 3 {
		t.Errorf("--cleanup without credentials: exit %d", code)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests were sent", hits.Load())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the output folder was created")
	}
}

// deployAgainstFakes runs `bench deploy aws` against the local fakes
// through the SDK's AWS_ENDPOINT_URL_<SERVICE> variables: a dry run, a
// real run, and a cleanup with nothing left to clean.
func deployAgainstFakes(t *testing.T, bin string) {
	cloud := awstest.New()
	defer cloud.Close()
	deployEnv(t, true, cloud.Endpoints())
	args := []string{"deploy", "aws", "--region", awstest.Region, "--runtime", "wazero", "--tier", "jit", "--workload", "fib",
		"--lang", "c", "--param", "fib=20", "--memory", "256", "--cold", "1", "--warm", "2"}

	s, stdout, errb := deployState(t, bin)
	dryOut := filepath.Join(t.TempDir(), "dry")
	if code := Run(s, append(args, "--dry-run", "--out", dryOut)); code != 0 {
		t.Fatalf("dry run: exit %d, stderr %s", code, errb)
	}
	for _, want := range []string{"nothing was sent to AWS", "1 functions, 9 invocations (1 cold, 8 warm", "us-east-1 prices: USD 0.0000166667/GB-s x86_64",
		"build folder: " + dryOut, "Lambda@Edge (zipped package limits): 1 of 1 zips over the 1.0 MB of a viewer trigger, 0 over the 50 MB of an origin trigger"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("dry run does not say %q:\n%s", want, stdout)
		}
	}
	if n := cloud.Requests.Load(); n != 0 {
		t.Fatalf("the dry run sent %d requests", n)
	}

	// --wasm: a module of one's own with a preopened folder, in the plan.
	s, stdout, errb = deployState(t, bin)
	sg, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "sightglass"))
	wargs := []string{"deploy", "aws", "--region", awstest.Region, "--runtime", "wazero", "--tier", "jit", "--memory", "256",
		"--wasm", filepath.Join(sg, "checksum.wasm"), "--dir", sg + ":.", "--arg", "input.txt",
		"--expect-stdout", filepath.Join(sg, "checksum.stdout.expected"), "--dry-run", "--out", filepath.Join(t.TempDir(), "wasm")}
	if code := Run(s, wargs); code != 0 {
		t.Fatalf("--wasm dry run: exit %d, stderr %s", code, errb)
	}
	for _, want := range []string{"bench-", "-wazero-jit-checksum-wasm-x86-256-zip", "modules (1)", `args ["input.txt"]`,
		"preopens " + sg + ` as "."`, "read-only at /var/task", "packages: wazero/jit x86_64 zip"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--wasm dry run does not say %q:\n%s", want, stdout)
		}
	}
	if n := cloud.Requests.Load(); n != 0 {
		t.Fatalf("the dry run sent %d requests", n)
	}

	s, stdout, errb = deployState(t, bin)
	out := filepath.Join(t.TempDir(), "aws")
	if code := Run(s, append(args, "--out", out)); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errb)
	}
	recs, _, err := results.ReadFile(filepath.Join(out, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// --cold 1 --warm 2: one cold process and two warm ones (each a new
	// environment), every execution verified.
	procs := map[string]bool{}
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Phase == "execute" && r.Target == "aws-lambda" && r.MemoryMB == 256 && r.Arch == "x86_64" && r.Package == "zip" {
			if !r.Verified {
				t.Errorf("unverified execute: %+v", r)
			}
			procs[fmt.Sprintf("cold=%v %s", r.Cold, r.Task)] = true
		}
	}
	if len(procs) != 3 {
		t.Errorf("execute samples of %d processes, want 1 cold and 2 warm: %v\n%s", len(procs), procs, stdout)
	}
	if left := cloud.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if code := Run(s, append(args, "--out", out)); code != 2 || !strings.Contains(errb.String(), "already holds a bench run") {
		t.Errorf("a second run into the same folder: exit %d, stderr %s", code, errb)
	}
	// --resume takes the run's targets from its folder; the AWS flags
	// configure the target. A finished run has nothing left to do.
	s, stdout, errb = deployState(t, bin)
	if code := Run(s, []string{"run", "--resume", out, "--region", awstest.Region, "--no-report"}); code != 0 {
		t.Errorf("--resume of a finished aws-lambda run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, errb)
	}
	if left := cloud.Leftovers(); len(left) > 0 {
		t.Errorf("left behind after --resume: %v", left)
	}

	s, stdout, _ = deployState(t, bin)
	if code := Run(s, []string{"deploy", "aws", "--cleanup", "--region", awstest.Region}); code != 0 || !strings.Contains(stdout.String(), "nothing of bench's") {
		t.Errorf("cleanup: exit %d, stdout %s", code, stdout)
	}

	// --keep, then --cleanup: listed, and asked on a terminal; refused
	// without one unless --yes. The region comes from AWS_REGION.
	t.Setenv("AWS_REGION", awstest.Region)
	s, stdout, errb = deployState(t, bin)
	if code := Run(s, append(args[:2:2], append(args[4:], "--keep", "--out", filepath.Join(t.TempDir(), "kept"))...)); code != 0 {
		t.Fatalf("--keep: exit %d\n%s\n%s", code, stdout, errb)
	}
	if n := len(cloud.Leftovers()); n != 3 { // function, log group, role
		t.Fatalf("--keep left %v", cloud.Leftovers())
	}
	cleanup := []string{"deploy", "aws", "--cleanup", "--older-than", "0"}
	s, stdout, errb = deployState(t, bin)
	if code := Run(s, cleanup); code != 2 || !strings.Contains(errb.String(), "stdin is not a terminal") ||
		!strings.Contains(errb.String(), "pass --yes to delete the 3 resources") || !strings.Contains(stdout.String(), "will delete 3 resources") {
		t.Errorf("cleanup without a terminal: exit %d\n%s\n%s", code, stdout, errb)
	}
	if n := len(cloud.Leftovers()); n != 3 {
		t.Fatalf("a refused cleanup deleted something: %v", cloud.Leftovers())
	}
	defer func(f func(io.Reader) bool) { stdinIsTerminal = f }(stdinIsTerminal)
	stdinIsTerminal = func(io.Reader) bool { return true }
	s, stdout, errb = deployState(t, bin)
	s.Stdin = strings.NewReader("n\n")
	if code := Run(s, cleanup); code != 0 || !strings.Contains(errb.String(), "delete these 3 resources? [y/N]") || len(cloud.Leftovers()) != 3 {
		t.Errorf("cleanup answered no: exit %d, left %v\n%s\n%s", code, cloud.Leftovers(), stdout, errb)
	}
	s, stdout, errb = deployState(t, bin)
	s.Stdin = strings.NewReader("y\n")
	if code := Run(s, cleanup); code != 0 || len(cloud.Leftovers()) != 0 {
		t.Errorf("cleanup answered yes: exit %d, left %v\n%s\n%s", code, cloud.Leftovers(), stdout, errb)
	}
}

// TestPrintPolicy: --print-policy needs no credentials and prints a
// policy for the region given.
func TestPrintPolicy(t *testing.T) {
	deployEnv(t, false, awstest.Endpoints{})
	s, stdout, errb := testState(t)
	if code := Run(s, []string{"deploy", "aws", "--print-policy", "--region", "eu-west-1"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var doc struct {
		Version   string
		Statement []struct{ Sid string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) < 10 {
		t.Fatalf("not a policy (%v):\n%s", err, stdout)
	}
	if !strings.Contains(stdout.String(), `"arn:aws:lambda:eu-west-1:*:function:bench-*"`) {
		t.Errorf("the policy is not for eu-west-1:\n%s", stdout)
	}
}
