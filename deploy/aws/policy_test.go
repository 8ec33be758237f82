package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/aws/awstest"
)

// cancelAt cancels the run's context when the fake receives the nth call
// of an operation: the call itself still takes effect, and its answer is
// lost, as when Ctrl-C comes while a create is in flight.
func cancelAt(e *testEnv, service, op string, nth int) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	seen := 0
	e.cloud.Faults.OnCall = func(s, o string) {
		if s != service || o != op {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == nth {
			cancel()
			// The call goes on here, but its answer comes too late: the
			// client has seen the cancellation first, and the create
			// takes effect after it gave up.
			time.Sleep(50 * time.Millisecond)
		}
	}
	return ctx, cancel
}

// sweep is the done-when configuration: 2 architectures, 2 memory sizes,
// a zip through S3 and an image, so that every kind of resource is made.
func sweep(e *testEnv) {
	e.o.Arches = []string{ArchX86, ArchARM}
	e.o.MemoryMB = []int{128, 512}
	e.o.Packages = []string{PackageZip, PackageImage}
	e.o.DirectUploadLimit = 1
	e.o.Cold, e.o.Warm = 1, 0
	e.o.BuildDir = sharedBuild
}

// TestSweepLeavesNothing: a run over 2 architectures and 2 memory sizes
// (zip through S3 and image) leaves no function, log group, role,
// repository or bucket behind — when it completes, and when it is
// cancelled (Ctrl-C) at any of these points, including while a create
// call is in flight (its answer lost: teardown then checks the
// resource's tags before deleting it).
func TestSweepLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the wazero worker for arm64")
	}
	points := []struct {
		service, op string
		nth         int
		// lost is what the call whose answer was lost created, and
		// teardown must have deleted after checking it is the run's.
		lost string
	}{
		{"", "", 0, ""}, // not cancelled
		{"iam", "CreateRole", 1, "deleted iam role"},
		{"s3", "PUT bucket", 1, "deleted s3 bucket"},
		{"logs", "CreateLogGroup", 1, "deleted log group"},
		{"lambda", "CreateFunction", 1, "deleted function"},
		{"lambda", "Invoke", 2, ""},
		{"ecr", "CreateRepository", 1, "deleted ecr repository"},
		{"lambda", "CreateFunction", 6, "deleted function"},
		// Functions are deleted at teardown, after the run's tasks:
		// Ctrl-C there does not stop teardown, and the run has finished.
		{"lambda", "DeleteFunction", 3, ""},
	}
	for _, p := range points {
		name := "complete"
		if p.op != "" {
			name = fmt.Sprintf("cancel at %s %s #%d", p.service, p.op, p.nth)
		}
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			sweep(e)
			e.cloud.PageSize = 1 // teardown lists the bucket's objects a page each
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if p.op != "" {
				ctx, cancel = cancelAt(e, p.service, p.op, p.nth)
			}
			defer cancel()
			s, err := e.run(ctx, e.plan(t, fib))
			switch {
			case p.op == "" && err != nil:
				t.Fatalf("Run: %v\n%s", err, e.log)
			case p.op == "DeleteFunction" && err != nil:
				t.Fatalf("Run, cancelled during teardown: %v\n%s", err, e.log)
			case p.op != "" && p.op != "DeleteFunction" && !errors.Is(err, context.Canceled):
				t.Fatalf("Run: err = %v, want context.Canceled\n%s", err, e.log)
			}
			e.assertNothingLeft(t)
			if p.lost != "" && !strings.Contains(e.log.String(), p.lost) {
				// On a loaded machine the client may give up before the
				// fake has made the resource, so nothing was lost: what
				// must hold either way is assertNothingLeft above.
				t.Logf("the log does not say %q (the create may not have taken effect before the cancel):\n%s", p.lost, e.log)
			}
			if p.op == "" {
				// The arm64 functions are created and deleted, but this
				// machine cannot run arm64 code: their invokes fail.
				failed := map[string]bool{}
				for _, f := range s.failures() {
					failed[f.Cell.KeyIn(f.MemoryMB, f.Arch, f.Package)] = f.Arch == ArchARM
				}
				if e.cloud.Lambda.Creates != 8 || len(failed) != 4 || slices.Contains(slices.Collect(maps.Values(failed)), false) {
					t.Errorf("%d created, failed %v; want 8 and the 4 arm64 functions", e.cloud.Lambda.Creates, failed)
				}
			}
		})
	}
}

