#!/usr/bin/env bash
# Proves each toolchain bench's build and tests use with a tiny compile
# (and a run, where this machine can run the result), one line per probe.
# The first probe that fails names the Debian package that is missing and
# the script exits 1, so `make test` stops before any test runs.
# scripts/setup.sh runs it after installing; it can also be run alone.
set -euo pipefail

tmp=$(mktemp -d /tmp/bench-probe.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok()   { echo "probe: $1: ok${2:+ ($2)}"; }
# fail PROBE WHAT PACKAGES [OUTPUT-FILE]
fail() {
	echo "probe: $1: FAILED: $2" >&2
	if [ -n "${4:-}" ] && [ -s "$4" ]; then sed -n '1,20s/^/probe:   | /p' "$4" >&2; fi
	echo "probe:   missing Debian package: $3 (apt-get install --no-install-recommends $3)" >&2
	exit 1
}
need_cmd()  { command -v "$2" >/dev/null 2>&1 || fail "$1" "no $2 on PATH" "$3"; }
need_file() { [ -e "$2" ] || fail "$1" "no $2" "$3"; }
# wasm_magic FILE: the file starts with the wasm binary magic and version 1.
wasm_magic() { [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 0061736d01000000 ]; }

# C to wasm32-wasi, against wasi-libc (stdio and libm), stripped by wabt.
p="C -> wasm32-wasi"
need_cmd "$p" clang clang
need_cmd "$p" wasm-ld lld
need_file "$p" /usr/include/wasm32-wasi/stdio.h wasi-libc
rt=$(clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)
need_file "$p" "${rt:-libclang_rt.builtins-wasm32.a}" libclang-rt-dev-wasm32
need_cmd "$p" wasm-strip wabt
# clang runs wasm-opt after linking when it is on PATH; the committed
# modules were built so, and rebuilds differ without it.
need_cmd "$p" wasm-opt binaryen
need_cmd "$p" wat2wasm wabt
cat >"$tmp/hello.c" <<'EOF'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	double x = argc > 1 ? atof(argv[1]) : 2.0;
	printf("probe %.3f\n", sqrt(x));
	return 0;
}
EOF
clang --target=wasm32-wasi -O2 -o "$tmp/hello.wasm" "$tmp/hello.c" -lm >"$tmp/out" 2>&1 &&
	wasm-strip "$tmp/hello.wasm" >>"$tmp/out" 2>&1 && wasm_magic "$tmp/hello.wasm" ||
	fail "$p" "clang --target=wasm32-wasi did not build a module" "clang lld wasi-libc libclang-rt-dev-wasm32" "$tmp/out"
echo '(module (func (export "f")))' >"$tmp/t.wat"
wat2wasm "$tmp/t.wat" -o "$tmp/t.wasm" >"$tmp/out" 2>&1 || fail "$p" "wat2wasm failed" wabt "$tmp/out"
ok "$p" "$(clang --version | sed -n '1s/.*clang version \([^ ]*\).*/clang \1/p'), wasi-libc, wabt, binaryen"

# Rust to wasm32-wasi: Debian's rustc by its full path (a rustup rustc may
# come first on PATH, without the wasm32-wasi target).
p="Rust -> wasm32-wasi"
need_file "$p" /usr/bin/rustc rustc
need_file "$p" /usr/lib/rustlib/wasm32-wasi/lib libstd-rust-dev-wasm32
printf 'fn main() { println!("probe {}", (2.0f64).sqrt()); }\n' >"$tmp/hello.rs"
/usr/bin/rustc --target wasm32-wasi -C opt-level=2 -o "$tmp/hello-rs.wasm" "$tmp/hello.rs" >"$tmp/out" 2>&1 &&
	wasm_magic "$tmp/hello-rs.wasm" ||
	fail "$p" "/usr/bin/rustc --target wasm32-wasi did not build a module" "rustc libstd-rust-dev-wasm32 lld" "$tmp/out"
ok "$p" "$(/usr/bin/rustc --version | cut -d' ' -f1-2)"

# Cargo offline against Debian's vendored crates (the Rust image workload,
# workloads/image/rust): cargo itself and the image crate in the registry.
p="Rust image crate (cargo, offline)"
need_file "$p" /usr/bin/cargo cargo
need_file "$p" /usr/share/cargo/registry/image-0.24.3 librust-image-dev
ok "$p" "$(/usr/bin/cargo --version | cut -d' ' -f1-2)"

# C to aarch64 (bench deploy aws cross-builds the arm64 cgo workers):
# headers, <math.h> and libm from the arm64 cross libc.
p="C -> aarch64"
need_cmd "$p" aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need_file "$p" /usr/aarch64-linux-gnu/include/bits/libc-header-start.h libc6-dev-arm64-cross
need_file "$p" /usr/aarch64-linux-gnu/lib/libm.so.6 libc6-arm64-cross
aarch64-linux-gnu-gcc -O2 -o "$tmp/hello-arm64" "$tmp/hello.c" -lm >"$tmp/out" 2>&1 ||
	fail "$p" "aarch64-linux-gnu-gcc could not build a program with <math.h> and -lm" "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" "$tmp/out"
