package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// The sandbox suite: a guest (testdata/sandbox/sandbox.c) tries every way
// out of its preopened folder that a WASI runtime has been seen to allow,
// for reads and for writes, and the suite fails when any worked.
//
//go:embed testdata/sandbox/sandbox.wasm testdata/sandbox/sandbox.c
var sandboxFS embed.FS

// BrokenControls maps a runtime to the sandbox guest's control probes it
// fails inside its preopened folder for no reason of the sandbox's, and
// why; RunSandbox logs them instead of failing. Wasmer 2.0 failed these
// before the path guard and bubblewrap existed too.
var BrokenControls = map[string]map[string]string{
	"wasmer": {
		"ctl-rename-inside": "Wasmer 2.0's path_rename of a file the guest made into a folder it made fails with EIO",
		"ctl-unlink-inside": "after that failed rename, Wasmer 2.0's path_unlink_file of the missing new name fails with EINVAL, not ENOENT",
		"ctl-rmdir-inside":  "Wasmer 2.0's path_remove_directory of the (empty) folder the guest made fails with EIO",
	},
}

// SandboxConfig says which worker RunSandbox tests.
type SandboxConfig struct {
	Command client.Command
	// Confine, when set, is how the orchestrator turns Command into the
	// command that runs one job: an OS-level confinement built from the
	// job's files (the node runner's). nil runs every job under Command.
	Confine func(client.Command, runners.Job) (client.Command, error)
	// Runtime is the name the worker's hello must carry.
	Runtime string
	// Tiers to test; nil means every tier the hello marks available.
	Tiers []string
	// JobTimeout bounds each job; 0 means 2 minutes.
	JobTimeout time.Duration
}

// RunSandbox runs the sandbox suite: for each tier, a fresh layout — a
// folder "outside" holding a secret, and a folder "box" preopened as "."
// holding links that lead outside (relative, absolute and through many
// "..", to the secret file and to the outside folder, also from a
// subfolder) — and one cold run of the sandbox guest in it. It fails when
// the guest reports that any probe got through (read, stat, readlink or
// list anything outside; create, write, truncate, touch, rename, link,
// unlink or remove anything outside, through "..", an absolute path, a
// pre-existing link or a link of its own); when the secret, its link text
// or its folder's listing shows anywhere in the job's events; when
// anything outside the box changed; and when the worker did not finish
// the job (an abort counts as a failure: a guest must not end the worker
// by making a link). A second run without any preopened folder tries
// absolute and "../" paths through whatever descriptors the runtime
// preopens of its own accord.
func RunSandbox(t *testing.T, c SandboxConfig) {
	t.Helper()
	if c.JobTimeout == 0 {
		c.JobTimeout = 2 * time.Minute
	}
	probes, controls, err := sandboxProbes()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{c: Config{Command: c.Command, Runtime: c.Runtime, Tiers: c.Tiers, JobTimeout: c.JobTimeout}}
	h, err := client.Info(t.Context(), c.Command)
	if err != nil {
		t.Fatalf("start worker %s: %v", c.Command.Path, err)
	}
	if h.Runtime != c.Runtime {
		t.Fatalf("hello runtime %q, want %q", h.Runtime, c.Runtime)
	}
	s.hello = h
	for _, tier := range s.tiers(t) {
		t.Run(tier.Name, func(t *testing.T) {
			if tier.Unavailable != "" {
				t.Skipf("%s tier %s is unavailable here: %s", c.Runtime, tier.Name, tier.Unavailable)
			}
			sb := &sandboxRun{suite: s, cfg: c, tier: tier, probes: probes, controls: controls}
			sb.test(t)
		})
	}
}

// probeRE finds the probes in the guest's source: the first argument of
// each reporting call.
var probeRE = regexp.MustCompile(`\b(readAt|writeAt|createThrough|listAt|statAt|readlinkAt|result|control)\("([a-z-]+)"`)

