package pkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// File is one file of a deployment package.
type File struct {
	// Name is the file's path in the package, slash-separated. A relative
	// name ("bootstrap", "lib/libwasmer.so", "task/fib.go.wasm") is inside
	// the function's task root: the root of the zip, TaskRoot in an image.
	// An absolute name ("/lib64/ld-linux-x86-64.so.2") is a path in an
	// image's file system; Zip rejects it.
	Name string
	// Src is the file on disk the contents come from, when Data is nil.
	Src string
	// Data is the file's contents; it wins over Src.
	Data []byte
	// Mode is the file's permission bits. Zero means 0755 for "bootstrap"
	// and for a Src that is executable, 0644 otherwise.
	Mode fs.FileMode
}

// TaskRoot is where Lambda (and an image built here) puts the function's
// code: LAMBDA_TASK_ROOT.
const TaskRoot = "/var/task"

// epoch is every entry's modification time, so that the same files give
// the same bytes. Zip cannot store times before 1980.
var (
	zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	tarEpoch = time.Unix(0, 0).UTC()
)

// resolved is a File with its contents read and its mode settled.
type resolved struct {
	name string
	data []byte
	mode fs.FileMode
}

// resolve reads every file, settles modes and sorts by name; it rejects
// empty, unclean and duplicate names.
func resolve(files []File) ([]resolved, error) {
	out := make([]resolved, 0, len(files))
	seen := map[string]bool{}
	for _, f := range files {
		if f.Name == "" {
			return nil, fmt.Errorf("package: a file has no name (src %q)", f.Src)
		}
		if clean := path.Clean(f.Name); clean != f.Name || strings.HasPrefix(f.Name, "../") || f.Name == ".." {
			return nil, fmt.Errorf("package: file name %q is not a clean path", f.Name)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("package: %s is listed twice", f.Name)
		}
		seen[f.Name] = true
		data, mode := f.Data, f.Mode
		if data == nil {
			if f.Src == "" {
				return nil, fmt.Errorf("package: %s has neither data nor a source file", f.Name)
			}
			b, err := os.ReadFile(f.Src)
			if err != nil {
				return nil, fmt.Errorf("package: %s: %w", f.Name, err)
			}
			data = b
			if mode == 0 {
				if st, err := os.Stat(f.Src); err == nil && st.Mode().Perm()&0o111 != 0 {
					mode = 0o755
				}
			}
		}
		if mode == 0 {
			mode = 0o644
			if path.Base(f.Name) == "bootstrap" {
				mode = 0o755
			}
		}
		out = append(out, resolved{name: f.Name, data: data, mode: mode.Perm()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// Zip writes files as a Lambda deployment zip: sorted, every entry dated
// 1980-01-01 with Unix permissions, deflated, so the same files give the
// same bytes. Absolute names are rejected: a zip holds the task root only.
func Zip(w io.Writer, files []File) error {
	rs, err := resolve(files)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, r := range rs {
		if path.IsAbs(r.name) {
			return fmt.Errorf("package: zip: %s is outside the task root (absolute names are for images only)", r.name)
		}
		h := &zip.FileHeader{Name: r.name, Method: zip.Deflate, Modified: zipEpoch}
		h.SetMode(r.mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("package: zip %s: %w", r.name, err)
		}
		if _, err := fw.Write(r.data); err != nil {
			return fmt.Errorf("package: zip %s: %w", r.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("package: zip: %w", err)
	}
	return nil
}

// ZipFile writes the zip to path and returns its size in bytes.
func ZipFile(path string, files []File) (int64, error) {
	var buf bytes.Buffer
	if err := Zip(&buf, files); err != nil {
		return 0, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return 0, fmt.Errorf("package: write zip: %w", err)
	}
	return int64(buf.Len()), nil
}

// Tar writes files as the uncompressed tar of an image layer: relative
// names under root (TaskRoot when empty), a directory entry for every
// parent, sorted, owned by root, dated 1970-01-01, each path once.
func Tar(w io.Writer, files []File, root string) error {
	rs, err := resolve(files)
	if err != nil {
		return err
	}
	if root == "" {
		root = TaskRoot
	}
	type entry struct {
		name string
		r    *resolved
	}
	entries := map[string]entry{}
	var addDirs func(dir string) error
	addDirs = func(dir string) error {
		if dir == "/" || dir == "." || dir == "" {
			return nil
		}
		if e, ok := entries[dir]; ok {
			if e.r != nil {
				return fmt.Errorf("package: image: %s is both a file and a directory", dir)
			}
			return nil
		}
		entries[dir] = entry{name: dir}
		return addDirs(path.Dir(dir))
	}
	for i := range rs {
		p := rs[i].name
		if !path.IsAbs(p) {
			p = path.Join(root, p)
		}
		if e, ok := entries[p]; ok {
			if e.r == nil {
				return fmt.Errorf("package: image: %s is both a directory and a file", p)
			}
			return fmt.Errorf("package: image: %s is listed twice (%s and %s)", p, e.r.name, rs[i].name)
		}
		entries[p] = entry{name: p, r: &rs[i]}
		if err := addDirs(path.Dir(p)); err != nil {
			return err
		}
	}
	// /tmp exists in every Lambda environment and programs expect it.
	if _, ok := entries["/tmp"]; !ok {
		entries["/tmp"] = entry{name: "/tmp"}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		e := entries[n]
		rel := strings.TrimPrefix(n, "/")
		var h *tar.Header
		if e.r == nil {
			mode := int64(0o755)
			if n == "/tmp" {
				mode = 0o1777
			}
			h = &tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: mode, ModTime: tarEpoch}
		} else {
			h = &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: int64(e.r.mode), Size: int64(len(e.r.data)),
				ModTime: tarEpoch}
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("package: tar %s: %w", n, err)
		}
		if e.r != nil {
			if _, err := tw.Write(e.r.data); err != nil {
				return fmt.Errorf("package: tar %s: %w", n, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("package: tar: %w", err)
	}
	return nil
}
