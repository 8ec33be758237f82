package runners

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// WriteArtifact writes an ahead-of-time artifact atomically: into a
// temporary file beside path, then renamed, so a worker killed mid-write
// never leaves a truncated artifact that a later load would trust. It
// creates path's folder.
func WriteArtifact(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifact folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	return nil
}

// Architectures, in Lambda's names.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// HostArch is the architecture this process runs on, in Lambda's names
// (under qemu-user, the emulated one).
func HostArch() string {
	if runtime.GOARCH == "arm64" {
		return ArchARM
	}
	return ArchX86
}

// Target is a machine an ahead-of-time artifact is compiled for.
type Target struct {
	// Arch is ArchX86 or ArchARM.
	Arch string `json:"arch"`
	// Features are the CPU features compiled code may use, by the names
	// LambdaX86 and LambdaARM use: on a Job, what the artifact may use;
	// on an EventArtifact, what the compiler was in fact allowed to use.
	Features []string `json:"features,omitempty"`
	// Note, on an EventArtifact, says how the runtime was held to the
	// features (its compiler flags, or the CPU it ran on).
	Note string `json:"note,omitempty"`
}

// String is "x86_64 [sse3 ...]", for notes and messages.
func (t *Target) String() string {
	if t == nil {
		return "this machine"
	}
	s := t.Arch + " [" + strings.Join(t.Features, " ") + "]"
	if t.Note != "" {
		s += " (" + t.Note + ")"
	}
	return s
}

// Has reports whether the target allows a feature.
func (t *Target) Has(feature string) bool { return slices.Contains(t.Features, feature) }

// LambdaX86 is what AOT artifacts for Lambda's x86_64 functions may use:
// the x86-64-v3 level (AVX2, with the BMI1/BMI2, FMA and LZCNT that every
// AVX2 server CPU has), and no AVX-512, which Lambda does not promise and
// AMD's server CPUs before Zen 4 lack. See RATIONALE.md, "AOT artifacts
// for the function's architecture".
var LambdaX86 = Target{Arch: ArchX86, Features: []string{
	"sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "bmi1", "bmi2", "lzcnt"}}

// QemuX86CPU is the qemu-user CPU model (qemu-x86_64-static -cpu) whose
// CPUID reports LambdaX86's features and none beyond (measured with
// qemu 7.2: AVX2, BMI1/2, FMA, no AVX-512). A runtime that compiles for
// the CPU it runs on (wasmer) prepares under it.
const QemuX86CPU = "Haswell-v4"

// LambdaARM is what AOT artifacts for Lambda's arm64 functions may use:
// Graviton2's Neoverse N1 is Armv8.2-A with LSE atomics (and FP16,
// dot product and RCpc, which no Cranelift here has a flag for), and no
// pointer authentication (Armv8.3).
var LambdaARM = Target{Arch: ArchARM, Features: []string{"lse"}}

// LambdaTarget is the conservative target of a Lambda architecture.
func LambdaTarget(arch string) (Target, error) {
	switch arch {
	case ArchX86:
		return cloneTarget(LambdaX86), nil
	case ArchARM:
		return cloneTarget(LambdaARM), nil
	}
	return Target{}, fmt.Errorf("no target for architecture %q (want %s or %s)", arch, ArchX86, ArchARM)
}

func cloneTarget(t Target) Target {
	t.Features = slices.Clone(t.Features)
	return t
}
