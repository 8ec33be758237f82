package run

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/wasmbench/bench/internal/wasmfeat"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// CustomModule is a user's own WASI command module (bench run --wasm).
type CustomModule struct {
	// Name is the module's name in results (its file name without .wasm).
	Name string   `json:"name"`
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"`
	// StdinPath is fed to the guest's stdin.
	StdinPath string            `json:"stdin_path,omitempty"`
	Dirs      []runners.Preopen `json:"dirs,omitempty"`
	// ExpectStdout and ExpectStderr are files holding the expected output;
	// without ExpectStdout the runtimes must agree with each other.
	ExpectStdout string `json:"expect_stdout,omitempty"`
	ExpectStderr string `json:"expect_stderr,omitempty"`
	// Sightglass is set for modules from a Sightglass benchmark folder.
	Sightglass bool `json:"sightglass,omitempty"`

	st *customState // what the current run learnt about it; see checkCustom
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// CustomModules turns --wasm flags into modules: a .wasm file, or a
// Sightglass benchmark folder (every *.wasm in it, with
// <name>.stdout.expected beside it, the folder preopened as ".").
func CustomModules(paths, args []string, stdin string, dirs []string, expect string) ([]CustomModule, error) {
	var pre []runners.Preopen
	for _, d := range dirs {
		host, guest, ok := strings.Cut(d, ":")
		if !ok {
			guest = host
		}
		abs, err := filepath.Abs(host)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--dir %s: not a folder", d)
		}
		pre = append(pre, runners.Preopen{Host: abs, Guest: guest})
	}
	abs := func(flag, p string) (string, error) {
		if p == "" {
			return "", nil
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(a); err != nil {
			return "", fmt.Errorf("%s %s: %w", flag, p, err)
		}
		return a, nil
	}
	stdinAbs, err := abs("--stdin", stdin)
	if err != nil {
		return nil, err
	}
	expectAbs, err := abs("--expect-stdout", expect)
	if err != nil {
		return nil, err
	}
	var out []CustomModule
	seen := map[string]string{}
	add := func(m CustomModule) error {
		if prev, ok := seen[m.Name]; ok {
			return fmt.Errorf("--wasm %s and %s have the same name %q: rename one", prev, m.Path, m.Name)
		}
		seen[m.Name] = m.Path
		out = append(out, m)
		return nil
	}
	for _, p := range paths {
		a, err := abs("--wasm", p)
		if err != nil {
			return nil, err
		}
		st, _ := os.Stat(a)
		if !st.IsDir() {
			if err := checkWasmHeader(a); err != nil {
				return nil, err
			}
			m := CustomModule{Name: strings.TrimSuffix(filepath.Base(a), ".wasm"), Path: a, Args: args,
				StdinPath: stdinAbs, Dirs: pre, ExpectStdout: expectAbs}
			if err := add(m); err != nil {
				return nil, err
			}
			continue
		}
		mods, err := filepath.Glob(filepath.Join(a, "*.wasm"))
		if err != nil || len(mods) == 0 {
			return nil, fmt.Errorf("--wasm %s: a folder must hold *.wasm files (Sightglass layout: <name>.wasm, <name>.stdout.expected)", p)
		}
		for _, mp := range mods {
			if err := checkWasmHeader(mp); err != nil {
				return nil, err
			}
			name := strings.TrimSuffix(filepath.Base(mp), ".wasm")
			m := CustomModule{Name: name, Path: mp, Args: args, StdinPath: stdinAbs, Sightglass: true,
				Dirs: append([]runners.Preopen{{Host: a, Guest: "."}}, pre...), ExpectStdout: expectAbs}
			if m.ExpectStdout == "" {
				if f := sightglassExpected(a, name, "stdout"); f != "" {
					m.ExpectStdout = f
				}
			}
			m.ExpectStderr = sightglassExpected(a, name, "stderr")
			if err := add(m); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// sightglassExpected finds <name>.<stream>.expected, or the folder-wide
// <stream>.expected Sightglass also uses.
func sightglassExpected(dir, name, stream string) string {
	for _, f := range []string{name + "." + stream + ".expected", "default." + stream + ".expected", stream + ".expected"} {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func checkWasmHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--wasm %s: %w", path, err)
	}
	defer f.Close()
	var hdr [8]byte
	if n, _ := f.Read(hdr[:]); n < 8 || string(hdr[:4]) != "\x00asm" {
		return fmt.Errorf("--wasm %s: not a WebAssembly binary (no \\0asm header)", path)
	}
	return nil
}

// How a custom module's outputs are checked
//
// With <name>.stdout.expected (or --expect-stdout) and
// <name>.stderr.expected, every execution's stdout and stderr must equal
// them; the first difference is reported as a line diff and the cell
// fails. Without an expected stdout the runtimes must agree with each
// other: the first output of the run (exit code 0) becomes the module's
// reference, saved as modules/<name>.reference.json, and a cell whose
// stdout differs from it fails, naming the reference's cell. Stderr is
// compared only with an expected file: programs often log timings there.

// referenceMax bounds the reference output a run keeps in its folder
// (modules/<name>.stdout.reference): a larger one is kept as its hash and
// head only.
const referenceMax = runners.DefaultMaxOutput

// keepStdoutMax bounds the expected stdout for which the first cold sample
// asks the worker for the whole stdout (a line diff past the 256-byte
// head); larger outputs are compared by hash only.
const keepStdoutMax = 1 << 20

// customState is what a run learns about one custom module as it goes;
// the cells of a module share it through their *CustomModule.
type customState struct {
	run       *runner // the run it belongs to: Options may be reused
	loaded    bool
	loadErr   error
	hasStdout bool
	stdout    []byte // expected stdout
	stdoutSum string
	stderr    []byte // expected stderr
	hasStderr bool
	ref       *customRef // the reference output when stdout is not given
	features  []string   // post-MVP features the module uses, once known
	featErr   error
	featDone  bool
}

// customRef is the output every runtime must reproduce when the user gave
// no expected stdout: the first one the run saw.
type customRef struct {
	Cell   results.Cell `json:"cell"`
	SHA256 string       `json:"stdout_sha256"`
	Bytes  int64        `json:"stdout_bytes"`
	// Stdout is the whole stdout when the worker returned it, else its head.
	Stdout   []byte `json:"stdout"`
	Complete bool   `json:"complete"`
}

func (c *CustomModule) state(r *runner) *customState {
	if c.st == nil || c.st.run != r {
		c.st = &customState{run: r}
	}
	return c.st
}

// load reads the expected files once per run.
func (c *CustomModule) load(r *runner) (*customState, error) {
	st := c.state(r)
	return st, st.load(c)
}

// load reads c's expected files into st, once.
func (st *customState) load(c *CustomModule) error {
	if st.loaded {
		return st.loadErr
	}
	st.loaded = true
	if c.ExpectStdout != "" {
		b, err := os.ReadFile(c.ExpectStdout)
		if err != nil {
			st.loadErr = fmt.Errorf("expected stdout of %s: %w", c.Name, err)
			return st.loadErr
		}
		st.stdout, st.hasStdout = b, true
		sum := sha256.Sum256(b)
		st.stdoutSum = hex.EncodeToString(sum[:])
	}
	if c.ExpectStderr != "" {
		b, err := os.ReadFile(c.ExpectStderr)
		if err != nil {
			st.loadErr = fmt.Errorf("expected stderr of %s: %w", c.Name, err)
			return st.loadErr
		}
		st.stderr, st.hasStderr = b, true
	}
	return nil
}

// keepStdout says whether a custom cell's first cold sample should ask for
// the whole stdout: when it is small enough to diff, or when it may become
// the reference (a worker on this machine: a serverless response has a
// size limit, and the head and hash are then the reference).
func (r *runner) keepStdout(s *cellState) bool {
	st, err := s.Custom.load(r)
	if err != nil {
		return false
	}
	if st.hasStdout {
		return len(st.stdout) <= keepStdoutMax
	}
	return s.Target == "local"
}

// refPath is where a module's reference output is kept in the run folder
// (so that --resume compares with the same one).
func (r *runner) refPath(c *CustomModule) string {
	return filepath.Join(r.cfg.Out, "modules", c.Name+".reference.json")
}

// checkCustom verifies one output of a custom module's cell.
func (r *runner) checkCustom(s *cellState, out *runners.Output) error {
	st, err := s.Custom.load(r)
	if err != nil {
		return err
	}
	return s.Custom.check(st, out, func(got []byte, complete bool) (*customRef, error) {
		return r.reference(s, out, got, complete)
	})
}

// check verifies one output against the expected files st holds or, when
// there is no expected stdout, against the reference ref returns (which
// makes this output the reference when there is none yet).
func (c *CustomModule) check(st *customState, out *runners.Output, ref func(got []byte, complete bool) (*customRef, error)) error {
	if out == nil {
		return fmt.Errorf("no output was reported")
	}
	if out.ExitCode != 0 {
		return fmt.Errorf("exit code %d", out.ExitCode)
	}
	got, complete, err := keptStdout(out)
	if err != nil {
		return err
	}
	switch {
	case st.hasStdout:
		if out.StdoutSHA256 != st.stdoutSum {
			return fmt.Errorf("stdout differs from %s: %s", filepath.Base(c.ExpectStdout),
				lineDiff(st.stdout, true, got, complete, out.StdoutBytes))
		}
	default:
		ref, err := ref(got, complete)
		if err != nil {
			return err
		}
		if out.StdoutSHA256 != ref.SHA256 {
			return fmt.Errorf("stdout disagrees with that of %s/%s (%s), the reference for %s since no expected stdout was given: %s",
				ref.Cell.Runtime, ref.Cell.Tier, ref.Cell.Target, c.Name,
				lineDiff(ref.Stdout, ref.Complete, got, complete, out.StdoutBytes))
		}
	}
	if st.hasStderr {
		if d := stderrDiff(st.stderr, out.Stderr); d != "" {
			return fmt.Errorf("stderr differs from %s: %s", filepath.Base(c.ExpectStderr), d)
		}
	}
	return nil
}

// Verifier checks a custom module's outputs outside a run (bench deploy
// aws) by the same rules as a run's cells (see "How a custom module's
// outputs are checked"). One Verifier serves a module's whole deployment:
// without an expected stdout, the first output it checks becomes the
// reference every other configuration must reproduce. It is safe for
// concurrent use.
type Verifier struct {
	c  *CustomModule
	mu sync.Mutex
	st *customState
}

// NewVerifier reads the module's expected files.
func (c *CustomModule) NewVerifier() (*Verifier, error) {
	st := &customState{}
	if err := st.load(c); err != nil {
		return nil, err
	}
	return &Verifier{c: c, st: st}, nil
}

// KeepStdout says whether an execution should return its whole stdout
// (runners.Job.KeepStdout), so that a mismatch is reported as a line diff
// past the 256-byte head: when an expected stdout of at most 1 MiB is
// given. A reference made without one is the head and hash only, as on
// any serverless target.
func (v *Verifier) KeepStdout() bool {
	return v.st.hasStdout && len(v.st.stdout) <= keepStdoutMax
}

// Check verifies one output of the module, from cell. When the module has
// no expected stdout and this is the first output with exit code 0, it
// becomes the reference and note, for the results, says so; note is ""
// otherwise.
func (v *Verifier) Check(cell results.Cell, out *runners.Output) (note string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	err = v.c.check(v.st, out, func(got []byte, complete bool) (*customRef, error) {
		if v.st.ref == nil {
			v.st.ref = &customRef{Cell: cell, SHA256: out.StdoutSHA256, Bytes: out.StdoutBytes, Stdout: got, Complete: complete}
			note = fmt.Sprintf("%s has no expected stdout: the first output, from %s/%s (%s), %d bytes, SHA-256 %.12s, is the reference "+
				"and every other configuration must print the same; samples are verified only by that agreement, so a deployment of a "+
				"single configuration verifies nothing; give --expect-stdout (bench run --wasm on the local target saves the whole "+
				"stdout as modules/%s.stdout.reference)",
				v.c.Name, cell.Runtime, cell.Tier, cell.Target, out.StdoutBytes, out.StdoutSHA256, v.c.Name)
		}
		return v.st.ref, nil
	})
	return note, err
}

// Explain names the feature beyond WebAssembly 1.0 that a runtime lacks
// when it refuses to compile the module, as a run's failures do: the
// failure becomes KindUnsupported when the feature is identified. Other
// errors are returned as they are.
func (v *Verifier) Explain(e *runners.Error) *runners.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.c.explain(v.st, e)
}

// reference returns the module's reference output, making this output the
// reference when there is none yet (and noting it in the results).
func (r *runner) reference(s *cellState, out *runners.Output, got []byte, complete bool) (*customRef, error) {
	st := s.Custom.state(r)
	if st.ref != nil {
		return st.ref, nil
	}
	path := r.refPath(s.Custom)
	if b, err := os.ReadFile(path); err == nil { // a resumed run
		var ref customRef
		if err := json.Unmarshal(b, &ref); err != nil {
			return nil, fmt.Errorf("reference output %s: %w", path, err)
		}
		st.ref = &ref
		return st.ref, nil
	}
	ref := &customRef{Cell: s.Cell.Cell, SHA256: out.StdoutSHA256, Bytes: out.StdoutBytes, Stdout: got, Complete: complete}
	b, err := json.MarshalIndent(ref, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("reference output: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("reference output: %w", err)
	}
	saved := path
	tooBig := out.StdoutBytes > referenceMax
	switch plain := strings.TrimSuffix(path, ".reference.json") + ".stdout.reference"; {
	case tooBig:
	case out.StdoutPath != "":
		// The worker's whole stdout, copied in pieces: the plain file can
		// be given as --expect-stdout.
		if err := copyFile(out.StdoutPath, plain); err != nil {
			return nil, fmt.Errorf("reference output: %w", err)
		}
		saved, complete = plain, true
	case complete:
		if err := os.WriteFile(plain, got, 0o644); err != nil {
			return nil, fmt.Errorf("reference output: %w", err)
		}
		saved = plain
	}
	st.ref = ref
	how := "pass that file as --expect-stdout once you trust it"
	switch {
	case tooBig:
		how = fmt.Sprintf("only its head and hash were kept: a reference file is kept up to %d MiB", referenceMax>>20)
	case !complete:
		how = "only its head and hash were kept (a serverless target): a run on the local target saves the whole stdout to check against"
	case s.Custom.Sightglass:
		how = "copy that file to " + strings.TrimSuffix(s.Custom.Path, ".wasm") + ".stdout.expected once you trust it"
	}
	err = r.write(results.Record{Kind: results.KindNote, Cell: results.Cell{Workload: s.Custom.Name, Lang: "wasm"},
		Note: fmt.Sprintf("%s has no expected stdout: the first output, from %s/%s (%s), %d bytes, SHA-256 %.12s, is the reference "+
			"(saved as %s) and every other runtime, tier and target must print the same; samples are verified only by that agreement, "+
			"so a run of a single runtime and tier verifies nothing; %s",
			s.Custom.Name, s.Runtime.Name, s.Tier, s.Target, out.StdoutBytes, out.StdoutSHA256, saved, how)})
	return ref, err
}

// keptStdout is what of an output's stdout a check can compare line by
// line: all of it when the worker kept it (a file, read only up to
// keepStdoutMax, or inline), else its head; complete says whether it is
// all of it. An output is never read whole: its hash decides.
func keptStdout(out *runners.Output) (got []byte, complete bool, err error) {
	switch {
	case out.StdoutPath != "":
		f, err := os.Open(out.StdoutPath)
		if err != nil {
			return nil, false, fmt.Errorf("the worker's stdout file: %w", err)
		}
		defer f.Close()
		got, err = io.ReadAll(io.LimitReader(f, keepStdoutMax+1))
		if err != nil {
			return nil, false, fmt.Errorf("the worker's stdout file: %w", err)
		}
		if len(got) > keepStdoutMax {
			return got[:keepStdoutMax], false, nil
		}
		return got, int64(len(got)) == out.StdoutBytes, nil
	case out.Stdout != nil:
		return out.Stdout, true, nil
	default:
		return []byte(out.StdoutHead), int64(len(out.StdoutHead)) == out.StdoutBytes, nil
	}
}

// copyFile copies src to dst in pieces.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lineDiff describes the first line where got differs from want. Either
// may be only a prefix of the real output (complete false), in which case
// a difference past it is reported as such; gotBytes is got's full size.
func lineDiff(want []byte, wantComplete bool, got []byte, gotComplete bool, gotBytes int64) string {
	wl := strings.SplitAfter(string(want), "\n")
	gl := strings.SplitAfter(string(got), "\n")
	// A trailing "" after the final newline is not a line.
	if wl[len(wl)-1] == "" {
		wl = wl[:len(wl)-1]
	}
	if gl[len(gl)-1] == "" {
		gl = gl[:len(gl)-1]
	}
	for i := 0; ; i++ {
		wOK, gOK := i < len(wl), i < len(gl)
		// The last line of a prefix may be cut short: it proves nothing.
		wCut := wOK && !wantComplete && i == len(wl)-1 && !strings.HasSuffix(wl[i], "\n")
		gCut := gOK && !gotComplete && i == len(gl)-1 && !strings.HasSuffix(gl[i], "\n")
		if (!wOK && !wantComplete) || (!gOK && !gotComplete) || wCut || gCut {
			return fmt.Sprintf("the first %d lines agree; the difference is past the part kept for messages (got %d bytes, expected %d)",
				i, gotBytes, len(want))
		}
		switch {
		case !wOK && !gOK:
			return fmt.Sprintf("the outputs differ but no line does (got %d bytes, expected %d)", gotBytes, len(want))
		case !gOK:
			return fmt.Sprintf("line %d: expected %s, got the end of the output (%d lines)", i+1, quoteLine(wl[i]), len(gl))
		case !wOK:
			return fmt.Sprintf("line %d: expected the end of the output (%d lines), got %s", i+1, len(wl), quoteLine(gl[i]))
		case wl[i] == gl[i]:
			continue
		case strings.TrimSuffix(wl[i], "\n") == strings.TrimSuffix(gl[i], "\n"):
			if strings.HasSuffix(wl[i], "\n") {
				return fmt.Sprintf("line %d: expected a newline at the end of %s", i+1, quoteLine(gl[i]))
			}
			return fmt.Sprintf("line %d: expected no newline at the end of %s", i+1, quoteLine(wl[i]))
		default:
			return fmt.Sprintf("line %d: expected %s, got %s", i+1, quoteLine(wl[i]), quoteLine(gl[i]))
		}
	}
}

// stderrDiff compares the expected stderr with the tail the worker
// returned (its last 4 KiB): "" when they agree.
func stderrDiff(want []byte, got string) string {
	const tailMax = 4096
	switch {
	case len(got) < tailMax:
		if string(want) == got {
			return ""
		}
		return lineDiff(want, true, []byte(got), true, int64(len(got)))
	case len(want) < tailMax:
		return fmt.Sprintf("got at least %d bytes (the worker keeps the last %d), expected %d", len(got), tailMax, len(want))
	}
	// Both are at least 4 KiB: only the tails can be compared.
	w := want[len(want)-len(got):]
	if string(w) == got {
		return ""
	}
	return "in the last 4 KiB: " + lineDiff(w, true, []byte(got), true, int64(len(got)))
}

// quoteLine shows one line of a guest's output in a diff: at most its
// first 80 bytes (not cutting a character in two), quoted with every
// non-printable byte or character escaped, so that a diff never carries
// more than a line's start of what a guest printed, nor a control
// sequence.
func quoteLine(l string) string {
	l = strings.TrimSuffix(l, "\n")
	if len(l) <= 80 {
		return strconv.Quote(l)
	}
	cut := 80
	for cut > 0 && l[cut]&0xc0 == 0x80 { // not in a character's middle
		cut--
	}
	return strconv.Quote(l[:cut]) + "..."
}

// featureWords are, for each feature beyond WebAssembly 1.0 that a runtime
// may lack, words by which runtimes' messages name it.
var featureWords = map[wasmfeat.Feature][]string{
	wasmfeat.SIMD:                  {"simd", "v128", "i8x16", "f32x4", "i32x4"},
	wasmfeat.Threads:               {"thread", "atomic", "shared memory"},
	wasmfeat.TailCalls:             {"tail", "return_call"},
	wasmfeat.Exceptions:            {"exception", "tag section", "throw"},
	wasmfeat.ExtendedConst:         {"extended", "const expr"},
	wasmfeat.TypedFuncRefs:         {"typed function", "call_ref", "func ref"},
	wasmfeat.BulkMemory:            {"bulk", "memory.copy", "memory.fill", "memory.init", "data.drop", "data count"},
	wasmfeat.ReferenceTypes:        {"reference type", "reference-type", "externref", "ref.func", "ref.null"},
	wasmfeat.MultiValue:            {"multi-value", "multi value", "multivalue", "multiple result", "multiple return"},
	wasmfeat.SignExtension:         {"sign-ext", "sign ext", "extend8_s", "extend16_s", "extend32_s"},
	wasmfeat.NonTrappingFloatToInt: {"trunc_sat", "saturat", "non-trapping"},
}

// moduleFeatures lists the features beyond WebAssembly 1.0 that a module
// uses, by name ("SIMD", "threads (atomics)"), read from its binary by
// internal/wasmfeat: the orchestrator links no wasm runtime.
func moduleFeatures(path string) ([]string, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fs, err := wasmfeat.Detect(wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	var used []string
	for _, f := range fs {
		used = append(used, f.String())
	}
	return used, nil
}

// explainFailure names the feature a runtime lacks when it refuses to
// compile a custom module that uses features beyond WebAssembly 1.0: a
// runtime's own message may not (wasmer's single-pass compiler says "not
// yet implemented: V128Const" for SIMD). The failure becomes
// KindUnsupported when the feature is identified.
func (r *runner) explainFailure(c *CustomModule, e *runners.Error) *runners.Error {
	return c.explain(c.state(r), e)
}

// explain is explainFailure with the module's features cached in st.
func (c *CustomModule) explain(st *customState, e *runners.Error) *runners.Error {
	if e == nil || e.Kind != runners.KindCompile {
		return e
	}
	if !st.featDone {
		st.featDone = true
		st.features, st.featErr = moduleFeatures(c.Path)
	}
	if st.featErr != nil || len(st.features) == 0 {
		return e // not a feature question: the module is invalid, or plain WebAssembly 1.0
	}
	// The module's own name ("simd.wasm") says nothing about the runtime.
	msg := strings.ToLower(strings.ReplaceAll(e.Message, filepath.Base(c.Path), ""))
	var named []string
	for _, f := range wasmfeat.All() {
		if !contains(st.features, f.String()) {
			continue
		}
		for _, w := range featureWords[f] {
			if strings.Contains(msg, w) {
				named = append(named, f.String())
				break
			}
		}
	}
	out := *e
	switch {
	case len(named) == 1:
		out.Kind = runners.KindUnsupported
		out.Message = fmt.Sprintf("%s uses %s, which this runtime and tier reject: %s", filepath.Base(c.Path), named[0], e.Message)
	case len(st.features) == 1:
		out.Kind = runners.KindUnsupported
		out.Message = fmt.Sprintf("%s uses %s (its only feature beyond WebAssembly 1.0), which this runtime and tier reject: %s",
			filepath.Base(c.Path), st.features[0], e.Message)
	default:
		out.Message = fmt.Sprintf("%s (the module uses %s beyond WebAssembly 1.0; one of them may be what this runtime and tier lack)",
			e.Message, strings.Join(st.features, ", "))
	}
	return &out
}
