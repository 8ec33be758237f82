// image: reads a JPEG on stdin, resizes it to fit 1920x1080 keeping its
// aspect ratio (3000x2000 -> 1620x1080) with a Catmull-Rom filter, and
// writes it to stdout as a JPEG of quality 85, with Debian's libstb-dev
// (stb_image, stb_image_resize, stb_image_write; header-only). Only stdin
// and stdout are used, through stb's callbacks. A WASI command; the same
// source is the native build, and the two must write the same bytes.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	clang --target=wasm32-wasi -O2 -I/usr/include/stb -o image.wasm image.c && wasm-strip image.wasm
//	clang -O2 -I/usr/include/stb -o ../../../bin/native/image-c image.c -lm
//
// STBI_NO_SIMD keeps the native x86 build on the same scalar JPEG decoder as
// the wasm build (which has no SSE2), so both run the same algorithm. (stb's
// SSE2 decoder gives the same bytes here and no measurable speed-up, but the
// comparison should not rest on that.) Never build the native version with
// -march=native: clang then contracts a*b+c into FMA and the output differs.
#include <stdio.h>
#include <stdlib.h>

#define STBI_NO_STDIO
#define STBI_NO_SIMD
#define STBI_ONLY_JPEG
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"

#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

// The box the output must fit in, and the output's JPEG quality.
enum { MAX_W = 1920, MAX_H = 1080, QUALITY = 85 };

static int read_stdin(void *user, char *data, int size) {
	(void)user;
	return (int)fread(data, 1, (size_t)size, stdin);
}

static void skip_stdin(void *user, int n) {
	(void)user;
	char buf[4096];
	while (n > 0) {
		size_t want = n < (int)sizeof buf ? (size_t)n : sizeof buf;
		size_t got = fread(buf, 1, want, stdin);
		if (got == 0) {
			return;
		}
		n -= (int)got;
	}
}

static int eof_stdin(void *user) {
	(void)user;
	return feof(stdin) || ferror(stdin);
}

static int write_failed;

static void write_stdout(void *context, void *data, int size) {
	(void)context;
	if (fwrite(data, 1, (size_t)size, stdout) != (size_t)size) {
		write_failed = 1;
	}
}

static int max_int(int a, int b) { return a > b ? a : b; }

// fit scales w x h to the largest size that fits MAX_W x MAX_H with the same
// aspect ratio (rounded to the nearest pixel, at least 1); an image that
// already fits keeps its size. The Go version computes it the same way.
static void fit(int w, int h, int *dw, int *dh) {
	if (w <= MAX_W && h <= MAX_H) {
		*dw = w;
		*dh = h;
	} else if ((long long)w * MAX_H >= (long long)h * MAX_W) { // width-limited
		*dw = MAX_W;
		*dh = max_int(1, (int)(((long long)h * MAX_W + w / 2) / w));
	} else {
		*dw = max_int(1, (int)(((long long)w * MAX_H + h / 2) / h));
		*dh = MAX_H;
	}
}

int main(void) {
	static const stbi_io_callbacks in = {read_stdin, skip_stdin, eof_stdin};
	int sw, sh, comp;
	unsigned char *src = stbi_load_from_callbacks(&in, NULL, &sw, &sh, &comp, 3);
	if (src == NULL) {
		fprintf(stderr, "image: decode stdin: %s\n", stbi_failure_reason());
		return 1;
	}
	int dw, dh;
	fit(sw, sh, &dw, &dh);
	unsigned char *dst = malloc((size_t)dw * (size_t)dh * 3);
	if (dst == NULL) {
		fprintf(stderr, "image: out of memory for a %dx%d output\n", dw, dh);
		return 1;
	}
	if (!stbir_resize_uint8_generic(src, sw, sh, 0, dst, dw, dh, 0, 3, STBIR_ALPHA_CHANNEL_NONE, 0,
	                                STBIR_EDGE_CLAMP, STBIR_FILTER_CATMULLROM, STBIR_COLORSPACE_LINEAR, NULL)) {
		fprintf(stderr, "image: resize %dx%d to %dx%d failed\n", sw, sh, dw, dh);
		return 1;
	}
	if (!stbi_write_jpg_to_func(write_stdout, NULL, dw, dh, 3, dst, QUALITY) || write_failed || fflush(stdout) != 0) {
		fprintf(stderr, "image: encode stdout: write failed\n");
		return 1;
	}
	stbi_image_free(src);
	free(dst);
	return 0;
}
