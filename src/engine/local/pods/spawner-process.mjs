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
// Protocol, JSON lines. In:  {op:'spawn', id, file, args, cwd, env, log, capture, logLimit, logMarker, egress?}  |  {op:'kill', id, signal}
//                        Out: {id, event:'spawn', pid} | {id, event:'exit', code, signal, error?, result?}
// When stdin closes (the engine exited or closed), every running process group is killed and this process ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

/** Gives the gated `child` its network (see the header); returns slirp4netns's process. */
async function connect(child, egress, onSlirp) {
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
  if (egress.blocked.length > 0) {
    const ip = spawn(
      egress.tools.nsenter,
      ['-t', String(child.pid), '-U', '-n', '--preserve-credentials', egress.tools.ip, '-batch', '-'],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: {},
      },
    );
    let ipErr = '';
    ip.stderr.on('data', (d) => (ipErr += d.toString()));
    ip.stdin.end(egress.blocked.map((r) => `route add unreachable ${r}\n`).join(''));
    const [code] = await Promise.race([once(ip, 'exit'), once(ip, 'error').then(([e]) => [e.message])]);
    if (code !== 0) throw new Error(`blocking private ranges failed (nsenter/ip): ${ipErr.trim() || code}`);
  }
  child.stdio[4].end('go\n');
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
      stdio: req.egress ? ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
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
  // The marker goes after the first byte past the cap, also when the cap falls on a chunk boundary.
  let marked = false;
  const toLog = (chunk) => {
    if (marked) return;
    const room = limit - logged;
    logged += chunk.length;
    if (chunk.length <= room) {
      writeSync(logFd, chunk);
      return;
    }
    if (room > 0) writeSync(logFd, chunk.subarray(0, room));
    writeSync(logFd, `\n${req.logMarker ?? 'log truncated'}\n`);
    marked = true;
  };
  child.stderr?.on('data', toLog);
  child.stdout?.on('data', (chunk) => {
    toLog(chunk);
    if (!req.capture) return;
    chunks.push(chunk);
    bytes += chunk.length;
    while (chunks.length > 1 && bytes - chunks[0].length >= RESULT_LIMIT) bytes -= chunks.shift().length;
  });
  let slirp;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.on('spawn', () => {
    send({ id: req.id, event: 'spawn', pid: child.pid });
    if (!req.egress) return;
    connect(child, req.egress, (s) => (slirp = s)).catch((err) => {
      // A step that ended on its own before its network was up reports its own exit.
      if (exited) return;
      failed = `network: ${err.message}`;
      writeSync(logFd, `network setup failed: ${err.message}\n`);
      killGroup(child.pid, 'SIGKILL');
    });
  });
  child.on('error', (err) => {
    failed = err.message;
  });
  child.on('close', (code, signal) => {
    children.delete(req.id);
    slirp?.kill('SIGTERM');
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
