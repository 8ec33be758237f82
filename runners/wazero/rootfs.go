//go:build linux

package wazero

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"unsafe"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

// rootFS is a preopened folder the guest cannot leave. wazero's own
// DirFS joins the guest's path to the host folder and lets the kernel
// resolve it, following every symbolic link, so a link (the guest's own,
// or one already in the folder) led anywhere on the host. rootFS resolves
// every path through an os.Root, which walks it one component at a time
// with openat and O_NOFOLLOW and follows a link only when it stays inside
// the folder (never an absolute one). Operations on a path's last
// component (unlink, rmdir, rename, link, symlink, readlink, mkdir, a
// no-follow open) run as *at system calls on that one name in its parent
// folder, itself opened through the os.Root, so they never follow a link
// either.
type rootFS struct {
	experimentalsys.UnimplementedFS
	root *os.Root
}

var (
	_ experimentalsys.FS   = (*rootFS)(nil)
	_ experimentalsys.File = (*rootFile)(nil)
)

// newRootFS opens dir as a confined file system; Close releases it.
func newRootFS(dir string) (*rootFS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &rootFS{root: r}, nil
}

func (r *rootFS) Close() error { return r.root.Close() }

// String names the host folder in wazero's messages.
func (r *rootFS) String() string { return r.root.Name() }

// rootPath turns a guest path (wazero has cleaned it and refused ".."
// and absolute paths) into a path for the os.Root, and reports whether
// it ended in a slash.
func rootPath(p string) (string, bool) {
	slash := strings.HasSuffix(p, "/")
	p = strings.Trim(p, "/")
	if p == "" {
		p = "."
	}
	return p, slash
}

// errno maps an error to a WASI errno. A path that os.Root refuses
// because it leaves the folder (through "..", an absolute path or a link)
// is EPERM, as wazero answers ".." itself; os.Root reports it with an
// error of its own, not a system errno.
func errno(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		var se syscall.Errno
		if !errors.As(pe.Err, &se) && strings.Contains(pe.Err.Error(), "escapes") {
			return experimentalsys.EPERM
		}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		var se syscall.Errno
		if !errors.As(le.Err, &se) && strings.Contains(le.Err.Error(), "escapes") {
			return experimentalsys.EPERM
		}
	}
	return experimentalsys.UnwrapOSError(err)
}

// inParent opens the folder holding p's last component through the
// os.Root and calls f with its descriptor and that component's name. A
// name of "." (the root itself) is given as is.
func (r *rootFS) inParent(p string, f func(dirfd int, name string) error) experimentalsys.Errno {
	p, slash := rootPath(p)
	dir, name := path.Split(p)
	if dir == "" {
		dir = "."
	}
	d, err := r.root.OpenFile(strings.TrimSuffix(dir, "/"), os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return errno(err)
	}
	defer d.Close()
	fd := int(d.Fd())
	if slash {
		// "name/" must be a folder; the kernel would follow a link to
		// check it, so check the name itself, without following.
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return experimentalsys.ENOTDIR
		}
	}
	return errno(f(fd, name))
}

// osFlags converts wazero's open flags to the kernel's.
func osFlags(oflag experimentalsys.Oflag) int {
	var flag int
	switch oflag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY) {
	case experimentalsys.O_RDWR:
		flag = os.O_RDWR
	case experimentalsys.O_WRONLY:
		flag = os.O_WRONLY
	default:
		flag = os.O_RDONLY
	}
	for _, m := range []struct {
		w experimentalsys.Oflag
		k int
	}{
		{experimentalsys.O_APPEND, os.O_APPEND}, {experimentalsys.O_CREAT, os.O_CREATE},
		{experimentalsys.O_EXCL, os.O_EXCL}, {experimentalsys.O_SYNC, os.O_SYNC},
		{experimentalsys.O_TRUNC, os.O_TRUNC}, {experimentalsys.O_DIRECTORY, syscall.O_DIRECTORY},
		{experimentalsys.O_DSYNC, syscall.O_DSYNC}, {experimentalsys.O_RSYNC, syscall.O_RSYNC},
		{experimentalsys.O_NONBLOCK, syscall.O_NONBLOCK},
	} {
		if oflag&m.w != 0 {
			flag |= m.k
		}
	}
	return flag
}

