package main

import (
	"bytes"
	"testing"
)

// TestCopiesAreCurrent fails when runners/wasmtime/wasmtime39's shared
// files no longer match their originals.
func TestCopiesAreCurrent(t *testing.T) {
	files, err := stale("../..", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Errorf("%s is stale: run go generate in runners/wasmtime/wasmtime39", f)
	}
}

func TestCopyOf(t *testing.T) {
	src := []byte("// comment\npackage wasmtime\n\nimport wasmtime \"github.com/bytecodealliance/wasmtime-go/v25\"\n")
	got := copyOf(src)
	want := []byte(header + "// comment\npackage wasmtime39\n\nimport wasmtime \"github.com/bytecodealliance/wasmtime-go/v39\"\n")
	if !bytes.Equal(got, want) {
		t.Errorf("copyOf:\n%s\nwant\n%s", got, want)
	}
}
