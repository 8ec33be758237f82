package wasmer

/*
#include <cpuid.h>

// bench_cpuid fills r with CPUID leaf and subleaf 0; all zero when the
// leaf is beyond the CPU's highest.
static void bench_cpuid(unsigned leaf, unsigned r[4]) {
	r[0] = r[1] = r[2] = r[3] = 0;
	__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
}
*/
import "C"

// hostFeatures are the CPU features Wasmer's Cranelift compiles for on
// this CPU: those of Wasmer 2's CpuFeature set (wasmer-go's target.go
// lists them) that CPUID reports, by LambdaX86's names. Under
// qemu-x86_64-static -cpu MODEL, CPUID is the model's. sse2 is every
// x86_64 CPU's and is left out, as LambdaX86 leaves it out.
func hostFeatures() []string {
	var l1, l7, lx [4]C.unsigned
	C.bench_cpuid(1, &l1[0])
	C.bench_cpuid(7, &l7[0])
	C.bench_cpuid(0x80000001, &lx[0])
	bit := func(r C.unsigned, n uint) bool { return uint32(r)>>n&1 == 1 }
	var out []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"sse3", bit(l1[2], 0)}, {"ssse3", bit(l1[2], 9)}, {"sse4.1", bit(l1[2], 19)}, {"sse4.2", bit(l1[2], 20)},
		{"popcnt", bit(l1[2], 23)}, {"avx", bit(l1[2], 28)},
		{"avx2", bit(l7[1], 5)}, {"bmi1", bit(l7[1], 3)}, {"bmi2", bit(l7[1], 8)}, {"lzcnt", bit(lx[2], 5)},
		{"avx512dq", bit(l7[1], 17)}, {"avx512vl", bit(l7[1], 31)},
	} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}
