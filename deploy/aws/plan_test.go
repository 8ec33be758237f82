package aws

import (
	"archive/zip"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/smithy-go"
	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/pkg"
)

// dryRun gives a new Target one cold task of each function of the plan,
// as the orchestrator's DryRun does, and returns the plan it printed.
func (e *testEnv) dryRun(t *testing.T, specs ...cellSpec) (*Target, string, error) {
	t.Helper()
	var tasks []deploy.Task
	for _, steps := range e.plan(t, specs...) {
		tasks = append(tasks, steps[0].Task)
	}
	tg, err := NewTarget(e.o)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = tg.DryRun(context.Background(), tasks, &out)
	return tg, out.String(), err
}

// zipHas says whether a built zip package holds a file whose name has
// the prefix.
func zipHas(t *testing.T, path, prefix string) bool {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("package: %v", err)
	}
	defer z.Close()
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, prefix) {
			return true
		}
	}
	return false
}

// TestDryRun builds every function's package — including the wazero
// worker cross-compiled for arm64 — and prints the plan without any
// request.
func TestDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the wazero worker for arm64")
	}
	e := newTestEnv(t)
	e.o.Region = ""
	e.o.Arches = []string{ArchX86, ArchARM}
	e.o.MemoryMB = []int{128, 1769}
	e.o.Packages = []string{PackageZip, PackageImage}
	e.o.Cold, e.o.Warm, e.o.Burst = 3, 5, 10
	tg, out, err := e.dryRun(t, fib, cellSpec{"wazero", "aot", "fib", "c", 20})
	if err != nil {
		t.Fatalf("DryRun: %v\n%s", err, e.log)
	}
	if n := e.tr.n.Load() + e.cloud.Requests.Load(); n != 0 {
		t.Errorf("a dry run sent %d requests", n)
	}
	t.Logf("plan:\n%s", out)
	// jit: 2 arches x 2 memory x 2 packages; aot: x86_64 only (its
	// artifact must be prepared by a worker of the function's arch).
	for _, want := range []string{"nothing was sent to AWS", "12 functions", "216 invocations", "estimated cost of this run: USD",
		"region (none given: us-east-1's prices for the estimate)", "us-east-1 prices: USD", "2025-08-01", "unavailable (4)",
		"bench-" + tg.Options().RunID + "-wazero-jit-fib-c-20-arm-1769-image", "modules (1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q", want)
		}
	}
	_, unavailable, _ := strings.Cut(out, "unavailable (4):")
	if strings.Count(unavailable, "wazero/aot/") != 4 || strings.Count(unavailable, "arch=arm64") != 4 || strings.Count(unavailable, "prepared") != 4 {
		t.Errorf("unavailable, want the 4 arm64 aot functions, their artifact to be prepared on arm64:%s", unavailable)
	}
	// The arm64 worker really is arm64 and static.
	armWorker := filepath.Join(e.o.Out, "build", "workers", ArchARM, "bench-wazero")
	f, err := elf.Open(armWorker)
	if err != nil {
		t.Fatalf("arm64 worker: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("arm64 worker is %s", f.Machine)
	}
	f.Close()
	if err := checkELF(armWorker, ArchARM, nil); err != nil {
		t.Errorf("arm64 worker: %v", err)
	}
	// The AOT artifact was prepared and is in the x86_64 zip.
	if !zipHas(t, filepath.Join(e.o.Out, "build", "packages", "wazero-aot-fib-c-20-x86_64-zip.zip"), "task/artifact/") {
		t.Errorf("the aot package has no artifact")
	}
}

// cross-compiled for arm64 — and prints the plan without any request.
func TestOptionsCheck(t *testing.T) {
	good := Options{Region: "eu-west-1", Arches: []string{ArchARM}, MemoryMB: []int{128, 10240}, Packages: []string{PackageImage}, Cold: 1}
	if err := good.Check(); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"unknown region", func(o *Options) { o.Region = "eu-west-9" }, `unknown AWS region "eu-west-9" (did you mean eu-west-1?)`},
		{"arch", func(o *Options) { o.Arches = []string{"amd64"} }, `architecture "amd64"`},
		{"memory", func(o *Options) { o.MemoryMB = []int{64} }, "64 MB"},
		{"package", func(o *Options) { o.Packages = []string{"tar"} }, `package "tar"`},
		{"timeout", func(o *Options) { o.Timeout = time.Hour }, "15m"},
		{"run id", func(o *Options) { o.RunID = "Bad_ID" }, "run id"},
	} {
		o := good
		tc.edit(&o)
		if err := o.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	none := good
	none.Region = ""
	if err := none.Check(); err != nil {
		t.Errorf("no region is Run's to resolve, not Check's: %v", err)
	}
}

