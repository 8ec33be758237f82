package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/conformance"
)

// TestRefuseSymlinks: with job.refuse_symlinks (lambda.mjs sets it: a
// function has no bubblewrap), a guest cannot make a link, so node:wasi,
// which follows links to folders, has none to follow; and in a folder as
// a function package holds it (regular files only) every other probe of
// the sandbox guest stays inside.
func TestRefuseSymlinks(t *testing.T) {
	nodePath := needNode(t)
	wasm, err := conformance.SandboxGuest()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	outside, box := filepath.Join(root, "outside"), filepath.Join(root, "box")
	for _, d := range []string{outside, box} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "SECRET-refuse-symlinks"
	for name, body := range map[string]string{
		filepath.Join(outside, "secret.txt"): secret + "\n", filepath.Join(box, "inside.txt"): "inside\n",
		filepath.Join(root, "sandbox.wasm"): string(wasm),
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	job := map[string]any{
		"id": "links", "op": "cold", "tier": TierTiered, "keep_stdout": true, "refuse_symlinks": true,
		"module": runners.ModuleRef{Name: "sandbox.wasm", Path: filepath.Join(root, "sandbox.wasm")},
		"args":   []string{outside}, "dirs": []runners.Preopen{{Host: box, Guest: "."}},
	}
	jb, _ := json.Marshal(job)
	code := `import { runJob } from ` + jsString(script(t)) + `;
runJob(` + string(jb) + `, (ev) => process.stdout.write(JSON.stringify(ev) + '\n'));
`
	cmd := exec.Command(nodePath, "--no-warnings", "--input-type=module", "-e", code)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	if bytes.Contains(out, []byte(secret)) {
		t.Errorf("the secret shows in the events: %s", out)
	}
	var stdout string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if ev.Type == runners.EventError {
			t.Fatalf("job failed: %+v", ev.Error)
		}
		if ev.Type == runners.EventOutput {
			stdout = string(ev.Output.Stdout)
		}
	}
	links := 0
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "note symlink ") {
			links++
			if !strings.HasSuffix(line, "errno=58") {
				t.Errorf("%s: want errno=58 (ENOTSUP): the guest made a link", line)
			}
		}
		if strings.Contains(line, ": ALLOWED") || strings.Contains(line, ": FAILED") {
			t.Errorf("%s", line)
		}
	}
	if links == 0 || !strings.HasSuffix(stdout, "done\n") {
		t.Errorf("the guest did not run its probes: %q", stdout)
	}
	if _, err := os.Lstat(filepath.Join(box, "own-rel")); err == nil {
		t.Error("the guest's link own-rel exists")
	}
}