// OpenFile implements experimentalsys.FS. With O_NOFOLLOW (WASI's
// lookup flags without symlink_follow) a link as the last component is
// ELOOP; otherwise it is followed within the folder only.
func (r *rootFS) OpenFile(p string, oflag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if oflag&experimentalsys.O_DIRECTORY != 0 && oflag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR) != 0 {
		return nil, experimentalsys.EISDIR
	}
	flag := osFlags(oflag)
	perm &= fs.ModePerm
	rp, slash := rootPath(p)
	if slash {
		flag |= syscall.O_DIRECTORY
	}
	var f *os.File
	if oflag&experimentalsys.O_NOFOLLOW != 0 && rp != "." {
		e := r.inParent(p, func(dirfd int, name string) error {
			fd, err := unix.Openat(dirfd, name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm))
			if err != nil {
				return &os.PathError{Op: "openat", Path: p, Err: err}
			}
			f = os.NewFile(uintptr(fd), path.Join(r.root.Name(), rp))
			return nil
		})
		if e != 0 {
			return nil, e
		}
	} else {
		var err error
		if f, err = r.root.OpenFile(rp, flag, perm); err != nil {
			return nil, errno(err)
		}
	}
	return &rootFile{f: f, fd: int(f.Fd()), append: oflag&experimentalsys.O_APPEND != 0}, 0
}

