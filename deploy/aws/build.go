package aws

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/registry"
)

// Lambda runtimes and handlers bench deploys with.
const (
	// ProvidedRuntime runs a custom runtime's bootstrap (every Go worker).
	ProvidedRuntime = "provided.al2023"
	// NodeRuntime runs the Node.js-hosted function's handler.
	NodeRuntime = "nodejs22.x"
	NodeHandler = "lambda.handler"
	// nodeDefaultTier is the only V8 tier the managed Node.js runtime can
	// run: NODE_OPTIONS refuses V8's tiering flags.
	nodeDefaultTier = "tiered"
	// al2023Glibc is the glibc of provided.al2023: a dynamically linked
	// bootstrap may need no newer symbol version.
	al2023Glibc = 34
	// StdinFile is where a workload's input goes in the package.
	StdinFile = "task/input"
)

// Artifact is one deployment package: a runtime's worker for one tier and
// architecture with one workload module, as a zip or an image. Functions
// that differ only in memory size share it.
type Artifact struct {
	Key                                          string
	Runtime, Tier, Workload, Lang, Arch, Package string
	Files                                        []pkg.File
	// Env is the function's environment (runners.EnvTier, EnvModule, ...).
	Env map[string]string
	// LambdaRuntime and Handler are set for zip packages.
	LambdaRuntime, Handler string
	// Zip is the zip's bytes (zip packages); Bytes the package's size
	// (zip, or the image's compressed size) and UnzippedBytes the sum of
	// its files.
	Zip           []byte
	ZipPath       string
	Bytes         int64
	UnzippedBytes int64
	Image         v1.Image
	ImageDigest   string
	// StdinPath is the workload input inside the package, if any, and
	// Dirs a custom module's preopened folders shipped in it (read-only
	// at /var/task on AWS Lambda).
	StdinPath string
	Dirs      []runners.Preopen
	// ModuleBytes is the module's size, InputBytes that of the stdin file
	// and preopened folders shipped with it.
	ModuleBytes, InputBytes int64
	// Unavailable says why the artifact cannot be built or deployed.
	Unavailable string
	// AOTTarget is what an AOT tier's artifact was compiled for (the
	// architecture and the CPU features its compiler could use), and how
	// it was prepared; "" on other tiers.
	AOTTarget string
}

// lambdaArch maps a Go architecture to Lambda's name.
func lambdaArch(goarch string) string {
	if goarch == "arm64" {
		return ArchARM
	}
	return ArchX86
}

func goArch(arch string) string {
	if arch == ArchARM {
		return "arm64"
	}
	return "amd64"
}

// HostArch is this machine's architecture, in Lambda's words.
var HostArch = lambdaArch(goruntime.GOARCH)

// builder builds artifacts into <out>/build, each once.
type builder struct {
	o       *Options
	dir     string
	workers map[string]workerResult
	// prepared is by artifact folder, artifacts by Artifact.Key.
	prepared  map[string]prepResult
	artifacts map[string]*Artifact
}

type workerResult struct {
	cmd         client.Command
	unavailable string
}

type prepResult struct {
	dir   string
	bytes int64
	// target says what the artifact is compiled for and how it was made.
	target string
	err    error
}

func newBuilder(o *Options) *builder {
	return &builder{o: o, dir: o.BuildDir, workers: map[string]workerResult{},
		prepared: map[string]prepResult{}, artifacts: map[string]*Artifact{}}
}

// spec is what the builder needs of a task: the cell, the runtime's
// registry entry, this machine's worker for the tier, and the job (the
// module, its name, the stdin file, the preopened folders and, for a
// tier with a prepare step, the artifact folder).
type spec struct {
	cell   results.Cell
	rt     *registry.Runtime
	worker client.Command
	job    runners.Job
}

func newSpec(t deploy.Task) (*spec, error) {
	rt, ok := registry.Lookup(t.Cell.Runtime)
	if !ok {
		return nil, fmt.Errorf("runtime %q is not in bench's runtime registry", t.Cell.Runtime)
	}
	if t.Job.Module.Path == "" {
		return nil, fmt.Errorf("%s: the job names no module", t.Cell.Key())
	}
	return &spec{cell: t.Cell, rt: rt, worker: t.Worker, job: t.Job}, nil
}

// prepared says whether the tier runs an artifact made by a prepare step.
func (s *spec) prepared() bool { return s.job.ArtifactDir != "" }

