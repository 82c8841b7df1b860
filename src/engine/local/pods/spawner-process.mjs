// The local engine's process launcher, a small separate Node process. Plain JavaScript on purpose: it is started
// with bare `node` (no tsx) so it stays small. Forking from the engine's own process would copy the page tables
// of its hundreds of MB (PGlite's WebAssembly heap) on every spawn, blocking the event loop ~15 ms each time;
// forking from here costs what a bare `sh -c true` costs.
//
// Protocol, JSON lines. In:  {op:'spawn', id, file, args, cwd, env, log, capture}  |  {op:'kill', id, signal}
//                        Out: {id, event:'spawn', pid} | {id, event:'exit', code, signal, error?, result?}
// When stdin closes (the engine exited or closed), every running process group is killed and this process ends.
import { spawn } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const RESULT_LIMIT = 256 * 1024;
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
      env: { ...process.env, ...req.env },
      // Without a result to capture, stdout goes straight to the log: no pipe for this process to drain.
      stdio: ['ignore', req.capture ? 'pipe' : logFd, logFd],
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
  child.stdout?.on('data', (chunk) => {
    writeSync(logFd, chunk);
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
    send({ id: req.id, event: 'exit', code, signal, error: failed, result });
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
