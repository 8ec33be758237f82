#!/bin/sh
# build.sh [--target wasm32-wasi] -o OUT: builds the image workload
# (image.rs) with Debian's cargo and rustc and copies the binary to OUT.
#
# Offline: the crates come from Debian's vendored registry
# (/usr/share/cargo/registry; .cargo/config.toml), at the versions
# Cargo.toml pins (=0.24.3, =0.2.6; the rest is the one version Debian
# ships). The sources are copied into a temp dir and built there, with
# CARGO_HOME and the target dir: nothing in the checkout (not even a
# Cargo.lock) or in the user's ~/.cargo is read or written, and every
# build starts from scratch.
#
# Reproducible: the environment variables that change what cargo and rustc
# do (RUSTFLAGS, CARGO_*, RUSTC_WRAPPER, ...) are cleared, rustc is
# Debian's /usr/bin/rustc (a rustup rustc may come first on PATH and has no
# wasm32-wasi target), and no absolute path of this checkout reaches the
# binary: cargo names a workspace member's sources relative to it, and the
# crates' own paths are Debian's, the same on every machine. Two builds,
# from any checkout, give the same bytes (workloads/rebuild_test.go checks
# the committed image.wasm against a rebuild).
set -eu

usage() {
	echo "usage: sh build.sh [--target wasm32-wasi] -o OUT" >&2
	exit 2
}

target=
out=
while [ $# -gt 0 ]; do
	case $1 in
	--target)
		[ $# -ge 2 ] || usage
		target=$2
		shift 2
		;;
	-o)
		[ $# -ge 2 ] || usage
		out=$2
		shift 2
		;;
	*)
		echo "build.sh: unknown argument '$1'" >&2
		usage
		;;
	esac
done
[ -n "$out" ] || usage
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac
[ -d "$(dirname "$out")" ] || {
	echo "build.sh: -o $out: no folder $(dirname "$out") to write it in" >&2
	usage
}

cargo=/usr/bin/cargo
rustc=/usr/bin/rustc
[ -x $cargo ] || { echo "build.sh: no $cargo: apt-get install cargo" >&2; exit 1; }
[ -x $rustc ] || { echo "build.sh: no $rustc: apt-get install rustc" >&2; exit 1; }
[ -d /usr/share/cargo/registry/image-0.24.3 ] || {
	echo "build.sh: no image crate in /usr/share/cargo/registry: apt-get install librust-image-dev" >&2
	exit 1
}
if [ -n "$target" ] && [ ! -d /usr/lib/rustlib/$target ]; then
	echo "build.sh: Debian's rustc has no $target standard library: apt-get install libstd-rust-dev-wasm32" >&2
	exit 1
fi

cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in $(env | sed -n 's/^\(CARGO_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
unset RUSTFLAGS RUSTDOCFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTUP_TOOLCHAIN
export CARGO_HOME="$tmp/home" CARGO_TARGET_DIR="$tmp/target" RUSTC=$rustc

# The project, copied as a folder named like this one: cargo names a
# member's sources relative to the workspace, so the binary is the same.
mkdir "$tmp/src"
cp -R Cargo.toml image.rs .cargo "$tmp/src/"
cd "$tmp/src"
$cargo build --release --offline --quiet ${target:+--target "$target"}
bin=$tmp/target/${target:+$target/}release/image
[ -z "$target" ] || bin=$bin.wasm
cp "$bin" "$out"