// Lstat implements experimentalsys.FS.
func (r *rootFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	rp, _ := rootPath(p)
	fi, err := r.root.Lstat(rp)
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

// Stat implements experimentalsys.FS.
func (r *rootFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	rp, _ := rootPath(p)
	fi, err := r.root.Stat(rp)
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

// Mkdir implements experimentalsys.FS.
func (r *rootFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	e := r.inParent(p, func(dirfd int, name string) error {
		return unix.Mkdirat(dirfd, name, uint32(perm&fs.ModePerm))
	})
	if e == experimentalsys.ENOTDIR {
		e = experimentalsys.ENOENT
	}
	return e
}

// Chmod implements experimentalsys.FS: it changes the file the path
// leads to within the folder, through a descriptor (fchmod), not by name.
func (r *rootFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	f, e := r.openTarget(p)
	if e != 0 {
		return e
	}
	defer f.Close()
	return errno(f.Chmod(perm & fs.ModePerm))
}

// openTarget opens the file a path leads to within the folder, for an
// operation on its descriptor: read-only, or write-only when it cannot be
// read; non-blocking, so that a FIFO does not wait for a writer. (An
// O_PATH descriptor would not do: os.Root opens a link itself with it,
// and the kernel would then follow that link from /proc/self/fd.)
func (r *rootFS) openTarget(p string) (*os.File, experimentalsys.Errno) {
	rp, _ := rootPath(p)
	f, err := r.root.OpenFile(rp, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrPermission) {
		f, err = r.root.OpenFile(rp, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, errno(err)
	}
	return f, 0
}

// Rename implements experimentalsys.FS.
func (r *rootFS) Rename(from, to string) experimentalsys.Errno {
	return r.inParent(from, func(fromfd int, fromName string) error {
		e := r.inParent(to, func(tofd int, toName string) error {
			return unix.Renameat(fromfd, fromName, tofd, toName)
		})
		if e != 0 {
			return e
		}
		return nil
	})
}

// Rmdir implements experimentalsys.FS.
func (r *rootFS) Rmdir(p string) experimentalsys.Errno {
	return r.inParent(p, func(dirfd int, name string) error {
		return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	})
}

// Unlink implements experimentalsys.FS.
func (r *rootFS) Unlink(p string) experimentalsys.Errno {
	return r.inParent(p, func(dirfd int, name string) error {
		return unix.Unlinkat(dirfd, name, 0)
	})
}

// Link implements experimentalsys.FS: a hard link to the old path's
// last component itself (not a link's target).
func (r *rootFS) Link(oldPath, newPath string) experimentalsys.Errno {
	return r.inParent(oldPath, func(oldfd int, oldName string) error {
		e := r.inParent(newPath, func(newfd int, newName string) error {
			return unix.Linkat(oldfd, oldName, newfd, newName, 0)
		})
		if e != 0 {
			return e
		}
		return nil
	})
}

// Symlink implements experimentalsys.FS. An absolute target is refused
// (EPERM), as WASI's path resolution rules and wazero's DirFS have it; a
// relative one is stored as given, since following it is what rootFS
// confines.
func (r *rootFS) Symlink(target, link string) experimentalsys.Errno {
	if path.IsAbs(target) {
		return experimentalsys.EPERM
	}
	return r.inParent(link, func(dirfd int, name string) error {
		return unix.Symlinkat(target, dirfd, name)
	})
}

// Readlink implements experimentalsys.FS.
func (r *rootFS) Readlink(p string) (string, experimentalsys.Errno) {
	var out string
	e := r.inParent(p, func(dirfd int, name string) error {
		for n := 256; ; n *= 2 {
			b := make([]byte, n)
			got, err := unix.Readlinkat(dirfd, name, b)
			if err != nil {
				return err
			}
			if got < n {
				out = string(b[:got])
				return nil
			}
		}
	})
	return out, e
}

// Utimens implements experimentalsys.FS: it sets the times of the file
// the path leads to within the folder, through a descriptor (futimens).
func (r *rootFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	f, e := r.openTarget(p)
	if e != 0 {
		return e
	}
	defer f.Close()
	return futimens(int(f.Fd()), atim, mtim)
}

// futimens sets a descriptor's times (utimensat with a NULL path).
func futimens(fd int, atim, mtim int64) experimentalsys.Errno {
	ts := timespecs(atim, mtim)
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return errno(e)
	}
	return 0
}

func timespecs(atim, mtim int64) [2]unix.Timespec {
	conv := func(t int64) unix.Timespec {
		if t == experimentalsys.UTIME_OMIT {
			return unix.Timespec{Nsec: unix.UTIME_OMIT}
		}
		return unix.NsecToTimespec(t)
	}
	return [2]unix.Timespec{conv(atim), conv(mtim)}
}

// rootFile is a file opened through rootFS. Everything it does goes
// through its descriptor, never through a path.
type rootFile struct {
	experimentalsys.UnimplementedFile
	f      *os.File
	fd     int
	append bool
	closed bool
	st     *sys.Stat_t // cached by Stat: device, inode and type do not change
}

func (f *rootFile) cached() (*sys.Stat_t, experimentalsys.Errno) {
	if f.st == nil {
		if _, e := f.Stat(); e != 0 {
			return nil, e
		}
	}
	return f.st, 0
}

// Dev implements experimentalsys.File.
func (f *rootFile) Dev() (uint64, experimentalsys.Errno) {
	st, e := f.cached()
	if e != 0 {
		return 0, e
	}
	return st.Dev, 0
}

// Ino implements experimentalsys.File.
func (f *rootFile) Ino() (sys.Inode, experimentalsys.Errno) {
	st, e := f.cached()
	if e != 0 {
		return 0, e
	}
	return st.Ino, 0
}

// IsDir implements experimentalsys.File.
func (f *rootFile) IsDir() (bool, experimentalsys.Errno) {
	st, e := f.cached()
	if e != 0 {
		return false, e
	}
	return st.Mode&fs.ModeDir != 0, 0
}

// IsAppend implements experimentalsys.File.
func (f *rootFile) IsAppend() bool { return f.append }

// SetAppend implements experimentalsys.File, on the open descriptor.
func (f *rootFile) SetAppend(enable bool) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	if e := f.setFL(unix.O_APPEND, enable); e != 0 {
		return e
	}
	f.append = enable
	return 0
}

func (f *rootFile) setFL(bit int, on bool) experimentalsys.Errno {
	fl, err := unix.FcntlInt(uintptr(f.fd), unix.F_GETFL, 0)
	if err != nil {
		return errno(err)
	}
	if on {
		fl |= bit
	} else {
		fl &^= bit
	}
	_, err = unix.FcntlInt(uintptr(f.fd), unix.F_SETFL, fl)
	return errno(err)
}

// IsNonblock implements experimentalsys.File.
func (f *rootFile) IsNonblock() bool {
	fl, err := unix.FcntlInt(uintptr(f.fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_NONBLOCK != 0
}

// SetNonblock implements experimentalsys.File.
func (f *rootFile) SetNonblock(enable bool) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	return f.setFL(unix.O_NONBLOCK, enable)
}

// Stat implements experimentalsys.File.
func (f *rootFile) Stat() (sys.Stat_t, experimentalsys.Errno) {
	if f.closed {
		return sys.Stat_t{}, experimentalsys.EBADF
	}
	fi, err := f.f.Stat()
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	st := sys.NewStat_t(fi)
	f.st = &st
	return st, 0
}

// Read implements experimentalsys.File.
func (f *rootFile) Read(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.Read(buf)
	return n, f.ioErrno(err)
}

// Pread implements experimentalsys.File.
func (f *rootFile) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.ReadAt(buf, off)
	return n, f.ioErrno(err)
}

// ioErrno is errno for a read or write on the file: EOF is no error, and
// a read on a folder is EISDIR.
func (f *rootFile) ioErrno(err error) experimentalsys.Errno {
	if err == nil || errors.Is(err, io.EOF) {
		return 0
	}
	if f.closed {
		return experimentalsys.EBADF
	}
	e := errno(err)
	if e == experimentalsys.EINVAL || e == experimentalsys.EIO {
		if isDir, _ := f.IsDir(); isDir {
			return experimentalsys.EISDIR
		}
	}
	return e
}

// fileOffset is int64 under another name: experimentalsys.File's Seek
// returns an Errno, not an error, which go vet's check of io.Seeker
// signatures would otherwise report.
type fileOffset = int64

// Seek implements experimentalsys.File. Seeking a folder back to 0
// rewinds its listing.
func (f *rootFile) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	n, err := f.f.Seek(offset, whence)
	return n, f.ioErrno(err)
}

