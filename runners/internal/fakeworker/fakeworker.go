package fakeworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
)

// Runner is the fake runner. Its modules are text: what the module's
// bytes say is what it does when run.
//
//	ok:TEXT      writes TEXT to stdout and returns
//	exit:N       returns exit code N
//	trap         fails with a plain error
//	bench        calls BenchStart and BenchEnd around a short sleep
//	die          the worker writes to its stderr and exits 7 mid-job
//	hang         ignores its context forever
//	waitctx      blocks until its context ends and returns its error
//	unsupported  (at compile) a KindUnsupported *Error
//	big:N[:err]  writes N bytes of 'x' to stdout (stderr with ":err") in
//	             64 KiB writes; exit code 1 when a write fails
//	flood        fails with a 64 MiB error message
//	stop         the worker writes half an event line and stops itself
//	             (SIGSTOP): no watchdog of its own can run
type Runner struct{}

var _ runners.Runner = Runner{}

func (Runner) Name() string    { return "fake" }
func (Runner) Version() string { return "v0" }
func (Runner) Tiers() []runners.TierInfo {
	return []runners.TierInfo{
		{Name: "t", Description: "the fake tier"},
		{Name: "gone", Description: "a tier this machine lacks", Unavailable: "no such hardware"},
	}
}
func (Runner) NewEngine(context.Context, runners.EngineConfig) (runners.Engine, error) {
	return fakeEngine{}, nil
}

type fakeEngine struct{}

func (fakeEngine) Loads() bool                 { return false }
func (fakeEngine) Close(context.Context) error { return nil }
func (fakeEngine) Compile(_ context.Context, src runners.Source) (runners.Module, error) {
	if string(src.Wasm) == "unsupported" {
		return nil, runners.Errorf(runners.KindUnsupported, "uses a feature the fake lacks")
	}
	return fakeModule(src.Wasm), nil
}

type fakeModule string

func (fakeModule) Close(context.Context) error { return nil }
func (m fakeModule) Instantiate(_ context.Context, io runners.IO) (runners.Instance, error) {
	return &fakeInstance{m: string(m), io: io}, nil
}

type fakeInstance struct {
	m  string
	io runners.IO
}

func (i *fakeInstance) Close(context.Context) error { return nil }
func (i *fakeInstance) Func(string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}
func (i *fakeInstance) Run(ctx context.Context) (int, error) {
	switch {
	case strings.HasPrefix(i.m, "ok:"):
		return 0, os.WriteFile(i.io.StdoutPath, []byte(strings.TrimPrefix(i.m, "ok:")), 0o644)
	case strings.HasPrefix(i.m, "exit:"):
		return strconv.Atoi(strings.TrimPrefix(i.m, "exit:"))
	case i.m == "trap":
		return 0, errors.New("fake trap")
	case i.m == "bench":
		time.Sleep(time.Millisecond)
		i.io.BenchStart()
		time.Sleep(time.Millisecond)
		i.io.BenchEnd()
		return 0, nil
	case i.m == "die":
		fmt.Fprintln(os.Stderr, "fake worker dying")
		os.Exit(7)
	case strings.HasPrefix(i.m, "big:"):
		spec := strings.TrimPrefix(i.m, "big:")
		path := i.io.StdoutPath
		if n, ok := strings.CutSuffix(spec, ":err"); ok {
			spec, path = n, i.io.StderrPath
		}
		n, err := strconv.Atoi(spec)
		if err != nil {
			return 0, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := f.Write(chunk[:k]); err != nil {
				return 1, nil
			}
			n -= k
		}
		return 0, nil
	case i.m == "flood":
		return 0, errors.New(strings.Repeat("x", 64<<20))
	case i.m == "stop":
		os.Stdout.WriteString(`{"type":"pha`)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		select {}
	case i.m == "hang":
		select {}
	case i.m == "waitctx":
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 0, fmt.Errorf("fake module %q: unknown behaviour", i.m)
}

// Module writes a fake module with the given behaviour and returns its
// reference.
func Module(t testing.TB, behaviour string) runners.ModuleRef {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(p, []byte(behaviour), 0o644); err != nil {
		t.Fatal(err)
	}
	return runners.ModuleRef{Name: "m.wasm", Path: p}
}
