package aws

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/wasmbench/bench/deploy/aws/awstest"
)

// keepRun runs e's options with --keep, the fake's clock shifted by
// offset, and returns the run id.
func keepRun(t *testing.T, e *testEnv, offset time.Duration, pkgs ...string) string {
	t.Helper()
	e.o.RunID = NewRunID(time.Now().Add(offset))
	e.o.Keep, e.o.Cold, e.o.Warm = true, 1, 0
	e.o.Packages = pkgs
	e.o.Out = t.TempDir()
	e.cloud.SetClockOffset(offset)
	defer e.cloud.SetClockOffset(0)
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("Run: %v\n%s", err, e.log)
	}
	return e.o.RunID
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, prefix) {
			n++
		}
	}
	return n
}

// TestCleanupGuardsRunsInProgress: an old run's leftovers (three hours
// idle), a run active a moment ago, and a role of a run in another
// region. A cleanup without a run id lists them all, asks, deletes only
// the old run's (every list call paginated one item a page), and leaves
// the others; naming the recent run deletes it.
func TestCleanupGuardsRunsInProgress(t *testing.T) {
	e := newTestEnv(t)
	e.o.DirectUploadLimit = 1
	old := keepRun(t, e, -3*time.Hour, PackageZip, PackageImage)
	recent := keepRun(t, e, 0, PackageZip)
	e.cloud.SetClockOffset(-3 * time.Hour)
	e.cloud.IAM.PutRole("bench-260101-000000-abc-lambda", map[string]string{TagRunID: "260101-000000-abc", TagRegion: "eu-west-1"})
	e.cloud.SetClockOffset(0)
	before := e.cloud.Leftovers()
	// old: 2 functions, 2 log groups, role, bucket (and its object), repository; recent: function, log group, role, bucket (and object).
	if countPrefix(before, old) != 8 || countPrefix(before, recent) != 5 {
		t.Fatalf("before: %v", before)
	}
	e.cloud.PageSize = 1
	lists := map[string]int{}
	e.cloud.Faults.OnCall = func(service, op string) {
		if strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Describe") {
			lists[service+"."+op]++
		}
	}
	var asked []int
	co := CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log,
		Confirm: func(n int) (bool, error) { asked = append(asked, n); return false, nil }}
	res, err := Cleanup(context.Background(), co)
	if err != nil || !res.Declined || len(res.Deleted) != 0 || len(e.cloud.Leftovers()) != len(before) {
		t.Fatalf("declined cleanup: %v, %+v\n%s", err, res, e.log)
	}
	out := e.log.String()
	for _, want := range []string{"run " + old + ":", "    delete function bench-" + old, "    delete iam role bench-" + old + "-lambda",
		"    leave  function bench-" + recent, "within --older-than 1h0m0s: it may still be running",
		"    leave  iam role bench-260101-000000-abc-lambda: its run is in eu-west-1", "will delete 7 resources, leave 5", "nothing deleted"} {
		if !strings.Contains(out, want) {
			t.Errorf("the listing does not say %q:\n%s", want, out)
		}
	}
	// Pagination: one item a page, so more list calls than functions,
	// log groups and roles.
	if lists["lambda.ListFunctions"] < 3 || lists["logs.DescribeLogGroups"] < 3 || lists["iam.ListRoles"] < 3 || lists["ecr.DescribeRepositories"] < 1 {
		t.Errorf("list calls %v", lists)
	}

	co.Confirm = func(n int) (bool, error) { asked = append(asked, n); return true, nil }
	res, err = Cleanup(context.Background(), co)
	if err != nil || len(res.Deleted) != 7 {
		t.Fatalf("cleanup: %v, deleted %v\n%s", err, res.Deleted, e.log)
	}
	if len(asked) != 2 || asked[0] != 7 || asked[1] != 7 {
		t.Errorf("asked about %v resources", asked)
	}
	after := e.cloud.Leftovers()
	if countPrefix(after, old) != 0 || countPrefix(after, recent) != 5 || countPrefix(after, "260101-000000-abc") != 1 {
		t.Fatalf("after: %v", after)
	}

	// Named, the recent run goes whatever its age.
	co.RunID, co.Confirm = recent, nil
	if res, err = Cleanup(context.Background(), co); err != nil || len(res.Deleted) != 4 {
		t.Fatalf("cleanup --run-id: %v, deleted %v", err, res.Deleted)
	}
	if after := e.cloud.Leftovers(); len(after) != 1 || !strings.Contains(after[0], "260101-000000-abc") {
		t.Errorf("left: %v", after)
	}
}

