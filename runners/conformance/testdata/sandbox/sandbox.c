// sandbox: tries every way out of its preopened folder and reports, one
// line per probe, what the runtime let it do. It is the guest of the
// conformance suite's sandbox test (runners/conformance/sandbox.go), which
// builds the folder it runs in: the preopen "." holds pre-existing
// symbolic links to a file and a folder outside it (relative, absolute,
// and relative through many ".."), and argv[1] is the absolute path of
// the outside folder, which holds the secret the guest must never read.
//
// It calls WASI preview1 directly (wasi/api.h) on the preopen's
// descriptor, so that every path reaches the runtime as written: libc
// would resolve absolute paths against its preopen table itself.
//
// Each line is "<probe>: denied errno=<n>" or "<probe>: ALLOWED <what it
// got>", and for the control probes (ctl-*), which must succeed, "ok".
// An ALLOWED read prints the bytes it read, so a leak also shows as the
// secret in stdout. The last line is "done".
//
// With "no-preopen" as argv[2] it runs without a preopened folder and
// tries absolute and "../" paths through every descriptor the runtime
// preopens of its own accord.
//
// Built (from this folder) by `make sandbox-testdata`:
//
//	clang --target=wasm32-wasi -O2 -o sandbox.wasm sandbox.c && wasm-strip sandbox.wasm
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t root = (__wasi_fd_t)-1; // the preopen "."
static char out[512];                      // the outside folder, absolute

#define R_READ (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_FILESTAT_GET)
#define R_WRITE (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_GET)
#define R_DIR                                                                                    \
	(__WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_FILESTAT_GET |      \
	 __WASI_RIGHTS_PATH_FILESTAT_GET)
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

// path joins the outside folder and a name.
static const char *path(const char *name) {
	static char buf[4][600];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof buf[0], "%s/%s", out, name);
	return b;
}

// deep is the outside folder's file reached from "." by many "..": the
// path the guest used to reach /etc/passwd.
static const char *deep(const char *name) {
	static char buf[2][700];
	static int next;
	char *b = buf[next++ % 2];
	snprintf(b, sizeof buf[0], "../../../../../../../../../../../../..%s/%s", out, name);
	return b;
}

static void denied(const char *probe, __wasi_errno_t e) { printf("%s: denied errno=%d\n", probe, e); }

// printRaw prints what an allowed probe read, as it is: a leak must show.
static void allowedRead(const char *probe, const char *buf, size_t n) {
	printf("%s: ALLOWED read %zu bytes: ", probe, n);
	fwrite(buf, 1, n, stdout);
	printf("\n");
}

// readAt reads a file: an escape when it opens and reads.
static void readAt(const char *probe, const char *p) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(root, FOLLOW, p, 0, R_READ, 0, 0, &fd);
	if (e != 0) {
		denied(probe, e);
		return;
	}
	char buf[256];
	__wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
	__wasi_size_t n = 0;
	e = __wasi_fd_read(fd, &iov, 1, &n);
	(void)__wasi_fd_close(fd);
	if (e != 0) {
		printf("%s: ALLOWED open, read failed errno=%d\n", probe, e);
		return;
	}
	allowedRead(probe, buf, n);
}

// writeAt opens (creating or truncating) and writes a file.
static void writeAt(const char *probe, const char *p, __wasi_oflags_t of) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(root, FOLLOW, p, of, R_WRITE, 0, 0, &fd);
	if (e != 0) {
		denied(probe, e);
		return;
	}
	const char *msg = "written by the sandbox guest\n";
	__wasi_ciovec_t iov = {(const uint8_t *)msg, strlen(msg)};
	__wasi_size_t n = 0;
	e = __wasi_fd_write(fd, &iov, 1, &n);
	(void)__wasi_fd_close(fd);
	if (e != 0) {
		printf("%s: ALLOWED open for writing, write failed errno=%d\n", probe, e);
		return;
	}
	printf("%s: ALLOWED wrote %u bytes\n", probe, (unsigned)n);
}

// listAt opens a folder and lists it.
static void listAt(const char *probe, const char *p) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(root, FOLLOW, p, __WASI_OFLAGS_DIRECTORY, R_DIR, R_READ, 0, &fd);
	if (e != 0) {
		denied(probe, e);
		return;
	}
	static uint8_t buf[4096];
	__wasi_size_t n = 0;
	e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n);
	(void)__wasi_fd_close(fd);
	if (e != 0) {
		printf("%s: ALLOWED open, readdir failed errno=%d\n", probe, e);
		return;
	}
	printf("%s: ALLOWED listed:", probe);
	for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
		__wasi_dirent_t d;
		memcpy(&d, buf + off, sizeof d);
		off += sizeof d;
		size_t len = d.d_namlen;
		if (off + len > n) {
			len = n - off;
		}
		printf(" %.*s", (int)len, (const char *)buf + off);
		off += d.d_namlen;
	}
	printf("\n");
}

