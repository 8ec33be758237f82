package pkg

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
)

func TestPackInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdin := filepath.Join(dir, "in.txt")
	write(stdin, "12345")
	bench := filepath.Join(dir, "bench")
	write(filepath.Join(bench, "input.txt"), "abc")
	write(filepath.Join(bench, "sub", "more.txt"), "de")
	data := filepath.Join(dir, "data")
	write(filepath.Join(data, "x"), "x")

	in, err := PackInputs(stdin, []runners.Preopen{{Host: bench, Guest: "."}, {Host: data, Guest: "/data"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range in.Files {
		names = append(names, f.Name)
	}
	want := []string{"task/input/in.txt", "task/dirs/0/input.txt", "task/dirs/0/sub/more.txt", "task/dirs/1/x"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if in.StdinPath != "task/input/in.txt" {
		t.Errorf("stdin path %q", in.StdinPath)
	}
	wantDirs := []runners.Preopen{{Host: "task/dirs/0", Guest: "."}, {Host: "task/dirs/1", Guest: "/data"}}
	if !reflect.DeepEqual(in.Dirs, wantDirs) {
		t.Errorf("dirs %+v, want %+v", in.Dirs, wantDirs)
	}
	if in.Bytes != 5+3+2+1 {
		t.Errorf("bytes %d, want 11", in.Bytes)
	}

	none, err := PackInputs("", nil)
	if err != nil || len(none.Files) != 0 || none.StdinPath != "" || none.Dirs != nil {
		t.Errorf("no inputs: %+v, %v", none, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := PackInputs("", []runners.Preopen{{Host: empty, Guest: "."}}); err == nil || !strings.Contains(err.Error(), "holds no files") {
		t.Errorf("empty folder: err = %v", err)
	}
	if _, err := PackInputs("", []runners.Preopen{{Host: filepath.Join(dir, "nope"), Guest: "."}}); err == nil ||
		!strings.Contains(err.Error(), "preopened folder") {
		t.Errorf("missing folder: err = %v", err)
	}
}
