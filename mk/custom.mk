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
# internal/run's TestSightglassModulesMatchSources checks they agree,
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