// statAt stats a path, following links: its size and times are the
// outside file's when allowed.
static void statAt(const char *probe, const char *p) {
	__wasi_filestat_t st;
	__wasi_errno_t e = __wasi_path_filestat_get(root, FOLLOW, p, &st);
	if (e != 0) {
		denied(probe, e);
		return;
	}
	printf("%s: ALLOWED size=%llu\n", probe, (unsigned long long)st.size);
}

static void readlinkAt(const char *probe, const char *p) {
	char buf[256];
	__wasi_size_t n = 0;
	__wasi_errno_t e = __wasi_path_readlink(root, p, (uint8_t *)buf, sizeof buf, &n);
	if (e != 0) {
		denied(probe, e);
		return;
	}
	allowedRead(probe, buf, n);
}

static void result(const char *probe, __wasi_errno_t e) {
	if (e != 0) {
		denied(probe, e);
	} else {
		printf("%s: ALLOWED\n", probe);
	}
}

// symlinkAt makes one of the guest's own links; making it is no escape
// (following it would be), so its outcome is a note, not a verdict.
static __wasi_errno_t symlinkAt(const char *target, const char *link) {
	__wasi_errno_t e = __wasi_path_symlink(target, root, link);
	printf("note symlink %s: errno=%d\n", link, e);
	return e;
}

// linkRefused reports a probe through one of the guest's own links as
// denied when the runtime refused to make the link: the probe would then
// act on a plain name inside the folder (a file or folder created there
// is no escape).
static int linkRefused(const char *probe, __wasi_errno_t made) {
	if (made == 0) {
		return 0;
	}
	printf("%s: denied errno=%d (the link was refused)\n", probe, made);
	return 1;
}

// createThrough creates a file through one of the guest's own dangling
// links.
static void createThrough(const char *probe, const char *link, __wasi_errno_t made) {
	if (!linkRefused(probe, made)) {
		writeAt(probe, link, __WASI_OFLAGS_CREAT);
	}
}

// control runs a probe that must succeed for the preopen to be usable.
static void control(const char *probe, __wasi_errno_t e) {
	if (e != 0) {
		printf("%s: FAILED errno=%d\n", probe, e);
	} else {
		printf("%s: ok\n", probe);
	}
}

static __wasi_errno_t create(const char *p) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(root, FOLLOW, p, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_WRITE, 0, 0, &fd);
	if (e == 0) {
		(void)__wasi_fd_close(fd);
	}
	return e;
}

// findRoot finds the preopen ".": named so, or, where the runtime
// renames it, "./", "" or "/" (wazero) when none is named ".". (wasmer
// also preopens a virtual "/" of its own beside the folders it maps.)
static int findRoot(void) {
	static const char *names[] = {".", "./", "", "/"};
	for (size_t want = 0; want < sizeof names / sizeof names[0]; want++) {
		for (__wasi_fd_t fd = 3; fd < 64; fd++) {
			__wasi_prestat_t ps;
			if (__wasi_fd_prestat_get(fd, &ps) != 0) {
				continue;
			}
			char name[64] = {0};
			if (ps.u.dir.pr_name_len < sizeof name &&
			    __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len) == 0) {
				name[ps.u.dir.pr_name_len] = 0;
				if (strcmp(name, names[want]) == 0) {
					root = fd;
					return 1;
				}
			}
		}
	}
	return 0;
}