// artifact builds the package a function needs (or says why it cannot),
// once per runtime, tier, module, inputs, architecture and package type.
func (b *builder) artifact(ctx context.Context, s *spec, arch, kind string) *Artifact {
	a := &Artifact{Runtime: s.cell.Runtime, Tier: s.cell.Tier, Workload: s.cell.Workload, Lang: s.cell.Lang, Arch: arch, Package: kind}
	a.Key = strings.Join([]string{a.Runtime, a.Tier, a.Workload, a.Lang, s.cell.Param, a.Arch, a.Package}, "-")
	if p, ok := b.artifacts[a.Key]; ok {
		return p
	}
	if err := b.build(ctx, s, a); err != nil {
		a.Unavailable = err.Error()
	}
	if ctx.Err() == nil {
		b.artifacts[a.Key] = a
	}
	return a
}

func (b *builder) build(ctx context.Context, s *spec, a *Artifact) error {
	node := s.rt.Host == registry.HostNode
	if node && a.Package == PackageZip && a.Tier != nodeDefaultTier {
		return fmt.Errorf("node tier %s needs V8 flags the managed Node.js runtime cannot take (NODE_OPTIONS refuses them); use --package image or tier %s", a.Tier, nodeDefaultTier)
	}
	if node && a.Package == PackageImage && a.Arch != HostArch {
		return fmt.Errorf("a Node.js image carries this machine's node binary (%s); there is none for %s here", HostArch, a.Arch)
	}
	if s.rt.Native && a.Arch != HostArch {
		return fmt.Errorf("the native builds of the workloads exist for this machine's architecture (%s) only", HostArch)
	}
	worker, err := b.worker(ctx, s, a.Arch)
	if err != nil {
		return err
	}
	module := s.job.Module.Path
	if _, err := os.Stat(module); err != nil {
		return fmt.Errorf("module: %w", err)
	}
	var extra []pkg.File
	a.Env = map[string]string{
		runners.EnvTier:       a.Tier,
		runners.EnvModule:     path.Join(pkg.ModuleDir, filepath.Base(module)),
		runners.EnvModuleName: s.job.Module.Name,
	}
	if s.job.MaxMemoryBytes > 0 {
		a.Env[runners.EnvMaxMemoryBytes] = strconv.FormatInt(s.job.MaxMemoryBytes, 10)
	}
	if s.prepared() {
		p := b.prepare(ctx, s, a.Arch, s.job.ArtifactDir)
		if p.err != nil {
			return p.err
		}
		a.AOTTarget = p.target
		files, err := pkg.Dir(p.dir, pkg.ArtifactDir)
		if err != nil {
			return err
		}
		extra = append(extra, files...)
		a.Env[runners.EnvArtifactDir] = pkg.ArtifactDir
	}
	// The stdin file and preopened folders travel as lambda-local ships
	// them (task/input/<name>, task/dirs/<n>/).
	in, err := pkg.PackInputs(s.job.StdinPath, s.job.Dirs)
	if err != nil {
		return fmt.Errorf("inputs: %w", err)
	}
	extra = append(extra, in.Files...)
	a.StdinPath, a.Dirs, a.InputBytes = in.StdinPath, in.Dirs, in.Bytes
	if st, err := os.Stat(module); err == nil {
		a.ModuleBytes = st.Size()
	}
	files, err := pkg.Files(worker, module, extra...)
	if err != nil {
		return err
	}
	a.Files = files
	for _, f := range files {
		a.UnzippedBytes += fileSize(f)
	}
	if err := os.MkdirAll(filepath.Join(b.dir, "packages"), 0o755); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	switch a.Package {
	case PackageZip:
		if node {
			a.LambdaRuntime, a.Handler = NodeRuntime, NodeHandler
		} else {
			a.LambdaRuntime, a.Handler = ProvidedRuntime, "bootstrap"
			for _, f := range files {
				if f.Name == "bootstrap" || strings.HasPrefix(f.Name, "lib/") || (s.rt.Native && strings.HasPrefix(f.Name, pkg.ModuleDir+"/")) {
					if err := checkELF(f.Src, a.Arch, files); err != nil {
						return fmt.Errorf("%s cannot run on %s: %w", f.Name, ProvidedRuntime, err)
					}
				}
			}
		}
		if a.UnzippedBytes > MaxUnzippedBytes {
			return fmt.Errorf("package unzipped is %d MB, over Lambda's %d MB", a.UnzippedBytes>>20, MaxUnzippedBytes>>20)
		}
		var buf bytes.Buffer
		if err := pkg.Zip(&buf, files); err != nil {
			return err
		}
		a.Zip = buf.Bytes()
		a.Bytes = int64(buf.Len())
		a.ZipPath = filepath.Join(b.dir, "packages", a.Key+".zip")
		if err := os.WriteFile(a.ZipPath, a.Zip, 0o644); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	case PackageImage:
		imgFiles := files
		opts := pkg.ImageOptions{Arch: goArch(a.Arch)}
		if node {
			nf, err := pkg.NodeFiles()
			if err != nil {
				return err
			}
			imgFiles = append(append([]pkg.File(nil), files...), nf...)
			// No shell in a from-scratch image: run node directly, with
			// the tier's V8 flags.
			opts.Entrypoint = append(append([]string{"/usr/bin/node"}, nodeFlags(worker)...), pkg.TaskRoot+"/"+pkg.NodeHandler)
		} else if a.Arch == HostArch {
			imgFiles, err = pkg.SystemLibraries(files)
			if err != nil {
				return err
			}
		} else {
			imgFiles, err = crossSystemLibraries(files, a.Arch)
			if err != nil {
				return fmt.Errorf("image for %s: %w", a.Arch, err)
			}
		}
		img, err := pkg.Image(imgFiles, opts)
		if err != nil {
			return err
		}
		a.Image = img
		if a.Bytes, err = pkg.ImageSize(img); err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return fmt.Errorf("build: image digest: %w", err)
		}
		a.ImageDigest = d.String()
		if a.Bytes > MaxImageBytes {
			return fmt.Errorf("image is %d MB, over Lambda's 10 GB", a.Bytes>>20)
		}
	}
	return nil
}

