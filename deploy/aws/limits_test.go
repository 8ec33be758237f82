package aws

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// TestBurstAboveConcurrencyRefused: an account with a concurrency limit
// of 10 (a new account) cannot take a burst of 11; the run says so before
// anything is built or created.
func TestBurstAboveConcurrencyRefused(t *testing.T) {
	e := newTestEnv(t)
	e.cloud.Lambda.ConcurrencyLimit = 10
	e.o.Burst = 11
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrAccountLimit) {
		t.Fatalf("Run: err = %v, want ErrAccountLimit", err)
	}
	for _, want := range []string{"--burst 11", "unreserved concurrency in us-east-1, 10", "--burst 10 or less", concurrencyQuota} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if e.cloud.Lambda.Creates != 0 || len(e.cloud.Leftovers()) != 0 {
		t.Errorf("%d functions created, left %v", e.cloud.Lambda.Creates, e.cloud.Leftovers())
	}
	if _, err := os.Stat(filepath.Join(e.o.Out, "build")); !os.IsNotExist(err) {
		t.Errorf("something was built: %v", err)
	}
	// A burst of 10 is within the limit.
	e.o.Burst, e.o.Cold, e.o.Warm = 10, 0, 0
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("a burst at the limit: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
}

// TestMemoryAboveAccountMaximum: an account held at 3008 MB. The probe
// (an update of a function that does not exist) finds the maximum before
// anything is created; when the probe cannot tell, the first create that
// is refused sets it, and larger sizes are not tried again.
func TestMemoryAboveAccountMaximum(t *testing.T) {
	e := newTestEnv(t)
	e.cloud.Lambda.MaxMemoryMB = 3008
	e.o.MemoryMB = []int{128, 4096}
	e.o.Cold, e.o.Warm = 1, 0
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrAccountLimit) || !strings.Contains(err.Error(), "4096 MB is above this account's maximum function memory in us-east-1, 3008 MB") ||
		!strings.Contains(err.Error(), "--memory 3008 or less") {
		t.Fatalf("Run: err = %v, want the account's maximum named", err)
	}
	if e.cloud.Lambda.Creates != 0 || len(e.cloud.Leftovers()) != 0 {
		t.Errorf("%d functions created, left %v", e.cloud.Lambda.Creates, e.cloud.Leftovers())
	}
	// Within the maximum, no probe needed and none refused.
	e.o.MemoryMB = []int{128, 3008}
	if _, err := e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("Run within the maximum: %v\n%s", err, e.log)
	}

	// The probe gets an answer it cannot read: the creates find out.
	e = newTestEnv(t)
	e.cloud.Lambda.MaxMemoryMB = 3008
	e.o.MemoryMB = []int{128, 4096, 5120}
	e.o.Cold, e.o.Warm = 1, 0
	e.cloud.Faults.Add(awstest.Rule{Service: "lambda", Op: "UpdateFunctionConfiguration", Times: 1, Status: 403,
		Code: "AccessDeniedException", Message: "injected: not allowed to probe"})
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	// Functions measured at once fail in the order they finish.
	fails := s.failures()
	sort.Slice(fails, func(i, j int) bool { return fails[i].MemoryMB < fails[j].MemoryMB })
	if len(fails) != 2 || e.cloud.Lambda.Creates != 1 || fails[0].MemoryMB != 4096 || fails[1].MemoryMB != 5120 {
		t.Fatalf("%d failed, %d created; want 2 (4096 and 5120 MB) and 1 (128 MB)\n%s", len(fails), e.cloud.Lambda.Creates, e.log)
	}
	for _, f := range fails {
		if !strings.Contains(f.out.Err.Message, "maximum function memory in us-east-1, 3008 MB") || f.out.Err.Kind != runners.KindUnsupported {
			t.Errorf("failure does not name the maximum: %v", f.out.Err)
		}
	}
}

// TestThrottledBurstMarked: one unit of the account's concurrency is busy
// elsewhere, so one invoke of a burst of 2 is throttled and retried by
// the SDK. Its records are marked throttled, with a note, and the burst's
// cold start count leaves it out.
func TestThrottledBurstMarked(t *testing.T) {
	e := newTestEnv(t)
	e.o.Cold, e.o.Warm, e.o.Burst = 1, 0, 2
	e.cloud.Lambda.ConcurrencyLimit = 2
	updates := 0
	e.cloud.Faults.OnCall = func(service, op string) {
		if service == "lambda" && op == "UpdateFunctionConfiguration" {
			if updates++; updates == 2 { // the burst's forced cold start
				e.cloud.Lambda.SetBusy(1)
			}
		}
	}
	e.cloud.Lambda.OnThrottle = func(string) { e.cloud.Lambda.SetBusy(0) }
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if e.cloud.Lambda.Throttles != 1 {
		t.Fatalf("%d throttles, want 1\n%s", e.cloud.Lambda.Throttles, e.log)
	}
	var burst deploy.Outcome
	for _, d := range s.done {
		if d.burst > 0 {
			burst = d.out
		}
	}
	var throttled, clean int
	for _, r := range samples(burst.Extra, results.PhaseDuration) {
		switch {
		case strings.Contains(r.Note, "throttled"):
			throttled++
			if !strings.Contains(r.Note, "TooManyRequestsException") {
				t.Errorf("throttled sample without its note: %+v", r)
			}
		default:
			clean++
			if r.Note != "" {
				t.Errorf("clean burst sample with a note: %+v", r)
			}
		}
	}
	if throttled != 1 || clean != 1 {
		t.Errorf("%d throttled and %d clean burst invocations, want 1 and 1", throttled, clean)
	}
	bursts := samples(burst.Extra, results.PhaseBurstColdStarts)
	if len(bursts) != 1 || bursts[0].Value != 1 || !strings.Contains(bursts[0].Note, "1 were throttled") {
		t.Errorf("burst cold starts %+v", bursts)
	}
}