// sandboxProbes lists the guest's escape probes and control probes, read
// from its embedded source so that the two cannot drift.
func sandboxProbes() (probes, controls []string, err error) {
	src, err := sandboxFS.ReadFile("testdata/sandbox/sandbox.c")
	if err != nil {
		return nil, nil, fmt.Errorf("embedded sandbox guest source: %w", err)
	}
	for _, m := range probeRE.FindAllStringSubmatch(string(src), -1) {
		if m[1] == "control" {
			controls = append(controls, m[2])
		} else {
			probes = append(probes, m[2])
		}
	}
	if len(probes) < 40 || len(controls) < 5 {
		return nil, nil, fmt.Errorf("sandbox.c: found %d probes and %d controls; the probe pattern no longer matches the source", len(probes), len(controls))
	}
	return probes, controls, nil
}

type sandboxRun struct {
	*suite
	cfg      SandboxConfig
	tier     runners.TierInfo
	probes   []string
	controls []string
}

// sandboxLayout is one run's folders.
type sandboxLayout struct {
	root    string // holds outside and box, and nothing else
	outside string
	box     string
	secret  string // the secret's marker, in the file, a link's text and a file name
}

// newSandboxLayout builds the folders the guest runs in.
func newSandboxLayout(t *testing.T) sandboxLayout {
	t.Helper()
	root := t.TempDir()
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r // the absolute links must not pass through a link of the host's
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	l := sandboxLayout{root: root, outside: filepath.Join(root, "outside"), box: filepath.Join(root, "box"),
		secret: "SECRET-" + hex.EncodeToString(rnd[:])}
	deep := strings.Repeat("../", 13) + strings.TrimPrefix(l.outside, "/")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{l.outside, filepath.Join(l.outside, "victim-dir"), l.box, filepath.Join(l.box, "sub")} {
		must(os.MkdirAll(d, 0o755))
	}
	files := map[string]string{
		"outside/secret.txt":      l.secret + " the host's secret\n",
		"outside/victim-rename":   "victim\n",
		"outside/victim-unlink":   "victim\n",
		"outside/" + l.secret:     "",
		"box/inside.txt":          "inside\n",
		"box/sub/inside-deep.txt": "inside\n",
	}
	for name, body := range files {
		must(os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	links := map[string]string{
		"outside/outlink": l.secret + "-link-text",
		"box/rel-file":    "../outside/secret.txt",
		"box/abs-file":    filepath.Join(l.outside, "secret.txt"),
		"box/deep-file":   deep + "/secret.txt",
		"box/rel-dir":     "../outside",
		"box/abs-dir":     l.outside,
		"box/sub/up":      "../../outside",
	}
	for name, target := range links {
		must(os.Symlink(target, filepath.Join(root, name)))
	}
	return l
}

// snapshot describes everything under root but box: each entry's type,
// permissions, size, modification time, content hash and link text.
func (l sandboxLayout) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == l.box {
			return filepath.SkipDir
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v size=%d mtime=%d", st.Mode(), st.Size(), st.ModTime().UnixNano())
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case st.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += " sha256=" + hex.EncodeToString(sum[:8])
		}
		rel, _ := filepath.Rel(l.root, p)
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", l.root, err)
	}
	return out
}

// command is the worker command for one job.
func (sb *sandboxRun) command(t *testing.T, job runners.Job) client.Command {
	t.Helper()
	if sb.cfg.Confine == nil {
		return sb.cfg.Command
	}
	cmd, err := sb.cfg.Confine(sb.cfg.Command, job)
	if err != nil {
		t.Fatalf("confine the worker for job %s: %v", job.ID, err)
	}
	return cmd
}

