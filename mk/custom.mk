# Bring-your-own-wasm test modules (testdata/sightglass/): C sources in
# the Sightglass benchmark layout, with their .wasm committed beside them.
#
#   make custom-testdata   rebuild the committed .wasm files, and copy the
#                          modules, expected files and input into
#                          runners/conformance/testdata/custom/ (embedded
#                          there for every runner's conformance run)
#
# Needs Debian clang lld wasi-libc libclang-rt-dev-wasm32, binaryen (clang
# runs its wasm-opt after linking) and wabt (wasm-strip). Each rule is the command in its source's header comment;
# workloads/custom's TestSightglassModulesMatchSources checks they agree,
# and TestConformanceCopyOfSightglass that the copy is current.

CUSTOM_DIR  := testdata/sightglass
CUSTOM_MODS := checksum logs wrong trap missing simd atomics
CUSTOM_CFLAGS_missing := -Wl,--allow-undefined
CUSTOM_CFLAGS_simd    := -msimd128
CUSTOM_CFLAGS_atomics := -matomics

CUSTOM_COPY := runners/conformance/testdata/custom

.PHONY: custom-testdata
custom-testdata: $(foreach m,$(CUSTOM_MODS),$(CUSTOM_DIR)/$m.wasm)
	mkdir -p $(CUSTOM_COPY)
	cp $(CUSTOM_DIR)/*.wasm $(CUSTOM_DIR)/*.expected $(CUSTOM_DIR)/input.txt $(CUSTOM_COPY)/

$(CUSTOM_DIR)/%.wasm: $(CUSTOM_DIR)/%.c $(CUSTOM_DIR)/bench.h
	cd $(CUSTOM_DIR) && clang --target=wasm32-wasi -O2 $(CUSTOM_CFLAGS_$*) -o $*.wasm $*.c && wasm-strip $*.wasm

# The sandbox suite's guest (runners/conformance/sandbox.go): a C module
# that tries every way out of its preopened folder, committed beside its
# source; runners/conformance's TestSandboxGuestMatchesSource rebuilds it
# with the command in its header comment and compares the bytes.
#
#   make sandbox-testdata  rebuild runners/conformance/testdata/sandbox/sandbox.wasm

SANDBOX_DIR := runners/conformance/testdata/sandbox

.PHONY: sandbox-testdata
sandbox-testdata: $(SANDBOX_DIR)/sandbox.wasm

$(SANDBOX_DIR)/sandbox.wasm: $(SANDBOX_DIR)/sandbox.c
	cd $(SANDBOX_DIR) && clang --target=wasm32-wasi -O2 -o sandbox.wasm sandbox.c && wasm-strip sandbox.wasm

# The soak test modules (testdata/soak/): leak.wat grows its memory a page
# per call of its export handle, noleak.wat is its twin that does not;
# internal/run's TestSoakModulesMatchWAT rebuilds them and compares the
# bytes, and TestSoakFlagsTheLeak runs both under --soak on lambda-local.
#
#   make soak-testdata     rebuild testdata/soak/*.wasm (needs wabt's wat2wasm)

SOAK_DIR := testdata/soak

.PHONY: soak-testdata
soak-testdata: $(SOAK_DIR)/leak.wasm $(SOAK_DIR)/noleak.wasm

$(SOAK_DIR)/%.wasm: $(SOAK_DIR)/%.wat
	cd $(SOAK_DIR) && wat2wasm $*.wat -o $*.wasm
