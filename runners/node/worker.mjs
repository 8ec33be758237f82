// The bench worker for Node.js (V8). It speaks the JSON-lines worker
// protocol of runners/protocol.go, with the same events, phases and error
// kinds as the Go worker loop in runners/serve.go (change them together),
// and runs WASI preview1 guests through node:wasi.
//
// Run it as `node --no-warnings <tier flags> worker.mjs` (node.Command in
// Go builds that line). V8's compiler flags are per process, so a process
// serves one tier: the one its flags name (see TIERS); a job for another
// tier is answered with a bad_job error.
//
// Imported as a module (runners/node/lambda.mjs does), it runs nothing: it
// exports hello() and runJob(job, emit), which do all the timing.

// The start of the script: the first statement of the module body (the
// built-in modules imported below are evaluated before it, quickly). The
// orchestrator subtracts its clock before exec from it to get the spawn
// phase, which therefore includes Node's own bootstrap.
const startUnixNano = Math.round((performance.timeOrigin + performance.now()) * 1e6);

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { WASI } from 'node:wasi';

export const RUNTIME = 'node';

// Node.js 20's WASI functions are V8 "fast API" calls from wasm, and
// uvwasi's allocator reports memory to V8 inside them, which can start a
// garbage collection where none is allowed: the Go image workload then
// aborts the process (uv_mutex_destroy in ~WASI, during fd_write) or
// corrupts the heap. Without fast calls the WASI functions take V8's
// ordinary API path. Set here, before any wasm is compiled, so that a host
// importing this module (lambda.mjs) is covered too.
v8.setFlagsFromString('--no-turbo-fast-api-calls');

// Error kinds, as in runners/runner.go.
export const Kind = Object.freeze({
  compile: 'compile',
  unsupported: 'unsupported',
  trap: 'trap',
  exit: 'exit',
  timeout: 'timeout',
  memory: 'memory',
  notPrepared: 'not_prepared',
  badJob: 'bad_job',
  outputLimit: 'output_limit',
  internal: 'internal',
});

// Output bounds, as in runners/protocol.go.
export const DEFAULT_MAX_OUTPUT = 64 << 20;
const KEEP_STDOUT_MAX = 1 << 20;
const HEAD_MAX = 256;
const TAIL_MAX = 4096;
// IO_PREFIX names temporary I/O folders, with this process's ID after it
// (runners.IOPrefix: a later run removes those of dead processes).
export const IO_PREFIX = 'bench-io-';
const WASI_EFBIG = 22; // wasi_snapshot_preview1 errno "fbig"

// Phase names, as in runners/protocol.go.
const Phase = Object.freeze({
  init: 'init',
  compile: 'compile',
  instantiate: 'instantiate',
  execute: 'execute',
  executeAll: 'execute_all',
  call: 'call',
  soakRSS: 'soak_rss',
});

const COMPILE_NOTE =
  'compile is reading the file and new WebAssembly.Module (synchronous): V8 decodes and validates every ' +
  'function there, but compiles each function lazily at its first call (--wasm-lazy-compilation is V8 11\'s ' +
  'default), so code generation lands in the first execute';

const COMMON_LIMITS = [
  'timeout: V8 TerminateExecution through node:vm\'s watchdog stops guest code and the worker serves on; a ' +
    'guest blocked inside one host call (e.g. a long poll_oneoff sleep) stops only when that call returns or ' +
    'the orchestrator kills the worker',
  'memory cap: V8\'s --wasm-max-mem-pages, set per job at run time, in whole 64 KiB pages; a guest over it ' +
    'sees memory.grow fail and its own failure (trap or exit) is reported as memory',
  'output limit: node:wasi cannot cap a file, so fd_write to stdout and stderr goes through a JavaScript wrapper ' +
    'that counts the bytes and refuses (errno fbig) a write past the limit; it costs one JavaScript call per write',
  'one tier per process: V8 flags are fixed at start-up (node.Command builds the command line for a tier)',
];

const AOT_UNAVAILABLE =
  'Node.js ' + process.version + ' exposes no way to save V8\'s compiled wasm code: v8.serialize of a ' +
  'WebAssembly.Module writes only a header (v8.deserialize then fails with "Unable to deserialize cloned ' +
  'data"), structuredClone and postMessage share a module only inside one process, a startup snapshot ' +
  '(--build-snapshot) has no WebAssembly global, and V8\'s CompiledWasmModule::Serialize is C++ API only';

