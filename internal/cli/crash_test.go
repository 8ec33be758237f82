package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// benchBinary is the built bench, or the test is skipped.
func benchBinary(t *testing.T) (bench, bin string) {
	t.Helper()
	bin = realBin(t)
	bench = filepath.Join(bin, "bench")
	if _, err := os.Stat(bench); err != nil {
		t.Skipf("no bench in %s: run make build", bin)
	}
	return bench, bin
}

// committedLines is the committed records of a results file, as JSON.
func committedLines(t *testing.T, path string) []string {
	t.Helper()
	recs, _, err := results.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	return out
}

// ioDirs lists the bench-io-* folders in dir.
func ioDirs(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, runners.IOPrefix+"*"))
	return m
}

// TestKilledAndResumed is the crash test of the journal: a small real run
// (wazero jit and aot, and native, fib(27) in C) is killed with SIGKILL at
// random points and resumed each time, until a resume finishes; after
// every other kill the file also loses part of its last line when that
// attempt wrote it, as a power cut loses the write in flight (a kill
// cannot cut a write short). No record committed before a resume may be
// lost, none may be counted twice, and no temporary I/O folder may be
// left over.
func TestKilledAndResumed(t *testing.T) {
	bench, bin := benchBinary(t)
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(out, results.FileName)
	rts, tiers := "wazero,native", "jit,aot,native"
	if _, err := os.Stat(filepath.Join(bin, "native", "fib-c")); err != nil {
		rts, tiers = "wazero", "jit,aot"
	}
	args := []string{"--runtime", rts, "--tier", tiers, "--workload", "fib", "--lang", "c", "--param", "fib=27",
		"--samples", "20", "--budget", "2s", "--iterations", "5", "--no-report", "--seed", "7"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill points from seed %d", seed)

	seen := map[string]int{} // committed line -> the most times it was seen committed at once
	const kills = 8
	var killed, cut, tornBytes int
	for attempt := 0; ; attempt++ {
		argv := append([]string{"run"}, args...)
		if _, err := os.Stat(filepath.Join(out, "run.json")); err == nil {
			argv = append(argv, "--resume", out)
		} else {
			argv = append(argv, "--out", out)
		}
		var sizeBefore int64
		if st, err := os.Stat(path); err == nil {
			sizeBefore = st.Size()
		}
		cmd := exec.Command(bench, argv...)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "BENCH_BIN_DIR="+bin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if attempt < kills {
			select {
			case err = <-done:
			case <-time.After(time.Duration(50+rng.IntN(1200)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err = <-done
				killed++
			}
		} else {
			select {
			case err = <-done:
			case <-time.After(5 * time.Minute):
				cmd.Process.Kill()
				t.Fatalf("the last resume did not finish in 5 minutes; stderr:\n%s", stderr.String())
			}
		}
		if strings.Contains(stderr.String(), "kept them in "+results.FileName+results.TornSuffix) {
			cut++
		}
		if err != nil && attempt%2 == 1 {
			if b, rerr := os.ReadFile(path); rerr == nil && len(b) > 1 {
				last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1 // start of the last line
				if cut := len(b) - (last + 1 + rng.IntN(len(b)-last-1)); last >= int(sizeBefore) && cut > 0 {
					if terr := os.Truncate(path, int64(len(b)-cut)); terr != nil {
						t.Fatal(terr)
					}
				}
			}
		}
		lines := committedLines(t, path)
		count := map[string]int{}
		for _, l := range lines {
			count[l]++
		}
		for l, n := range count {
			if n > seen[l] {
				seen[l] = n
			}
		}
		// Every line committed before stays committed, as often.
		for l, n := range seen {
			if count[l] < n {
				t.Fatalf("attempt %d lost a committed record (%d of %d left): %s\nstderr:\n%s", attempt, count[l], n, l, stderr.String())
			}
		}
		if err == nil {
			break
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || (ee.ExitCode() != -1 && ee.ExitCode() != 0) {
			t.Fatalf("attempt %d: %v\nstderr:\n%s", attempt, err, stderr.String())
		}
		if attempt > kills+3 {
			t.Fatalf("no run finished after %d attempts", attempt)
		}
	}
	if b, err := os.ReadFile(path + results.TornSuffix); err == nil {
		tornBytes = len(b)
	}

	recs, skipped, err := results.ReadFile(path)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("the finished run's file: %v, skipped %v", err, skipped)
	}
	tasks := map[string]int{}
	samples := map[string]int{}
	for _, r := range recs {
		switch r.Kind {
		case results.KindTask:
			tasks[r.Task]++
		case results.KindSample:
			samples[fmt.Sprintf("%s|%s|%d|%v|%s", r.Task, r.Phase, r.Iteration, r.Warmup, r.Cache)]++
		}
	}
	for id, n := range tasks {
		if n != 1 {
			t.Errorf("task %s committed %d times", id, n)
		}
	}
	for id, n := range samples {
		if n != 1 {
			t.Errorf("sample %s counted %d times", id, n)
		}
	}
	if left := ioDirs(tmp); len(left) > 0 {
		t.Errorf("temporary I/O folders left after the finished resume: %v", left)
	}
	t.Logf("%d kills (%d resumes cut a torn tail: %d bytes kept in %s), %d tasks and %d samples committed, none lost, none twice",
		killed, cut, tornBytes, results.FileName+results.TornSuffix, len(tasks), len(samples))
}

// TestSignalsAndKills: Ctrl-C (SIGINT) in the middle of a run ends it at
// once with ExitInterrupted, kills its worker, and leaves no temporary
// I/O folder; a run started while another writes the same folder is
// refused, naming the other's PID.
func TestSignalsAndKills(t *testing.T) {
	bench, bin := benchBinary(t)
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "run")
	loop := filepath.Join("..", "..", "runners", "conformance", "testdata", "loop.wasm")
	cmd := exec.Command(bench, "run", "--wasm", loop, "--runtime", "wazero", "--tier", "jit", "--timeout", "10m",
		"--no-report", "--no-callcost", "--out", out)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "BENCH_BIN_DIR="+bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The guest loops for ever: wait until its worker's I/O folder exists.
	deadline := time.Now().Add(time.Minute)
	for len(ioDirs(tmp)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the run started no worker in a minute; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	second := exec.Command(bench, "run", "--resume", out, "--no-report")
	second.Env = cmd.Env
	msg, err := second.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitFailure || !strings.Contains(string(msg), fmt.Sprintf("PID %d", cmd.Process.Pid)) {
		t.Errorf("a resume while the run writes the folder: %v\n%s\nwant exit %d naming PID %d", err, msg, ExitFailure, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("bench did not stop within a minute of SIGINT; stderr:\n%s", stderr.String())
	}
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted || !strings.Contains(stderr.String(), "bench run --resume "+out) {
		t.Errorf("after SIGINT: %v; want exit %d and how to resume; stderr:\n%s", err, ExitInterrupted, stderr.String())
	}
	if left := ioDirs(tmp); len(left) > 0 {
		t.Errorf("temporary I/O folders left after SIGINT: %v", left)
	}
	if pids := workersWith(tmp); len(pids) > 0 {
		t.Errorf("workers still running after SIGINT: %v", pids)
	}
}

// workersWith lists the processes whose environment has TMPDIR=dir.
func workersWith(dir string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	var pids []int
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("TMPDIR="+dir+"\x00")) {
			continue
		}
		var pid int
		fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &pid)
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !bytes.Contains(st, []byte(") Z ")) {
			pids = append(pids, pid)
		}
	}
	return pids
}
