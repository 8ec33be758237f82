package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
)

// TestDeployEndToEnd deploys the wazero worker as a zip (through S3: the
// inline limit is set below its size) and as an image (pushed to the
// registry with the ECR token), forces cold starts, invokes warm and in a
// burst — every invocation running the real bootstrap — and checks the
// records and that nothing is left.
func TestDeployEndToEnd(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Packages = []string{PackageZip, PackageImage}
	e.o.DirectUploadLimit = 1 // every zip goes through S3
	e.o.Burst = 2
	e.o.RunID = NewRunID(time.Now())
	groups := map[string]string{}
	var rolePolicy string
	var managed []string
	var mu sync.Mutex
	rn := roleName(e.o.RunID)
	e.cloud.Lambda.OnInvoke = func(fn string, _ int) {
		mu.Lock()
		defer mu.Unlock()
		g := logGroupName(fn)
		if ok, days, tags := e.cloud.Logs.Group(g); ok {
			groups[g] = fmt.Sprintf("retention %d, run %s", days, tags[TagRunID])
		}
		if rolePolicy == "" {
			rolePolicy = e.cloud.IAM.InlinePolicies(rn)[logsPolicyName]
			_, managed, _ = e.cloud.IAM.Role(rn)
		}
	}
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if res.Failed != 0 {
		t.Errorf("%d configurations failed\n%s", res.Failed, e.log)
	}
	// Each function's log group was made before the function, tagged,
	// kept a day, and the function's invocations wrote to it.
	if len(groups) != 2 {
		t.Errorf("log groups seen during the invocations: %v", groups)
	}
	for g, info := range groups {
		if info != "retention 1, run "+e.o.RunID {
			t.Errorf("log group %s: %s", g, info)
		}
	}
	if e.cloud.Logs.AutoCreated != 0 {
		t.Errorf("Lambda created %d log groups itself", e.cloud.Logs.AutoCreated)
	}
	// The role bench made may write the run's log groups and nothing else.
	if !strings.Contains(rolePolicy, `"logs:CreateLogStream","logs:PutLogEvents"`) || strings.Contains(rolePolicy, "CreateLogGroup") ||
		!strings.Contains(rolePolicy, "log-group:/aws/lambda/bench-"+e.o.RunID+"-*:*") || len(managed) != 0 {
		t.Errorf("role policy %q, managed policies %v", rolePolicy, managed)
	}
	if e.cloud.S3.Puts != 1 || e.cloud.ECR.Pushes != 1 {
		t.Errorf("S3 puts %d, registry pushes %d: want 1 each", e.cloud.S3.Puts, e.cloud.ECR.Pushes)
	}
	recs := e.records(t)
	if len(kinds(recs, results.KindFailure)) > 0 {
		t.Fatalf("failures: %+v", kinds(recs, results.KindFailure))
	}
	for _, pkgType := range []string{PackageZip, PackageImage} {
		var inits, totals, executes, prices, billed int
		for _, r := range recs {
			if r.Kind != results.KindSample || r.Package != pkgType {
				continue
			}
			if r.Target != Target || r.Arch != ArchX86 || r.MemoryMB != 512 || r.Runtime != "wazero" || r.Param != "20" {
				t.Errorf("record has the wrong cell: %+v", r)
			}
			switch r.Phase {
			case results.PhaseInitDuration:
				inits++
				if !r.Cold || r.Value <= 0 || r.Unit != results.UnitNS {
					t.Errorf("init_duration %+v", r)
				}
			case results.PhaseTotal:
				totals++
			case results.PhaseExecute:
				executes++
				if !r.Verified {
					t.Errorf("execute not verified: %+v", r)
				}
			case results.PhasePrice:
				prices++
				if r.PriceUSD <= 0 || r.Value != r.PriceUSD || r.Unit != results.UnitUSD {
					t.Errorf("price %+v", r)
				}
			case results.PhaseBilledDuration:
				billed++
			}
		}
		// 2 cold + 2 warm + 2 burst invocations.
		if executes != 6 || prices != 6 || billed != 6 || totals != 6 {
			t.Errorf("%s: %d execute, %d price, %d billed, %d total samples; want 6 each", pkgType, executes, prices, billed, totals)
		}
		// Every forced cold start and both burst invokes (concurrent,
		// after a forced cold start) started an environment.
		if inits != 4 {
			t.Errorf("%s: %d init_duration samples, want 4 (2 cold + 2 burst)", pkgType, inits)
		}
	}
	bursts := samples(recs, results.PhaseBurstColdStarts)
	if len(bursts) != 2 || bursts[0].Value != 2 {
		t.Errorf("burst cold starts %+v", bursts)
	}
	if got := len(samples(recs, results.PhasePackageBytes)); got != 2 {
		t.Errorf("%d package_bytes samples, want 2", got)
	}
	// Cold samples carry the bootstrap's init and compile phases.
	var compiles int
	for _, r := range samples(recs, results.PhaseCompile) {
		if r.Cold {
			compiles++
		}
	}
	if compiles != 8 {
		t.Errorf("%d cold compile samples, want 8", compiles)
	}
	if !strings.Contains(e.log.String(), "summary") {
		t.Errorf("no summary in the log:\n%s", e.log)
	}
	if recs[0].Kind != results.KindEnv || !strings.Contains(recs[0].Note, "us-east-1") {
		t.Errorf("first record %+v", recs[0])
	}
	// The role bench created was tagged and is gone.
	if ok, _, _ := e.cloud.IAM.Role(roleName(e.o.RunID)); ok {
		t.Errorf("role still exists")
	}
	t.Logf("log:\n%s", e.log)
}

