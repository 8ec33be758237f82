package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// journal builds the lines of a journaled results file.
func journal(t *testing.T, recs ...Record) string {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	envRec = Record{Kind: KindEnv, Env: &Env{CPU: "test", Journal: JournalTasks}}
	cellA  = Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "20", Target: "local"}
	sample = func(task string, v float64) Record {
		return Record{Kind: KindSample, Cell: cellA, Task: task, Phase: "execute", Value: v}
	}
	taskRec = func(task string) Record { return Record{Kind: KindTask, Cell: cellA, Task: task} }
)

// TestReadFileCountsCommittedTasksOnly: the samples of a task whose task
// line never came are left out and reported, in a journaled file; an
// older file (no journal in its env) keeps everything.
func TestReadFileCountsCommittedTasksOnly(t *testing.T) {
	dir := t.TempDir()
	body := journal(t, envRec, sample("a|cold|0", 1), taskRec("a|cold|0"), Record{Kind: KindNote, Note: "n"},
		sample("a|cold|1", 2), sample("a|cold|1", 3))
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Errorf("%d records, want 4 (env, a sample and its task, a note)", len(recs))
	}
	for _, r := range recs {
		if r.Task == "a|cold|1" {
			t.Errorf("an uncommitted record was counted: %+v", r)
		}
	}
	var u *UncommittedError
	if len(skipped) != 1 || !errors.As(skipped[0].Err, &u) || u.Records != 2 || u.Tasks != 1 || skipped[0].Line != 5 {
		t.Fatalf("skipped %v; want one UncommittedError for 2 records of 1 task from line 5", skipped)
	}

	old := strings.Replace(body, `,"journal":1`, "", 1)
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err = ReadFile(path)
	if err != nil || len(recs) != 6 || len(skipped) != 0 {
		t.Errorf("a file without a journal: %d records, skipped %v, %v; want all 6 counted", len(recs), skipped, err)
	}
}

// TestRepairCutsTornTail: the torn last line and the unfinished task's
// records move into the .torn file; the rest stays byte for byte, and a
// second repair does nothing.
func TestRepairCutsTornTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	good := journal(t, envRec, sample("a|cold|0", 1), taskRec("a|cold|0"))
	tail := journal(t, sample("a|cold|1", 2)) + `{"kind":"sample","runtime":"waz`
	if err := os.WriteFile(path, []byte(good+tail), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bytes != int64(len(tail)) || rep.Records != 1 {
		t.Errorf("repair moved %d bytes, %d records; want %d bytes, 1 record", rep.Bytes, rep.Records, len(tail))
	}
	if b, _ := os.ReadFile(path); string(b) != good {
		t.Errorf("after repair the file is\n%s\nwant\n%s", b, good)
	}
	if b, _ := os.ReadFile(path + TornSuffix); string(b) != tail+"\n" {
		t.Errorf("the .torn file holds %q, want %q", b, tail+"\n")
	}
	// Appending now starts on a line of its own.
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sample("a|cold|1", 5), taskRec("a|cold|1")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, skipped, err := ReadFile(path)
	if err != nil || len(skipped) != 0 || len(recs) != 5 {
		t.Errorf("after repair and append: %d records, skipped %v, %v; want 5, none", len(recs), skipped, err)
	}
	if rep, err := Repair(path); err != nil || rep.Bytes != 0 {
		t.Errorf("a second repair: %+v, %v; want nothing to do", rep, err)
	}
}

// TestRepairUnparsableLastLine: a last line that has its newline but is
// not a record is torn too; a bad line followed by good ones is not the
// tail and stays (the reader skips it).
func TestRepairUnparsableLastLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	good := journal(t, envRec) + "garbage in the middle\n" + journal(t, sample("a|cold|0", 1), taskRec("a|cold|0"))
	if err := os.WriteFile(path, []byte(good+"\x00\x00\x00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(path)
	if err != nil || rep.Bytes != 4 || rep.Records != 0 {
		t.Fatalf("repair: %+v, %v; want the 4 bytes of the last line", rep, err)
	}
	if b, _ := os.ReadFile(path); string(b) != good {
		t.Errorf("after repair the file is %q, want %q", b, good)
	}
}
