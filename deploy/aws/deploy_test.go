package aws

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/registry"
)

// TestDeployEndToEnd deploys the wazero worker as a zip (through S3: the
// inline limit is set below its size) and as an image (pushed to the
// registry with the ECR token), runs cold tasks (a forced new environment
// each), a warm task and a burst — every invocation running the real
// bootstrap — and checks the outcomes' REPORT figures and events, and that
// Close leaves nothing.
func TestDeployEndToEnd(t *testing.T) {
	e := newTestEnv(t)
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
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if f := s.failures(); len(f) > 0 {
		t.Fatalf("failures: %+v\n%s", f[0].out.Err, e.log)
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
	if e.cloud.S3.Puts != 1 || e.cloud.ECR.Pushes != 1 || e.cloud.Lambda.Creates != 2 {
		t.Errorf("S3 puts %d, registry pushes %d, functions created %d: want 1, 1 and 2", e.cloud.S3.Puts, e.cloud.ECR.Pushes, e.cloud.Lambda.Creates)
	}
	recs := s.records()
	for _, pkgType := range []string{PackageZip, PackageImage} {
		count := map[string]int{}
		var warmupInits int
		for _, r := range recs {
			if r.Package != pkgType {
				continue
			}
			if r.Kind != results.KindSample || r.Target != TargetName || r.Arch != ArchX86 || r.MemoryMB != 512 || r.Runtime != "wazero" || r.Param != "20" {
				t.Errorf("record has the wrong cell or kind: %+v", r)
			}
			count[r.Phase]++
			switch r.Phase {
			case results.PhaseInitDuration:
				if !r.Cold && !r.Warmup {
					t.Errorf("init_duration of a measured warm invocation: %+v", r)
				}
				if r.Warmup {
					warmupInits++
				}
				if r.Value <= 0 || r.Unit != results.UnitNS {
					t.Errorf("init_duration %+v", r)
				}
			case results.PhasePrice:
				if r.PriceUSD <= 0 || r.Value != r.PriceUSD || r.Unit != results.UnitUSD {
					t.Errorf("price %+v", r)
				}
			case results.PhaseMaxMemoryUsed:
				if r.Value <= 0 || r.Unit != results.UnitBytes {
					t.Errorf("max_memory_used %+v", r)
				}
			case results.PhasePackageBytes:
				if r.Value <= 0 || r.Unit != results.UnitBytes {
					t.Errorf("package_bytes %+v", r)
				}
			}
		}
		// 2 cold + 3 warm (one a warm-up) + 2 burst invocations.
		for _, ph := range []string{results.PhaseDuration, results.PhaseBilledDuration, results.PhasePrice, results.PhaseMaxMemoryUsed} {
			if count[ph] != 7 {
				t.Errorf("%s: %d %s samples, want 7 (%v)", pkgType, count[ph], ph, count)
			}
		}
		// Every forced cold start started an environment: the cold tasks',
		// the warm task's (its warm-up's) and both burst invokes
		// (concurrent, after a forced cold start).
		if count[results.PhaseInitDuration] != 5 || warmupInits != 1 {
			t.Errorf("%s: %d init_duration samples (%d warm-up), want 5 (2 cold, the warm task's warm-up, 2 burst)", pkgType, count[results.PhaseInitDuration], warmupInits)
		}
		if count[results.PhasePackageBytes] != 1 {
			t.Errorf("%s: %d package_bytes samples, want one per function", pkgType, count[results.PhasePackageBytes])
		}
	}
	bursts := samples(recs, results.PhaseBurstColdStarts)
	if len(bursts) != 2 || bursts[0].Value != 2 {
		t.Errorf("burst cold starts %+v", bursts)
	}
	// The outcomes carry the bootstrap's events: each cold task's compile
	// and execute phases and its output, and the client's round trip.
	for _, d := range s.done {
		if d.Job.Op != runners.OpCold || d.burst > 0 {
			continue
		}
		var compile, execute, output int
		for _, ev := range d.out.Events {
			switch {
			case ev.Type == runners.EventPhase && ev.Phase == results.PhaseCompile:
				compile++
			case ev.Type == runners.EventPhase && ev.Phase == results.PhaseExecute:
				execute++
			case ev.Type == runners.EventOutput && ev.Output != nil:
				output++
			}
		}
		if compile != 1 || execute != 1 || output != 1 || d.out.Total <= 0 || d.out.MaxRSS <= 0 {
			t.Errorf("cold task %s: %d compile, %d execute, %d output events, total %s, max RSS %d", d.Job.ID, compile, execute, output, d.out.Total, d.out.MaxRSS)
		}
	}
	// The warm task's executions: one warm-up, two measured.
	var warm, warmup int
	for _, d := range s.done {
		if d.Job.Op == runners.OpWarm {
			for _, ev := range d.out.Events {
				if ev.Type == runners.EventPhase && ev.Phase == results.PhaseExecute {
					warm++
					if ev.Warmup {
						warmup++
					}
				}
			}
		}
	}
	if warm != 6 || warmup != 2 {
		t.Errorf("%d warm executions (%d warm-up), want 6 (2) over both packages", warm, warmup)
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
// tasks must succeed, the retried invoke's client time must not count.
func TestRetriesThrottlingConflictsAndRolePropagation(t *testing.T) {
	e := newTestEnv(t)
	e.o.Cold, e.o.Warm = 2, 1
	e.cloud.Lambda.RoleNotReady = 2
	e.cloud.Lambda.LogFormat = "JSON"
	e.cloud.Lambda.PendingPolls = 2
	throttle := e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "Invoke", Skip: 1, Times: 2, Status: 429,
		Code: "TooManyRequestsException", Message: "Rate Exceeded."})
	conflict := e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "UpdateFunctionConfiguration", Times: 2, Status: 409,
		Code: "ResourceConflictException", Message: "The operation cannot be performed at this time. An update is in progress for resource: x"})
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if throttle.Hit != 2 || conflict.Hit != 2 || e.cloud.Lambda.RoleNotReady != 0 {
		t.Errorf("faults hit: throttle %d, conflict %d, role not ready left %d", throttle.Hit, conflict.Hit, e.cloud.Lambda.RoleNotReady)
	}
	if f := s.failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f[0].out.Err)
	}
	recs := s.records()
	if got := len(samples(recs, results.PhaseDuration)); got != 4 { // 2 cold, a warm-up and 1 warm
		t.Errorf("%d duration samples, want 4", got)
	}
	// The throttled invoke (the second cold task's) has no client time,
	// and a note says why.
	var totals int
	for _, d := range s.done {
		if d.Job.Op == runners.OpCold && d.out.Total > 0 {
			totals++
		}
	}
	if totals != 1 {
		t.Errorf("%d cold tasks with a client total, want 1 (one invoke was retried)", totals)
	}
	var retried bool
	for _, r := range recs {
		retried = retried || strings.Contains(r.Note, "retried 2 times")
	}
	if !retried {
		t.Errorf("no note about the retried invoke")
	}
	var inits int
	for _, r := range samples(recs, results.PhaseInitDuration) {
		if r.Cold {
			inits++
		}
	}
	if inits != 2 {
		t.Errorf("%d cold init_duration samples from JSON-format REPORTs, want 2", inits)
	}
}

