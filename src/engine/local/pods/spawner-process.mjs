// The local engine's process launcher, a small separate Node process. Plain JavaScript on purpose: it is started
// with bare `node` (no tsx) so it stays small. Forking from the engine's own process would copy the page tables
// of its hundreds of MB (PGlite's WebAssembly heap) on every spawn, blocking the event loop ~15 ms each time;
// forking from here costs what a bare `sh -c true` costs.
//
// A step's environment is exactly `env` (never this process's or the engine's), and it gets no descriptor but
// 0-2 (Node opens its own with close-on-exec). Its stdout and stderr pass through pipes so that at most
// `logLimit` bytes reach the log; after that one marker line is written and the rest is read and dropped.
//
// A request with `egress` (pods/network.ts) starts a command behind the network gate: this process waits for the
// gate's line on descriptor 3, starts slirp4netns on the new network namespace, adds `unreachable` routes for
// `egress.blocked`, then opens the gate on descriptor 4. slirp4netns is stopped when the step ends; a failure
// on the way kills the step and is written to its log.
//
// A request with `infoFd` starts bubblewrap, which writes its sandbox's first process (`child-pid`, the init of
// the sandbox's pid namespace) to that descriptor. Killing bubblewrap alone is not enough: until it has set up
// the sandbox, that process has no parent-death signal yet (bubblewrap sets it once it has switched users) and
// in its own session it is not in the group, so it would run on with the step's pipes open. A kill is therefore
// held until bubblewrap has named that process (or has ended without one), then the group gets the signal and
// the sandbox's init SIGKILL, which ends every process of the sandbox's pid namespace.
//
// Protocol, JSON lines. In:  {op:'spawn', id, file, args, cwd, env, log, capture, logLimit, logMarker, egress?, infoFd?}
//                            | {op:'kill', id, signal}
//                        Out: {id, event:'spawn', pid} | {id, event:'exit', code, signal, error?, result?}
// When stdin closes (the engine exited or closed), every running process is killed and this process ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
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
/** id → the running process's record (see `start`). */
const children = new Map();
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs the sandbox's init if `pid` still is it (its pid namespace has inode `nsIno`): never a reused pid. */
function killSandboxInit(pid, nsIno) {
  try {
    if (nsIno !== undefined && statSync(`/proc/${pid}/ns/pid`).ino !== nsIno) return;
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Kills a running process now: its group gets `signal`, the sandbox's init (if known) SIGKILL. */
function killNow(rec, signal) {
  if (rec.child.pid) killGroup(rec.child.pid, signal);
  if (rec.sandboxInit) killSandboxInit(rec.sandboxInit.pid, rec.sandboxInit.nsIno);
}

/**
 * A kill request: carried out now, or once bubblewrap has named its sandbox's init (see the header). Behind a
 * closed network gate bubblewrap has not started (the gate's shell waits, in the group): killed now, and the
 * gate is never opened.
 */
function kill(rec, signal) {
  if (rec.killed !== 'SIGKILL') rec.killed = signal;
  if (!rec.infoOpen || rec.gateClosed) killNow(rec, signal);
}

/** Reads bubblewrap's info (`child-pid`, `pid-namespace`) from `stream`; a held kill is carried out after it. */
function watchInfo(rec, stream) {
  rec.infoOpen = true;
  let text = '';
  const settle = () => {
    if (!rec.infoOpen) return;
    rec.infoOpen = false;
    try {
      const info = JSON.parse(text);
      if (Number.isInteger(info['child-pid'])) rec.sandboxInit = { pid: info['child-pid'], nsIno: info['pid-namespace'] };
    } catch {
      // bubblewrap ended before it wrote its info: it started no sandbox
    }
    // bubblewrap itself ended (killed from outside?) while its sandbox may still run: that is killed too.
    if (rec.exited && rec.sandboxInit) killSandboxInit(rec.sandboxInit.pid, rec.sandboxInit.nsIno);
    else if (rec.killed) killNow(rec, rec.killed);
  };
  stream.on('data', (d) => {
    text += d.toString();
    // bubblewrap writes one JSON object and keeps the descriptor until it ends.
    if (/}\s*$/.test(text)) settle();
  });
  stream.once('end', settle);
  stream.once('error', settle);
}

/** Resolves when `stream` yields its first chunk; rejects with `what` when it ends first or `child` fails. */
function firstData(stream, child, what) {
  return new Promise((resolve, reject) => {
    const fail = (err) => reject(new Error(err ? `${what}: ${err.message}` : what));
    stream.once('data', () => resolve());
    stream.once('end', () => fail());
    stream.once('error', fail);
    child.once('error', fail);
    child.once('exit', () => fail());
  });
}

/** Adds `unreachable` routes for `blocked` in the network namespace of `pid` (nsenter + ip). */
async function blockRanges(pid, egress) {
  const ip = spawn(egress.tools.nsenter, ['-t', String(pid), '-U', '-n', '--preserve-credentials', egress.tools.ip, '-batch', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: {},
  });
  let ipErr = '';
  ip.stderr.on('data', (d) => (ipErr += d.toString()));
  ip.stdin.end(egress.blocked.map((r) => `route add unreachable ${r}\n`).join(''));
  const [code] = await Promise.race([once(ip, 'exit'), once(ip, 'error').then(([e]) => [e.message])]);
  if (code !== 0) throw new Error(`blocking private ranges failed (nsenter/ip): ${ipErr.trim() || code}`);
}

/** Gives the gated `rec.child` its network (see the header); `onSlirp` gets slirp4netns's process. */
async function connect(rec, egress, onSlirp) {
  const { child } = rec;
  await firstData(child.stdio[3], child, 'the step ended before its network namespace existed');
  const slirp = spawn(
    egress.tools.slirp4netns,
    // --exit-fd: slirp4netns ends when this process does (the pipe closes), even if it is killed.
    ['--configure', '--disable-host-loopback', '--mtu=65520', '--ready-fd=3', '--exit-fd=4', String(child.pid), 'tap0'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: {} },
  );
  onSlirp(slirp);
  let slirpErr = '';
  slirp.stderr.on('data', (d) => (slirpErr += d.toString()));
  try {
    await firstData(slirp.stdio[3], slirp, 'slirp4netns did not start');
  } catch (err) {
    throw new Error(
      `${err.message}${slirpErr.trim() ? `: ${slirpErr.trim().split('\n').pop()}` : ''}; it needs slirp4netns (Debian: apt-get install slirp4netns)`,
    );
  }
  if (egress.blocked.length > 0) await blockRanges(child.pid, egress);
  if (rec.killed) return;
  rec.gateClosed = false;
  child.stdio[4].end('go\n');
}

/** The stdio of a request: 0-2, the gate's 3 and 4 with egress, bubblewrap's info descriptor; others closed. */
function stdioOf(req) {
  const stdio = ['ignore', 'pipe', 'pipe'];
  if (req.egress) stdio.push('pipe', 'pipe');
  if (req.infoFd !== undefined) {
    while (stdio.length < req.infoFd) stdio.push('ignore');
    stdio[req.infoFd] = 'pipe';
  }
  return stdio;
}

/** The step's output: to the log up to `logLimit` (then the marker once), stdout kept for the result. */
function outputSink(req, logFd) {
  const limit = req.logLimit ?? Infinity;
  const sink = { logged: 0, limit, chunks: [], bytes: 0, marked: false };
  // The marker goes after the first byte past the cap, also when the cap falls on a chunk boundary.
  sink.toLog = (chunk) => {
    if (sink.marked) return;
    const room = limit - sink.logged;
    sink.logged += chunk.length;
    if (chunk.length <= room) {
      writeSync(logFd, chunk);
      return;
    }
    if (room > 0) writeSync(logFd, chunk.subarray(0, room));
    writeSync(logFd, `\n${req.logMarker ?? 'log truncated'}\n`);
    sink.marked = true;
  };
  sink.toResult = (chunk) => {
    if (!req.capture) return;
    sink.chunks.push(chunk);
    sink.bytes += chunk.length;
    while (sink.chunks.length > 1 && sink.bytes - sink.chunks[0].length >= RESULT_LIMIT) sink.bytes -= sink.chunks.shift().length;
  };
  sink.result = () => {
    if (!req.capture) return undefined;
    const all = Buffer.concat(sink.chunks);
    return all.subarray(Math.max(0, all.length - RESULT_LIMIT)).toString('utf8');
  };
  return sink;
}

/** Wires a started process's events: spawn (and the egress gate), errors, exit and the final report. */
function follow(req, rec, logFd, sink) {
  const { child } = rec;
  let slirp;
  let failed;
  child.once('exit', () => {
    rec.exited = true;
    // Normally the sandbox ended first (bubblewrap waits for it); if not, nothing of it outlives bubblewrap.
    if (rec.sandboxInit) killSandboxInit(rec.sandboxInit.pid, rec.sandboxInit.nsIno);
  });
  child.on('spawn', () => {
    send({ id: req.id, event: 'spawn', pid: child.pid });
    if (!req.egress) return;
    connect(rec, req.egress, (s) => (slirp = s)).catch((err) => {
      // A step that ended on its own before its network was up reports its own exit.
      if (rec.exited) return;
      failed = `network: ${err.message}`;
      writeSync(logFd, `network setup failed: ${err.message}\n`);
      kill(rec, 'SIGKILL');
    });
  });
  child.on('error', (err) => {
    failed = err.message;
  });
  child.on('close', (code, signal) => {
    children.delete(req.id);
    slirp?.kill('SIGTERM');
    closeSync(logFd);
    send({ id: req.id, event: 'exit', code, signal, error: failed, result: sink.result(), logTruncated: sink.logged > sink.limit });
  });
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
    child = spawn(req.file, req.args, { cwd: req.cwd, env: req.env, stdio: stdioOf(req), detached: true });
  } catch (err) {
    closeSync(logFd);
    send({ id: req.id, event: 'exit', code: null, signal: null, error: err.message });
    return;
  }
  const rec = {
    child,
    exited: false,
    killed: undefined,
    infoOpen: false,
    sandboxInit: undefined,
    gateClosed: Boolean(req.egress),
  };
  children.set(req.id, rec);
  if (req.infoFd !== undefined && child.stdio[req.infoFd]) watchInfo(rec, child.stdio[req.infoFd]);
  const sink = outputSink(req, logFd);
  child.stderr?.on('data', sink.toLog);
  child.stdout?.on('data', (chunk) => {
    sink.toLog(chunk);
    sink.toResult(chunk);
  });
  follow(req, rec, logFd, sink);
}

/** Kills everything still running, then ends (held kills wait for bubblewrap's info, a second at most). */
function shutdown() {
  for (const rec of children.values()) kill(rec, 'SIGKILL');
  const deadline = Date.now() + 1000;
  const wait = () => {
    const left = [...children.values()].filter((rec) => !rec.exited);
    if (left.length === 0 || Date.now() > deadline) {
      for (const rec of left) killNow(rec, 'SIGKILL');
      process.exit(0);
    }
    setTimeout(wait, 5);
  };
  wait();
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.op === 'spawn') start(msg);
    else if (msg.op === 'kill') {
      const rec = children.get(msg.id);
      if (rec) kill(rec, msg.signal ?? 'SIGTERM');
    }
  })
  .on('close', shutdown);
