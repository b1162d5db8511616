import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

/**
 * Real Kith nodes as separate processes on 127.0.0.1 (no mDNS, no relay
 * search unless asked: tests send traffic to loopback only), and the `kith` command
 * talking to them, for multi-node tests.
 */

export const KITH = join(repoRoot, 'bin', 'kith.js');
/** Node's flags from bin/kith.js's first line, so a node started here runs as `kith start` does. */
export const NODE_FLAGS = readFileSync(KITH, 'utf8')
  .split('\n', 1)[0]!
  .split(' ')
  .filter((a) => a.startsWith('--'));
const COMMAND_TIMEOUT_MS = 60_000;

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('KITH_')) delete e[k];
  return { ...e, KITH_HOME: home };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command line of a node process, inside a network namespace when one is named (`ip netns exec` execs it, so the pid stays the node's). */
function command(args: string[], netns: string | undefined): [string, string[]] {
  return netns === undefined ? [process.execPath, args] : ['ip', ['netns', 'exec', netns, process.execPath, ...args]];
}

/** Runs one `kith` command to completion (stdin closed, time-limited), inside a network namespace if one is named. */
export function kith(home: string, args: string[], timeoutMs = COMMAND_TIMEOUT_MS, netns?: string): Promise<RunResult> {
  const [file, argv] = command([KITH, ...args], netns);
  const child = spawn(file, argv, { cwd: repoRoot, env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kith ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command with --json that must succeed, and returns its output. */
export async function kithJson(home: string, args: string[], netns?: string): Promise<any> {
  const r = await kith(home, [...args, '--json'], COMMAND_TIMEOUT_MS, netns);
  if (r.code !== 0) throw new Error(`kith ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export interface StartInfo {
  did: string;
  peerId: string;
  addresses: string[];
  control: string;
  /** The web app and owner API on loopback. */
  api: string;
  objects: number;
}

export interface NodeProcess {
  readonly home: string;
  readonly child: ChildProcess;
  readonly info: StartInfo;
  /** Everything the node has logged so far. */
  log(): string;
  /** Resolves when the log matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up, as in a crash or a pulled plug. */
  kill9(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

export interface StartOptions {
  /**
   * Run with the network as people run it (mDNS and the relay search on),
   * for benchmarks of an idle node; tests keep to loopback traffic only.
   */
  readonly networkDefaults?: boolean;
  /** How long the node may take to report it started; longer for benchmarks on a busy machine. */
  readonly startTimeoutMs?: number;
  /** Run inside this Linux network namespace (`ip netns exec`); the node then listens where `--host` in `extra` says. */
  readonly netns?: string;
}

export async function startNode(home: string, extra: string[] = [], opts: StartOptions = {}): Promise<NodeProcess> {
  const quiet = opts.networkDefaults === true ? [] : ['--no-mdns', '--no-relay'];
  const args = [...NODE_FLAGS, KITH, 'start', '--json', '--host', '127.0.0.1', '--port', '0', '--api-port', '0', ...quiet, ...extra];
  const [file, argv] = command(args, opts.netns);
  const child = spawn(file, argv, { cwd: repoRoot, env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.re.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      alive.delete(child);
      resolve(code);
    }),
  );
  const info = await new Promise<StartInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node in ${home} did not start in time\n${stderr}`)), opts.startTimeoutMs ?? COMMAND_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      try {
        const v = JSON.parse(stdout) as StartInfo;
        clearTimeout(timer);
        resolve(v);
      } catch {
        // Not the whole document yet.
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node in ${home} exited ${code} before it started\n${stderr}`));
    });
  });
  return {
    home,
    child,
    info,
    log: () => stderr,
    waitForLog: (re, timeoutMs = COMMAND_TIMEOUT_MS) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stderr)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in the log of ${home}\n${stderr}`)), timeoutMs);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls until the condition holds. */
export async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
