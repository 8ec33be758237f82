package pkg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/wasmbench/bench/runners/client"
)

func testFiles(t *testing.T) []File {
	dir := t.TempDir()
	exe := filepath.Join(dir, "worker")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "fib.go.wasm")
	if err := os.WriteFile(mod, []byte("\x00asm\x01\x00\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Deliberately unsorted.
	return []File{
		{Name: "task/fib.go.wasm", Src: mod},
		{Name: "bootstrap", Src: exe},
		{Name: "lib/libx.so", Data: []byte("lib"), Mode: 0o755},
		{Name: "task/artifact/a.bin", Data: []byte("aot")},
	}
}

func TestZipDeterministicAndContents(t *testing.T) {
	files := testFiles(t)
	var a, b bytes.Buffer
	if err := Zip(&a, files); err != nil {
		t.Fatal(err)
	}
	// Reversed input order must give the same bytes.
	rev := append([]File(nil), files...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if err := Zip(&b, rev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same files differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		mode os.FileMode
		data string
	}{
		{"bootstrap", 0o755, "#!/bin/sh\necho hi\n"},
		{"lib/libx.so", 0o755, "lib"},
		{"task/artifact/a.bin", 0o644, "aot"},
		{"task/fib.go.wasm", 0o644, "\x00asm\x01\x00\x00\x00"},
	}
	if len(zr.File) != len(want) {
		t.Fatalf("zip has %d entries, want %d", len(zr.File), len(want))
	}
	for i, w := range want {
		f := zr.File[i]
		if f.Name != w.name || f.Mode().Perm() != w.mode || !f.Modified.Equal(zipEpoch) {
			t.Errorf("entry %d: %s %v %v, want %s %v", i, f.Name, f.Mode().Perm(), f.Modified, w.name, w.mode)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != w.data {
			t.Errorf("%s holds %q, want %q", f.Name, got, w.data)
		}
	}
}

func TestZipRejects(t *testing.T) {
	for name, files := range map[string][]File{
		"absolute":  {{Name: "/lib/libc.so.6", Data: []byte("x")}},
		"duplicate": {{Name: "bootstrap", Data: []byte("x")}, {Name: "bootstrap", Data: []byte("y")}},
		"unclean":   {{Name: "task/../bootstrap", Data: []byte("x")}},
		"escapes":   {{Name: "../x", Data: []byte("x")}},
		"empty":     {{Name: "x"}},
		"missing":   {{Name: "x", Src: "/nonexistent/file"}},
	} {
		if err := Zip(io.Discard, files); err == nil {
			t.Errorf("%s: Zip accepted %v", name, files)
		}
	}
}

func TestImageDeterministicAndContents(t *testing.T) {
	files := append(testFiles(t), File{Name: "/lib64/ld.so", Data: []byte("ld"), Mode: 0o755})
	opts := ImageOptions{Arch: "arm64", Env: []string{"BENCH_TIER=jit"}}
	img, err := Image(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	img2, err := Image(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := img2.Digest()
	if d1 != d2 {
		t.Fatalf("digests differ: %s %s", d1, d2)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", mt)
	}
	layers, _ := img.Layers()
	if len(layers) != 1 {
		t.Fatalf("%d layers", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s", mt)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.OS != "linux" || cf.Config.WorkingDir != TaskRoot ||
		strings.Join(cf.Config.Entrypoint, " ") != "/var/task/bootstrap" {
		t.Errorf("config: %s/%s wd %q entry %v", cf.OS, cf.Architecture, cf.Config.WorkingDir, cf.Config.Entrypoint)
	}
	env := strings.Join(cf.Config.Env, "\n")
	for _, kv := range []string{"BENCH_TIER=jit", "LAMBDA_TASK_ROOT=/var/task", "PATH="} {
		if !strings.Contains(env, kv) {
			t.Errorf("env %q lacks %s", env, kv)
		}
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	seen := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if seen[h.Name] != nil {
			t.Errorf("duplicate tar entry %s", h.Name)
		}
		seen[h.Name] = h
	}
	for name, mode := range map[string]int64{
		"var/": 0o755, "var/task/": 0o755, "var/task/bootstrap": 0o755, "var/task/task/fib.go.wasm": 0o644,
		"var/task/lib/libx.so": 0o755, "lib64/ld.so": 0o755, "tmp/": 0o1777,
	} {
		h := seen[name]
		if h == nil {
			t.Errorf("image lacks %s (has %v)", name, keys(seen))
			continue
		}
		if h.Mode != mode || h.Uid != 0 {
			t.Errorf("%s: mode %o uid %d, want %o uid 0", name, h.Mode, h.Uid, mode)
		}
	}

	path := filepath.Join(t.TempDir(), "img.tar")
	size, err := WriteImageTarball(path, img, "bench/test:fib")
	if err != nil {
		t.Fatal(err)
	}
	if size <= 0 {
		t.Errorf("tarball size %d", size)
	}
	back, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// docker's format keeps the config and layers, not the manifest.
	c1, _ := img.ConfigName()
	if c, _ := back.ConfigName(); c != c1 {
		t.Errorf("tarball's image config %s, want %s", c, c1)
	}
	backLayers, _ := back.Layers()
	if len(backLayers) != 1 {
		t.Fatalf("tarball has %d layers", len(backLayers))
	}
	l1, _ := layers[0].DiffID()
	if l, _ := backLayers[0].DiffID(); l != l1 {
		t.Errorf("tarball's layer %s, want %s", l, l1)
	}
}

func keys(m map[string]*tar.Header) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestImageRejectsDirectoryFileClash(t *testing.T) {
	_, err := Image([]File{{Name: "task", Data: []byte("x")}, {Name: "task/y", Data: []byte("y")}}, ImageOptions{})
	if err == nil {
		t.Fatal("a file named like a directory was accepted")
	}
	if _, err := Image(nil, ImageOptions{Arch: "riscv64"}); err == nil {
		t.Fatal("unknown architecture accepted")
	}
}

func TestFilesGoWorker(t *testing.T) {
	exe, err := os.Executable() // a Go ELF binary without $ORIGIN/lib
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(t.TempDir(), "fib.c.wasm")
	os.WriteFile(mod, []byte("\x00asm"), 0o644)
	files, err := Files(client.Command{Path: exe}, mod, File{Name: "task/artifact/x", Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "bootstrap,task/fib.c.wasm,task/artifact/x" {
		t.Errorf("files %s", got)
	}
}

func TestFilesNode(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"worker.mjs", "lambda.mjs"} {
		os.WriteFile(filepath.Join(dir, n), []byte("//"), 0o644)
	}
	w := client.Command{Path: "node", Args: []string{"--no-warnings", "--liftoff-only", filepath.Join(dir, "worker.mjs")}}
	if !IsNode(w) {
		t.Fatal("IsNode false for a node command")
	}
	files, err := Files(w, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "bootstrap,lambda.mjs,worker.mjs" {
		t.Errorf("files %s", got)
	}
	if !strings.Contains(string(files[0].Data), `exec node '--no-warnings' '--liftoff-only' "${LAMBDA_TASK_ROOT:-/var/task}/lambda.mjs"`) {
		t.Errorf("bootstrap script %q does not run lambda.mjs with the tier's flags", files[0].Data)
	}
}

func TestSystemLibraries(t *testing.T) {
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh")
	}
	files, err := SystemLibraries([]File{{Name: "/bin/sh", Src: sh}})
	if err != nil {
		t.Fatal(err)
	}
	var libc, interp bool
	for _, f := range files[1:] {
		if !filepath.IsAbs(f.Name) {
			t.Errorf("library %s is not absolute", f.Name)
		}
		if strings.Contains(f.Name, "libc.so") {
			libc = true
		}
		if strings.Contains(f.Name, "ld-linux") || strings.Contains(f.Name, "ld-musl") {
			interp = true
		}
	}
	if !libc || !interp {
		t.Errorf("libraries of /bin/sh: %v (want libc and the interpreter)", files)
	}
}

func TestFilesNodeFromBin(t *testing.T) {
	// make build puts the worker and the handler in bin/ under these names.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bench-node.mjs"), []byte("// worker"), 0o644)
	w := client.Command{Path: "/usr/bin/node", Args: []string{"--no-warnings", filepath.Join(dir, "bench-node.mjs")}}
	if _, err := Files(w, ""); err == nil || !strings.Contains(err.Error(), "bench-node-lambda.mjs") {
		t.Fatalf("no handler beside the worker: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bench-node-lambda.mjs"), []byte("// handler"), 0o644)
	files, err := Files(w, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files[1:] {
		got[f.Name] = filepath.Base(f.Src)
	}
	if got[NodeHandler] != "bench-node-lambda.mjs" || got[NodeWorker] != "bench-node.mjs" || len(got) != 2 {
		t.Errorf("package %v", got)
	}
}
