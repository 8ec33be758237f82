# The built-in workloads (workloads/<w>/<lang>/): rebuild the committed .wasm
# files, build the native builds of the same sources, and check that the
# committed artifacts still match their sources.
#
#   make workloads        rebuild every committed .wasm (needs every toolchain)
#   make native           bin/native/<w>-<lang> for each toolchain present
#   make workloads-check  rebuild into a temp dir and diff with the committed files
#
# Toolchains (Debian): clang lld wasi-libc libclang-rt-dev-wasm32 libstb-dev
# binaryen (C: clang runs wasm-opt from PATH after linking, and the committed
# modules were built with it), rustc libstd-rust-dev-wasm32 (Rust), cargo
# librust-image-dev (the Rust image workload, a Cargo project built offline
# from Debian's vendored crates by its build.sh), wabt (wasm-strip), and Go.
# A rustup rustc or cargo may come first on PATH and has no wasm32-wasi
# target: Debian's are called by their full paths. The commands here are
# the ones each source
# file's header comment gives; workloads/rebuild_test.go runs those.

WL_CLANG ?= clang
WL_RUSTC ?= /usr/bin/rustc
WL_STRIP ?= wasm-strip

WL_C    := fib primes image
WL_GO   := fib primes image
WL_RUST := fib primes
# Rust workloads that are Cargo projects (workloads/<w>/rust/build.sh).
WL_CARGO := image

# Extra flags per workload: image uses Debian's header-only stb.
WL_CFLAGS_image := -I/usr/include/stb
WL_LIBS_image   := -lm

WL_WASM := $(foreach w,$(WL_C),workloads/$w/c/$w.wasm) \
	$(foreach w,$(WL_GO),workloads/$w/go/$w.wasm) \
	$(foreach w,$(WL_RUST) $(WL_CARGO),workloads/$w/rust/$w.wasm)

# What this machine can build. Each check is one cheap file test, made once.
WL_HAVE_CLANG := $(shell command -v $(WL_CLANG) >/dev/null 2>&1 && echo yes)
WL_HAVE_STB   := $(shell test -f /usr/include/stb/stb_image_resize.h && echo yes)
WL_HAVE_RUSTC := $(shell test -x $(WL_RUSTC) && echo yes)
WL_HAVE_WASI_C    := $(shell test -f /usr/include/wasm32-wasi/stdio.h && command -v wasm-ld >/dev/null 2>&1 && echo yes)
WL_HAVE_WASI_RUST := $(shell test -d /usr/lib/rustlib/wasm32-wasi && echo yes)
WL_HAVE_CARGO := $(shell test -x /usr/bin/cargo && test -d /usr/share/cargo/registry/image-0.24.3 && echo yes)
WL_HAVE_STRIP := $(shell command -v $(WL_STRIP) >/dev/null 2>&1 && echo yes)
WL_HAVE_WASMOPT := $(shell command -v wasm-opt >/dev/null 2>&1 && echo yes)

# Native builds: Go always; C and Rust when their toolchain is here, with a
# message (not a failure) for the ones skipped.
WL_NATIVE := $(foreach w,$(WL_GO),$(BIN)/native/$w-go)
WL_SKIPPED :=
ifeq ($(WL_HAVE_CLANG),yes)
WL_NATIVE += $(foreach w,$(filter-out image,$(WL_C)),$(BIN)/native/$w-c)
ifeq ($(WL_HAVE_STB),yes)
WL_NATIVE += $(BIN)/native/image-c
else
WL_SKIPPED += image-c (no /usr/include/stb: apt-get install libstb-dev);
endif
else
WL_SKIPPED += $(foreach w,$(WL_C),$w-c) (no $(WL_CLANG): apt-get install clang);
endif
ifeq ($(WL_HAVE_RUSTC),yes)
WL_NATIVE += $(foreach w,$(WL_RUST),$(BIN)/native/$w-rust)
else
WL_SKIPPED += $(foreach w,$(WL_RUST),$w-rust) (no $(WL_RUSTC): apt-get install rustc);
endif
ifeq ($(WL_HAVE_RUSTC)$(WL_HAVE_CARGO),yesyes)
WL_NATIVE += $(foreach w,$(WL_CARGO),$(BIN)/native/$w-rust)
else
WL_SKIPPED += $(foreach w,$(WL_CARGO),$w-rust) (no /usr/bin/cargo or image crate: apt-get install cargo librust-image-dev);
endif

BUILD += $(WL_NATIVE)

ifneq ($(strip $(WL_SKIPPED)),)
ifneq ($(filter all build native,$(or $(MAKECMDGOALS),all)),)
$(info native builds skipped: $(WL_SKIPPED))
endif
endif

.PHONY: workloads native workloads-check workloads-toolchains

native: $(WL_NATIVE)

$(BIN)/native:
	mkdir -p $@

# C and Rust native builds are remade when their sources change; Go's own
# build cache decides for Go.
define wl_native_c
$(BIN)/native/$(1)-c: workloads/$(1)/c/$(1).c mk/workloads.mk | $(BIN)/native
	cd workloads/$(1)/c && $(WL_CLANG) -O2 $(WL_CFLAGS_$(1)) -o $(CURDIR)/$$@ $(1).c $(WL_LIBS_$(1))
endef
define wl_native_rust
$(BIN)/native/$(1)-rust: workloads/$(1)/rust/$(1).rs mk/workloads.mk | $(BIN)/native
	cd workloads/$(1)/rust && $(WL_RUSTC) -C opt-level=2 -C strip=debuginfo -o $(CURDIR)/$$@ $(1).rs
