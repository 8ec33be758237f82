//go:build linux

package wazero

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// TestRootFS checks that the confined file system still does what a
// preopened folder must (the sandbox suite checks that it confines):
// links inside the folder are followed, a no-follow open of one is ELOOP,
// listings, seeks, positional reads and writes, appends, times, modes,
// renames, links and removals work, and escaping links are refused.
func TestRootFS(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "box")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(base, "secret"), []byte("secret"), 0o644))
	must(os.Symlink("a.txt", filepath.Join(dir, "link")))
	must(os.Symlink("../a.txt", filepath.Join(dir, "sub", "up")))
	must(os.Symlink("../secret", filepath.Join(dir, "out")))
	r, err := newRootFS(dir)
	must(err)
	defer r.Close()
	wantErrno := func(what string, got, want experimentalsys.Errno) {
		t.Helper()
		if got != want {
			t.Errorf("%s: errno %v, want %v", what, got, want)
		}
	}
	read := func(p string, flag experimentalsys.Oflag) (string, experimentalsys.Errno) {
		f, e := r.OpenFile(p, flag, 0)
		if e != 0 {
			return "", e
		}
		defer f.Close()
		b := make([]byte, 64)
		n, e := f.Read(b)
		return string(b[:n]), e
	}

	for _, p := range []string{"a.txt", "link", "sub/up", "sub/../a.txt"} {
		if got, e := read(p, experimentalsys.O_RDONLY); e != 0 || got != "hello" {
			t.Errorf("read %s: %q, %v; want hello", p, got, e)
		}
	}
	_, e := read("link", experimentalsys.O_RDONLY|experimentalsys.O_NOFOLLOW)
	wantErrno("no-follow open of a link", e, experimentalsys.ELOOP)
	_, e = read("out", experimentalsys.O_RDONLY)
	wantErrno("open of a link leaving the folder", e, experimentalsys.EPERM)
	_, e = r.Stat("out")
	wantErrno("stat through a link leaving the folder", e, experimentalsys.EPERM)
	if st, e := r.Lstat("out"); e != 0 || st.Mode&fs.ModeSymlink == 0 {
		t.Errorf("lstat of the escaping link itself: %v %v; want the link", st.Mode, e)
	}
	if target, e := r.Readlink("out"); e != 0 || target != "../secret" {
		t.Errorf("readlink out: %q %v", target, e)
	}
	wantErrno("absolute symlink", r.Symlink("/etc/passwd", "abs"), experimentalsys.EPERM)
	if st, e := r.Stat("link"); e != 0 || st.Size != 5 {
		t.Errorf("stat through an inside link: size %d, %v", st.Size, e)
	}

	// Write, append, positional I/O, truncate.
	f, e := r.OpenFile("new.txt", experimentalsys.O_RDWR|experimentalsys.O_CREAT|experimentalsys.O_EXCL, 0o600)
	wantErrno("create", e, 0)
	if n, e := f.Write([]byte("abcdef")); n != 6 || e != 0 {
		t.Errorf("write: %d %v", n, e)
	}
	if n, e := f.Pwrite([]byte("XY"), 1); n != 2 || e != 0 {
		t.Errorf("pwrite: %d %v", n, e)
	}
	b := make([]byte, 3)
	if n, e := f.Pread(b, 0); n != 3 || e != 0 || string(b) != "aXY" {
		t.Errorf("pread: %q %d %v", b[:n], n, e)
	}
	wantErrno("set append", f.SetAppend(true), 0)
	if _, e := f.Write([]byte("!")); e != 0 {
		t.Errorf("append write: %v", e)
	}
	if off, e := f.Seek(0, io.SeekCurrent); off != 7 || e != 0 {
		t.Errorf("offset after append: %d %v", off, e)
	}
	wantErrno("truncate", f.Truncate(2), 0)
	wantErrno("futimens", f.Utimens(experimentalsys.UTIME_OMIT, 1e9), 0)
	wantErrno("close", f.Close(), 0)
	if st, _ := os.Stat(filepath.Join(dir, "new.txt")); st.Size() != 2 || st.ModTime().Unix() != 1 || st.Mode().Perm() != 0o600 {
		t.Errorf("new.txt: size %d, mtime %v, mode %v; want 2, 1 s, 0600", st.Size(), st.ModTime(), st.Mode())
	}
	wantErrno("utimens through an inside link", r.Utimens("link", 2e9, 2e9), 0)
	if st, _ := os.Stat(filepath.Join(dir, "a.txt")); st.ModTime().Unix() != 2 {
		t.Errorf("a.txt mtime %v after utimens through its link", st.ModTime())
	}
	wantErrno("chmod", r.Chmod("a.txt", 0o640), 0)
	if st, _ := os.Stat(filepath.Join(dir, "a.txt")); st.Mode().Perm() != 0o640 {
		t.Errorf("a.txt mode %v after chmod 0640", st.Mode())
	}
	wantErrno("utimens through an escaping link", r.Utimens("out", 3e9, 3e9), experimentalsys.EPERM)

	// Folders: make, list (twice, rewinding), rename into, link, remove.
	wantErrno("mkdir", r.Mkdir("d", 0o755), 0)
	wantErrno("mkdir again", r.Mkdir("d", 0o755), experimentalsys.EEXIST)
	wantErrno("mkdir in a missing folder", r.Mkdir("nope/d", 0o755), experimentalsys.ENOENT)
	wantErrno("rename", r.Rename("new.txt", "d/moved.txt"), 0)
	wantErrno("hard link", r.Link("d/moved.txt", "d/hard.txt"), 0)
	d, e := r.OpenFile("d", experimentalsys.O_RDONLY|experimentalsys.O_DIRECTORY, 0)
	wantErrno("open folder", e, 0)
	for round := range 2 {
		ents, e := d.Readdir(-1)
		var names []string
		for _, ent := range ents {
			names = append(names, ent.Name)
			if ent.Ino == 0 || ent.Type != 0 {
				t.Errorf("entry %+v: want an inode and a regular file", ent)
			}
		}
		slices.Sort(names)
		if e != 0 || !slices.Equal(names, []string{"hard.txt", "moved.txt"}) {
			t.Errorf("listing %d: %v %v", round, names, e)
		}
		if _, e := d.Seek(0, io.SeekStart); e != 0 {
			t.Errorf("rewind: %v", e)
		}
	}
	if isDir, e := d.IsDir(); !isDir || e != 0 {
		t.Errorf("IsDir: %v %v", isDir, e)
	}
	_, e = d.Read(make([]byte, 4))
	wantErrno("read a folder", e, experimentalsys.EISDIR)
	d.Close()
	_, e = r.OpenFile("d", experimentalsys.O_WRONLY|experimentalsys.O_DIRECTORY, 0)
	wantErrno("open a folder for writing", e, experimentalsys.EISDIR)
	wantErrno("unlink a folder", r.Unlink("d"), experimentalsys.EISDIR)
	wantErrno("rmdir a non-empty folder", r.Rmdir("d"), experimentalsys.ENOTEMPTY)
	wantErrno("rmdir a file", r.Rmdir("d/hard.txt"), experimentalsys.ENOTDIR)
	wantErrno("unlink with a trailing slash", r.Unlink("d/hard.txt/"), experimentalsys.ENOTDIR)
	wantErrno("unlink", r.Unlink("d/hard.txt"), 0)
	wantErrno("unlink", r.Unlink("d/moved.txt"), 0)
	wantErrno("rmdir a link to a folder", r.Rmdir("sub/up/"), experimentalsys.ENOTDIR)
	wantErrno("rmdir", r.Rmdir("d/"), 0)
	wantErrno("unlink an escaping link itself", r.Unlink("out"), 0)
	if _, err := os.Stat(filepath.Join(base, "secret")); err != nil {
		t.Errorf("unlinking the link removed its target: %v", err)
	}
}