// Readdir implements experimentalsys.File: up to n entries (all when
// n <= 0), fewer only at the end. The entries are stat'ed relative to the
// folder's descriptor (fstatat), never by path.
func (f *rootFile) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if f.closed {
		return nil, experimentalsys.EBADF
	}
	fis, err := f.f.Readdir(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, f.ioErrno(err)
	}
	out := make([]experimentalsys.Dirent, 0, len(fis))
	for _, fi := range fis {
		var ino sys.Inode
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
		out = append(out, experimentalsys.Dirent{Name: fi.Name(), Ino: ino, Type: fi.Mode().Type()})
	}
	return out, 0
}

// Write implements experimentalsys.File.
func (f *rootFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.Write(buf)
	return n, f.ioErrno(err)
}

// Pwrite implements experimentalsys.File. It writes through the
// descriptor (os.File.WriteAt refuses a file opened for appending).
func (f *rootFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	n, err := unix.Pwrite(f.fd, buf, off)
	return max(n, 0), f.ioErrno(err)
}

// Truncate implements experimentalsys.File.
func (f *rootFile) Truncate(size int64) experimentalsys.Errno {
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return f.ioErrno(f.f.Truncate(size))
}

// Sync implements experimentalsys.File.
func (f *rootFile) Sync() experimentalsys.Errno { return f.ioErrno(f.f.Sync()) }

// Datasync implements experimentalsys.File.
func (f *rootFile) Datasync() experimentalsys.Errno { return f.ioErrno(unix.Fdatasync(f.fd)) }

// Utimens implements experimentalsys.File (futimens).
func (f *rootFile) Utimens(atim, mtim int64) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	return futimens(f.fd, atim, mtim)
}

// Close implements experimentalsys.File.
func (f *rootFile) Close() experimentalsys.Errno {
	if f.closed {
		return 0
	}
	f.closed = true
	return errno(f.f.Close())
}