endef
# A Cargo build starts from scratch in a temp dir (build.sh), so it is
# remade only when one of the project's files changes.
define wl_native_cargo
$(BIN)/native/$(1)-rust: $(addprefix workloads/$(1)/rust/,$(1).rs build.sh Cargo.toml .cargo/config.toml) mk/workloads.mk | $(BIN)/native
	cd workloads/$(1)/rust && sh build.sh -o $(CURDIR)/$$@
endef
define wl_native_go
$(BIN)/native/$(1)-go: FORCE | $(BIN)/native
	cd workloads/$(1)/go && CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -o $(CURDIR)/$$@ .
endef
$(foreach w,$(WL_C),$(eval $(call wl_native_c,$w)))
$(foreach w,$(WL_RUST),$(eval $(call wl_native_rust,$w)))
$(foreach w,$(WL_CARGO),$(eval $(call wl_native_cargo,$w)))
$(foreach w,$(WL_GO),$(eval $(call wl_native_go,$w)))

# wl_wasm_<lang>: build workload $(1)'s .wasm into the file $(2) (absolute).
wl_wasm_c    = cd workloads/$(1)/c && $(WL_CLANG) --target=wasm32-wasi -O2 $(WL_CFLAGS_$(1)) -o $(2) $(1).c && $(WL_STRIP) $(2)
wl_wasm_go   = cd workloads/$(1)/go && GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildvcs=false -o $(2) .
wl_wasm_rust = cd workloads/$(1)/rust && $(WL_RUSTC) --target wasm32-wasi -C opt-level=2 -o $(2) $(1).rs && $(WL_STRIP) $(2)
wl_wasm_cargo = cd workloads/$(1)/rust && sh build.sh --target wasm32-wasi -o $(2) && $(WL_STRIP) $(2)

# Rebuilding the committed artifacts needs every toolchain: say which is
# missing rather than half-rebuild.
workloads-toolchains:
	@ok=yes; \
	[ "$(WL_HAVE_CLANG)" = yes ] || { echo "workloads: no $(WL_CLANG) (apt-get install clang lld)"; ok=no; }; \
	[ "$(WL_HAVE_WASI_C)" = yes ] || { echo "workloads: no wasi-libc or wasm-ld (apt-get install wasi-libc lld libclang-rt-dev-wasm32)"; ok=no; }; \
	[ "$(WL_HAVE_STB)" = yes ] || { echo "workloads: no stb headers (apt-get install libstb-dev)"; ok=no; }; \
	[ "$(WL_HAVE_RUSTC)" = yes ] || { echo "workloads: no $(WL_RUSTC) (apt-get install rustc)"; ok=no; }; \
	[ "$(WL_HAVE_WASI_RUST)" = yes ] || { echo "workloads: no Rust wasm32-wasi std (apt-get install libstd-rust-dev-wasm32)"; ok=no; }; \
	[ "$(WL_HAVE_CARGO)" = yes ] || { echo "workloads: no /usr/bin/cargo or image crate (apt-get install cargo librust-image-dev)"; ok=no; }; \
	[ "$(WL_HAVE_STRIP)" = yes ] || { echo "workloads: no $(WL_STRIP) (apt-get install wabt)"; ok=no; }; \
	[ "$(WL_HAVE_WASMOPT)" = yes ] || { echo "workloads: no wasm-opt, which clang runs after linking (apt-get install binaryen)"; ok=no; }; \
	[ $$ok = yes ]

workloads: workloads-toolchains
	@set -e; \
	$(foreach w,$(WL_C),echo "wasm $w c"; ($(call wl_wasm_c,$w,$(CURDIR)/workloads/$w/c/$w.wasm)) || exit 1;) \
	$(foreach w,$(WL_GO),echo "wasm $w go"; ($(call wl_wasm_go,$w,$(CURDIR)/workloads/$w/go/$w.wasm)) || exit 1;) \
	$(foreach w,$(WL_RUST),echo "wasm $w rust"; ($(call wl_wasm_rust,$w,$(CURDIR)/workloads/$w/rust/$w.wasm)) || exit 1;) \
	$(foreach w,$(WL_CARGO),echo "wasm $w rust (cargo)"; ($(call wl_wasm_cargo,$w,$(CURDIR)/workloads/$w/rust/$w.wasm)) || exit 1;) \
	echo "rebuilt $(words $(WL_WASM)) modules; git diff --stat workloads shows what changed"

workloads-check: workloads-toolchains
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; bad=0; \
	$(foreach w,$(WL_C),($(call wl_wasm_c,$w,$$tmp/$w.c.wasm)) || exit 1;) \
	$(foreach w,$(WL_GO),($(call wl_wasm_go,$w,$$tmp/$w.go.wasm)) || exit 1;) \
	$(foreach w,$(WL_RUST),($(call wl_wasm_rust,$w,$$tmp/$w.rust.wasm)) || exit 1;) \
	$(foreach w,$(WL_CARGO),($(call wl_wasm_cargo,$w,$$tmp/$w.rust.wasm)) || exit 1;) \
	for f in $(WL_WASM); do \
		w=$$(echo $$f | cut -d/ -f2); l=$$(echo $$f | cut -d/ -f3); \
		if cmp -s "$$tmp/$$w.$$l.wasm" "$$f"; then echo "same     $$f"; \
		else echo "DIFFERS  $$f (rebuilt: $$(wc -c <"$$tmp/$$w.$$l.wasm") bytes, committed: $$(wc -c <"$$f") bytes)"; bad=1; fi; \
	done; \
	if [ $$bad = 1 ]; then echo "workloads-check: committed .wasm files differ from their sources; run 'make workloads' and commit, or check the toolchain versions"; exit 1; fi