func fileSize(f pkg.File) int64 {
	if f.Data != nil {
		return int64(len(f.Data))
	}
	if st, err := os.Stat(f.Src); err == nil {
		return st.Size()
	}
	return 0
}

// nodeFlags are the V8 flags of a node worker command (its arguments
// before the script).
func nodeFlags(c client.Command) []string {
	var out []string
	for _, a := range c.Args {
		if strings.HasSuffix(a, ".mjs") || strings.HasSuffix(a, ".js") {
			break
		}
		out = append(out, a)
	}
	return out
}

// prepare runs the worker's prepare step for an AOT tier, once per
// runtime, tier, architecture and module. An artifact that is machine code
// (TierInfo.MachineCode) is compiled for the function's architecture with
// the conservative CPU features of runners.LambdaTarget, not this
// machine's: by the worker for that architecture, run under qemu-user
// when it is not this machine's, and under qemu-x86_64-static with a CPU
// model of the target's features when the runtime can only compile for
// the CPU it runs on (wasmer). Other artifacts (wazero's compilation
// cache) are made for this machine only.
func (b *builder) prepare(ctx context.Context, s *spec, arch, dir string) prepResult {
	name := s.rt.Name
	if p, ok := b.prepared[dir]; ok {
		return p
	}
	p := prepResult{dir: dir}
	p.err = func() error {
		machine, err := machineCode(ctx, s)
		if err != nil {
			return err
		}
		if !machine && arch != HostArch {
			return runners.Errorf(runners.KindUnsupported, "tier %s's ahead-of-time artifact must be prepared by a worker running on %s, and this machine is %s", s.cell.Tier, arch, HostArch)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		job := runners.Job{ID: "prepare", Op: runners.OpPrepare, Tier: s.cell.Tier,
			Module: runners.ModuleRef{Name: s.job.Module.Name, Path: s.job.Module.Path}, ArtifactDir: dir}
		worker, err := b.worker(ctx, s, arch)
		if err != nil {
			return err
		}
		if !machine {
			ev, err := b.runPrepare(ctx, name, worker, job)
			p.bytes = ev.ArtifactBytes
			return err
		}
		target, err := runners.LambdaTarget(arch)
		if err != nil {
			return err
		}
		job.Target = &target
		how := ""
		ev, err := b.runPrepare(ctx, name, worker, job)
		if arch == HostArch && errKind(err) == runners.KindUnsupported {
			// The runtime cannot be held to the target's features on this
			// CPU: give it a CPU that has those only.
			how = fmt.Sprintf(" under qemu-x86_64-static -cpu %s", lambdalocal.QemuCPUX86)
			emu, qerr := lambdalocal.QemuFor(arch)
			if qerr != nil {
				return fmt.Errorf("%w; %v", err, qerr)
			}
			ev, err = b.runPrepare(ctx, name, emulated(emu, worker), job)
		} else if arch != HostArch {
			emu, qerr := lambdalocal.QemuFor(arch)
			if qerr != nil {
				return fmt.Errorf("%s: tier %s's artifact for %s is compiled by the %s worker, run here under qemu-user: %w", name, s.cell.Tier, arch, arch, qerr)
			}
			how = " by the " + arch + " worker under " + filepath.Base(emu.Path) + " -cpu " + lambdalocal.QemuCPUARM
			ev, err = b.runPrepare(ctx, name, emulated(emu, worker), job)
		}
		if err != nil {
			return err
		}
		p.bytes = ev.ArtifactBytes
		if ev.Target == nil {
			return fmt.Errorf("%s: prepare %s for tier %s: the worker did not say what it compiled for", name, s.job.Module.Name, s.cell.Tier)
		}
		p.target = ev.Target.String() + how
		return nil
	}()
	if p.err == nil && p.target != "" {
		fmt.Fprintf(b.o.Log, "prepared %s %s for %s: %s\n", name, s.cell.Tier, s.job.Module.Name, p.target)
	}
	if ctx.Err() == nil {
		b.prepared[dir] = p
	}
	return p
}

// machineCode asks this machine's worker (its hello) whether the tier's
// artifact is machine code (TierInfo.MachineCode).
func machineCode(ctx context.Context, s *spec) (bool, error) {
	cl, err := client.Start(ctx, s.worker)
	if err != nil {
		return false, fmt.Errorf("%s: start the worker: %w", s.rt.Name, err)
	}
	defer cl.Close()
	for _, ti := range cl.Hello.Tiers {
		if ti.Name == s.cell.Tier {
			return ti.MachineCode, nil
		}
	}
	return false, fmt.Errorf("%s has no tier %q", s.rt.Name, s.cell.Tier)
}

// runPrepare runs one prepare job in a fresh worker and returns its
// artifact event.
func (b *builder) runPrepare(ctx context.Context, runtime string, worker client.Command, job runners.Job) (runners.Event, error) {
	var art runners.Event
	cl, err := client.Start(ctx, worker)
	if err != nil {
		return art, fmt.Errorf("%s: prepare %s: %w", runtime, job.Module.Name, err)
	}
	defer cl.Close()
	err = cl.Do(ctx, job, func(ev runners.Event) {
		if ev.Type == runners.EventArtifact {
			art = ev
		}
	})
	if err != nil {
		return art, fmt.Errorf("%s: prepare %s for tier %s: %w", runtime, job.Module.Name, job.Tier, err)
	}
	return art, nil
}

// errKind is the kind of a worker's error, "" for any other error.
func errKind(err error) runners.ErrorKind {
	var e *runners.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// emulated is a worker command run under an emulator.
func emulated(e lambdalocal.Emulator, w client.Command) client.Command {
	path, args := e.Command(w.Path, w.Args...)
	return client.Command{Path: path, Args: args, Env: w.Env, Dir: w.Dir}
}

// worker finds (this machine's architecture) or cross-compiles (the
// other) a runtime's worker.
func (b *builder) worker(ctx context.Context, s *spec, arch string) (client.Command, error) {
	if arch == HostArch || s.rt.Host != "" { // a script runs on either
		return s.worker, nil
	}
	key := s.rt.Name + "/" + arch
	r, ok := b.workers[key]
	if !ok {
		r = b.crossCompile(ctx, s.rt, arch)
		if ctx.Err() == nil {
			b.workers[key] = r
		}
	}
	if r.unavailable != "" {
		return client.Command{}, fmt.Errorf("%s", r.unavailable)
	}
	return r.cmd, nil
}

// crossSetups are the cross recipes' setup steps, by the name the
// registry's Cross.Setup gives: each adds environment (CGO flags) and
// files beside the binary.
var crossSetups = map[string]func(ctx context.Context, moduleDir, outDir, arch string) ([]string, error){
	"wasmer": wasmerCross,
}

// crossCC is the Debian cross compiler for an architecture.
func crossCC(arch string) string {
	if arch == ArchARM {
		return "aarch64-linux-gnu-gcc"
	}
	return "x86_64-linux-gnu-gcc"
}

func crossPackage(arch string) string {
	if arch == ArchARM {
		return "gcc-aarch64-linux-gnu"
	}
	return "gcc-x86-64-linux-gnu"
}

func (b *builder) crossCompile(ctx context.Context, rt *registry.Runtime, arch string) workerResult {
	rec := rt.Cross // the registry's recipe, which mirrors mk/*.mk
	if rec == nil {
		return workerResult{unavailable: fmt.Sprintf("no way to build the %s worker for %s here", rt.Name, arch)}
	}
	if b.o.SrcDir == "" {
		return workerResult{unavailable: fmt.Sprintf("building the %s worker for %s needs bench's source tree (run from it)", rt.Name, arch)}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return workerResult{unavailable: fmt.Sprintf("building the %s worker for %s needs the go command", rt.Name, arch)}
	}
	env := append(os.Environ(), "GOOS=linux", "GOARCH="+goArch(arch), "GOFLAGS=-mod=mod")
	if rec.CGO {
		cc := crossCC(arch)
		if _, err := exec.LookPath(cc); err != nil {
			return workerResult{unavailable: fmt.Sprintf("the %s worker is cgo: building it for %s needs the C cross compiler %s (Debian: apt-get install %s)",
				rt.Name, arch, cc, crossPackage(arch))}
		}
		env = append(env, "CGO_ENABLED=1", "CC="+cc)
	} else {
		env = append(env, "CGO_ENABLED=0")
	}
	outDir := filepath.Join(b.dir, "workers", arch)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return workerResult{unavailable: err.Error()}
	}
	moduleDir := filepath.Join(b.o.SrcDir, rec.Module)
	if rec.Setup != "" {
		setup, ok := crossSetups[rec.Setup]
		if !ok {
			return workerResult{unavailable: fmt.Sprintf("%s worker for %s: no setup step %q", rt.Name, arch, rec.Setup)}
		}
		more, err := setup(ctx, moduleDir, outDir, arch)
		if err != nil {
			return workerResult{unavailable: fmt.Sprintf("%s worker for %s: %v", rt.Name, arch, err)}
		}
		env = append(env, more...)
	}
	out := filepath.Join(outDir, rt.Binary)
	args := []string{"build", "-trimpath", "-o", out}
	if rec.Tags != "" {
		args = append(args, "-tags", rec.Tags)
	}
	if rec.LDFlags != "" {
		args = append(args, "-ldflags", rec.LDFlags)
	}
	args = append(args, rec.Package)
	fmt.Fprintf(b.o.Log, "building the %s worker for %s (GOARCH=%s)...\n", rt.Name, arch, goArch(arch))
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = moduleDir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return workerResult{unavailable: fmt.Sprintf("building the %s worker for %s failed: %v: %s", rt.Name, arch, err, lastLines(stderr.String(), 3))}
	}
	return workerResult{cmd: client.Command{Path: out}}
}

