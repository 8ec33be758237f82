package confine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// TestJobPathsCoverJob fails when runners.Job gains a field that names a
// path and jobPaths does not bind it: the worker would miss the file in
// its sandbox (or, bound by mistake, a guest could reach it).
func TestJobPathsCoverJob(t *testing.T) {
	known := map[string]string{
		"Module":      "bound read-only (Module.Path)",
		"StdinPath":   "bound read-only",
		"Dirs":        "bound read-write",
		"ArtifactDir": "bound read-only when it exists",
		"IODir":       "bound read-write (the worker writes the guest's output there)",
	}
	typ := reflect.TypeOf(runners.Job{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		pathLike := strings.HasSuffix(f.Name, "Path") || strings.HasSuffix(f.Name, "Dir") || strings.HasSuffix(f.Name, "Dirs") ||
			f.Type == reflect.TypeOf(runners.ModuleRef{}) || f.Type == reflect.TypeOf([]runners.Preopen{})
		if _, ok := known[f.Name]; pathLike && !ok {
			t.Errorf("runners.Job.%s names a path that confine.jobPaths does not bind: bind it there (read-only unless the worker writes it) and list it here", f.Name)
		}
	}
}

func TestParseLdd(t *testing.T) {
	out := `	linux-vdso.so.1 (0x00007ffd5a9f6000)
	libwasmer.so => /opt/bench/bin/lib/libwasmer.so (0x00007f1527e00000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1527c1e000)
	libgone.so => not found
	/lib64/ld-linux-x86-64.so.2 (0x00007f1528a7c000)
`
	got := parseLdd([]byte(out))
	want := []string{"/opt/bench/bin/lib/libwasmer.so", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if !slices.Equal(got, want) {
		t.Errorf("parseLdd = %q, want %q", got, want)
	}
}

func TestNeeded(t *testing.T) {
	dirs := []runners.Preopen{{Host: "/x", Guest: "."}}
	for _, tc := range []struct {
		job  runners.Job
		want bool
	}{
		{runners.Job{Op: runners.OpCold, Dirs: dirs}, true},
		{runners.Job{Op: runners.OpWarm, Dirs: dirs}, true},
		{runners.Job{Op: runners.OpPrepare, Dirs: dirs}, false},
		{runners.Job{Op: runners.OpCold}, false},
	} {
		if got := Needed(tc.job); got != tc.want {
			t.Errorf("Needed(%s with %d dirs) = %v", tc.job.Op, len(tc.job.Dirs), got)
		}
	}
	cmd := client.Command{Path: "/usr/bin/true"}
	if got, err := Command(cmd, runners.Job{Op: runners.OpCold}); err != nil || !reflect.DeepEqual(got, cmd) {
		t.Errorf("a job without a preopen: %+v, %v; want the command as it is", got, err)
	}
}

// TestSandboxHolds starts a shell inside the sandbox a job gets and
// checks what it sees: the preopen (writable), the module and stdin
// (read-only), and nothing else of the host's.
func TestSandboxHolds(t *testing.T) {
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	root := t.TempDir()
	box, mod, in, secret := filepath.Join(root, "box"), filepath.Join(root, "m.wasm"), filepath.Join(root, "in.txt"), filepath.Join(root, "secret")
	if err := os.Mkdir(box, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{mod, in, secret} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	job := runners.Job{Op: runners.OpCold, Module: runners.ModuleRef{Path: mod}, StdinPath: in,
		Dirs: []runners.Preopen{{Host: box, Guest: "."}}}
	script := strings.Join([]string{
		"echo ok > " + box + "/written",
		"test -r " + mod + " && echo module",
		"test -r " + in + " && echo stdin",
		"(echo no > " + mod + ") 2>/dev/null || echo module-read-only",
		"test -e " + secret + " || echo no-secret",
		"test -e /etc/passwd || echo no-passwd",
		"test -e $HOME/.ssh || echo no-home",
		"echo $" + runners.EnvSandbox,
	}, "; ")
	cmd, err := Command(client.Command{Path: sh, Args: []string{"-c", script}}, job)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd.Path, cmd.Args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", cmd.Path, cmd.Args, err, out)
	}
	want := "module\nstdin\nmodule-read-only\nno-secret\nno-passwd\nno-home\nbwrap\n"
	if string(out) != want {
		t.Errorf("inside the sandbox:\n%s\nwant:\n%s", out, want)
	}
	if b, err := os.ReadFile(filepath.Join(box, "written")); err != nil || string(b) != "ok\n" {
		t.Errorf("the preopen is not writable from inside: %q %v", b, err)
	}
}
