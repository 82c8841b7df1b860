/**
 * The network the pods of one workflow share when it has daemons or sidecars (Argo: each pod has an IP that the
 * others reach; a sidecar is reached on 127.0.0.1). Sandboxed pods otherwise get an empty network namespace each;
 * here they enter one namespace created for the workflow — a user and network namespace of the service's own uid
 * held open by a sleeping process, loopback up and nothing else — so a daemon listening in it is reached by the
 * workflow's other pods at 127.0.0.1, and by nothing outside the workflow. The holder ends with the workflow, its
 * stop and the engine's close (the launcher kills what it started).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Obj, RunContext } from '../execution/context.ts';
import type { RunningProcess } from './spawner.ts';
import { hostProgram } from './programs.ts';

/** The address a pod of this workflow is reached at (SEMANTICS: `{{steps.X.ip}}`). */
export const POD_IP = '127.0.0.1';

interface Holder {
  pid: number;
  netIno: number;
  proc: RunningProcess;
  ended: boolean;
}

const holders = new WeakMap<RunContext, Promise<Holder>>();

/** Whether any template of the workflow has a daemon or sidecars (its pods then share one network). */
function needsPodNetwork(ctx: RunContext): boolean {
  for (const t of ctx.templates.values()) if (t.daemon === true || (Array.isArray(t.sidecars) && t.sidecars.length > 0)) return true;
  return false;
}

async function startHolder(ctx: RunContext): Promise<Holder> {
  const log = path.join(ctx.wfDir, 'pod-network.log');
  const proc = ctx.spawner.spawn({
    // It dies with the launcher even when that is killed (the parent-death signal survives the execs).
    file: 'setpriv',
    args: [
      '--pdeathsig',
      'KILL',
      '--',
      'unshare',
      '--user',
      '--map-root-user',
      '--net',
      '--',
      'sh',
      '-c',
      // Ports below 1024 are open to the pods (as in a pod's own network; nginx listens on 80).
      'ip link set lo up && echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start && echo "pid $$" && exec sleep infinity',
    ],
    cwd: '/',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    log,
    capture: false,
  });
  const holder: Holder = { pid: 0, netIno: 0, proc, ended: false };
  let outcome: string | undefined;
  void proc.done.then((o) => {
    holder.ended = true;
    outcome = o.error ?? `exit code ${String(o.code ?? o.signal)}`;
  });
  for (let i = 0; i < 200 && !holder.ended; i++) {
    const m = /^pid (\d+)$/m.exec(await readFile(log, 'utf8').catch(() => ''));
    if (m) {
      holder.pid = Number(m[1]);
      holder.netIno = (await stat(`/proc/${holder.pid}/ns/net`)).ino;
      // A stop kills the pods' process groups; two seconds later (after their SIGKILL) whatever still runs in
      // this network is killed too: a process that left its group cannot outlive the stop.
      ctx.running.add({ kill: () => setTimeout(() => void sweepPodNetwork(ctx), 2500).unref() });
      return holder;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  proc.kill('SIGKILL');
  const text = (await readFile(log, 'utf8').catch(() => '')).trim().slice(0, 300);
  throw new Error(`cannot create the workflow's pod network (unshare, ip): ${outcome ?? 'no answer'}${text ? `: ${text}` : ''}`);
}

/**
 * The command prefix that puts a sandboxed pod's process into the workflow's network (then bubblewrap must not
 * unshare it), or undefined when the workflow needs none. Checked to be the same holder each time: a pid reused
 * after the holder died is refused.
 */
export async function podNetworkPrefix(ctx: RunContext): Promise<string[] | undefined> {
  if (ctx.sandbox.kind !== 'bwrap' || !needsPodNetwork(ctx)) return undefined;
  let held = holders.get(ctx);
  if (!held) {
    held = startHolder(ctx);
    holders.set(ctx, held);
  }
  const h = await held;
  const ino = await stat(`/proc/${h.pid}/ns/net`).then(
    (s) => s.ino,
    () => -1,
  );
  if (h.ended || ino !== h.netIno) throw new Error("the workflow's pod network is gone");
  return [ctx.host.networkTools?.nsenter ?? hostProgram('nsenter'), `--user=/proc/${h.pid}/ns/user`, `--net=/proc/${h.pid}/ns/net`, '--'];
}

/**
 * Kills every process in the workflow's pod network but its holder (found by the namespace's inode under
 * /proc): the backstop for pods whose processes survived their kill. Returns how many were killed.
 */
export async function sweepPodNetwork(ctx: RunContext): Promise<number> {
  const h = await holders.get(ctx)?.catch(() => undefined);
  if (!h || h.ended) return 0;
  let killed = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === h.pid || pid === process.pid) continue;
    const ino = await stat(`/proc/${pid}/ns/net`).then(
      (st) => st.ino,
      () => -1,
    );
    if (ino !== h.netIno) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // Gone already.
    }
  }
  return killed;
}

/** Ends the workflow's network holder (the workflow is over). */
export async function closePodNetwork(ctx: RunContext): Promise<void> {
  const held = holders.get(ctx);
  if (!held) return;
  holders.delete(ctx);
  const h = await held.catch(() => undefined);
  if (!h || h.ended) return;
  h.proc.kill('SIGKILL');
  await h.proc.done;
}

/** A container's probe as Kubernetes defaults it (readinessProbe). */
export interface Probe {
  exec?: string[];
  http?: { host: string; port: number; path: string; scheme: string; headers: Array<[string, string]> };
  tcp?: { host: string; port: number };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
}

/** Reads a `readinessProbe`; named ports are not known here (no image metadata), so they are refused at submit. */
export function parseProbe(raw: unknown): Probe | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const p = raw as Obj;
  const num = (v: unknown, d: number, min: number) => (Number.isFinite(Number(v)) && v !== undefined ? Math.max(min, Number(v)) : d);
  const base = {
    initialDelaySeconds: num(p.initialDelaySeconds, 0, 0),
    periodSeconds: num(p.periodSeconds, 10, 1),
    timeoutSeconds: num(p.timeoutSeconds, 1, 1),
    successThreshold: num(p.successThreshold, 1, 1),
  };
  const exec = p.exec as Obj | undefined;
  if (exec) return { ...base, exec: ((exec.command as unknown[] | undefined) ?? []).map(String) };
  const http = p.httpGet as Obj | undefined;
  if (http) {
    const headers = ((http.httpHeaders as Obj[] | undefined) ?? []).map((h): [string, string] => [String(h.name), String(h.value)]);
    return {
      ...base,
      http: {
        host: String(http.host ?? POD_IP),
        port: Number(http.port),
        path: String(http.path ?? '/'),
        scheme: String(http.scheme ?? 'HTTP').toLowerCase(),
        headers,
      },
    };
  }
  const tcp = p.tcpSocket as Obj | undefined;
  if (tcp) return { ...base, tcp: { host: String(tcp.host ?? POD_IP), port: Number(tcp.port) } };
  return undefined;
}
