package workloads

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmbench/bench/runners"
)

// TestModulesPrintTheExpectedOutput runs every committed module under
// wazero's compiler and checks it against the oracle; for the image
// workload that is the native build's output hash, so this is where "the
// wasm build writes the same bytes as the native build" is checked.
func TestModulesPrintTheExpectedOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every module (about 10 MB of wasm); skipped with -short")
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	for _, w := range All() {
		for _, l := range w.Langs {
			t.Run(w.ModuleName(l), func(t *testing.T) {
				bin, err := w.Wasm(l)
				if err != nil {
					t.Fatal(err)
				}
				m, err := r.CompileModule(ctx, bin)
				if err != nil {
					t.Fatalf("compile %s: %v", w.ModuleName(l), err)
				}
				defer m.Close(ctx)
				n := w.Param.Quick
				out := runWasm(t, r, m, w.Args(n), w.Stdin())
				e, err := w.Expect(l, n)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Check(out); err != nil {
					t.Errorf("%s %s: %v (stderr: %s)", w.ModuleName(l), strings.Join(w.Args(n), " "), err, out.Stderr)
				}
				if w.Param.Fixed {
					return
				}
				bad := runWasm(t, r, m, []string{"12x"}, nil)
				if bad.ExitCode != 2 || !strings.Contains(bad.Stderr, "12x") {
					t.Errorf("%s 12x: exit code %d, stderr %q; want 2 and a message naming the argument", w.ModuleName(l), bad.ExitCode, bad.Stderr)
				}
			})
		}
	}
}

func runWasm(t *testing.T, r wazero.Runtime, m wazero.CompiledModule, args []string, stdin []byte) *runners.Output {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").
		WithArgs(append([]string{"workload"}, args...)...).
		WithStdin(bytes.NewReader(stdin)).WithStdout(&stdout).WithStderr(&stderr)
	mod, err := r.InstantiateModule(context.Background(), m, cfg)
	code := 0
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		code = int(exit.ExitCode())
	} else if err != nil {
		t.Fatalf("run: %v", err)
	}
	if mod != nil {
		mod.Close(context.Background())
	}
	sum := sha256.Sum256(stdout.Bytes())
	return &runners.Output{ExitCode: code, StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(stdout.Len()),
		StdoutHead: string(stdout.Bytes()[:min(256, stdout.Len())]), Stderr: stderr.String()}
}