// noPreopen is the run without a preopened folder: whatever descriptors
// the runtime preopens of its own (Wasmer has a virtual "/"), no path
// through them may reach the host.
static int noPreopen(void) {
	for (__wasi_fd_t fd = 3; fd < 64; fd++) {
		__wasi_prestat_t ps;
		if (__wasi_fd_prestat_get(fd, &ps) != 0) {
			continue;
		}
		root = fd;
		char probe[64];
		snprintf(probe, sizeof probe, "nodirs-read-abs-fd%u", (unsigned)fd);
		readAt(probe, path("secret.txt"));
		snprintf(probe, sizeof probe, "nodirs-read-deep-fd%u", (unsigned)fd);
		readAt(probe, deep("secret.txt"));
		snprintf(probe, sizeof probe, "nodirs-list-abs-fd%u", (unsigned)fd);
		listAt(probe, out);
		snprintf(probe, sizeof probe, "nodirs-create-abs-fd%u", (unsigned)fd);
		writeAt(probe, path("created-nodirs"), __WASI_OFLAGS_CREAT);
	}
	printf("done\n");
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2 || strlen(argv[1]) >= sizeof out) {
		fprintf(stderr, "usage: sandbox OUTSIDE-FOLDER (absolute)\n");
		return 2;
	}
	strcpy(out, argv[1]);
	if (argc > 2 && strcmp(argv[2], "no-preopen") == 0) {
		return noPreopen();
	}
	if (!findRoot()) {
		fprintf(stderr, "sandbox: no preopen named \".\"\n");
		return 2;
	}

	// Controls: the preopen works.
	{
		__wasi_fd_t fd;
		__wasi_errno_t e = __wasi_path_open(root, FOLLOW, "inside.txt", 0, R_READ, 0, 0, &fd);
		if (e == 0) {
			(void)__wasi_fd_close(fd);
		}
		control("ctl-read-inside", e);
	}
	control("ctl-create-inside", create("new.txt"));
	control("ctl-mkdir-inside", __wasi_path_create_directory(root, "newdir"));
	control("ctl-rename-inside", __wasi_path_rename(root, "new.txt", root, "newdir/new.txt"));
	control("ctl-unlink-inside", __wasi_path_unlink_file(root, "newdir/new.txt"));
	control("ctl-rmdir-inside", __wasi_path_remove_directory(root, "newdir"));
	{
		// The folder holds links that lead out; listing it is no escape,
		// and must not upset the runtime.
		__wasi_fd_t fd;
		__wasi_errno_t e = __wasi_path_open(root, 0, ".", __WASI_OFLAGS_DIRECTORY, R_DIR, R_READ, 0, &fd);
		if (e == 0) {
			static uint8_t buf[4096];
			__wasi_size_t n = 0;
			e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &n);
			(void)__wasi_fd_close(fd);
		}
		control("ctl-list-inside", e);
	}
	if (symlinkAt("inside.txt", "own-in") == 0) {
		// Following a link that stays inside is allowed, not required.
		__wasi_fd_t fd;
		__wasi_errno_t e = __wasi_path_open(root, FOLLOW, "own-in", 0, R_READ, 0, 0, &fd);
		if (e == 0) {
			(void)__wasi_fd_close(fd);
		}
		printf("note follow own-in: errno=%d\n", e);
	}

	// The guest's own links, made before it uses them.
	symlinkAt("../outside/secret.txt", "own-rel");
	symlinkAt(deep("secret.txt"), "own-deep");
	symlinkAt(path("secret.txt"), "own-abs");
	__wasi_errno_t ownDir = symlinkAt("../outside", "own-dir");
	symlinkAt(out, "own-abs-dir");
	symlinkAt("rel-dir", "own-chain");
	// Two links whose texts stay inside by the letter ("." and
	// "own-dot/..") but lead to the folder's parent when followed: a
	// runtime that checks a link's text instead of where it leads lets
	// them out.
	symlinkAt(".", "own-dot");
	symlinkAt("own-dot/..", "own-up");
	__wasi_errno_t dangling = symlinkAt("../outside/created-own-dangling", "own-dangling");
	__wasi_errno_t absDangling = symlinkAt(path("created-own-abs-dangling"), "own-abs-dangling");

	// Reads.
	readAt("read-dotdot", "../outside/secret.txt");
	readAt("read-abs", path("secret.txt"));
	readAt("read-deep-dotdot", deep("secret.txt"));
	readAt("read-pre-rel-file", "rel-file");
	readAt("read-pre-abs-file", "abs-file");
	readAt("read-pre-deep-file", "deep-file");
	readAt("read-pre-rel-dir", "rel-dir/secret.txt");
	readAt("read-pre-abs-dir", "abs-dir/secret.txt");
	readAt("read-pre-nested-dir", "sub/up/secret.txt");
	readAt("read-own-rel", "own-rel");
	readAt("read-own-deep", "own-deep");
	readAt("read-own-abs", "own-abs");
	readAt("read-own-dir", "own-dir/secret.txt");
	readAt("read-own-abs-dir", "own-abs-dir/secret.txt");
	readAt("read-own-chain", "own-chain/secret.txt");
	readAt("read-own-up", "own-up/outside/secret.txt");
	statAt("stat-pre-rel-file", "rel-file");
	statAt("stat-pre-abs-dir", "abs-dir/secret.txt");
	statAt("stat-own-dir", "own-dir/secret.txt");
	readlinkAt("readlink-pre-rel-dir", "rel-dir/outlink");
	readlinkAt("readlink-pre-abs-dir", "abs-dir/outlink");
	readlinkAt("readlink-own-dir", "own-dir/outlink");
	listAt("opendir-dotdot", "..");
	listAt("opendir-abs", out);
	listAt("opendir-pre-rel-dir", "rel-dir");
	listAt("opendir-pre-abs-dir", "abs-dir");
	listAt("opendir-own-dir", "own-dir");
	listAt("opendir-own-abs-dir", "own-abs-dir");

	// Writes.
	writeAt("create-dotdot", "../outside/created-dotdot", __WASI_OFLAGS_CREAT);
	writeAt("create-abs", path("created-abs"), __WASI_OFLAGS_CREAT);
	writeAt("create-deep-dotdot", deep("created-deep"), __WASI_OFLAGS_CREAT);
	writeAt("create-pre-rel-dir", "rel-dir/created-pre-rel-dir", __WASI_OFLAGS_CREAT);
	writeAt("create-pre-abs-dir", "abs-dir/created-pre-abs-dir", __WASI_OFLAGS_CREAT);
	if (!linkRefused("create-own-dir", ownDir)) {
		writeAt("create-own-dir", "own-dir/created-own-dir", __WASI_OFLAGS_CREAT);
	}
	writeAt("create-own-up", "own-up/outside/created-own-up", __WASI_OFLAGS_CREAT);
	createThrough("create-own-dangling", "own-dangling", dangling);
	createThrough("create-own-abs-dangling", "own-abs-dangling", absDangling);
	writeAt("write-pre-rel-file", "rel-file", __WASI_OFLAGS_TRUNC);
	writeAt("write-pre-abs-file", "abs-file", __WASI_OFLAGS_TRUNC);
	writeAt("write-own-rel", "own-rel", __WASI_OFLAGS_TRUNC);
	writeAt("write-own-abs", "own-abs", __WASI_OFLAGS_TRUNC);
	result("mkdir-dotdot", __wasi_path_create_directory(root, "../outside/made-dotdot"));
	result("mkdir-pre-rel-dir", __wasi_path_create_directory(root, "rel-dir/made-pre-rel-dir"));
	if (!linkRefused("mkdir-own-dir", ownDir)) {
		result("mkdir-own-dir", __wasi_path_create_directory(root, "own-dir/made-own-dir"));
	}
	result("symlink-in-pre-rel-dir", __wasi_path_symlink("x", root, "rel-dir/planted"));
	if (!linkRefused("symlink-in-own-dir", ownDir)) {
		result("symlink-in-own-dir", __wasi_path_symlink("x", root, "own-dir/planted-own"));
	}
	result("utimes-pre-rel-file", __wasi_path_filestat_set_times(root, FOLLOW, "rel-file", 1, 1,
	                                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
	control("ctl-create-mover", create("mover.txt"));
	result("rename-out-dotdot", __wasi_path_rename(root, "mover.txt", root, "../outside/moved-dotdot"));
	result("rename-out-pre-rel-dir", __wasi_path_rename(root, "mover.txt", root, "rel-dir/moved-pre-rel-dir"));
	if (!linkRefused("rename-out-own-dir", ownDir)) {
		result("rename-out-own-dir", __wasi_path_rename(root, "mover.txt", root, "own-dir/moved-own-dir"));
	}
	result("rename-in-pre-rel-dir", __wasi_path_rename(root, "rel-dir/victim-rename", root, "stolen.txt"));
	result("rename-in-own-dir", __wasi_path_rename(root, "own-dir/victim-rename", root, "stolen-own.txt"));
	readAt("read-stolen", "stolen.txt");
	result("link-in-pre-rel-dir", __wasi_path_link(root, 0, "rel-dir/secret.txt", root, "hard.txt"));
	result("link-in-own-dir", __wasi_path_link(root, 0, "own-dir/secret.txt", root, "hard-own.txt"));
	readAt("read-hard", "hard.txt");
	result("unlink-dotdot", __wasi_path_unlink_file(root, "../outside/victim-unlink"));
	result("unlink-pre-rel-dir", __wasi_path_unlink_file(root, "rel-dir/victim-unlink"));
	result("unlink-pre-abs-dir", __wasi_path_unlink_file(root, "abs-dir/victim-unlink"));
	result("unlink-own-dir", __wasi_path_unlink_file(root, "own-dir/victim-unlink"));
	result("rmdir-pre-rel-dir", __wasi_path_remove_directory(root, "rel-dir/victim-dir"));
	result("rmdir-own-dir", __wasi_path_remove_directory(root, "own-dir/victim-dir"));

	printf("done\n");
	return 0;
}
