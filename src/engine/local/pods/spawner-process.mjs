// The local engine's process launcher, a small separate Node process. Plain JavaScript on purpose: it is started
// with bare `node` (no tsx) so it stays small. Forking from the engine's own process would copy the page tables
// of its hundreds of MB (PGlite's WebAssembly heap) on every spawn, blocking the event loop ~15 ms each time;
// forking from here costs what a bare `sh -c true` costs.
//
// A step's environment is exactly `env` (never this process's or the engine's), and it gets no descriptor but
// 0-2 (Node opens its own with close-on-exec). Its stdout and stderr pass through pipes so that at most
// `logLimit` bytes reach the log; after that one marker line is written and the rest is read and dropped.
//
// Protocol, JSON lines. In:  {op:'spawn', id, file, args, cwd, env, log, capture, logLimit, logMarker}  |  {op:'kill', id, signal}
//                        Out: {id, event:'spawn', pid} | {id, event:'exit', code, signal, error?, result?}
// When stdin closes (the engine exited or closed), every running process group is killed and this process ends.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const RESULT_LIMIT = 256 * 1024;

// Descriptors this process inherited without close-on-exec (from whoever started the service) would pass on to
// every step; Node's own all carry O_CLOEXEC (fdinfo flags, octal 02000000), so the others are closed here.
try {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) closeSync(fd);
    } catch {
      // closed meanwhile (the listing's own descriptor)
    }
  }
} catch {
  // no /proc: nothing to inspect
}
const children = new Map();
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function start(req) {
  let logFd;
  try {
    logFd = openSync(req.log, 'a');
  } catch (err) {
    send({ id: req.id, event: 'exit', code: null, signal: null, error: `cannot open log ${req.log}: ${err.message}` });
    return;
  }
  let child;
  try {
    child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: req.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    closeSync(logFd);
    send({ id: req.id, event: 'exit', code: null, signal: null, error: err.message });
    return;
  }
  const chunks = [];
  let bytes = 0;
  let failed;
  children.set(req.id, child);
  let logged = 0;
  const limit = req.logLimit ?? Infinity;
  const toLog = (chunk) => {
    if (logged >= limit) return;
    const room = limit - logged;
    if (chunk.length <= room) writeSync(logFd, chunk);
    else {
      writeSync(logFd, chunk.subarray(0, room));
      writeSync(logFd, `\n${req.logMarker ?? 'log truncated'}\n`);
    }
    logged += chunk.length;
  };
  child.stderr?.on('data', toLog);
  child.stdout?.on('data', (chunk) => {
    toLog(chunk);
    if (!req.capture) return;
    chunks.push(chunk);
    bytes += chunk.length;
    while (chunks.length > 1 && bytes - chunks[0].length >= RESULT_LIMIT) bytes -= chunks.shift().length;
  });
  child.on('spawn', () => send({ id: req.id, event: 'spawn', pid: child.pid }));
  child.on('error', (err) => {
    failed = err.message;
  });
  child.on('close', (code, signal) => {
    children.delete(req.id);
    closeSync(logFd);
    let result;
    if (req.capture) {
      const all = Buffer.concat(chunks);
      result = all.subarray(Math.max(0, all.length - RESULT_LIMIT)).toString('utf8');
    }
    send({ id: req.id, event: 'exit', code, signal, error: failed, result, logTruncated: logged > limit });
  });
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.op === 'spawn') start(msg);
    else if (msg.op === 'kill') {
      const child = children.get(msg.id);
      if (child?.pid) killGroup(child.pid, msg.signal ?? 'SIGTERM');
    }
  })
  .on('close', () => {
    for (const child of children.values()) if (child.pid) killGroup(child.pid, 'SIGKILL');
    process.exit(0);
  });