// runJob runs one job in a fresh worker started by the job's command.
func (sb *sandboxRun) runJob(t *testing.T, job runners.Job) result {
	t.Helper()
	cmd := sb.command(t, job)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	cl, err := client.Start(ctx, cmd)
	cancel()
	if err != nil {
		t.Fatalf("start worker %s %v: %v", cmd.Path, cmd.Args, err)
	}
	defer cl.Kill()
	if cmd.Path != sb.cfg.Command.Path {
		// Confined: the hello tells when the worker's own process image
		// began, inside the spawn the orchestrator measures.
		exec, start, t0 := cl.Hello.ExecUnixNano, cl.Hello.StartUnixNano, cl.Started.UnixNano()
		if exec <= t0 || exec > start {
			t.Errorf("confined worker's hello: exec_unix_nano %d is not between the orchestrator's exec (%d) and the worker's start (%d): "+
				"the sandbox phase would be wrong", exec, t0, start)
		} else {
			t.Logf("sandbox %v of spawn %v", time.Duration(exec-t0), time.Duration(start-t0))
		}
	}
	r := sb.doWithin(t, cl, job, sb.c.JobTimeout)
	_, _ = cl.Close()
	return r
}

func (sb *sandboxRun) test(t *testing.T) {
	l := newSandboxLayout(t)
	modDir := t.TempDir()
	wasm, err := sandboxFS.ReadFile("testdata/sandbox/sandbox.wasm")
	if err != nil {
		t.Fatal(err)
	}
	modPath := filepath.Join(modDir, "sandbox.wasm")
	if err := os.WriteFile(modPath, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	before := l.snapshot(t)

	job := runners.Job{ID: sb.id(), Op: runners.OpCold, Tier: sb.tier.Name,
		Module: runners.ModuleRef{Name: "sandbox.wasm", Path: modPath}, Args: []string{l.outside},
		Dirs: []runners.Preopen{{Host: l.box, Guest: "."}}, KeepStdout: true, TimeoutNS: int64(sb.cfg.JobTimeout)}
	if sb.tier.Prepared {
		job.ArtifactDir = filepath.Join(modDir, "artifact")
		prep := job
		prep.ID, prep.Op, prep.Args, prep.Dirs, prep.KeepStdout = sb.id(), runners.OpPrepare, nil, nil, false
		sb.runJob(t, prep).wantOK(t, "prepare sandbox.wasm")
	}
	r := sb.runJob(t, job)

	l.wantNoLeak(t, before, r, "with the folder preopened")
	if r.err != nil {
		t.Fatalf("the sandbox guest did not finish: %s: %s\nstderr:\n%s\n(a guest's links and paths must be refused with a WASI error, not end the job or the worker)",
			r.err.Kind, r.err.Message, r.err.Stderr)
	}
	outs := r.events(runners.EventOutput)
	if len(outs) != 1 || outs[0].Output == nil {
		t.Fatalf("%d output events, want 1", len(outs))
	}
	o := outs[0].Output
	stdout := string(o.Stdout)
	if o.Stdout == nil {
		stdout = o.StdoutHead
	}
	if o.ExitCode != 0 {
		t.Fatalf("the sandbox guest exited %d; stderr: %s", o.ExitCode, o.Stderr)
	}
	lines := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if name, rest, ok := strings.Cut(line, ": "); ok {
			lines[name] = rest
		}
	}
	var escapes, notes []string
	for _, p := range sb.probes {
		got, ok := lines[p]
		switch {
		case !ok:
			t.Errorf("probe %s: no report in the guest's output", p)
		case strings.HasPrefix(got, "ALLOWED"):
			escapes = append(escapes, p+": "+got)
		case !strings.HasPrefix(got, "denied"):
			t.Errorf("probe %s: unexpected report %q", p, got)
		}
	}
	for _, p := range sb.controls {
		got := lines[p]
		switch why, broken := BrokenControls[sb.cfg.Runtime][p]; {
		case got == "ok" && broken:
			t.Errorf("control %s: ok, but conformance.BrokenControls says %s fails it (%s): remove it there", p, sb.cfg.Runtime, why)
		case got != "ok" && broken:
			t.Logf("control %s: %q, known broken: %s", p, got, why)
		case got != "ok":
			t.Errorf("control %s: %q; want ok (the preopened folder must stay usable)", p, got)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "note ") {
			notes = append(notes, line)
		}
	}
	if len(escapes) > 0 {
		t.Errorf("%d of %d probes got outside the preopened folder:\n  %s", len(escapes), len(sb.probes), strings.Join(escapes, "\n  "))
	}
	if !strings.Contains(stdout, "\ndone\n") {
		t.Errorf("the guest's output does not end with done: %q", firstLine(stdout))
	}
	sb.testNoPreopen(t, l, job)
	ok := 0
	for _, p := range sb.controls {
		if lines[p] == "ok" {
			ok++
		}
	}
	t.Logf("%s %s: %d of %d probes refused, %d of %d controls ok; %s", sb.cfg.Runtime, sb.tier.Name,
		len(sb.probes)-len(escapes), len(sb.probes), ok, len(sb.controls), strings.Join(notes, "; "))
}