// TestFailedConfigurationGoesOn: the second function cannot be created;
// its task fails (Outcome.Err, not an error), the others are measured,
// nothing is left.
func TestFailedConfigurationGoesOn(t *testing.T) {
	e := newTestEnv(t)
	e.o.MemoryMB = []int{128, 256, 512}
	e.o.Cold, e.o.Warm = 1, 0
	e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "CreateFunction", Skip: 1, Times: 1, Status: 400,
		Code: "InvalidParameterValueException", Message: "injected: bad configuration"})
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	// The second create fails; which function's it is depends on the
	// order functions measured at once reach it.
	fails := s.failures()
	if len(fails) != 1 || !strings.Contains(fails[0].out.Err.Message, "injected") {
		t.Fatalf("failures %+v", fails)
	}
	mems := map[int]bool{}
	for _, r := range samples(s.records(), results.PhaseDuration) {
		mems[r.MemoryMB] = true
	}
	for _, m := range e.o.MemoryMB {
		if mems[m] == (m == fails[0].MemoryMB) {
			t.Errorf("measured memory sizes %v, want every size but the failed %d MB", mems, fails[0].MemoryMB)
		}
	}
}

// TestGuestFailureIsTheTasks: a module that is no WebAssembly, and one
// that traps, are their tasks' failures (Outcome.Err), not the target's.
func TestGuestFailureIsTheTasks(t *testing.T) {
	e := newTestEnv(t)
	bad := e.task(t, fib, runners.OpCold)
	bad.Cell.Workload, bad.Job.Module.Name = "garbage", "garbage.wasm"
	bad.Job.Module.Path = writeFile(t, "garbage.wasm", []byte("not a module"))
	trap := e.task(t, fib, runners.OpCold)
	trap.Cell.Workload, trap.Job.Module.Name = "trap", "trap.wasm"
	// (module (func (export "_start") unreachable))
	trap.Job.Module.Path = writeFile(t, "trap.wasm", []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
		7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, 10, 5, 1, 3, 0, 0, 0x0b})
	trap.Job.Args = nil
	s, err := e.run(context.Background(), [][]step{{{Task: bad}}, {{Task: trap}}})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if len(s.done) != 2 {
		t.Fatalf("%d tasks done, want 2", len(s.done))
	}
	for _, d := range s.done {
		if d.err != nil || d.out.Err == nil {
			t.Errorf("%s: err %v, outcome error %v; want the task's failure", d.Cell.Workload, d.err, d.out.Err)
			continue
		}
		t.Logf("%s: %s: %s", d.Cell.Workload, d.out.Err.Kind, d.out.Err.Message)
		if d.out.Err.Kind == runners.KindInternal {
			t.Errorf("%s: a guest's failure reported as the target's own: %v", d.Cell.Workload, d.out.Err)
		}
	}
}

