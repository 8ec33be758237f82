#!/usr/bin/env bash
# Installs what bench's build and tests need on a Debian machine, and
# nothing that is already there. Run by `make setup` (and so by `make run`,
# `make test` and .ci/run). Without root it says what is missing and goes
# on: the build skips what it cannot make and `bench list` says why.
set -euo pipefail

# wasm toolchains (make workloads, and the test that rebuilds committed
# .wasm): clang/lld/wasi-libc/libclang-rt-dev-wasm32 for C, rustc with
# libstd-rust-dev-wasm32 for Rust, libstb-dev for the C image codec, wabt
# and binaryen for the conformance modules and stripping.
# Native builds of the same sources: clang, rustc (and Go, present).
# Reports: chromium renders report.html in a test. Containers: runc.
# hyperfine and time: the harness-overhead check against an outside timer.
pkgs=(clang lld wasi-libc libclang-rt-dev-wasm32 libstb-dev rustc libstd-rust-dev-wasm32 cargo librust-image-dev
      wabt binaryen chromium fonts-liberation runc hyperfine time curl binutils gcc-aarch64-linux-gnu)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "setup: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		echo "setup: installing ${missing[*]} (sudo)"
		sudo DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "setup: not root: missing Debian packages ${missing[*]}; install them for the full matrix" >&2
	fi
fi

# Go modules of every module in the repo (the cgo runtimes' are large).
for m in $(find . -name go.mod -not -path './bin/*' -exec dirname {} \;); do
	(cd "$m" && go mod download)
done
