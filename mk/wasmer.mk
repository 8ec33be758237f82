# The wasmer worker: cgo, in its own Go module (runners/wasmer), never
# linked next to wasmtime (both export the C wasm_* API; see
# runners/wasmer/doc.go).
#
#   bin/bench-wasmer        wasmer-go v1.0.4 (Wasmer 2.x): tiers baseline, jit, aot
#   bin/lib/libwasmer.so    the library wasmer-go ships, debug info stripped
#
# wasmer-go ships libwasmer.so only (no static library), so the worker is
# dynamically linked and finds the library through RUNPATH $ORIGIN/lib:
# bin/ can be copied anywhere (Lambda zip, container image) without the Go
# module cache. The custom_wasmer_runtime tag drops wasmer-go's own cgo
# flags, which would put the module cache's path first in RUNPATH; we give
# the same include and library folders, and $ORIGIN/lib as the only RUNPATH.

WASMER_MOD  := github.com/wasmerio/wasmer-go
WASMER_ARCH := linux-$(if $(filter arm64,$(shell $(GO) env GOARCH)),aarch64,amd64)
# The wasmer-go module folder, asked of the go command when a recipe runs.
WASMER_DIR   = $$(cd runners/wasmer && $(GO) mod download $(WASMER_MOD) && $(GO) list -m -f '{{.Dir}}' $(WASMER_MOD))

BUILD   += $(BIN)/bench-wasmer $(BIN)/lib/libwasmer.so
MODULES += runners/wasmer

$(BIN)/lib/libwasmer.so: FORCE
	@mkdir -p $(BIN)/lib
	@src="$(WASMER_DIR)/wasmer/packaged/lib/$(WASMER_ARCH)/libwasmer.so"; \
	test -f "$$src" || { echo "wasmer: no $$src (wasmer-go ships linux-amd64 only)"; exit 1; }; \
	strip --strip-debug -o $@.tmp "$$src" && chmod 0644 $@.tmp && \
	{ if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi; }

$(BIN)/bench-wasmer: $(BIN)/lib/libwasmer.so FORCE
	@mkdir -p $(BIN)
	@echo "build $@ (cgo, RUNPATH \$$ORIGIN/lib)"
	@dir="$(WASMER_DIR)/wasmer/packaged"; \
	cd runners/wasmer && CGO_ENABLED=1 \
		CGO_CFLAGS="-I$$dir/include" \
		CGO_LDFLAGS="-L$$dir/lib/$(WASMER_ARCH) -lwasmer -Wl,-rpath,\$$ORIGIN/lib" \
		$(GOBUILD) -tags custom_wasmer_runtime -ldflags '-s -w' -o $(CURDIR)/$@ ./cmd/bench-wasmer
