#!/usr/bin/env bash
# Installs what bench's build, `make run` and `make test` need on a Debian
# machine, and nothing that is already there; downloads every Go module's
# dependencies; then proves each toolchain with a tiny compile
# (scripts/probe-toolchains.sh). Run by `make setup`, and so by `make run`,
# `make test` and .ci/run.
#
# Installing needs root (or password-less sudo). Without it, setup names
# the missing packages; the probes then fail on the first toolchain that
# is missing, naming its package, and setup exits non-zero. `make build`
# and `bin/bench run` work without setup: they skip what they cannot build
# and `bench list` says why.
#
# Output: one line per step, with its wall time; apt-get's own output goes
# to a log that is printed only when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$SECONDS
say() { echo "setup: $*"; }
since() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# What each package is for (the probes after the install check the
# toolchains among them):
#   gcc libc6-dev make git ca-certificates binutils
#       cgo workers (wasmtime links glibc's libc.a statically), the build,
#       VCS stamping, the Go module download over TLS, strip (wasmer's lib)
#   clang lld wasi-libc libclang-rt-dev-wasm32 libstb-dev
#       C to wasm32-wasi (make workloads, make custom-testdata and the tests
#       that rebuild committed .wasm) and native C builds (image uses stb)
#   rustc libstd-rust-dev-wasm32
#       Rust to wasm32-wasi and native Rust builds (Debian's /usr/bin/rustc;
#       a rustup rustc on PATH has no wasm32-wasi target)
#   cargo librust-image-dev
#       the Rust image workload: a Cargo project built offline from Debian's
#       vendored crates (/usr/share/cargo/registry) by its build.sh
#   wabt
#       wasm-strip (workload builds) and wat2wasm (conformance modules)
#   binaryen
#       clang --target=wasm32-wasi runs wasm-opt from PATH after linking
#       (at -O2): the committed C modules were built with it, and without it
#       their rebuilds differ (fib.wasm 30614 bytes instead of 26241)
#   gcc-aarch64-linux-gnu libc6-dev-arm64-cross
#       arm64 cgo workers for `bench deploy aws`; the cross gcc alone has no
#       aarch64 libc headers (bits/libc-header-start.h) nor libm
#   qemu-user-static
#       `bench deploy aws` prepares arm64 AOT artifacts by running the arm64
#       worker under qemu-aarch64-static, and wasmer's x86_64 ones under
#       qemu-x86_64-static -cpu Haswell-v4 (Lambda's CPU features); the
#       deploy/aws test runs arm64 packages under it on lambda-local
#   chromium fonts-liberation
#       renders report.html in report's test
#   runc
#       container-local --container-runtime runc
#   bubblewrap
#       confines the Node.js worker (bwrap)
#   curl
#       a lambda-local test plays the Runtime API client with it
#   hyperfine
#       the harness-overhead benchmark's outside timer (deploy/local)
#   nodejs (when no node >= 18 is on PATH)
#       the Node.js worker and the Node.js-hosted Lambda function
#   docker.io (when no docker is on PATH)
#       container-local's default engine; its daemon must be running
pkgs=(gcc libc6-dev make git ca-certificates binutils
      clang lld wasi-libc libclang-rt-dev-wasm32 libstb-dev
      rustc libstd-rust-dev-wasm32 cargo librust-image-dev wabt binaryen
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
      chromium fonts-liberation runc bubblewrap curl hyperfine)

# Node.js: the worker needs 18 or newer (runners/node.MinMajor). A node
# already on PATH (NodeSource's 20 on some machines) is kept; otherwise
# Debian's nodejs (18 on bookworm), or whatever the apt sources offer.
node_major() { node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }
nm=$(node_major || true)
if [ -z "$nm" ] || [ "$nm" -lt 18 ]; then
	pkgs+=(nodejs)
fi
command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

apt_install() {
	local log t0=$SECONDS
	log=$(mktemp /tmp/bench-setup-apt.XXXXXX.log)
	say "installing ${#missing[@]} Debian package(s): ${missing[*]}"
	say "  (apt-get's output: $log; on a bare machine this takes several minutes)"
	if ! { "$@" apt-get -o DPkg::Lock::Timeout=600 update -q && "$@" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		say "apt-get failed (full output in $log)" >&2
		exit 1
	fi
	say "installed in $(since "$t0")"
	rm -f "$log"
}

if [ ${#missing[@]} -eq 0 ]; then
	say "Debian packages: all ${#pkgs[@]} present"
elif [ "$(id -u)" -eq 0 ]; then
	apt_install env DEBIAN_FRONTEND=noninteractive
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	apt_install sudo DEBIAN_FRONTEND=noninteractive
else
	say "not root: missing Debian packages: ${missing[*]}" >&2
	say "  install them: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
fi

# Go modules of every module in the repo (the cgo runtimes' are large).
t0=$SECONDS
mods=$(find . -name go.mod -not -path './bin/*' -not -path './results/*' -exec dirname {} \; | sort)
for m in $mods; do
	(cd "$m" && go mod download) || { say "go mod download failed in $m" >&2; exit 1; }
done
say "Go modules: $(echo "$mods" | wc -w) modules downloaded or cached in $(since "$t0")"

bash scripts/probe-toolchains.sh
say "done in $(since "$t_start")"