// TestRetriesThrottlingConflictsAndRolePropagation injects throttled
// invokes, conflicting configuration updates and a role that takes a
// while to become assumable, with the REPORT in the JSON log format: the
// run must succeed, the retried invoke's client time must not count.
func TestRetriesThrottlingConflictsAndRolePropagation(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Cold, e.o.Warm = 2, 1
	e.cloud.Lambda.RoleNotReady = 2
	e.cloud.Lambda.LogFormat = "JSON"
	e.cloud.Lambda.PendingPolls = 2
	throttle := e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "Invoke", Skip: 1, Times: 2, Status: 429,
		Code: "TooManyRequestsException", Message: "Rate Exceeded."})
	conflict := e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "UpdateFunctionConfiguration", Times: 2, Status: 409,
		Code: "ResourceConflictException", Message: "The operation cannot be performed at this time. An update is in progress for resource: x"})
	if _, err := Run(context.Background(), e.o); err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if throttle.Hit != 2 || conflict.Hit != 2 || e.cloud.Lambda.RoleNotReady != 0 {
		t.Errorf("faults hit: throttle %d, conflict %d, role not ready left %d", throttle.Hit, conflict.Hit, e.cloud.Lambda.RoleNotReady)
	}
	recs := e.records(t)
	if f := kinds(recs, results.KindFailure); len(f) > 0 {
		t.Fatalf("failures: %+v", f)
	}
	if got := len(samples(recs, results.PhaseExecute)); got != 3 {
		t.Errorf("%d execute samples, want 3", got)
	}
	// The throttled invoke has no client time, and a note says why.
	if got := len(samples(recs, results.PhaseTotal)); got != 2 {
		t.Errorf("%d total samples, want 2 (one invoke was retried)", got)
	}
	var retried bool
	for _, n := range kinds(recs, results.KindNote) {
		retried = retried || strings.Contains(n.Note, "retried 2 times")
	}
	if !retried {
		t.Errorf("no note about the retried invoke")
	}
	if got := len(samples(recs, results.PhaseInitDuration)); got != 2 {
		t.Errorf("%d init_duration samples from JSON-format REPORTs, want 2", got)
	}
}

// TestFailedConfigurationGoesOn: the second function cannot be created;
// it becomes a failure record, the others are measured, nothing is left.
func TestFailedConfigurationGoesOn(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.MemoryMB = []int{128, 256, 512}
	e.o.Cold, e.o.Warm = 1, 0
	e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "CreateFunction", Skip: 1, Times: 1, Status: 400,
		Code: "InvalidParameterValueException", Message: "injected: bad configuration"})
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	recs := e.records(t)
	// The second create fails; which function's it is depends on the
	// order functions measured at once (--parallel) reach it.
	fails := kinds(recs, results.KindFailure)
	if len(fails) != 1 || !strings.Contains(fails[0].Error, "injected") || res.Failed != 1 {
		t.Fatalf("failures %+v (res.Failed %d)", fails, res.Failed)
	}
	mems := map[int]bool{}
	for _, r := range samples(recs, results.PhaseExecute) {
		mems[r.MemoryMB] = true
	}
	for _, m := range e.o.MemoryMB {
		if mems[m] == (m == fails[0].MemoryMB) {
			t.Errorf("measured memory sizes %v, want every size but the failed %d MB", mems, fails[0].MemoryMB)
		}
	}
}