// TIERS are the tiers this worker knows. flags are the V8 flags that select
// the tier; the worker checks them against process.execArgv at start-up.
export const TIERS = Object.freeze([
  {
    name: 'baseline',
    flags: ['--liftoff-only'],
    description: 'Liftoff, V8\'s single-pass baseline compiler, only (--liftoff-only: no tier-up to TurboFan; ' +
      '--liftoff --no-wasm-tier-up would not stop V8 11\'s dynamic tier-up); ' + COMPILE_NOTE,
  },
  {
    name: 'jit',
    flags: ['--no-liftoff'],
    description: 'TurboFan, V8\'s optimizing compiler, only (--no-liftoff); ' + COMPILE_NOTE +
      ', here by TurboFan',
  },
  {
    name: 'tiered',
    flags: [],
    description: 'V8\'s default: Liftoff at a function\'s first call, then hot functions recompiled by TurboFan ' +
      'on background threads (dynamic tiering), so warm executions approach TurboFan speed; ' + COMPILE_NOTE,
  },
  { name: 'aot', flags: null, description: 'a serialized V8 module loaded from disk', unavailable: AOT_UNAVAILABLE },
]);

// tierInfos is the hello's tier list (runners.TierInfo).
export function tierInfos() {
  return TIERS.map((t) => {
    const info = { name: t.name, description: t.description };
    if (t.unavailable) {
      info.unavailable = t.unavailable;
    } else {
      info.limits = COMMON_LIMITS;
    }
    return info;
  });
}

// tierFlags picks from command-line arguments those that change how V8
// compiles wasm.
function tierFlags(args) {
  return args.filter((a) => /^--(no-)?(liftoff|wasm)/.test(a.replace(/_/g, '-'))).sort();
}

// tierOf returns the tier that the V8 flags in args (process.execArgv and
// NODE_OPTIONS) select, or null when they match no tier.
export function tierOf(args) {
  const got = tierFlags(args).join(' ');
  const t = TIERS.find((t) => t.flags && [...t.flags].sort().join(' ') === got);
  return t ? t.name : null;
}

function processArgs() {
  const opts = (process.env.NODE_OPTIONS || '').split(/\s+/).filter(Boolean);
  return [...opts, ...process.execArgv];
}

// PROCESS_TIER is the tier this process's flags select.
export const PROCESS_TIER = tierOf(processArgs());

export function version() {
  return `${process.version} (V8 ${process.versions.v8})`;
}

// hello is the worker's first event.
export function hello() {
  const h = {
    type: 'hello',
    runtime: RUNTIME,
    version: version(),
    tiers: tierInfos(),
    start_unix_nano: startUnixNano,
    pid: process.pid,
  };
  // Inside bubblewrap (runners.EnvSandbox), when node's process began:
  // performance.timeOrigin is taken as node starts, before its bootstrap,
  // so the orchestrator can tell bwrap's part of spawn (the sandbox phase).
  if (process.env.BENCH_SANDBOX) h.exec_unix_nano = Math.round(performance.timeOrigin * 1e6);
  return h;
}

// JobError is a classified failure (runners.Error).
export class JobError extends Error {
  constructor(kind, message, stderr) {
    super(message);
    this.kind = kind;
    this.stderr = stderr || '';
  }

  toJSON() {
    const e = { kind: this.kind, message: this.message };
    if (this.stderr) e.stderr = this.stderr;
    return e;
  }
}

function describe(err) {
  if (err instanceof Error) {
    return err.code ? `${err.name} [${err.code}]: ${err.message}` : `${err.name}: ${err.message}`;
  }
  return String(err);
}

// classify turns any thrown value into a JobError, keeping a kind already
// set and defaulting to def; context ("node: compile fib.c.wasm") is
// prefixed to a message that has none.
function classify(err, def, context) {
  if (err instanceof JobError) {
    if (context && !err.message.startsWith(`${RUNTIME}:`)) err.message = `${context}: ${err.message}`;
    return err;
  }
  return new JobError(def, context ? `${context}: ${describe(err)}` : describe(err));
}

const now = () => process.hrtime.bigint();
const elapsed = (t0, t1 = now()) => Number(t1 - t0);

const WASM_PAGE = 65536;
// V8's own default for --wasm-max-mem-pages (it clamps it to 4 GiB).
const DEFAULT_MAX_MEM_PAGES = 4294967295;
let maxMemPages = DEFAULT_MAX_MEM_PAGES;