// testNoPreopen runs the guest without a preopened folder: through the
// descriptors a runtime preopens of its own accord, no absolute or "../"
// path may reach the secret or create a file.
func (sb *sandboxRun) testNoPreopen(t *testing.T, l sandboxLayout, job runners.Job) {
	t.Helper()
	before := l.snapshot(t)
	job.ID, job.Dirs, job.Args = sb.id(), nil, []string{l.outside, "no-preopen"}
	r := sb.runJob(t, job)
	l.wantNoLeak(t, before, r, "without a preopened folder")
	if r.err != nil {
		t.Fatalf("without a preopened folder, the guest did not finish: %s: %s\nstderr:\n%s", r.err.Kind, r.err.Message, r.err.Stderr)
	}
	outs := r.events(runners.EventOutput)
	if len(outs) != 1 || outs[0].Output == nil {
		t.Fatalf("without a preopened folder: %d output events, want 1", len(outs))
	}
	stdout := string(outs[0].Output.Stdout)
	var escapes []string
	for _, line := range strings.Split(stdout, "\n") {
		if name, rest, ok := strings.Cut(line, ": "); ok && strings.HasPrefix(rest, "ALLOWED") {
			escapes = append(escapes, name+": "+rest)
		}
	}
	if len(escapes) > 0 {
		t.Errorf("without a preopened folder, paths through the runtime's own descriptors got out:\n  %s", strings.Join(escapes, "\n  "))
	}
	if !strings.HasSuffix(stdout, "done\n") {
		t.Errorf("without a preopened folder, the guest's output does not end with done: %q", stdout)
	}
}

// wantNoLeak fails t when the secret outside the preopened folder shows
// anywhere in a job's result (its output, an error, any event), or when
// the host outside the folder changed since before.
func (l sandboxLayout) wantNoLeak(t *testing.T, before map[string]string, r result, when string) {
	t.Helper()
	all, _ := json.Marshal(r.all)
	if r.err != nil {
		b, _ := json.Marshal(r.err)
		all = append(all, b...)
	}
	if bytes.Contains(all, []byte(l.secret)) {
		t.Errorf("%s: the secret outside the preopened folder shows in the job's events:\n%s", when, excerpt(all, l.secret))
	}
	if changed := diffSnapshots(before, l.snapshot(t)); len(changed) > 0 {
		t.Errorf("%s: the guest changed the host outside its preopened folder:\n  %s", when, strings.Join(changed, "\n  "))
	}
}

// diffSnapshots lists what changed between two snapshots.
func diffSnapshots(before, after map[string]string) []string {
	var out []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			out = append(out, "removed "+p+" ("+b+")")
		case a != b:
			out = append(out, "changed "+p+": "+b+" -> "+a)
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			out = append(out, "created "+p+" ("+a+")")
		}
	}
	slices.Sort(out)
	return out
}

// excerpt shows where marker occurs in b, escaped, with some context.
func excerpt(b []byte, marker string) string {
	i := bytes.Index(b, []byte(marker))
	lo, hi := max(0, i-200), min(len(b), i+len(marker)+200)
	return fmt.Sprintf("...%q...", b[lo:hi])
}

// SandboxGuest is the sandbox suite's guest module (testdata/sandbox),
// for a host's own test of a wall the suite cannot drive through the
// worker protocol (lambda.mjs's refusal of links).
func SandboxGuest() ([]byte, error) {
	return sandboxFS.ReadFile("testdata/sandbox/sandbox.wasm")
}
