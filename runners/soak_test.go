package runners

import (
	"strings"
	"testing"
)

// TestLambdaBootstrapSoak: a soak's invocation (LambdaRequest.Soak) ends
// with the bootstrap's resident set; one with an export the module lacks
// fails as unsupported, naming it, and the environment serves on. (Calls
// on a live instance are checked on every real runtime by the
// conformance suite and internal/run's soak tests.)
func TestLambdaBootstrapSoak(t *testing.T) {
	a, api := newFakeAPI(t)
	root := taskRoot(t)
	startBootstrap(t, api, "LAMBDA_TASK_ROOT="+root, EnvTier+"=jit", EnvModule+"=task/m.wasm")

	r1, _ := invoke(t, a, "req-1", LambdaRequest{Soak: true, Iteration: 0})
	if got := phases(r1.Events); got != "init,compile,instantiate,execute,output,soak_rss" || r1.Error != nil {
		t.Fatalf("soak invocation: events %s, error %v", got, r1.Error)
	}
	r2, _ := invoke(t, a, "req-2", LambdaRequest{Soak: true, Iteration: 1})
	last := r2.Events[len(r2.Events)-1]
	if phases(r2.Events) != "instantiate,execute,output,soak_rss" || last.Bytes <= 0 || last.Iteration != 1 || last.Job != "req-2" {
		t.Errorf("second soak invocation: events %s, last %+v", phases(r2.Events), last)
	}
	r3, _ := invoke(t, a, "req-3", LambdaRequest{Soak: true, Export: "handle", Iteration: 2})
	if r3.Error == nil || r3.Error.Kind != KindUnsupported || !strings.Contains(r3.Error.Message, `"handle"`) {
		t.Errorf("soak of a missing export: %+v", r3.Error)
	}
	r4, _ := invoke(t, a, "req-4", LambdaRequest{})
	if r4.Error != nil || phases(r4.Events) != "instantiate,execute,output" {
		t.Errorf("an ordinary invocation after the soak: events %s, error %v", phases(r4.Events), r4.Error)
	}
}