// TestFatalFailureHalfwayLeavesNothing: the role is created but its
// policy cannot be put — no function is created, each task fails, and
// Close still deletes the half-made role.
func TestFatalFailureHalfwayLeavesNothing(t *testing.T) {
	e := newTestEnv(t)
	e.cloud.Faults.Add(awstest.Rule{Service: "iam", Op: "PutRolePolicy", Times: 100, Status: 403,
		Code: "AccessDenied", Message: "injected: not allowed"})
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	fails := s.failures()
	if len(fails) == 0 || !strings.Contains(fails[0].out.Err.Message, "injected") {
		t.Fatalf("failures %+v, want the injected one", fails)
	}
	e.assertNothingLeft(t)
	if e.cloud.Lambda.Creates != 0 {
		t.Errorf("%d functions created after the role failed", e.cloud.Lambda.Creates)
	}
}

// TestInterruptDuringMeasurement cancels the context (Ctrl-C) during the
// second invocation: Run returns the cancellation, Close still deletes
// everything, and the first invocation's outcome is whole.
func TestInterruptDuringMeasurement(t *testing.T) {
	e := newTestEnv(t)
	e.o.Cold, e.o.Warm = 2, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.cloud.Lambda.OnInvoke = func(_ string, n int) {
		if n == 2 {
			cancel()
		}
	}
	s, err := e.run(ctx, e.plan(t, fib))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: err = %v, want context.Canceled\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if len(s.done) != 2 || s.done[0].err != nil || !errors.Is(s.done[1].err, context.Canceled) {
		t.Fatalf("done %+v, want the first cold task and the interrupted second", s.done)
	}
	if got := len(samples(s.records(), results.PhaseDuration)); got != 1 {
		t.Errorf("%d duration samples, want the first invocation's 1", got)
	}
	if !strings.Contains(e.log.String(), "deleted function") || !strings.Contains(e.log.String(), "deleted iam role") {
		t.Errorf("the function and role were not reported deleted:\n%s", e.log)
	}
	if f := s.failures(); len(f) > 0 {
		t.Errorf("an interruption is not a failure: %+v", f[0].out.Err)
	}
}