// setMemoryCap applies a job's memory cap to every wasm memory V8 creates
// or grows from now on.
function setMemoryCap(bytes) {
  const pages = bytes > 0 ? Math.floor(bytes / WASM_PAGE) : DEFAULT_MAX_MEM_PAGES;
  if (pages !== maxMemPages) {
    v8.setFlagsFromString(`--wasm-max-mem-pages=${pages}`);
    maxMemPages = pages;
  }
}

// wasiImportObject is a WASI instance's imports: getImportObject() from
// Node.js 19.8 and 20, the wasiImport functions before it (Debian
// bookworm's nodejs is 18.20, whose WASI has no getImportObject).
function wasiImportObject(wasi) {
  return typeof wasi.getImportObject === 'function'
    ? wasi.getImportObject()
    : { wasi_snapshot_preview1: wasi.wasiImport };
}

let wasiNames;
// wasiImports lists the functions node:wasi offers.
function wasiImports() {
  if (!wasiNames) {
    wasiNames = new Set(Object.keys(wasiImportObject(new WASI({ version: 'preview1' })).wasi_snapshot_preview1));
  }
  return wasiNames;
}

const BENCH_IMPORTS = new Set(['start', 'end']);

// checkImports fails with an unsupported error naming the first import
// this worker cannot provide.
export function checkImports(mod) {
  for (const imp of WebAssembly.Module.imports(mod)) {
    const ok = imp.kind === 'function' &&
      ((imp.module === 'wasi_snapshot_preview1' && wasiImports().has(imp.name)) ||
        (imp.module === 'bench' && BENCH_IMPORTS.has(imp.name)));
    if (!ok) {
      throw new JobError(Kind.unsupported,
        `import ${imp.module}.${imp.name} (${imp.kind}) is not provided: node offers the functions of ` +
        'wasi_snapshot_preview1 and bench.start/bench.end');
    }
  }
}

// checkCommand fails unless the module is a WASI command node:wasi can start.
function checkCommand(mod) {
  const exports = new Map(WebAssembly.Module.exports(mod).map((e) => [e.name, e.kind]));
  if (exports.get('_start') !== 'function') {
    throw new JobError(Kind.unsupported, 'the module exports no _start function: it is not a WASI command');
  }
  if (exports.get('memory') !== 'memory') {
    throw new JobError(Kind.unsupported, 'the module exports no memory named "memory", which WASI needs');
  }
}

