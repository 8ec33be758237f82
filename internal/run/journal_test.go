package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// resumeConfig is cfg continued by a fresh fake target.
func resumeConfig(cfg Config) (Config, *fakeTarget) {
	ft := &fakeTarget{execNS: 1e6}
	cfg.Targets = map[string]deploy.Target{"local": ft}
	cfg.Preparer = ft
	cfg.Resume = true
	return cfg, ft
}

// taskCounts counts the task lines of each task ID.
func taskCounts(recs []results.Record) map[string]int {
	ids := map[string]int{}
	for _, r := range recs {
		if r.Kind == results.KindTask {
			ids[r.Task]++
		}
	}
	return ids
}

// TestResumeAfterTornTail: a run killed in the middle of writing a task
// leaves that task's samples without their task line, and a torn last
// line. Resume must cut both off (kept in results.jsonl.torn), measure the
// task again, and count none of the torn samples: once, the resume
// appended to the torn line and counted the unfinished task's samples
// besides those of its new measurement.
func TestResumeAfterTornTail(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTarget{execNS: 1e6, cancelAfter: 6, cancel: cancel}
	cfg := testConfig(t, ft)
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.Out, results.FileName)
	before, _, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The next task, as a kill halfway through its write leaves it.
	var cell results.Cell
	for _, r := range before {
		if r.Kind == results.KindTask && strings.Contains(r.Task, "|cold|") {
			cell = r.Cell
		}
	}
	unfinished := fmt.Sprintf("%s|%s|%d", cell.Key(), taskCold, 99)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"kind":"sample","runtime":%q,"tier":%q,"workload":%q,"lang":%q,"param":%q,"target":%q,"phase":"execute","cold":true,"value":123456789,"verified":true,"process":99,"iteration":0,"task":%q}`+"\n",
		cell.Runtime, cell.Tier, cell.Workload, cell.Lang, cell.Param, cell.Target, unfinished)
	fmt.Fprint(f, `{"kind":"sample","runtime":"wazero","ti`)
	f.Close()

	recs, skipped, _ := results.ReadFile(path)
	if len(recs) != len(before) || len(skipped) != 2 {
		t.Errorf("before the resume: %d records counted (want the %d committed), %d skipped (want the torn line and the unfinished task)",
			len(recs), len(before), len(skipped))
	}

	cfg2, _ := resumeConfig(cfg)
	res, err := Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range taskCounts(res.Records) {
		if n > 1 {
			t.Errorf("task %s recorded %d times", id, n)
		}
	}
	for _, r := range res.Records {
		if r.Value == 123456789 || r.Task == unfinished {
			t.Errorf("a sample of the unfinished task is counted: %+v", r)
		}
	}
	// Every committed record before the kill is still there.
	js := func(r results.Record) string { b, _ := json.Marshal(r); return string(b) }
	after := map[string]int{}
	for _, r := range res.Records {
		after[js(r)]++
	}
	for _, r := range before {
		if after[js(r)] == 0 {
			t.Errorf("a committed record was lost: %+v", r)
		}
	}
	torn, err := os.ReadFile(path + results.TornSuffix)
	if err != nil || !strings.Contains(string(torn), "123456789") || !strings.Contains(string(torn), `"ti`) {
		t.Errorf("the .torn file: %q, %v; want the unfinished task's sample and the torn line", torn, err)
	}
	if _, skipped, _ := results.ReadFile(path); len(skipped) != 0 {
		t.Errorf("after the resume the file still has unreadable or uncommitted lines: %v", skipped)
	}
	if n := count(res.Records, func(r results.Record) bool {
		return r.Kind == results.KindNote && strings.Contains(r.Note, "kept them in results.jsonl.torn")
	}); n != 1 {
		t.Errorf("%d notes say what the resume cut off, want 1", n)
	}
}

// TestOneWriterPerFolder: while a process holds a run folder, a resume
// (and a new run) of that folder is refused, naming the holder's PID; the
// lock of a process that died is taken over with a note.
func TestOneWriterPerFolder(t *testing.T) {
	cfg := testConfig(t, &fakeTarget{execNS: 1e6})
	cfg.Options.Workloads, cfg.Options.Langs = []string{"fib"}, []string{"c"}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Another process holds the lock (flock(1), its PID in the file, as
	// bench writes it), with its children in a process group of their own.
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock command (util-linux):", err)
	}
	lockPath := filepath.Join(cfg.Out, lockFile)
	ready := make(chan struct{})
	holder := exec.Command("flock", "--exclusive", lockPath, "sh", "-c", "echo $PPID > "+lockPath+"; echo ok; sleep 60")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() {
		syscall.Kill(-holder.Process.Pid, syscall.SIGKILL)
		holder.Wait()
		// The group's last process (sleep) holds the lock until it is gone.
		for i := 0; i < 500 && syscall.Kill(-holder.Process.Pid, 0) == nil; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Cleanup(kill)
	go func() {
		b := make([]byte, 3)
		out.Read(b)
		close(ready)
	}()
	<-ready
	pid := strconv.Itoa(holder.Process.Pid)
	cfg2, ft := resumeConfig(cfg)
	_, err = Run(context.Background(), cfg2)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "PID "+pid) {
		t.Fatalf("resume while PID %s holds the folder: %v; want ErrLocked naming the PID", pid, err)
	}
	if len(ft.tasks) > 0 {
		t.Errorf("the refused resume ran %d tasks", len(ft.tasks))
	}
	kill()

	// The holder is dead; its PID is still in the file.
	cfg3, _ := resumeConfig(cfg)
	res, err := Run(context.Background(), cfg3)
	if err != nil {
		t.Fatalf("resume after the holder died: %v", err)
	}
	if n := count(res.Records, func(r results.Record) bool {
		return r.Kind == results.KindNote && strings.Contains(r.Note, "took over the lock") && strings.Contains(r.Note, "PID "+pid)
	}); n != 1 {
		t.Errorf("%d notes say the stale lock of PID %s was taken over, want 1", n, pid)
	}
	if b, _ := os.ReadFile(lockPath); len(b) != 0 {
		t.Errorf("after the run the lock file holds %q, want it empty", b)
	}
}

// TestMemoryCapNotes: with --max-memory, a tier that cannot cap memory is
// marked "cap not applied", and one that caps a whole process says so.
func TestMemoryCapNotes(t *testing.T) {
	cfg := testConfig(t, &fakeTarget{execNS: 1e6})
	cfg.Options.Workloads, cfg.Options.Langs, cfg.Options.CallCost = []string{"fib"}, []string{"c"}, false
	cfg.Options.MaxMemory = 64 << 20
	cfg.Runtimes = []*Runtime{{RuntimeSpec: RuntimeSpec{Name: "wazero"}, Version: "v1", Tiers: []runners.TierInfo{
		{Name: "jit"}, {Name: "interp", MemoryCap: runners.MemoryCapNone}, {Name: "aot", Prepared: true, MemoryCap: runners.MemoryCapProcess}}}}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, r := range res.Records {
		if r.Kind == results.KindNote && strings.Contains(r.Note, "--max-memory") {
			notes[r.Tier] = r.Note
		}
	}
	if !strings.Contains(notes["interp"], "cap not applied") || !strings.Contains(notes["aot"], "whole process") || notes["jit"] != "" {
		t.Errorf("notes %q; want interp's cap not applied, aot's on the whole process, none for jit", notes)
	}
}