// wasmerCross points cgo at wasmer-go's packaged library for the
// architecture and copies it beside the worker (lib/, the $ORIGIN/lib run
// path), as mk/wasmer.mk does for this machine.
func wasmerCross(ctx context.Context, moduleDir, outDir, arch string) ([]string, error) {
	// go mod download puts the module in the cache if it is not there
	// yet (go list -m names no folder then) and says where it is.
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "github.com/wasmerio/wasmer-go")
	cmd.Dir = moduleDir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("find wasmer-go (go mod download in %s): %w", moduleDir, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return nil, fmt.Errorf("find wasmer-go (go mod download in %s): no folder in %q %s", moduleDir, out, mod.Error)
	}
	dir := filepath.Join(mod.Dir, "wasmer", "packaged")
	libArch := "linux-amd64"
	if arch == ArchARM {
		libArch = "linux-aarch64"
	}
	lib := filepath.Join(dir, "lib", libArch, "libwasmer.so")
	data, err := os.ReadFile(lib)
	if err != nil {
		return nil, fmt.Errorf("wasmer-go ships no library for %s: %w", arch, err)
	}
	if err := os.MkdirAll(filepath.Join(outDir, "lib"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(outDir, "lib", "libwasmer.so"), data, 0o755); err != nil {
		return nil, err
	}
	return []string{"CGO_CFLAGS=-I" + filepath.Join(dir, "include"),
		"CGO_LDFLAGS=-L" + filepath.Dir(lib) + " -lwasmer -Wl,-rpath,$ORIGIN/lib"}, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Libraries a provided.al2023 environment has, besides those a package
// ships in lib/.
var al2023Libs = map[string]bool{
	"libc.so.6": true, "libm.so.6": true, "libpthread.so.0": true, "libdl.so.2": true, "librt.so.1": true,
	"libgcc_s.so.1": true, "libstdc++.so.6": true, "libresolv.so.2": true, "libutil.so.1": true,
	"ld-linux-x86-64.so.2": true, "ld-linux-aarch64.so.1": true,
}

// checkELF says whether an executable can run in a provided.al2023
// environment of an architecture: the right machine, and either static or
// linked only against libraries it has (or the package ships) with glibc
// symbol versions no newer than 2.34.
func checkELF(p, arch string, files []pkg.File) error {
	f, err := elf.Open(p)
	if err != nil {
		return nil // not ELF: a script
	}
	defer f.Close()
	want := elf.EM_X86_64
	if arch == ArchARM {
		want = elf.EM_AARCH64
	}
	if f.Machine != want {
		return fmt.Errorf("it is built for %s, not %s", f.Machine, arch)
	}
	libs, _ := f.ImportedLibraries()
	dynamic := len(libs) > 0
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	if !dynamic {
		return nil
	}
	shipped := map[string]bool{}
	for _, pf := range files {
		if strings.HasPrefix(pf.Name, "lib/") {
			shipped[path.Base(pf.Name)] = true
		}
	}
	for _, l := range libs {
		if !al2023Libs[l] && !shipped[l] {
			return fmt.Errorf("it needs %s, which %s does not have and the package does not ship", l, ProvidedRuntime)
		}
	}
	syms, _ := f.ImportedSymbols()
	maxMinor, maxSym := 0, ""
	for _, s := range syms {
		v, ok := strings.CutPrefix(s.Version, "GLIBC_2.")
		if !ok {
			continue
		}
		minor, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
		if err == nil && minor > maxMinor {
			maxMinor, maxSym = minor, s.Name
		}
	}
	if maxMinor > al2023Glibc {
		return fmt.Errorf("it needs glibc 2.%d (symbol %s) and %s has glibc 2.%d: link it statically", maxMinor, maxSym, ProvidedRuntime, al2023Glibc)
	}
	return nil
}

// crossSysroot is where Debian's cross toolchain keeps another
// architecture's C library (package libc6-<arch>-cross).
func crossSysroot(arch string) string {
	if arch == ArchARM {
		return "/usr/aarch64-linux-gnu/lib"
	}
	return "/usr/x86_64-linux-gnu/lib"
}

func multiarch(arch string) string {
	if arch == ArchARM {
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// crossSystemLibraries is pkg.SystemLibraries for an architecture this
// machine does not run (ldd cannot): the program interpreter and the
// shared libraries the package's ELF files need, found in the cross
// toolchain's sysroot and placed where that interpreter looks
// (/lib/<multiarch>). Static executables need nothing.
func crossSystemLibraries(files []pkg.File, arch string) ([]pkg.File, error) {
	out := append([]pkg.File(nil), files...)
	have := map[string]bool{}
	for _, f := range files {
		have[path.Base(f.Name)] = true
	}
	sysroot := crossSysroot(arch)
	queue := []string{}
	for _, f := range files {
		if f.Data == nil && f.Src != "" {
			queue = append(queue, f.Src)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		ef, err := elf.Open(p)
		if err != nil {
			continue // not ELF
		}
		var interp string
		for _, prog := range ef.Progs {
			if prog.Type == elf.PT_INTERP {
				b := make([]byte, prog.Filesz)
				if _, err := prog.ReadAt(b, 0); err == nil {
					interp = strings.TrimRight(string(b), "\x00")
				}
			}
		}
		libs, _ := ef.ImportedLibraries()
		ef.Close()
		if interp != "" && !have[interp] {
			src := filepath.Join(sysroot, path.Base(interp))
			if _, err := os.Stat(src); err != nil {
				return nil, fmt.Errorf("%s needs %s: no %s (Debian: apt-get install %s)", filepath.Base(p), interp, src, crossPackage(arch))
			}
			have[interp] = true
			out = append(out, pkg.File{Name: interp, Src: src, Mode: 0o755})
		}
		for _, l := range libs {
			if have[l] {
				continue
			}
			src := filepath.Join(sysroot, l)
			if _, err := os.Stat(src); err != nil {
				return nil, fmt.Errorf("%s needs %s, which is not in %s", filepath.Base(p), l, sysroot)
			}
			have[l] = true
			out = append(out, pkg.File{Name: "/lib/" + multiarch(arch) + "/" + l, Src: src, Mode: 0o755})
			queue = append(queue, src)
		}
	}
	return out, nil
}
