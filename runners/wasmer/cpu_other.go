//go:build !amd64

package wasmer

// hostFeatures is empty off x86_64: Wasmer 2's CpuFeature set names x86
// features only, so on aarch64 its Cranelift gets the architecture's
// defaults (Armv8.0, no LSE).
func hostFeatures() []string { return nil }
