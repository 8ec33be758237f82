# The wasmtime workers: cgo, each in its own Go module (wasmtime-go's static
# libwasmtime.a must never be linked into bin/bench, nor next to wasmer's).
#
#   bin/bench-wasmtime     wasmtime-go v25 (runners/wasmtime): tiers jit, aot
#   bin/bench-wasmtime39   wasmtime-go v39 (runners/wasmtime/wasmtime39): tiers
#                          jit, aot and interpreter (Pulley), which v25 lacks;
#                          two wasmtime versions cannot share one binary
#
# Linked fully static (glibc's libc.a, from libc6-dev) and stripped, so the
# one binary is also the Lambda bootstrap on provided.al2023 and the
# entrypoint of a from-scratch container image. The linker's warnings about
# getpwuid_r, getaddrinfo and dlopen in a static binary concern code paths
# wasmtime does not take here (cache directory lookup, Rust's std::net,
# VTune profiling): scripts/static-link-warnings.awk drops exactly those and
# says so in one line; any other output of the build passes through, and the
# build's exit status is kept. netgo/osusergo keep Go's own net and user
# lookups pure Go.

WASMTIME_LDFLAGS := -s -w -linkmode external -extldflags "-static"

BUILD   += $(BIN)/bench-wasmtime $(BIN)/bench-wasmtime39
MODULES += runners/wasmtime runners/wasmtime/wasmtime39

$(BIN)/bench-wasmtime: FORCE
	@mkdir -p $(BIN)
	@echo "build $@ (cgo, static)"
	@out=$$(cd runners/wasmtime && CGO_ENABLED=1 $(GOBUILD) -tags netgo,osusergo \
		-ldflags '$(WASMTIME_LDFLAGS)' -o $(CURDIR)/$@ ./cmd/bench-wasmtime 2>&1); rc=$$?; \
	[ -z "$$out" ] || printf '%s\n' "$$out" | awk -v target=$@ -f scripts/static-link-warnings.awk; exit $$rc

$(BIN)/bench-wasmtime39: FORCE
	@mkdir -p $(BIN)
	@echo "build $@ (cgo, static)"
	@out=$$(cd runners/wasmtime/wasmtime39 && CGO_ENABLED=1 $(GOBUILD) -tags netgo,osusergo \
		-ldflags '$(WASMTIME_LDFLAGS)' -o $(CURDIR)/$@ ./cmd/bench-wasmtime39 2>&1); rc=$$?; \
	[ -z "$$out" ] || printf '%s\n' "$$out" | awk -v target=$@ -f scripts/static-link-warnings.awk; exit $$rc
