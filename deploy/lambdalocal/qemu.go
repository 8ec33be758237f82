package lambdalocal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/wasmbench/bench/runners"
)

// Emulator runs programs of one architecture (and, for x86_64, one CPU
// model) on this machine through qemu-user. What runs under it is slow,
// and its timings are emulated ones: they check that an arm64 package,
// its worker and its ahead-of-time artifact work, never how fast.
type Emulator struct {
	// Arch is the architecture it runs, in Lambda's names.
	Arch string
	// Path is the qemu-user binary, Args its options before the program.
	Path string
	Args []string
}

// EmulatedNote marks what was measured under an Emulator: reports and
// comparisons must leave such timings out.
const EmulatedNote = "emulated (qemu-user): timings check correctness only and are not comparable"

// Qemu CPU models (-cpu): the CPUs whose features bench's Lambda targets
// allow (runners.LambdaX86, runners.LambdaARM). Graviton2 is a Neoverse
// N1; qemu 7.2 has the model.
const (
	QemuCPUX86 = runners.QemuX86CPU
	QemuCPUARM = "neoverse-n1"
)

// qemuBinaries are the Debian qemu-user-static programs by architecture.
var qemuBinaries = map[string]string{
	runners.ArchX86: "qemu-x86_64-static",
	runners.ArchARM: "qemu-aarch64-static",
}

// sysroots are where Debian's cross C libraries keep an architecture's
// dynamic loader and libraries (libc6-<arch>-cross), which qemu-user
// takes as the root for them (-L) on a machine of another architecture.
var sysroots = map[string]string{
	runners.ArchX86: "/usr/x86_64-linux-gnu",
	runners.ArchARM: "/usr/aarch64-linux-gnu",
}

// QemuFor returns the emulator for an architecture, with the CPU model of
// its Lambda target, or says what to install.
func QemuFor(arch string) (Emulator, error) {
	bin, ok := qemuBinaries[arch]
	if !ok {
		return Emulator{}, fmt.Errorf("no emulator for architecture %q (want %s or %s)", arch, runners.ArchX86, runners.ArchARM)
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return Emulator{}, fmt.Errorf("running %s programs here needs %s (Debian: apt-get install qemu-user-static)", arch, bin)
	}
	cpu := QemuCPUX86
	if arch == runners.ArchARM {
		cpu = QemuCPUARM
	}
	e := Emulator{Arch: arch, Path: p, Args: []string{"-cpu", cpu}}
	if arch != runners.HostArch() {
		root := sysroots[arch]
		if _, err := os.Stat(filepath.Join(root, "lib")); err != nil {
			pkg := "libc6-arm64-cross"
			if arch == runners.ArchX86 {
				pkg = "libc6-amd64-cross"
			}
			return Emulator{}, fmt.Errorf("running dynamically linked %s programs here needs their C library in %s (Debian: apt-get install %s)", arch, root, pkg)
		}
		e.Args = append(e.Args, "-L", root)
	}
	return e, nil
}

// Command is prog with args, run under the emulator.
func (e Emulator) Command(prog string, args ...string) (string, []string) {
	return e.Path, append(append(append([]string(nil), e.Args...), prog), args...)
}

// Qemu launches each environment as Process does, with the bootstrap run
// under an Emulator: an arm64 package runs on an x86_64 machine. Its
// timings are emulated (EmulatedNote).
type Qemu struct {
	Emulator Emulator
}

var _ Launcher = Qemu{}

// Name implements Launcher.
func (q Qemu) Name() string { return "process under " + filepath.Base(q.Emulator.Path) }

// TaskRoot implements Launcher: the package folder itself.
func (Qemu) TaskRoot(dir string) string { return dir }

// MemoryLimit implements Launcher: as Process, on the emulator's resident
// set, which holds the emulator and its translated code besides the
// bootstrap's own memory.
func (Qemu) MemoryLimit() string {
	return Process{}.MemoryLimit() + ", of the emulator with the bootstrap in it"
}

// Launch implements Launcher.
func (q Qemu) Launch(_ context.Context, s LaunchSpec) (Proc, error) {
	path, args := q.Emulator.Command(filepath.Join(s.Dir, "bootstrap"))
	return startProcess(exec.Command(path, args...), s)
}
