package aws

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/results"
)

// TestParallelFansOut: four functions, three at a time. The first
// invocation waits until a second function exists, which only a fan-out
// can give (in sequence it would wait out its 20 s and the run would
// still pass, so the peak is what is checked). Every function is measured
// in full, each one's invocations in sequence, and nothing is left.
func TestParallelFansOut(t *testing.T) {
	e := newTestEnv(t)
	e.o.MemoryMB = []int{128, 256, 512, 1024}
	e.o.Cold, e.o.Warm, e.o.Parallel = 2, 1, 3
	var once sync.Once
	var mu sync.Mutex
	inflight := map[string]int{}
	overlapped := ""
	e.cloud.Lambda.OnInvoke = func(fn string, _ int) {
		once.Do(func() {
			for deadline := time.Now().Add(20 * time.Second); e.cloud.Lambda.Functions() < 2 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
		})
		mu.Lock()
		inflight[fn]++
		if inflight[fn] > 1 {
			overlapped = fn
		}
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inflight[fn]--
		mu.Unlock()
	}
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, e.log)
	}
	// Functions live until Close, so every one exists at the end; the
	// fan-out is that a second existed during the first invocation.
	if p := e.cloud.Lambda.PeakFunctions; p < 2 {
		t.Errorf("at most %d functions existed at once, want a fan-out with --parallel 3", p)
	}
	if overlapped != "" {
		t.Errorf("two invocations of %s ran at once: a function's own invocations must stay in sequence", overlapped)
	}
	if f := s.failures(); len(f) > 0 {
		t.Errorf("%d failed: %v\nlog:\n%s", len(f), f[0].out.Err, e.log)
	}
	// Each function was created once, by the first of its tasks.
	if e.cloud.Lambda.Creates != len(e.o.MemoryMB) {
		t.Errorf("%d functions created, want %d", e.cloud.Lambda.Creates, len(e.o.MemoryMB))
	}
	recs := s.records()
	for _, mem := range e.o.MemoryMB {
		n := 0
		for _, r := range samples(recs, results.PhaseInitDuration) {
			if r.MemoryMB == mem && r.Cold {
				n++
			}
		}
		if n != e.o.Cold {
			t.Errorf("%d MB: %d cold starts, want %d", mem, n, e.o.Cold)
		}
	}
	if !strings.Contains(e.log.String(), "3 functions at a time") || s.tg.Concurrency() != 3 {
		t.Errorf("the log does not say how many functions run at once:\n%s", e.log)
	}
	e.assertNothingLeft(t)
}

// TestParallelInterruptedLeavesNothing: Ctrl-C while three functions are
// being measured: every one of them is deleted, the role too.
func TestParallelInterruptedLeavesNothing(t *testing.T) {
	e := newTestEnv(t)
	e.o.MemoryMB = []int{128, 256, 512, 1024}
	e.o.Cold, e.o.Warm, e.o.Parallel = 2, 2, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.cloud.Lambda.OnInvoke = func(_ string, n int) {
		if n == 4 {
			cancel()
		}
	}
	s, err := e.run(ctx, e.plan(t, fib))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: err = %v, want context.Canceled\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if f := s.failures(); len(f) > 0 {
		t.Errorf("an interruption is not a failure: %+v", f[0].out.Err)
	}
}

// TestParallelWithinTheAccountsConcurrency: the default fan-out leaves
// half of a small account's concurrency to others, a burst counts for
// each function, and asking for more than the account has is refused
// before anything is created.
func TestParallelWithinTheAccountsConcurrency(t *testing.T) {
	for _, tc := range []struct {
		unreserved, burst, parallel, want int
	}{
		{1000, 0, 0, DefaultParallel}, {10, 0, 0, 4}, {10, 3, 0, 1}, {6, 0, 0, 3}, {1, 0, 0, 1}, {10, 0, 7, 7},
	} {
		o := &Options{Burst: tc.burst, Parallel: tc.parallel}
		AccountLimits{Concurrency: tc.unreserved, Unreserved: tc.unreserved}.setParallel(o)
		if o.Parallel != tc.want {
			t.Errorf("unreserved %d, burst %d, --parallel %d: %d at a time, want %d", tc.unreserved, tc.burst, tc.parallel, o.Parallel, tc.want)
		}
	}

	e := newTestEnv(t)
	e.cloud.Lambda.ConcurrencyLimit = 10
	e.o.MemoryMB = []int{128, 256}
	e.o.Burst, e.o.Parallel = 4, 3
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrAccountLimit) {
		t.Fatalf("Run: err = %v, want ErrAccountLimit", err)
	}
	for _, want := range []string{"--parallel 3", "needs 12", "unreserved concurrency in " + awstest.Region + ", 10", "--parallel 2 or less"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if e.cloud.Lambda.Creates != 0 {
		t.Errorf("%d functions created", e.cloud.Lambda.Creates)
	}
}

// TestParallelOverArchesAndSizesLeavesNothing is issue 14's check: four
// at a time over two architectures, two memory sizes and both packages
// (zips through S3, images through ECR), run to the end and interrupted
// half-way, leaves no function, role, repository, bucket or log group.
// The fake cloud cannot run arm64 code, so those functions fail at their
// first invoke: each one is still created, and must still be deleted.
func TestParallelOverArchesAndSizesLeavesNothing(t *testing.T) {
	for _, interrupt := range []bool{false, true} {
		name := "to the end"
		if interrupt {
			name = "Ctrl-C half-way"
		}
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			e.o.Arches, e.o.MemoryMB, e.o.Packages = []string{ArchX86, ArchARM}, []int{128, 512}, []string{PackageZip, PackageImage}
			e.o.Cold, e.o.Warm, e.o.Parallel = 1, 1, 4
			e.o.DirectUploadLimit = 1 // every zip goes through the run's bucket
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if interrupt {
				e.cloud.Lambda.OnInvoke = func(_ string, n int) {
					if n == 5 {
						cancel()
					}
				}
			}
			s, err := e.run(ctx, e.plan(t, fib))
			switch {
			case interrupt && !errors.Is(err, context.Canceled):
				t.Fatalf("Run: err = %v, want context.Canceled\nlog:\n%s", err, e.log)
			case !interrupt && err != nil:
				t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
			}
			e.assertNothingLeft(t)
			if e.cloud.Lambda.PeakFunctions < 2 {
				t.Errorf("at most %d function at once with --parallel 4", e.cloud.Lambda.PeakFunctions)
			}
			if !interrupt {
				if e.cloud.Lambda.Creates != 8 {
					t.Errorf("%d functions created; want 8\n%s", e.cloud.Lambda.Creates, e.log)
				}
				for _, r := range samples(s.records(), results.PhaseDuration) {
					if r.Arch != ArchX86 {
						t.Errorf("a sample from %s, which the fake cannot run: %+v", r.Arch, r)
					}
				}
			}
			for _, want := range []string{"deleted iam role", "deleted ecr repository", "deleted s3 bucket"} {
				if !interrupt && !strings.Contains(e.log.String(), want) {
					t.Errorf("the log does not say %q:\n%s", want, e.log)
				}
			}
		})
	}
}
