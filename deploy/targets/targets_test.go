package targets

import (
	"bytes"
	"sort"
	"strings"
	"testing"
)

// TestNew: the list holds every target under its own name, and an
// unknown container engine is refused with the engine's message.
func TestNew(t *testing.T) {
	var stderr bytes.Buffer
	tg, closeAll, err := New(Options{Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAll() }()
	var names []string
	for n, x := range tg {
		if x.Name() != n {
			t.Errorf("target %q is named %q", n, x.Name())
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "aws-lambda,container-local,lambda-local,local" {
		t.Errorf("targets %s", got)
	}
	if err := closeAll(); err != nil {
		t.Errorf("close: %v", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("closing said %q", stderr.String())
	}

	_, _, err = New(Options{ContainerRuntime: "podman"})
	if err == nil || err.Error() != `container-local: unknown container engine "podman" (want docker or runc)` {
		t.Errorf("podman: %v", err)
	}
}
