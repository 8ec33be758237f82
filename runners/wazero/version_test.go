package wazero

import (
	"os"
	"regexp"
	"testing"
)

// TestLinkedVersion keeps the fallback version in step with go.mod.
func TestLinkedVersion(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/tetratelabs/wazero\s+(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require github.com/tetratelabs/wazero")
	}
	if got := string(m[1]); got != linkedVersion {
		t.Errorf("go.mod requires wazero %s but linkedVersion is %s: update it", got, linkedVersion)
	}
	if v := New().Version(); v != linkedVersion {
		t.Errorf("Version() = %q, want %q", v, linkedVersion)
	}
}
