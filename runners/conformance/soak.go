package conformance

import (
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// testSoak checks OpSoak: executions in one process, each followed by
// the process's resident set; with an export, calls on one live instance
// (soakcount's fourth call traps only if its instance lives on), and a
// missing export named as unsupported. The native runner has no exports
// to call: it is checked with fresh executions only.
func (s *suite) testSoak(t *testing.T, tier runners.TierInfo) {
	job := s.job(t, tier, runners.OpSoak, s.ref(modHello))
	job.Iterations = 3
	r := s.run(t, job)
	r.wantOK(t, "soak with fresh instances")
	wantSoakSeries(t, "soak with fresh instances", r, 3)
	if n := len(r.events(runners.EventOutput)); n != 3 {
		t.Errorf("soak with fresh instances: %d outputs, want 3 (one per execution)", n)
	}
	if s.native {
		return
	}

	job = s.job(t, tier, runners.OpSoak, s.ref(modSoakCount))
	job.Export, job.Iterations = "handle", 3
	r = s.run(t, job)
	r.wantOK(t, "soak of a live instance")
	if n := len(r.phases(results.PhaseInstantiate)); n != 1 {
		t.Errorf("soak of a live instance: %d instantiate phases, want 1 (one instance for every call)", n)
	}
	wantSoakSeries(t, "soak of a live instance", r, 3)

	job.ID, job.Iterations = s.id(), 5
	r = s.run(t, job)
	r.wantKind(t, "soak of a live instance past soakcount's third call", runners.KindTrap)
	if n := len(r.phases(results.PhaseExecute)); n != 3 {
		t.Errorf("soak of a live instance: %d calls before the trap, want 3: the instance did not live from call to call", n)
	}

	job.ID, job.Export, job.Iterations = s.id(), "no_such_export", 2
	s.run(t, job).wantKind(t, "soak of a missing export", runners.KindUnsupported)
}

// wantSoakSeries fails unless a soak reported n executions, each an
// execute phase followed by a positive resident set, labelled 0..n-1.
func wantSoakSeries(t *testing.T, what string, r result, n int) {
	t.Helper()
	exec, rss := r.phases(results.PhaseExecute), r.phases(results.PhaseSoakRSS)
	if len(exec) != n || len(rss) != n {
		t.Fatalf("%s: %d execute and %d %s phases, want %d of each: %s", what, len(exec), len(rss), results.PhaseSoakRSS, n, phaseList(r))
	}
	for i := range n {
		if exec[i].Iteration != i || rss[i].Iteration != i || exec[i].Warmup || rss[i].Warmup {
			t.Errorf("%s: execution %d labelled iteration %d/%d (warmup %v/%v)", what, i, exec[i].Iteration, rss[i].Iteration,
				exec[i].Warmup, rss[i].Warmup)
		}
		if rss[i].Bytes <= 0 {
			t.Errorf("%s: execution %d: resident set %d bytes, want > 0", what, i, rss[i].Bytes)
		}
	}
	t.Logf("%s: resident set %d .. %d bytes over %d executions", what, rss[0].Bytes, rss[n-1].Bytes, n)
}
