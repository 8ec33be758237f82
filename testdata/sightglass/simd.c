// simd: sums 4096 floats with 128-bit SIMD (wasm_simd128.h, the fixed-width
// SIMD proposal); a runtime without SIMD must reject it naming the feature.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -msimd128 -o simd.wasm simd.c && wasm-strip simd.wasm
#include <stdio.h>
#include <wasm_simd128.h>

#include "bench.h"

static float data[4096];

int main(void) {
	for (int i = 0; i < 4096; i++) {
		data[i] = (float)(i % 17);
	}
	bench_start();
	v128_t acc = wasm_f32x4_splat(0);
	for (int r = 0; r < 100; r++) {
		for (int i = 0; i < 4096; i += 4) {
			acc = wasm_f32x4_add(acc, wasm_v128_load(&data[i]));
		}
	}
	bench_end();
	float sum = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) +
	            wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
	printf("sum %.0f\n", sum);
	return 0;
}
