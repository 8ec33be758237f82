# Bring-your-own-wasm test modules (testdata/sightglass/): C sources in
# the Sightglass benchmark layout, with their .wasm committed beside them.
#
#   make custom-testdata   rebuild the committed .wasm files
#
# Needs Debian clang lld wasi-libc libclang-rt-dev-wasm32 and wabt
# (wasm-strip). Each rule is the command in its source's header comment;
# internal/run's TestSightglassModulesMatchSources checks they agree.

CUSTOM_DIR  := testdata/sightglass
CUSTOM_MODS := checksum logs wrong trap missing simd atomics
CUSTOM_CFLAGS_missing := -Wl,--allow-undefined
CUSTOM_CFLAGS_simd    := -msimd128
CUSTOM_CFLAGS_atomics := -matomics

.PHONY: custom-testdata
custom-testdata: $(foreach m,$(CUSTOM_MODS),$(CUSTOM_DIR)/$m.wasm)

$(CUSTOM_DIR)/%.wasm: $(CUSTOM_DIR)/%.c $(CUSTOM_DIR)/bench.h
	cd $(CUSTOM_DIR) && clang --target=wasm32-wasi -O2 $(CUSTOM_CFLAGS_$*) -o $*.wasm $*.c && wasm-strip $*.wasm