// TestCleanupLeavesSharedBucket: a bucket from before runs had their own,
// tagged with the run that made it and holding another run's object too.
// Cleaning the first run deletes its object only and leaves the bucket.
func TestCleanupLeavesSharedBucket(t *testing.T) {
	e := newTestEnv(t)
	b := "bench-artifacts-" + awstest.Account + "-" + awstest.Region
	e.cloud.SetClockOffset(-5 * time.Hour)
	if err := e.cloud.S3.CreateBucket(b, map[string]string{TagRunID: "250101-000000-aaa"}); err != nil {
		t.Fatal(err)
	}
	e.cloud.SetClockOffset(0)
	for _, k := range []string{"250101-000000-aaa/a.zip", "250102-000000-bbb/b.zip"} {
		if err := e.cloud.S3.PutObject(b, k, []byte("zip")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log})
	if err != nil {
		t.Fatalf("Cleanup: %v\n%s", err, e.log)
	}
	want := []string{"s3 bucket " + b, "s3 object " + b + "/250102-000000-bbb/b.zip"}
	if got := e.cloud.Leftovers(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("left %v, want %v", got, want)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "holds objects of other runs") || len(res.Failed) != 0 {
		t.Errorf("skipped %v, failed %v", res.Skipped, res.Failed)
	}
}

// TestLogGroupLambdaRecreates: Lambda writes a function's logs to
// /aws/lambda/<function> and creates that group when it is missing and
// the role may. With --role (a role with AWSLambdaBasicExecutionRole), a
// group deleted while its function lives comes back untagged on the next
// invocation, and --cleanup recognises it by the run id in its name. The
// role bench makes may not create groups, so there nothing comes back.
func TestLogGroupLambdaRecreates(t *testing.T) {
	for _, userRole := range []bool{true, false} {
		e := newTestEnv(t)
		if userRole {
			e.o.RoleARN = e.cloud.IAM.PutRole("my-role", nil)
			e.cloud.IAM.Attach("my-role", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
		}
		run := keepRun(t, e, 0, PackageZip)
		fn := functionName(run, "wazero", "jit", "fib", "c", "20", "x86", "512", "zip")
		cfg, err := LoadConfig(context.Background(), awstest.Region, e.o.Getenv, e.o.Client)
		if err != nil {
			t.Fatal(err)
		}
		c := newClients(cfg, e.o.Client)
		if _, err := c.logs.DeleteLogGroup(context.Background(), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: sdk.String(logGroupName(fn))}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.lambda.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: sdk.String(fn), Payload: []byte(`{"args":["fib","20"]}`)}); err != nil {
			t.Fatal(err)
		}
		exists, _, tags := e.cloud.Logs.Group(logGroupName(fn))
		if exists != userRole || e.cloud.Logs.AutoCreated != map[bool]int{true: 1, false: 0}[userRole] || len(tags) != 0 {
			t.Fatalf("user role %v: group exists %v (tags %v), %d created by Lambda", userRole, exists, tags, e.cloud.Logs.AutoCreated)
		}
		res, err := Cleanup(context.Background(), CleanupOptions{Region: awstest.Region, Client: e.o.Client, Getenv: e.o.Getenv, Log: e.log,
			Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
		if err != nil {
			t.Fatalf("Cleanup: %v\n%s", err, e.log)
		}
		if userRole && countPrefix(res.Deleted, "log group "+logGroupName(fn)) != 1 {
			t.Errorf("cleanup did not delete the group Lambda made: %v", res.Deleted)
		}
		left := e.cloud.Leftovers()
		if userRole && (len(left) != 1 || left[0] != "iam role my-role") || !userRole && len(left) != 0 {
			t.Errorf("user role %v: left %v", userRole, left)
		}
	}
}