// readTail returns the last TAIL_MAX bytes of a file (read from there,
// not whole) and the file's size.
function readTail(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, TAIL_MAX);
    const b = Buffer.alloc(n);
    const got = n > 0 ? fs.readSync(fd, b, 0, n, size - n) : 0;
    return { text: b.subarray(0, got).toString('utf8'), size };
  } catch {
    return { text: '', size: 0 };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

// readOutput hashes a finished execution's stdout file as it reads it, in
// pieces, and keeps the head of stdout and the tail of stderr a human
// needs (runners.ReadOutput).
export function readOutput(stdoutPath, stderrPath) {
  const hash = createHash('sha256');
  const head = [];
  let headLen = 0;
  let size = 0;
  let fd;
  try {
    fd = fs.openSync(stdoutPath, 'r');
  } catch (err) {
    if (err.code !== 'ENOENT') throw new Error(`read guest stdout: ${err.message}`);
  }
  if (fd !== undefined) {
    try {
      const buf = Buffer.alloc(64 << 10);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
        if (headLen < HEAD_MAX) {
          const part = Buffer.from(buf.subarray(0, Math.min(n, HEAD_MAX - headLen)));
          head.push(part);
          headLen += part.length;
        }
        size += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  const out = { exit_code: 0, stdout_sha256: hash.digest('hex'), stdout_bytes: size };
  if (headLen > 0) out.stdout_head = Buffer.concat(head).toString('utf8');
  const err = readTail(stderrPath);
  if (err.text) out.stderr = err.text;
  if (err.size) out.stderr_bytes = err.size;
  return out;
}

// fileSafe keeps the letters, digits, '.', '_' and '-' of a job ID, for a
// file name (serve.go's fileSafe).
function fileSafe(id) {
  const s = String(id || '').replace(/[^A-Za-z0-9._-]/g, '_');
  return s.length === 0 || s.length > 64 ? 'job' : s;
}

// makeIODir makes a temporary I/O folder named for this process.
export function makeIODir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${IO_PREFIX}${process.pid}-`));
}

// outputLimitError is the failure of a guest that wrote past the limit.
function outputLimitError(name, stream, limit) {
  return new JobError(Kind.outputLimit,
    `node: run ${name}: the guest wrote more than ${sizeText(limit)} to ${stream} in one execution: over the output ` +
    `limit (raise it with bench run --max-output; the default is ${sizeText(DEFAULT_MAX_OUTPUT)})`);
}

// sizeText is "64 MiB", "1.5 KiB" or "100 bytes" (serve.go's sizeText).
function sizeText(n) {
  const fmt = (x) => x.toFixed(1).replace(/\.0$/, '');
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20) return `${fmt(n / 2 ** 20)} MiB`;
  if (n >= 2 ** 10) return `${fmt(n / 2 ** 10)} KiB`;
  return `${n} bytes`;
}

// limitOutput wraps the WASI fd_write of imports so that the guest writes
// at most limit bytes to stdout (fd 1) and to stderr (fd 2): a write past
// it writes nothing and returns errno fbig, as a file under RLIMIT_FSIZE
// does for the Go workers. getMemory returns the instance's memory (known
// only once it exists). It returns the counts, with over set to the
// stream that went past the limit.
function limitOutput(imports, limit, getMemory) {
  const wasi = imports.wasi_snapshot_preview1;
  const fdWrite = wasi.fd_write;
  const state = { written: [0, 0, 0], over: '' };
  imports.wasi_snapshot_preview1 = {
    ...wasi,
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd === 1 || fd === 2) {
        const view = new DataView(getMemory().buffer);
        let total = 0;
        for (let k = 0; k < iovsLen; k++) total += view.getUint32(iovs + 8 * k + 4, true);
        if (state.written[fd] + total > limit) {
          state.over = state.over || (fd === 1 ? 'stdout' : 'stderr');
          return WASI_EFBIG;
        }
        const errno = fdWrite(fd, iovs, iovsLen, nwritten);
        if (errno === 0) state.written[fd] += view.getUint32(nwritten, true);
        return errno;
      }
      return fdWrite(fd, iovs, iovsLen, nwritten);
    },
  };
  return state;
}

function openStdin(p) {
  try {
    return fs.openSync(p || '/dev/null', 'r');
  } catch (err) {
    throw new JobError(Kind.badJob, `open stdin ${p}: ${err.message}`);
  }
}

// ENOTSUP, WASI's errno for an operation the host refuses to support.
const WASI_ENOTSUP = 58;

// newWASI sets up node:wasi for one instance. node:wasi refuses a guest's
// link whose text leads out of its folder, but follows links to folders
// wherever they lead: the orchestrator runs a local worker with a
// preopened folder inside bubblewrap (runners/confine). A host without
// that wall (lambda.mjs, whose package holds no links since it copies
// regular files only) sets job.refuse_symlinks: path_symlink then fails
// with ENOTSUP, so no link exists for node:wasi to follow.
function newWASI(job, io) {
  const wasi = makeWASI(job, io);
  if (job.refuse_symlinks) {
    // Node.js 18 has no getImportObject (wasiImportObject falls back to
    // wasiImport); the override works for both.
    const base = wasiImportObject(wasi);
    const o = { ...base, wasi_snapshot_preview1: { ...base.wasi_snapshot_preview1, path_symlink: () => WASI_ENOTSUP } };
    wasi.getImportObject = () => o;
  }
  return wasi;
}

function makeWASI(job, io) {
  const preopens = {};
  for (const d of io.dirs || []) preopens[d.guest] = d.host;
  try {
    return new WASI({
      version: 'preview1',
      returnOnExit: true,
      args: io.args,
      env: io.env || {},
      preopens,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  } catch (err) {
    // uvwasi_init fails this way on a preopen that does not exist.
    throw new JobError(Kind.badJob, `set up WASI for ${job.module.name} (preopens ${JSON.stringify(preopens)}): ${describe(err)}`);
  }
}

function isOutOfMemory(err) {
  return err instanceof RangeError && /out of memory|cannot allocate/i.test(err.message);
}

// The guest runs inside this script when the job has a timeout, so that
// node:vm's watchdog can stop it with V8's TerminateExecution.
const guarded = new vm.Script('globalThis.__benchNodeRun()', { filename: 'bench-node-guard' });

// JobRunner runs one job, sending its events through emit. runJob uses
// run; a host that compiles once and executes per request (lambda.mjs)
// calls check, init, compile, link and execute itself.
export class JobRunner {
  constructor(job, emit) {
    this.job = job;
    this.emit = emit;
  }

  phase(name, iteration, warmup, ns) {
    const ev = { type: 'phase', job: this.job.id, phase: name, ns };
    if (iteration) ev.iteration = iteration;
    if (warmup) ev.warmup = true;
    this.emit(ev);
  }

  // run does the whole job.
  run() {
    const job = this.job;
    this.check();
    if (!['prepare', 'cold', 'warm', 'callcost', 'soak'].includes(job.op)) {
      throw new JobError(Kind.badJob, `unknown op "${job.op}" (want prepare, cold, warm, callcost or soak)`);
    }
    if (job.op === 'soak' && !((job.iterations || 0) > 0)) {
      throw new JobError(Kind.badJob, 'soak job with no iterations');
    }
    if (job.op === 'warm' && (job.warmup || 0) + (job.iterations || 0) <= 0) {
      throw new JobError(Kind.badJob, 'warm job with no iterations');
    }
    const dInit = this.init();
    if (job.op === 'prepare') {
      throw new JobError(Kind.badJob, `node tier ${job.tier} has no ahead-of-time artifact to prepare`);
    }
    const warmSetup = job.op !== 'cold';
    this.phase(Phase.init, 0, warmSetup, dInit);
    const { mod, ns } = this.compile();
    this.phase(Phase.compile, 0, warmSetup, ns);
    this.link(mod);

    let scratch = job.io_dir;
    const own = !scratch;
    if (own) {
      scratch = makeIODir();
    } else if (!fs.existsSync(scratch) || !fs.statSync(scratch).isDirectory()) {
      throw new JobError(Kind.badJob, `I/O folder ${scratch}: not a folder`);
    }
    try {
      switch (job.op) {
        case 'cold':
          this.execute(mod, scratch, 0, false);
          break;
        case 'warm': {
          const n = (job.warmup || 0) + (job.iterations || 0);
          for (let i = 0; i < n; i++) this.execute(mod, scratch, i, i < (job.warmup || 0));
          break;
        }
        case 'callcost':
          this.callCost(mod, scratch);
          break;
        case 'soak': {
          const live = job.export ? this.instantiateLive(mod, scratch, 0) : null;
          try {
            for (let i = 0; i < job.iterations; i++) this.soakExecution(mod, live, scratch, i);
          } finally {
            if (live) live.close();
          }
          break;
        }
      }
    } finally {
      if (own) fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  // check fails unless this process can run the job's tier and the job
  // names a module.
  check() {
    const job = this.job;
    const t = TIERS.find((t) => t.name === job.tier);
    if (!t) {
      throw new JobError(Kind.badJob, `node has no tier "${job.tier}" (tiers: ${TIERS.map((t) => t.name).join(', ')})`);
    }
    if (t.unavailable) {
      throw new JobError(Kind.unsupported, `node tier "${t.name}" is unavailable: ${t.unavailable}`);
    }
    if (t.name !== PROCESS_TIER) {
      const flags = tierFlags(processArgs()).join(' ') || 'none';
      throw new JobError(Kind.badJob,
        `this node worker runs tier ${PROCESS_TIER === null ? '(none)' : `"${PROCESS_TIER}"`} (V8 flags: ${flags}); ` +
        `tier "${t.name}" needs a worker started with ${t.flags.length ? t.flags.join(' ') : 'no tier flags'}`);
    }
    if (!job.module || !job.module.path) {
      throw new JobError(Kind.badJob, 'job names no module');
    }
    if ((job.max_memory_bytes || 0) < 0) {
      throw new JobError(Kind.badJob, `negative memory cap ${job.max_memory_bytes}`);
    }
    if ((job.max_output_bytes || 0) < 0) {
      throw new JobError(Kind.badJob, `negative output limit ${job.max_output_bytes}`);
    }
    if (!job.module.name) job.module.name = path.basename(job.module.path);
  }

  // init is the "init" phase and returns its nanoseconds. There is no
  // engine to create (V8 is up before the script runs, and counts in
  // spawn); what is per job is the memory cap.
  init() {
    const t0 = now();
    setMemoryCap(this.job.max_memory_bytes || 0);
    return elapsed(t0);
  }

  // compile is the "compile" phase: it reads the module and compiles it,
  // returning the module and the phase's nanoseconds.
  compile() {
    const job = this.job;
    const t0 = now();
    let bytes;
    try {
      bytes = fs.readFileSync(job.module.path);
    } catch (err) {
      throw new JobError(Kind.badJob, `read module ${job.module.name}: ${err.message}`);
    }
    let mod;
    try {
      mod = new WebAssembly.Module(bytes);
    } catch (err) {
      throw classify(err, isOutOfMemory(err) ? Kind.memory : Kind.compile, `node: compile ${job.module.name}`);
    }
    return { mod, ns: elapsed(t0) };
  }

  // link fails with KindUnsupported naming the first import of mod that
  // this worker cannot provide (call it once after compile).
  link(mod) {
    try {
      checkImports(mod);
    } catch (err) {
      throw classify(err, Kind.unsupported, `node: instantiate ${this.job.module.name}`);
    }
  }

  // execute instantiates mod and runs _start once, reporting the
  // instantiate and execute phases and the output. The guest's stdout and
  // stderr go to files in dir (a job's io_dir is the orchestrator's), at
  // most the job's output limit each.
  execute(mod, dir, iter, warm) {
    const job = this.job;
    const name = job.module.name;
    const base = path.join(dir, `${fileSafe(job.id)}-${iter}`);
    const stdoutPath = `${base}.stdout`;
    const stderrPath = `${base}.stderr`;
    const keepFile = !!job.keep_stdout && !!job.io_dir;
    const limit = job.max_output_bytes > 0 ? job.max_output_bytes : DEFAULT_MAX_OUTPUT;
    const fds = [];
    try {
      let benchStart = 0n;
      let benchEnd = 0n;
      const bench = { start: () => { benchStart = now(); }, end: () => { benchEnd = now(); } };

      const t0 = now();
      let wasi;
      let inst;
      let output;
      try {
        checkCommand(mod);
        fds.push(openStdin(job.stdin_path));
        fds.push(fs.openSync(stdoutPath, 'w'));
        fds.push(fs.openSync(stderrPath, 'w'));
        wasi = newWASI(job, {
          args: [name, ...(job.args || [])], env: job.env, dirs: job.dirs,
          stdin: fds[0], stdout: fds[1], stderr: fds[2],
        });
        const imports = wasiImportObject(wasi);
        output = limitOutput(imports, limit, () => inst.exports.memory);
        inst = new WebAssembly.Instance(mod, { ...imports, bench });
      } catch (err) {
        const e = classify(err, isOutOfMemory(err) ? Kind.memory : Kind.unsupported, `node: instantiate ${name}`);
        e.stderr = readTail(stderrPath).text;
        throw e;
      }
      const dInst = elapsed(t0);

      let code;
      let t1;
      let t2;
      const start = () => {
        t1 = now();
        code = wasi.start(inst);
        t2 = now();
      };
      try {
        if (job.timeout_ns > 0) {
          globalThis.__benchNodeRun = start;
          guarded.runInThisContext({ timeout: Math.max(1, Math.ceil(job.timeout_ns / 1e6)) });
        } else {
          start();
        }
      } catch (err) {
        let e;
        if (output.over) {
          e = outputLimitError(name, output.over, limit);
        } else if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
          e = new JobError(Kind.timeout,
            `node: run ${name}: execution exceeded ${job.timeout_ns / 1e6} ms: stopped by V8 TerminateExecution`);
        } else {
          e = classify(err, Kind.trap, `node: run ${name}`);
          if (this.overCap(inst, stderrPath)) {
            e = new JobError(Kind.memory,
              `node: run ${name}: out of memory under the cap of ${job.max_memory_bytes} bytes: ${describe(err)}`);
          }
        }
        e.stderr = readTail(stderrPath).text;
        throw e;
      } finally {
        delete globalThis.__benchNodeRun;
      }
      if (output.over) {
        const e = outputLimitError(name, output.over, limit);
        e.stderr = readTail(stderrPath).text;
        throw e;
      }
      const dExec = elapsed(t1, t2);
      this.phase(Phase.instantiate, iter, warm, dInst);
      if (benchStart && benchEnd) {
        this.phase(Phase.execute, iter, warm, elapsed(benchStart, benchEnd));
        this.phase(Phase.executeAll, iter, warm, dExec);
      } else {
        this.phase(Phase.execute, iter, warm, dExec);
      }
      const out = readOutput(stdoutPath, stderrPath);
      out.exit_code = code === undefined ? 0 : code;
      if (keepFile) {
        out.stdout_path = stdoutPath;
      } else if (job.keep_stdout && out.stdout_bytes > 0 && out.stdout_bytes <= KEEP_STDOUT_MAX) {
        out.stdout = fs.readFileSync(stdoutPath).toString('base64');
      }
      const ev = { type: 'output', job: job.id, output: out };
      if (iter) ev.iteration = iter;
      if (warm) ev.warmup = true;
      this.emit(ev);
      if (out.exit_code !== 0) {
        if (this.overCap(inst, stderrPath)) {
          throw new JobError(Kind.memory,
            `node: run ${name}: out of memory under the cap of ${job.max_memory_bytes} bytes: exited with code ${out.exit_code}`,
            out.stderr);
        }
        throw new JobError(Kind.exit, `${name} exited with code ${out.exit_code}`, out.stderr);
      }
    } finally {
      for (const fd of fds) fs.closeSync(fd);
      if (!keepFile) fs.rmSync(stdoutPath, { force: true });
      fs.rmSync(stderrPath, { force: true });
    }
  }

  // overCap guesses, after a failed run under a memory cap, whether the
  // cap was the cause: V8 makes memory.grow return -1 (it does not trap),
  // so the guest fails in its own way. The signs, as in the wasmtime
  // runner, are a linear memory within 1/16 of the cap, or the
  // out-of-memory message of a common guest runtime (Go, Rust, C) on stderr.
  overCap(inst, stderrPath) {
    const cap = this.job.max_memory_bytes || 0;
    if (cap <= 0) return false;
    const mem = inst && inst.exports.memory;
    if (mem instanceof WebAssembly.Memory && mem.buffer.byteLength + cap / 16 >= cap) return true;
    const tail = readTail(stderrPath).text;
    return ['out of memory', 'memory allocation of', 'Cannot allocate memory'].some((m) => tail.includes(m));
  }

  // soakExecution is one execution of a soak (runners/soak.go): a call of
  // the live instance's export, or a fresh instance running _start; then
  // this process's resident set.
  soakExecution(mod, live, scratch, iter) {
    if (live) {
      this.callLive(live, iter);
    } else {
      this.execute(mod, scratch, iter, false);
    }
    const ev = { type: 'phase', job: this.job.id, phase: Phase.soakRSS, bytes: process.memoryUsage.rss() };
    if (iter) ev.iteration = iter;
    this.emit(ev);
  }

  // instantiateLive makes a soak's live instance (its instantiate phase,
  // labelled iter, includes a reactor's _initialize) and finds its
  // export, called without _start having run, as callCost calls its
  // export. Its stdout and stderr go to files
  // in scratch; close() closes them.
  instantiateLive(mod, scratch, iter) {
    const job = this.job;
    const name = job.module.name;
    const fds = [];
    const close = () => { for (const fd of fds.splice(0)) fs.closeSync(fd); };
    const t0 = now();
    let inst;
    try {
      fds.push(openStdin(''));
      fds.push(fs.openSync(path.join(scratch, 'soak.stdout'), 'w'));
      fds.push(fs.openSync(path.join(scratch, 'soak.stderr'), 'w'));
      const wasi = newWASI(job, { args: [name, ...(job.args || [])], env: job.env, dirs: job.dirs,
        stdin: fds[0], stdout: fds[1], stderr: fds[2] });
      inst = new WebAssembly.Instance(mod, { ...wasiImportObject(wasi), bench: { start() {}, end() {} } });
      // A WASI reactor is initialized once, as its host would (which also
      // gives node:wasi the instance's memory).
      if (typeof inst.exports._initialize === 'function' && typeof inst.exports._start !== 'function') {
        wasi.initialize(inst);
      }
    } catch (err) {
      close();
      throw classify(err, isOutOfMemory(err) ? Kind.memory : Kind.unsupported, `node: instantiate ${name}`);
    }
    const dInst = elapsed(t0);
    const f = inst.exports[job.export];
    if (typeof f !== 'function') {
      close();
      const have = Object.keys(inst.exports).join(', ') || 'none';
      throw new JobError(Kind.unsupported, `node: export "${job.export}" of ${name}: no such function (exports: ${have})`);
    }
    this.phase(Phase.instantiate, iter, false, dInst);
    return { f, close };
  }

  // callLive calls the live instance's export once, within the job's
  // time limit, and reports the call as the execution's execute phase.
  callLive(live, iter) {
    const job = this.job;
    let t1;
    let t2;
    const call = () => {
      t1 = now();
      live.f();
      t2 = now();
    };
    try {
      if (job.timeout_ns > 0) {
        globalThis.__benchNodeRun = call;
        guarded.runInThisContext({ timeout: Math.max(1, Math.ceil(job.timeout_ns / 1e6)) });
      } else {
        call();
      }
    } catch (err) {
      if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new JobError(Kind.timeout,
          `node: call ${job.export} of ${job.module.name}: execution exceeded ${job.timeout_ns / 1e6} ms: stopped by V8 TerminateExecution`);
      }
      throw classify(err, isOutOfMemory(err) ? Kind.memory : Kind.trap,
        `node: call ${job.export} of ${job.module.name} (execution ${iter} of one live instance)`);
    } finally {
      delete globalThis.__benchNodeRun;
    }
    this.phase(Phase.execute, iter, false, elapsed(t1, t2));
  }

  // callCost instantiates once and calls an export with no arguments and
  // no results in batches, reporting the mean time of one call per batch.
  callCost(mod, scratch) {
    const job = this.job;
    const name = job.export || 'noop';
    const calls = job.calls_per_batch > 0 ? job.calls_per_batch : 10000;
    const fds = [];
    try {
      let inst;
      try {
        fds.push(openStdin(''));
        fds.push(fs.openSync(path.join(scratch, 'stdout'), 'w'));
        fds.push(fs.openSync(path.join(scratch, 'stderr'), 'w'));
        const wasi = newWASI(job, { args: [job.module.name], stdin: fds[0], stdout: fds[1], stderr: fds[2] });
        inst = new WebAssembly.Instance(mod, { ...wasiImportObject(wasi), bench: { start() {}, end() {} } });
      } catch (err) {
        throw classify(err, isOutOfMemory(err) ? Kind.memory : Kind.unsupported, `node: instantiate ${job.module.name}`);
      }
      const f = inst.exports[name];
      if (typeof f !== 'function') {
        const have = Object.keys(inst.exports).join(', ') || 'none';
        throw new JobError(Kind.unsupported, `node: export "${name}" of ${job.module.name}: no such function (exports: ${have})`);
      }
      const n = (job.warmup || 0) + (job.iterations || 0);
      for (let b = 0; b < n; b++) {
        const t0 = now();
        try {
          for (let i = 0; i < calls; i++) f();
        } catch (err) {
          throw classify(err, Kind.trap, `node: call ${name}`);
        }
        const ev = { type: 'phase', job: job.id, phase: Phase.call, ns: elapsed(t0) / calls };
        if (b) ev.iteration = b;
        if (b < (job.warmup || 0)) ev.warmup = true;
        this.emit(ev);
      }
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }
}

// runJob runs one job, passing every event it produces to emit: phases,
// outputs and artifacts, then exactly one done or error event. It returns
// that last event.
export function runJob(job, emit) {
  let last;
  try {
    if (job === null || typeof job !== 'object' || Array.isArray(job)) {
      throw new JobError(Kind.badJob, `a job is a JSON object, not ${JSON.stringify(job)}`);
    }
    new JobRunner(job, emit).run();
    last = { type: 'done', job: job.id };
  } catch (err) {
    const e = err instanceof JobError ? err : classify(err, Kind.internal, 'node: internal error');
    last = { type: 'error', error: e.toJSON() };
    if (job && typeof job === 'object' && job.id) last.job = job.id;
  }
  const rss = peakRSS();
  if (rss > 0) last.max_rss = rss;
  emit(last);
  return last;
}

// peakRSS is this process's VmHWM in bytes (process.resourceUsage's
// maxRSS would include the parent's memory from before exec), or 0.
function peakRSS() {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// writeLine writes one line to fd in full. The protocol never goes through
// process.stdout, so it is synchronous and ordered.
function writeLine(fd, s) {
  const b = Buffer.from(s + '\n');
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

// serve runs the protocol over stdin and stdout until stdin ends, and
// returns the process exit code.
export async function serve() {
  const emit = (ev) => writeLine(1, JSON.stringify(ev));
  emit(hello());
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    let job;
    try {
      job = JSON.parse(line);
    } catch (err) {
      emit({ type: 'error', error: { kind: Kind.badJob, message: `cannot decode job: ${err.message}` } });
      continue;
    }
    // After a timeout too: V8 stopped the guest and the isolate is fine.
    runJob(job, emit);
  }
  return 0;
}

function isEntry() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const arg = process.argv[2];
  if (arg === '-version' || arg === '--version' || arg === 'version') {
    writeLine(1, `${RUNTIME} ${version()}`);
  } else if (arg !== undefined) {
    writeLine(2, 'bench-node.mjs is a bench worker: it reads jobs as JSON lines on stdin.\n' +
      'Run it through the orchestrator: bench run --runtime node');
    process.exitCode = 2;
  } else {
    process.exitCode = await serve();
    if (process.exitCode !== 0) process.exit(process.exitCode);
  }
}