// TestFatalFailureHalfwayLeavesNothing: the role is created but its
// policy cannot be put — the run stops, and teardown still deletes the
// half-made role.
func TestFatalFailureHalfwayLeavesNothing(t *testing.T) {
	e := newTestEnv(t, fib)
	e.cloud.Faults.Add(awstest.Rule{Service: "iam", Op: "PutRolePolicy", Times: 100, Status: 403,
		Code: "AccessDenied", Message: "injected: not allowed"})
	_, err := Run(context.Background(), e.o)
	if err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("Run: err = %v, want the injected failure", err)
	}
	e.assertNothingLeft(t)
	if e.cloud.Lambda.Creates != 0 {
		t.Errorf("%d functions created after the role failed", e.cloud.Lambda.Creates)
	}
}

// TestInterruptDuringMeasurement cancels the context (Ctrl-C) during the
// second invocation: Run returns the cancellation, teardown still runs,
// and the first invocation's samples are on disk.
func TestInterruptDuringMeasurement(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Cold, e.o.Warm = 2, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.cloud.Lambda.OnInvoke = func(_ string, n int) {
		if n == 2 {
			cancel()
		}
	}
	_, err := Run(ctx, e.o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: err = %v, want context.Canceled\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	recs := e.records(t)
	if got := len(samples(recs, results.PhaseExecute)); got != 1 {
		t.Errorf("%d execute samples, want the first invocation's 1", got)
	}
	if !strings.Contains(e.log.String(), "deleted function") || !strings.Contains(e.log.String(), "deleted iam role") {
		t.Errorf("the function and role were not reported deleted:\n%s", e.log)
	}
	if f := kinds(recs, results.KindFailure); len(f) > 0 {
		t.Errorf("an interruption is not a failure: %+v", f)
	}
}

// TestLeftoversReportedThenCleanedUp: the function cannot be deleted; Run
// says so and fails, and --cleanup later finds it by tag and removes it
// (and only it: an untagged function stays).
func TestLeftoversReportedThenCleanedUp(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Cold, e.o.Warm = 1, 0
	e.o.RoleARN = e.cloud.IAM.PutRole("my-own-role", nil) // --role: bench creates none
	e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "DeleteFunction", Times: 100, Status: 400,
		Code: "InvalidParameterValueException", Message: "injected: cannot delete"})
	res, err := Run(context.Background(), e.o)
	if !errors.Is(err, ErrLeftovers) || len(res.Leftovers) != 1 {
		t.Fatalf("Run: err = %v, leftovers %v; want one leftover", err, res.Leftovers)
	}
	if !strings.Contains(e.log.String(), "could NOT delete") || !strings.Contains(e.log.String(), "--cleanup") {
		t.Errorf("the log does not say what was left and how to clean up:\n%s", e.log)
	}
	left := e.cloud.Leftovers()
	if len(left) != 2 { // the function and the user's own role; its log group is gone
		t.Fatalf("left %v", left)
	}
	e.cloud.Faults = &awstest.Faults{} // deletes work again
	// The run was active a moment ago: a cleanup with the default age
	// guard leaves it, as it may still be running...
	cres, err := Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log})
	if err != nil || len(cres.Deleted) != 0 || len(cres.Skipped) != 1 || !strings.Contains(cres.Skipped[0], "may still be running") {
		t.Fatalf("guarded cleanup: %v, deleted %v, skipped %v", err, cres.Deleted, cres.Skipped)
	}
	// ... and one an hour later deletes it.
	cres, err = Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log,
		Now: func() time.Time { return time.Now().Add(time.Hour + time.Minute) }})
	if err != nil {
		t.Fatalf("Cleanup: %v\n%s", err, e.log)
	}
	if len(cres.Deleted) != 1 || !strings.HasPrefix(cres.Deleted[0], "function bench-"+e.o.RunID) {
		t.Errorf("cleanup deleted %v", cres.Deleted)
	}
	if got := e.cloud.Leftovers(); len(got) != 1 || got[0] != "iam role my-own-role" {
		t.Errorf("after cleanup: %v (the user's untagged role must stay)", got)
	}
}

