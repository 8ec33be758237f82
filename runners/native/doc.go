// Package native is the "native" runtime: it runs each workload's native
// executable, built from the same source as its wasm (bin/native/<w>-<lang>,
// see workloads.NativeName), behind the runners.Runner interface, as the
// physical reference every wasm figure is compared with.
//
// Its phases map onto a process: compile checks that the file is an
// executable (ELF, or a #! script), instantiate prepares the exec with the
// job's arguments, environment and files, and execute runs the child to its
// exit — so native execute includes the child's fork and exec (about 1 ms
// here), which a wasm runtime's execute does not. The child sees only the
// job's environment, like a wasm guest. A timeout kills the child
// (KindTimeout); a child killed by a signal is KindTrap, naming the signal.
// A memory cap is set on the child's data segment (RLIMIT_DATA, by
// prlimit right after exec): its heap and anonymous mappings, the native
// counterpart of a linear memory (MemoryCapProcess). There is no callable
// export (callcost is KindUnsupported).
package native