# ELF e_machine (offset 18, little endian) 0xb7 is EM_AARCH64.
[ "$(od -An -tx1 -j18 -N2 "$tmp/hello-arm64" | tr -d ' \n')" = b700 ] ||
	fail "$p" "aarch64-linux-gnu-gcc wrote a program for another machine" gcc-aarch64-linux-gnu
ok "$p" "$(aarch64-linux-gnu-gcc -dumpfullversion 2>/dev/null | sed 's/^/gcc /')"

# qemu-user (arm64 AOT artifacts and packages, wasmer's x86_64 artifacts):
# the arm64 program above runs under qemu-aarch64-static with the cross
# libc, and a program sees only Haswell's features under -cpu Haswell-v4.
p="qemu-user"
need_cmd "$p" qemu-aarch64-static qemu-user-static
need_cmd "$p" qemu-x86_64-static qemu-user-static
[ "$(qemu-aarch64-static -cpu neoverse-n1 -L /usr/aarch64-linux-gnu "$tmp/hello-arm64" 9 2>"$tmp/out")" = "probe 3.000" ] ||
	fail "$p" "qemu-aarch64-static did not run an arm64 program" "qemu-user-static libc6-arm64-cross" "$tmp/out"
qemu-x86_64-static -cpu Haswell-v4 /bin/true 2>"$tmp/out" ||
	fail "$p" "qemu-x86_64-static -cpu Haswell-v4 did not run /bin/true" qemu-user-static "$tmp/out"
ok "$p" "$(qemu-aarch64-static --version | sed -n '1s/^qemu-aarch64 version \([^ ]*\).*/qemu \1/p')"

# Native builds of the workload sources: clang with libm and Debian's stb
# headers (the image workload), Debian's rustc; and a fully static glibc
# program, as the wasmtime workers are linked.
p="native C (clang)"
need_file "$p" /usr/include/stb/stb_image.h libstb-dev
printf '#include <stb_image.h>\n' | cat - "$tmp/hello.c" >"$tmp/native.c"
clang -O2 -I/usr/include/stb -o "$tmp/hello-c" "$tmp/native.c" -lm >"$tmp/out" 2>&1 ||
	fail "$p" "clang could not build a native program" "clang libc6-dev libstb-dev" "$tmp/out"
[ "$("$tmp/hello-c" 9)" = "probe 3.000" ] || fail "$p" "the native program printed the wrong thing" clang
ok "$p"
p="native Rust"
/usr/bin/rustc -C opt-level=2 -o "$tmp/hello-rs" "$tmp/hello.rs" >"$tmp/out" 2>&1 ||
	fail "$p" "/usr/bin/rustc could not build a native program" "rustc gcc" "$tmp/out"
[ "$("$tmp/hello-rs")" = "probe 1.4142135623730951" ] || fail "$p" "the native program printed the wrong thing" rustc
ok "$p"
p="static C (gcc, glibc libc.a)"
need_cmd "$p" gcc gcc
gcc -static -O2 -o "$tmp/hello-static" "$tmp/hello.c" -lm >"$tmp/out" 2>&1 ||
	fail "$p" "gcc -static could not link against glibc's libc.a" "gcc libc6-dev" "$tmp/out"
[ "$("$tmp/hello-static" 4)" = "probe 2.000" ] || fail "$p" "the static program printed the wrong thing" libc6-dev
ok "$p"

# node: 18 or newer (runners/node.MinMajor), running the C probe's module
# through node:wasi as the Node.js worker does.
p="node"
need_cmd "$p" node nodejs
v=$(node --version)
major=$(echo "$v" | sed -n 's/^v\([0-9]*\)\..*/\1/p')
[ -n "$major" ] && [ "$major" -ge 18 ] ||
	fail "$p" "$(command -v node) is $v; the Node.js worker needs 18 or newer" nodejs
cat >"$tmp/wasi.mjs" <<'EOF'
import fs from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['hello', '16'], env: {} });
const mod = await WebAssembly.compile(fs.readFileSync(process.argv[2]));
// As the worker does: getImportObject() from Node.js 19.8, wasiImport in 18.
const imports = typeof wasi.getImportObject === 'function'
  ? wasi.getImportObject() : { wasi_snapshot_preview1: wasi.wasiImport };
wasi.start(await WebAssembly.instantiate(mod, imports));
EOF
out=$(node --no-warnings "$tmp/wasi.mjs" "$tmp/hello.wasm" 2>"$tmp/out") && [ "$out" = "probe 4.000" ] ||
	fail "$p" "node $v could not run a WASI module (printed \"$out\")" nodejs "$tmp/out"
ok "$p" "$v"

# Tools the tests and targets call, by presence.
p="tools"
need_cmd "$p" chromium chromium
need_cmd "$p" runc runc
need_cmd "$p" bwrap bubblewrap
need_cmd "$p" curl curl
need_cmd "$p" hyperfine hyperfine
need_cmd "$p" strip binutils
need_cmd "$p" docker docker.io
ok "$p" "chromium, runc, bwrap, curl, hyperfine, strip, docker"
# The Docker daemon is a service, not a package: say so when it is down
# (container-local's Docker tests fail under CI=true without it).
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	echo "probe: note: the Docker daemon is not reachable: container-local's Docker tests need it running" >&2
fi
