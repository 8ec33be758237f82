// The Node.js-hosted wasm function: what most published wasm-on-Lambda
// setups run, and the baseline every Go bootstrap is compared against.
//
// It speaks the same invocation event and response as the Go bootstraps
// (runners.LambdaRequest and runners.LambdaResponse in runners/lambda.go;
// change them together) and is configured by the same environment
// variables: BENCH_TIER, BENCH_MODULE (relative to LAMBDA_TASK_ROOT),
// BENCH_MODULE_NAME, BENCH_MAX_MEMORY_BYTES.
//
// Two ways to run it:
//   - as a custom runtime (`node lambda.mjs`, the package's bootstrap
//     script): it runs its own Lambda Runtime API loop over node:http
//     against AWS_LAMBDA_RUNTIME_API, which is how the local host and a
//     provided.al2023 function run it (no managed Node.js runtime exists
//     locally);
//   - under AWS's managed Node.js runtime (_HANDLER "lambda.handler"): the
//     runtime imports it and calls the exported handler.
// Either way the module is compiled once during init, as a real function
// does at module load, and each invocation runs _start once on a fresh
// instance of it.
//
// The phases are timed at the same points as worker.mjs (which this file
// imports as worker.mjs for its shared pieces): compile is reading the
// file plus new WebAssembly.Module (V8 compiles lazily: code generation
// lands in the first execute), instantiate is WASI set-up plus new
// WebAssembly.Instance, execute is wasi.start. init is almost nothing:
// V8 is up before this script runs, and that counts in the environment's
// Init Duration, not in a phase.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

import { JobError, JobRunner, Kind, PROCESS_TIER, RUNTIME, TIERS, checkImports, hello, makeIODir, version } from './worker.mjs';

const ERROR_TYPE_PREFIX = 'Bench.'; // runners.ErrorTypePrefix

const now = () => process.hrtime.bigint();
const elapsed = (t0, t1 = now()) => Number(t1 - t0);

function describe(err) {
  if (err instanceof Error) return err.code ? `${err.name} [${err.code}]: ${err.message}` : `${err.name}: ${err.message}`;
  return String(err);
}

function classify(err, def, context) {
  if (err instanceof JobError) return err;
  return new JobError(def, context ? `${context}: ${describe(err)}` : describe(err));
}

function isOutOfMemory(err) {
  return err instanceof RangeError && /out of memory|cannot allocate/i.test(err.message);
}

// Fn is the function after its init: a compiled module.
class Fn {
  constructor(env) {
    const taskRoot = env.LAMBDA_TASK_ROOT || process.cwd();
    this.taskRoot = taskRoot;
    const abs = (p) => (p && !path.isAbsolute(p) ? path.join(taskRoot, p) : p);
    this.tier = env.BENCH_TIER || '';
    const modPath = abs(env.BENCH_MODULE || '');
    if (!this.tier || !modPath) {
      throw new JobError(Kind.badJob, `${RUNTIME}: the function needs BENCH_TIER and BENCH_MODULE in its environment`);
    }
    this.module = { name: env.BENCH_MODULE_NAME || path.basename(modPath), path: modPath };
    const t = TIERS.find((t) => t.name === this.tier);
    if (!t) {
      throw new JobError(Kind.badJob, `node has no tier "${this.tier}" (tiers: ${TIERS.map((t) => t.name).join(', ')})`);
    }
    if (t.unavailable) throw new JobError(Kind.unsupported, `node tier "${t.name}" is unavailable: ${t.unavailable}`);
    if (t.name !== PROCESS_TIER) {
      throw new JobError(Kind.badJob, `this node runs tier ${PROCESS_TIER === null ? '(none)' : `"${PROCESS_TIER}"`}; ` +
        `tier "${t.name}" needs node started with ${t.flags.length ? t.flags.join(' ') : 'no tier flags'} ` +
        '(the bootstrap script picks them from BENCH_TIER)');
    }
    const hi = hello();
    this.startUnixNano = hi.start_unix_nano;

    let t0 = now();
    const cap = Number(env.BENCH_MAX_MEMORY_BYTES || 0);
    if (!Number.isFinite(cap) || cap < 0) {
      throw new JobError(Kind.badJob, `BENCH_MAX_MEMORY_BYTES="${env.BENCH_MAX_MEMORY_BYTES}" is not a byte count`);
    }
    if (cap > 0) v8.setFlagsFromString(`--wasm-max-mem-pages=${Math.floor(cap / 65536)}`);
    this.maxMemory = cap;
    const dInit = elapsed(t0);

    t0 = now();
    let bytes;
    try {
      bytes = fs.readFileSync(modPath);
    } catch (err) {
      throw new JobError(Kind.badJob, `read module ${this.module.name}: ${err.message}`);
    }
    try {
      this.mod = new WebAssembly.Module(bytes);
    } catch (err) {
      throw classify(err, isOutOfMemory(err) ? Kind.memory : Kind.compile, `node: compile ${this.module.name}`);
    }
    const dCompile = elapsed(t0);
    this.setup = [
      { type: 'phase', phase: 'init', ns: dInit },
      { type: 'phase', phase: 'compile', ns: dCompile },
    ];
    // Lambda's only writable place is /tmp (TMPDIR here when set).
    this.scratch = makeIODir();
    this.invokes = 0;
    this.live = null; // a soak's live instance, kept for the environment's life

  }

