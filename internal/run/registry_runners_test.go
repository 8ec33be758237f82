package run

import (
	"context"
	"os"
	"slices"
	"testing"
)

// TestWorkersMatchRegistry asks every worker built here for its hello and
// checks that its tiers are the registry's, in the same order: plans come
// from the hello, kinds, order and styles from the registry. (The
// conformance suite checks the same of each runner it tests.)
func TestWorkersMatchRegistry(t *testing.T) {
	dir := binDir(t)
	for _, rt := range Discover(context.Background(), dir) {
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Unavailable != "" {
				if os.Getenv("CI") == "true" && rt.Name != "node" {
					t.Fatalf("%s is unavailable: %s", rt.Name, rt.Unavailable)
				}
				t.Skipf("%s is unavailable: %s", rt.Name, rt.Unavailable)
			}
			if got, want := rt.TierNames(), rt.RuntimeSpec.TierNames(); !slices.Equal(got, want) {
				t.Errorf("%s worker's hello lists tiers %v, the registry %v", rt.Name, got, want)
			}
		})
	}
}
