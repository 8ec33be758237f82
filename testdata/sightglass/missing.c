// missing: imports env.host_secret, a function no runtime provides, so
// every runtime must refuse to instantiate it and name the import.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -Wl,--allow-undefined -o missing.wasm missing.c && wasm-strip missing.wasm
#include <stdio.h>

__attribute__((import_module("env"), import_name("host_secret"))) int host_secret(int);

int main(void) {
	printf("secret %d\n", host_secret(7));
	return 0;
}