  // handle serves one invocation (runners.LambdaFunction.Handle).
  handle(req, requestId) {
    req = req || {};
    const resp = {
      runtime: RUNTIME, version: version(), tier: this.tier, module: this.module.name,
      start_unix_nano: this.startUnixNano, pid: process.pid,
      invocation: this.invokes, cold: this.invokes === 0, events: [],
    };
    this.invokes++;
    const id = requestId || String(resp.invocation);
    const iter = req.iteration || 0;
    const warm = !!req.warmup;
    const label = (ev) => {
      ev.job = id;
      if (iter) ev.iteration = iter;
      if (warm) ev.warmup = true;
      return ev;
    };
    if (resp.cold) for (const ev of this.setup) resp.events.push(label({ ...ev }));
    try {
      this.execute(req, label, resp.events);
    } catch (err) {
      resp.error = classify(err, Kind.internal, 'node: internal error').toJSON();
    }
    return resp;
  }

  // execute runs one invocation through worker.mjs's own JobRunner, so the
  // instantiate and execute phases, the in-process timeout, the memory-cap
  // classification and the output are exactly what a local worker does.
  execute(req, label, events) {
    let stdinPath = req.stdin_path || '';
    if (stdinPath && !path.isAbsolute(stdinPath)) stdinPath = path.join(this.taskRoot, stdinPath);
    if (req.stdin) {
      stdinPath = path.join(this.scratch, 'stdin');
      fs.writeFileSync(stdinPath, Buffer.from(req.stdin, 'base64'));
    }
    // Preopened folders shipped in the package (runners.LambdaRequest.Dirs).
    const dirs = [];
    for (const d of req.dirs || []) {
      const host = path.isAbsolute(d.host) ? d.host : path.join(this.taskRoot, d.host);
      if (!fs.existsSync(host) || !fs.statSync(host).isDirectory()) {
        throw new JobError(Kind.badJob, `preopened folder ${host} (guest ${d.guest}): not a folder in the function package`);
      }
      dirs.push({ host, guest: d.guest });
    }
    try {
      checkImports(this.mod); // name an import node does not provide, as worker.mjs does
    } catch (err) {
      throw classify(err, Kind.unsupported, `node: instantiate ${this.module.name}`);
    }
    const job = {
      id: 'invoke', op: 'cold', tier: this.tier, module: this.module, args: req.args || [], env: req.env || {},
      stdin_path: stdinPath, dirs, timeout_ns: req.timeout_ns || 0, keep_stdout: !!req.keep_stdout,
      // No bubblewrap here: a guest may not make links (see newWASI).
      refuse_symlinks: true,
      max_memory_bytes: this.maxMemory, max_output_bytes: req.max_output_bytes || 0,
    };
    if (job.max_output_bytes < 0) throw new JobError(Kind.badJob, `negative output limit ${job.max_output_bytes}`);
    const iter = req.iteration || 0;
    const runner = new JobRunner(job, (ev) => events.push(label(ev)));
    if (req.soak && req.export) {
      // A soak's call of the environment's one live instance, made by its
      // first such invocation (runners.LambdaRequest.Soak).
      job.export = req.export;
      if (!this.live) this.live = runner.instantiateLive(this.mod, this.scratch, iter);
      runner.soakExecution(this.mod, this.live, this.scratch, iter);
    } else if (req.soak) {
      runner.soakExecution(this.mod, null, this.scratch, iter);
    } else {
      runner.execute(this.mod, this.scratch, iter, !!req.warmup);
    }
  }
}

// The Runtime API client: plain node:http with keep-alive and no timeout,
// since /next long-polls for as long as the environment is idle.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function post(url, obj, headers = {}) {
  const body = JSON.stringify(obj);
  const res = await call('POST', url, body, { 'Content-Type': 'application/json', ...headers });
  if (res.status !== 202) throw new Error(`POST ${url}: status ${res.status}: ${res.body.toString().slice(0, 200)}`);
}

// runtimeLoop is the custom runtime: init, then next/response forever.
async function runtimeLoop(api) {
  const base = `http://${api}/2018-06-01/runtime`;
  let fn;
  try {
    fn = new Fn(process.env);
  } catch (err) {
    const e = classify(err, Kind.internal);
    process.stderr.write(`bench bootstrap (node): init failed: ${e.kind}: ${e.message}\n`);
    const type = ERROR_TYPE_PREFIX + e.kind;
    await post(`${base}/init/error`, { errorMessage: e.message, errorType: type, stackTrace: [] },
      { 'Lambda-Runtime-Function-Error-Type': type });
    return 1;
  }
  for (;;) {
    const next = await call('GET', `${base}/invocation/next`);
    if (next.status !== 200) throw new Error(`GET next: status ${next.status}`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    let req;
    try {
      req = JSON.parse(next.body.toString() || '{}');
    } catch (err) {
      const type = 'Runtime.UnmarshalError';
      await post(`${base}/invocation/${id}/error`, { errorMessage: `invocation event: ${err.message}`, errorType: type },
        { 'Lambda-Runtime-Function-Error-Type': type });
      continue;
    }
    const resp = fn.handle(req, id);
    await post(`${base}/invocation/${id}/response`, resp);
  }
}

function isEntry() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

let managed;

// handler is the entry point for AWS's managed Node.js runtime
// (_HANDLER "lambda.handler"). Init runs at module load there, before the
// first invocation, as it does in the custom runtime.
export async function handler(event, context) {
  if (managed instanceof Error) throw managed;
  return managed.handle(event, context && context.awsRequestId);
}

if (isEntry()) {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!api) {
    process.stderr.write('lambda.mjs is the Node.js-hosted bench function: run it as a Lambda bootstrap ' +
      '(AWS_LAMBDA_RUNTIME_API set), or import its handler.\n');
    process.exitCode = 2;
  } else {
    process.exitCode = await runtimeLoop(api);
  }
} else if (process.env.BENCH_MODULE) {
  try {
    managed = new Fn(process.env);
  } catch (err) {
    managed = err instanceof Error ? err : new Error(String(err));
  }
}