// TestLeftoversReportedThenCleanedUp: the function cannot be deleted; Run
// says so and fails, and --cleanup later finds it by tag and removes it
// (and only it: an untagged function stays).
func TestLeftoversReportedThenCleanedUp(t *testing.T) {
	e := newTestEnv(t)
	e.o.Cold, e.o.Warm = 1, 0
	e.o.RoleARN = e.cloud.IAM.PutRole("my-own-role", nil) // --role: bench creates none
	e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "DeleteFunction", Times: 100, Status: 400,
		Code: "InvalidParameterValueException", Message: "injected: cannot delete"})
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrLeftovers) || !strings.Contains(err.Error(), "1 left in "+awstest.Region) {
		t.Fatalf("run: err = %v; want one leftover", err)
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
	e := newTestEnv(t)
	e.o.Packages = []string{PackageZip, PackageImage}
	e.o.DirectUploadLimit = 1
	e.o.Cold, e.o.Warm, e.o.Keep = 1, 0, true
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	// 2 functions, 2 log groups, role, repository, bucket.
	_, kept, ok := strings.Cut(e.log.String(), "--keep: left in place")
	if !ok || strings.Count(kept, "\n  ") != 7 {
		t.Fatalf("kept:%s\n%s", kept, e.log)
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
	for _, s := range []cellSpec{{"wasmtime", "aot", "fib", "c", 20}, {"wasmer", "jit", "fib", "c", 20}} {
		rt, _ := registry.Lookup(s.runtime)
		if _, err := os.Stat(filepath.Join(binDir, rt.Binary)); err == nil {
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		t.Skip("no wasmtime or wasmer worker in " + binDir + " (make build, then BENCH_BIN_DIR)")
	}
	e := newTestEnv(t)
	e.o.Cold, e.o.Warm = 1, 1
	e.o.Packages = []string{PackageZip, PackageImage}
	s, err := e.run(context.Background(), e.plan(t, specs...))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if f := s.failures(); len(f) > 0 {
		t.Fatalf("%s %s: %v\n%s", f[0].Cell.Runtime, f[0].Package, f[0].out.Err, e.log)
	}
	got := map[string]int{}
	loads := map[string]int{}
	for _, d := range s.done {
		for _, ev := range d.out.Events {
			switch {
			case ev.Type == runners.EventPhase && ev.Phase == results.PhaseExecute && !ev.Warmup:
				got[d.Cell.Runtime+"/"+d.Package]++
			case ev.Type == runners.EventPhase && ev.Phase == results.PhaseLoad:
				loads[d.Cell.Runtime]++
			}
		}
	}
	for _, sp := range specs {
		for _, p := range e.o.Packages {
			if got[sp.runtime+"/"+p] != 2 {
				t.Errorf("%s %s: %d measured executions, want 2 (%v)", sp.runtime, p, got[sp.runtime+"/"+p], got)
			}
		}
	}
	if specs[0].runtime != "wasmtime" {
		return
	}
	if loads["wasmtime"] == 0 {
		t.Errorf("no load phase from the AOT tier")
	}
	// The artifact's target is a fact of the function: on its package's
	// size, once per package.
	targets := 0
	for _, r := range samples(s.records(), results.PhasePackageBytes) {
		if r.Runtime == "wasmtime" && strings.HasPrefix(r.Note, "AOT artifact compiled for x86_64") {
			targets++
		}
	}
	if targets != len(e.o.Packages) {
		t.Errorf("%d notes of the wasmtime artifact's target, want one per package (%d)", targets, len(e.o.Packages))
	}
}

// writeFile writes a file in a folder of the test's.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