func TestFunctionName(t *testing.T) {
	id := NewRunID(time.Date(2026, 9, 10, 12, 3, 4, 0, time.UTC))
	if err := CheckRunID(id); err != nil || !strings.HasPrefix(id, "260910-120304-") {
		t.Fatalf("run id %q: %v", id, err)
	}
	short := functionName(id, "wazero", "jit", "fib", "c", "20", "x86", "512", "zip")
	if short != "bench-"+id+"-wazero-jit-fib-c-20-x86-512-zip" {
		t.Errorf("name %q", short)
	}
	a := functionName(id, "wasmtime39", "interpreter-aot", "primes", "rust", "12500000", "arm", "10240", "image")
	b := functionName(id, "wasmtime39", "interpreter-aot", "primes", "rust", "12500001", "arm", "10240", "image")
	if len(a) > 64 || len(b) > 64 || a == b || !strings.HasPrefix(a, "bench-"+id) {
		t.Errorf("long names %q and %q: want distinct, at most 64 characters, with the run id", a, b)
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			t.Errorf("name %q has %q", a, r)
		}
	}
}

type apiErr struct{ code, msg string }

func (e apiErr) Error() string                 { return e.code + ": " + e.msg }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return e.msg }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func TestRetryDecisions(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want sdk.Ternary
	}{
		{apiErr{"ResourceConflictException", "An update is in progress for resource"}, sdk.TrueTernary},
		{apiErr{"ResourceConflictException", "Function already exist: x"}, sdk.FalseTernary},
		{apiErr{"InvalidParameterValueException", "nope"}, sdk.UnknownTernary},
		{errors.New("plain"), sdk.UnknownTernary},
	} {
		if got := isRetriedConflict(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
	if !isRoleNotReady(apiErr{"InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."}) {
		t.Errorf("role propagation error not recognised")
	}
	if isRoleNotReady(apiErr{"InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"}) {
		t.Errorf("an unrelated error taken for role propagation")
	}
}

// TestCheckELF: static binaries pass; a dynamic one built here against
// Debian's glibc is judged by its newest symbol version.
func TestCheckELF(t *testing.T) {
	if err := checkELF(filepath.Join(binDir, "bench-wazero"), ArchX86, nil); err != nil {
		t.Errorf("static wazero worker: %v", err)
	}
	if err := checkELF(filepath.Join(binDir, "bench-wazero"), ArchARM, nil); err == nil || !strings.Contains(err.Error(), "not arm64") {
		t.Errorf("x86_64 worker for arm64: %v", err)
	}
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to build a dynamic test binary")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "new.c")
	// memfd_create@GLIBC_2.27 is fine; arc4random appeared in glibc 2.36.
	if err := os.WriteFile(src, []byte("#include <stdlib.h>\nint main(void){return (int)(arc4random()&1);}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "new")
	if out, err := exec.Command(cc, "-o", exe, src).CombinedOutput(); err != nil {
		t.Skipf("this glibc has no arc4random: %v %s", err, out)
	}
	if err := checkELF(exe, ArchX86, nil); err == nil || !strings.Contains(err.Error(), "glibc 2.36") {
		t.Errorf("binary needing glibc 2.36: %v", err)
	}
	old := filepath.Join(dir, "old.c")
	if err := os.WriteFile(old, []byte("#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", exe, old).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := checkELF(exe, ArchX86, nil); err != nil {
		t.Errorf("puts-only binary: %v", err)
	}
}

// TestCrossSystemLibraries: an arm64 image of a dynamically linked
// executable carries the interpreter and libraries from the cross
// toolchain's sysroot.
func TestCrossSystemLibraries(t *testing.T) {
	cc, err := exec.LookPath(crossCC(ArchARM))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %s (apt-get install %s)", crossCC(ArchARM), crossPackage(ArchARM))
		}
		t.Skipf("no %s (Debian: apt-get install %s)", crossCC(ArchARM), crossPackage(ArchARM))
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	if err := os.WriteFile(src, []byte("#include <math.h>\n#include <stdio.h>\nint main(int c,char**v){printf(\"%f\\n\",cos((double)c));return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "bootstrap")
	if out, err := exec.Command(cc, "-o", exe, src, "-lm").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := checkELF(exe, ArchARM, nil); err != nil {
		t.Errorf("cross-built bootstrap for provided.al2023: %v", err)
	}
	files, err := crossSystemLibraries([]pkg.File{{Name: "bootstrap", Src: exe}}, ArchARM)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		names[f.Name] = true
		if strings.HasPrefix(f.Name, "/") {
			if ef, err := elf.Open(f.Src); err != nil || ef.Machine != elf.EM_AARCH64 {
				t.Errorf("%s from %s is not an arm64 ELF file", f.Name, f.Src)
			} else {
				ef.Close()
			}
		}
	}
	for _, want := range []string{"bootstrap", "/lib/ld-linux-aarch64.so.1", "/lib/aarch64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libm.so.6"} {
		if !names[want] {
			t.Errorf("missing %s in %v", want, names)
		}
	}
	if _, err := pkg.Image(files, pkg.ImageOptions{Arch: "arm64"}); err != nil {
		t.Errorf("image: %v", err)
	}
}

// TestRelativeOut: with a relative --out (the default is
// results/aws-<id>) the worker cross-built for arm64 — in its Go module's
// folder — lands in the run folder and is packaged, not written under the
// module's folder.
func TestRelativeOut(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the wazero worker for arm64")
	}
	e := newTestEnv(t)
	e.o.Region = ""
	e.o.Arches = []string{ArchARM}
	wd := t.TempDir()
	t.Chdir(wd)
	e.o.Out = filepath.Join("results", "aws-relative")
	_, out, err := e.dryRun(t, fib)
	if err != nil {
		t.Fatalf("DryRun: %v\n%s", err, e.log)
	}
	if !strings.Contains(out, "\n1 functions") || strings.Contains(out, "unavailable") {
		t.Fatalf("the arm64 function is not planned:\n%s\n%s", out, e.log)
	}
	if _, err := os.Stat(filepath.Join(wd, "results", "aws-relative", "build", "workers", ArchARM, "bench-wazero")); err != nil {
		t.Errorf("the arm64 worker is not in the run folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(srcDir, "results", "aws-relative")); err == nil {
		os.RemoveAll(filepath.Join(srcDir, "results", "aws-relative"))
		t.Errorf("the build wrote under the module's folder")
	}
	if !zipHas(t, filepath.Join(wd, "results", "aws-relative", "build", "packages", "wazero-jit-fib-c-20-arm64-zip.zip"), "bootstrap") {
		t.Errorf("the package in the run folder has no bootstrap")
	}
}

// The dry run sets packages against Lambda's limits and Lambda@Edge's.
func TestPackageLimits(t *testing.T) {
	shared := &Artifact{Bytes: 900 << 10, UnzippedBytes: 2 << 20}
	fns := []*Function{
		{Name: "small", Package: PackageZip, Artifact: shared},
		{Name: "same-package", Package: PackageZip, Artifact: shared},
		{Name: "wasm", Package: PackageZip, Artifact: &Artifact{Bytes: 9 << 20, UnzippedBytes: 24 << 20}},
		{Name: "big", Package: PackageZip, Artifact: &Artifact{Bytes: 60 << 20, UnzippedBytes: 300 << 20}},
		{Name: "huge-image", Package: PackageImage, Artifact: &Artifact{Bytes: 11 << 30}},
		{Name: "gone", Package: PackageZip, Artifact: &Artifact{Bytes: 500 << 20, Unavailable: "no worker"}},
	}
	got := strings.Join(packageLimits(fns), "\n")
	for _, want := range []string{
		"warning: big: 300 MB unzipped, over Lambda's 250 MB",
		"warning: huge-image: image of 11264 MB, over Lambda's 10240 MB for a container image",
		"Lambda@Edge (zipped package limits): 2 of 3 zips over the 1.0 MB of a viewer trigger, 1 over the 50 MB of an origin trigger; the smallest is 900 KB",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("limits:\n%s\nwant %q", got, want)
		}
	}
	if strings.Contains(got, "gone") || strings.Contains(got, "small:") {
		t.Errorf("limits name a package that is unavailable or within every limit:\n%s", got)
	}
}
