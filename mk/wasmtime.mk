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
# VTune profiling). netgo/osusergo keep Go's own net and user lookups pure Go.

WASMTIME_LDFLAGS := -s -w -linkmode external -extldflags "-static"

BUILD   += $(BIN)/bench-wasmtime $(BIN)/bench-wasmtime39
MODULES += runners/wasmtime runners/wasmtime/wasmtime39

$(BIN)/bench-wasmtime: FORCE
	@mkdir -p $(BIN)
	cd runners/wasmtime && CGO_ENABLED=1 $(GOBUILD) -tags netgo,osusergo \
		-ldflags '$(WASMTIME_LDFLAGS)' -o $(CURDIR)/$@ ./cmd/bench-wasmtime

$(BIN)/bench-wasmtime39: FORCE
	@mkdir -p $(BIN)
	cd runners/wasmtime/wasmtime39 && CGO_ENABLED=1 $(GOBUILD) -tags netgo,osusergo \
		-ldflags '$(WASMTIME_LDFLAGS)' -o $(CURDIR)/$@ ./cmd/bench-wasmtime39