// TestKeepThenCleanupByTag: --keep leaves the functions, their log
// groups, the role, repository and bucket (with its object) in place and
// lists them; Cleanup finds every one by its tag and deletes it, leaving
// untagged look-alikes alone.
func TestKeepThenCleanupByTag(t *testing.T) {
	e := newTestEnv(t, fib)
	e.o.Packages = []string{PackageZip, PackageImage}
	e.o.DirectUploadLimit = 1
	e.o.Cold, e.o.Warm, e.o.Keep = 1, 0, true
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log)
	}
	// 2 functions, 2 log groups, role, repository, bucket.
	if len(res.Kept) != 7 || !strings.Contains(e.log.String(), "--keep: left in place") {
		t.Fatalf("kept %v\n%s", res.Kept, e.log)
	}
	if got := len(e.cloud.Leftovers()); got != 8 { // and the bucket's object
		t.Fatalf("%d resources exist, want 8: %v", got, e.cloud.Leftovers())
	}
	// Look-alikes without the tag, which cleanup must not touch.
	e.cloud.IAM.PutRole("bench-not-ours", nil)
	if err := e.cloud.S3.CreateBucket("bench-artifacts-123456789012-us-east-1", nil); err != nil {
		t.Fatal(err)
	}
	e.cloud.Logs.PutGroup("/aws/lambda/bench-not-ours", time.Now().Add(-48*time.Hour), nil)
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	// A dry cleanup lists and deletes nothing.
	co := CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log, DryRun: true, Now: later}
	dry, err := Cleanup(context.Background(), co)
	if err != nil || len(dry.Deleted) != 7 || len(e.cloud.Leftovers()) != 11 {
		t.Fatalf("dry cleanup: %v, listed %v, %d exist", err, dry.Deleted, len(e.cloud.Leftovers()))
	}
	co.DryRun = false
	cres, err := Cleanup(context.Background(), co)
	if err != nil {
		t.Fatalf("Cleanup: %v\n%s", err, e.log)
	}
	if len(cres.Deleted) != 7 {
		t.Errorf("deleted %v", cres.Deleted)
	}
	want := []string{"iam role bench-not-ours", "log group /aws/lambda/bench-not-ours", "s3 bucket bench-artifacts-123456789012-us-east-1"}
	if got := e.cloud.Leftovers(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after cleanup: %v, want %v", got, want)
	}
}

// TestOtherRuntimes deploys the other workers the bin folder holds (make
// test's BENCH_BIN_DIR): wasmtime's AOT tier (prepared here, loaded in the
// function) and wasmer's, each run by its real bootstrap.
func TestOtherRuntimes(t *testing.T) {
	var specs []cellSpec
	for _, r := range run.Discover(context.Background(), binDir) {
		if r.Unavailable != "" {
			continue
		}
		switch r.Name {
		case "wasmtime":
			specs = append(specs, cellSpec{"wasmtime", "aot", "fib", "c", 20})
		case "wasmer":
			specs = append(specs, cellSpec{"wasmer", "jit", "fib", "c", 20})
		}
	}
	if len(specs) == 0 {
		t.Skip("no wasmtime or wasmer worker in " + binDir + " (make build, then BENCH_BIN_DIR)")
	}
	e := newTestEnv(t, specs...)
	e.o.Cold, e.o.Warm = 1, 1
	e.o.Packages = []string{PackageZip, PackageImage}
	if _, err := Run(context.Background(), e.o); err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	recs := e.records(t)
	if f := kinds(recs, results.KindFailure); len(f) > 0 {
		t.Fatalf("failures: %+v\n%s", f, e.log)
	}
	got := map[string]int{}
	for _, r := range samples(recs, results.PhaseExecute) {
		if r.Verified {
			got[r.Runtime+"/"+r.Package]++
		}
	}
	for _, s := range specs {
		for _, p := range e.o.Packages {
			if got[s.runtime+"/"+p] != 2 {
				t.Errorf("%s %s: %d verified executions, want 2 (%v)", s.runtime, p, got[s.runtime+"/"+p], got)
			}
		}
	}
	for _, r := range samples(recs, results.PhaseLoad) {
		if r.Runtime == "wasmtime" && r.Cache != "disk" {
			t.Errorf("wasmtime aot load sample without cache=disk: %+v", r)
		}
	}
	if len(samples(recs, results.PhaseLoad)) == 0 && len(specs) > 0 && specs[0].runtime == "wasmtime" {
		t.Errorf("no load phase from the AOT tier")
	}
	// The artifact's target is a fact of the run: one note per package.
	targets := 0
	for _, r := range kinds(recs, results.KindNote) {
		if r.Runtime == "wasmtime" && r.Tier == "aot" && strings.HasPrefix(r.Note, "AOT artifact compiled for x86_64") {
			targets++
		}
	}
	if specs[0].runtime == "wasmtime" && targets != len(e.o.Packages) {
		t.Errorf("%d notes of the wasmtime artifact's target, want one per package (%d)", targets, len(e.o.Packages))
	}
	t.Logf("log:\n%s", e.log)
}
