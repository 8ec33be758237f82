package aws

import (
	"testing"

	"github.com/wasmbench/bench/runners/registry"
)

// TestBuildCrossSetups checks that every setup step a registry cross
// recipe names is one the builder has, and that none is left unused.
func TestBuildCrossSetups(t *testing.T) {
	used := map[string]bool{}
	for _, r := range registry.Runtimes {
		if r.Cross == nil || r.Cross.Setup == "" {
			continue
		}
		used[r.Cross.Setup] = true
		if crossSetups[r.Cross.Setup] == nil {
			t.Errorf("%s: the registry's cross recipe names setup %q, which deploy/aws does not have", r.Name, r.Cross.Setup)
		}
	}
	for name := range crossSetups {
		if !used[name] {
			t.Errorf("setup %q is in crossSetups but no registry recipe names it", name)
		}
	}
}
