# bench: build, rebuild workloads, test, check.
#
#   make run         set up, build, and run the default matrix (bin/bench run)
#   make test        set up, build, and run every Go module's tests
#   make setup       install missing Debian packages and Go modules, probe the toolchains (scripts/setup.sh)
#   make build       bin/bench and every worker this machine can build
#   make workloads   rebuild the committed .wasm files with Debian's toolchains
#   make check       gofmt, go vet, staticcheck, go mod tidy in every module
#
# Each part of the project adds its own rules in mk/<part>.mk: it appends
# to BUILD (files `make build` makes) and MODULES (folders with a go.mod).

GO       ?= go
BIN      := bin
# Worker binaries are built with the commit stamped in; GOFLAGS on some
# machines turns VCS stamping off.
GOBUILD  := $(GO) build -buildvcs=auto -trimpath
BUILD    := $(BIN)/bench $(BIN)/bench-wazero $(BIN)/bench-native
MODULES  := .

.PHONY: all setup build run test check workloads native clean
all: build

include $(sort $(wildcard mk/*.mk))

build: $(BUILD)

$(BIN)/bench: FORCE
	CGO_ENABLED=0 $(GOBUILD) -o $@ ./cmd/bench

$(BIN)/bench-wazero: FORCE
	CGO_ENABLED=0 $(GOBUILD) -o $@ ./cmd/bench-wazero

$(BIN)/bench-native: FORCE
	CGO_ENABLED=0 $(GOBUILD) -o $@ ./cmd/bench-native

setup:
	@bash scripts/setup.sh

# The main job: the built-in default matrix on this machine; results,
# summary and report land in a new folder under results/.
run: setup build
	$(BIN)/bench run $(RUNFLAGS)

# Tests run against the binaries `make build` made (BENCH_BIN_DIR). Every
# module is tested even when an earlier one fails; a summary line per
# module ends the output, and the exit status is non-zero if any failed.
test: setup
	@$(MAKE) --no-print-directory build
	@BENCH_BIN_DIR=$(CURDIR)/$(BIN) AWS_EC2_METADATA_DISABLED=true GO=$(GO) \
		bash scripts/test-modules.sh $(MODULES)

check:
	@set -e; for m in $(MODULES); do \
		echo "== check $$m"; \
		(cd $$m && test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }; \
		 $(GO) vet ./... && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./... && \
		 $(GO) mod tidy -diff); \
	done

clean:
	rm -rf $(BIN)

FORCE:
