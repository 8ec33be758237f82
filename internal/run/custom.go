package run

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// How a custom module's outputs are checked is workloads/custom's; a run
// keeps what it learns about each module (the checker with the expected
// files it read, and the reference output) and saves the reference in its
// folder, so that --resume compares with the same one.

// referenceMax bounds the reference output a run keeps in its folder
// (modules/<name>.stdout.reference): a larger one is kept as its hash and
// head only.
const referenceMax = runners.DefaultMaxOutput

// customState is what a run learns about one custom module as it goes;
// the cells of a module share it.
type customState struct {
	ck  *custom.Checker
	ref *custom.Reference // the reference output when stdout is not given
}

// moduleState returns what this run has learnt about m so far.
func (r *runner) moduleState(m *custom.Module) *customState {
	if r.custom == nil {
		r.custom = map[*custom.Module]*customState{}
	}
	st := r.custom[m]
	if st == nil {
		st = &customState{ck: custom.NewChecker(m)}
		r.custom[m] = st
	}
	return st
}

// keepStdout says whether a custom cell's first cold sample should ask for
// the whole stdout: when it is small enough to diff, or when it may become
// the reference (a worker on this machine: a serverless response has a
// size limit, and the head and hash are then the reference).
func (r *runner) keepStdout(s *cellState) bool {
	ck := r.moduleState(s.Custom).ck
	if err := ck.Load(); err != nil {
		return false
	}
	if ck.HasExpectedStdout() {
		return ck.KeepStdout()
	}
	return s.Target == "local"
}

// refPath is where a module's reference output is kept in the run folder
// (so that --resume compares with the same one).
func (r *runner) refPath(c *custom.Module) string {
	return filepath.Join(r.cfg.Out, "modules", c.Name+".reference.json")
}

// checkCustom verifies one output of a custom module's cell.
func (r *runner) checkCustom(s *cellState, out *runners.Output) error {
	return r.moduleState(s.Custom).ck.Check(out, func(got []byte, complete bool) (*custom.Reference, error) {
		return r.reference(s, out, got, complete)
	})
}

// reference returns the module's reference output, making this output the
// reference when there is none yet (and noting it in the results).
func (r *runner) reference(s *cellState, out *runners.Output, got []byte, complete bool) (*custom.Reference, error) {
	st := r.moduleState(s.Custom)
	if st.ref != nil {
		return st.ref, nil
	}
	path := r.refPath(s.Custom)
	if b, err := os.ReadFile(path); err == nil { // a resumed run
		var ref custom.Reference
		if err := json.Unmarshal(b, &ref); err != nil {
			return nil, fmt.Errorf("reference output %s: %w", path, err)
		}
		st.ref = &ref
		return st.ref, nil
	}
	ref := &custom.Reference{Cell: s.Cell.Cell, SHA256: out.StdoutSHA256, Bytes: out.StdoutBytes, Stdout: got, Complete: complete}
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

// explainFailure names the feature a runtime lacks when it refuses to
// compile a custom module that uses features beyond WebAssembly 1.0: a
// runtime's own message may not (wasmer's single-pass compiler says "not
// yet implemented: V128Const" for SIMD). The failure becomes
// KindUnsupported when the feature is identified.
func (r *runner) explainFailure(c *custom.Module, e *runners.Error) *runners.Error {
	return r.moduleState(c).ck.Explain(e)
}