// TestPolicyCoversEveryCall records every AWS operation bench calls —
// through a middleware on each SDK client and the registry requests of
// image pushes — during a full sweep with a burst and a memory probe, a
// run cancelled while a create is in flight, and a kept run and its
// cleanup; each must be mapped to its IAM actions, and each action must
// be in the policy --print-policy prints.
func TestPolicyCoversEveryCall(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the wazero worker for arm64")
	}
	rec := &opRecorder{}

	e := newTestEnv(t)
	rec.record(e)
	sweep(e)
	e.o.MemoryMB = []int{512, 4096} // above 3008 MB: the memory probe
	e.o.Burst = 2
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("sweep: %v\n%s", err, e.log)
	}

	// Cancelled while the bucket is created: teardown checks it is ours.
	e = newTestEnv(t)
	rec.record(e)
	e.o.Packages, e.o.DirectUploadLimit = []string{PackageZip, PackageImage}, 1
	ctx, cancel := cancelAt(e, "s3", "PUT bucket", 1)
	defer cancel()
	if _, err := e.run(ctx, e.plan(t, fib)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)

	// Kept, then cleaned up; the role has gained a managed policy, which
	// the cleanup detaches.
	e = newTestEnv(t)
	rec.record(e)
	e.o.Packages, e.o.DirectUploadLimit, e.o.Keep = []string{PackageZip, PackageImage}, 1, true
	e.o.RunID = NewRunID(time.Now())
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("kept run: %v\n%s", err, e.log)
	}
	e.cloud.IAM.Attach(roleName(e.o.RunID), "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	if _, err := Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log,
		Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)

	doc, err := Policy(PolicyOptions{Region: awstest.Region})
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := PolicyActions(doc)
	if err != nil {
		t.Fatal(err)
	}
	ops := rec.list()
	t.Logf("%d operations called: %s", len(ops), strings.Join(ops, ", "))
	for _, op := range ops {
		acts, ok := ActionsFor(op)
		if !ok {
			t.Errorf("bench calls %s, which policy.go's operationActions does not map to IAM actions", op)
			continue
		}
		for _, a := range acts {
			if _, ok := allowed[strings.ToLower(a)]; !ok {
				t.Errorf("%s needs %s, which the policy does not allow", op, a)
			}
		}
	}
	// Every mapped operation is one bench calls (no stale entries), and
	// the calls include each service's.
	called := map[string]bool{}
	for _, op := range ops {
		called[op] = true
	}
	for _, op := range policyOperations() {
		if !called[op] {
			t.Errorf("operationActions maps %s, which no run or cleanup called", op)
		}
	}
	for _, want := range []string{"STS.GetCallerIdentity", "Lambda.GetAccountSettings", "CloudWatch Logs.CreateLogGroup",
		"IAM.PutRolePolicy", "ECR registry.Push", "S3.ListBuckets", "IAM.ListRoleTags"} {
		if !called[want] {
			t.Errorf("%s was not called: the recorder misses calls", want)
		}
	}
}

// TestPolicyDocument: valid JSON, statements named once, ARNs filled from
// the options, PassRole only to Lambda.
func TestPolicyDocument(t *testing.T) {
	doc, err := Policy(PolicyOptions{Region: "cn-north-1", Account: "123456789012", RoleARN: "arn:aws-cn:iam::123456789012:role/mine"})
	if err != nil {
		t.Fatal(err)
	}
	var d policyDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	sids := map[string]bool{}
	for _, s := range d.Statement {
		if sids[s.Sid] || s.Effect != "Allow" || len(s.Action) == 0 || len(s.Resource) == 0 {
			t.Errorf("statement %+v", s)
		}
		sids[s.Sid] = true
		for _, r := range s.Resource {
			if r != "*" && !strings.HasPrefix(r, "arn:aws-cn:") {
				t.Errorf("%s: resource %s is not in the aws-cn partition", s.Sid, r)
			}
		}
		if s.Sid == "PassRoleToLambda" && (s.Condition["StringEquals"]["iam:PassedToService"] != "lambda.amazonaws.com" ||
			!strings.Contains(strings.Join(s.Resource, " "), "role/mine")) {
			t.Errorf("PassRole: %+v", s)
		}
	}
	for _, want := range []string{`"arn:aws-cn:lambda:cn-north-1:123456789012:function:bench-*"`,
		`"arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/bench-*"`, `"arn:aws-cn:s3:::bench-*/*"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the policy has no %s:\n%s", want, doc)
		}
	}
}

// TestREADMEPolicy: the policy the README shows is the one --print-policy
// prints for eu-west-1.
func TestREADMEPolicy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(srcDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "--print-policy")
	_, block, ok2 := strings.Cut(after, "```json\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md shows no JSON policy after --print-policy")
	}
	var shown, printed policyDoc
	if err := json.Unmarshal([]byte(block), &shown); err != nil {
		t.Fatalf("README's policy: %v", err)
	}
	doc, _ := Policy(PolicyOptions{Region: "eu-west-1"})
	if err := json.Unmarshal(doc, &printed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shown, printed) {
		t.Errorf("README.md's policy differs from --print-policy --region eu-west-1's:\n%s", doc)
	}
}
