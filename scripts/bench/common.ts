/**
 * What the benches share: paths, the error class, child processes, a berthd
 * of their own and requests to it, statistics, the results file, and the
 * standalone entry point with its Ctrl-C handling.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cmdOf, processesMentioning } from '../../test/helpers.js'
import { NODE_FLAGS } from '../../src/launch.js'
import { Pool, type Dispatcher } from 'undici'

/** The repository's root (this file runs from dist/scripts/bench). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
/** The shared, read-only rootfs every bench container runs on. */
export const ROOTFS = join(REPO, 'test', '.rootfs')
/** berthd's entry point. */
/** The daemon under test; BERTH_BENCH_DAEMON points at another build's main.js for before/after figures. */
export const BERTHD = process.env.BERTH_BENCH_DAEMON ?? join(REPO, 'dist', 'src', 'main.js')
/** A child command taking longer than this is killed and counts as failed. */
const RUN_TIMEOUT_MS = 30_000

/** Raised for anything that makes the figures meaningless or wrong; reported by its message alone. */
export class BenchError extends Error {}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
/** A monotonic clock in ms. */
export const now = (): number => performance.now()
/** Rounds to two decimals, for the results file. */
export const round2 = (x: number): number => Math.round(x * 100) / 100
/** kB as MiB with one decimal. */
export const mib = (kb: number): string => (kb / 1024).toFixed(1)
/** The last 20 lines of `text`. */
export const tail = (text: string): string => text.trim().split('\n').slice(-20).join('\n')

/** Progress on one rewritten line when stderr is a terminal; only the last state otherwise. */
export function progress (text: string, last: boolean): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}   ${last ? '\n' : ''}`)
  else if (last) process.stderr.write(`${text}\n`)
}

// ---- statistics ------------------------------------------------------------------

/** Median of a non-empty sample. */
export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Nearest-rank percentile `p` (0–100) of a non-empty sample. */
export function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(p / 100 * s.length) - 1)]!
}

// ---- processes ---------------------------------------------------------------------

/** Runs a command to completion (in `env`, default ours); resolves with its stdout (if `capture`), rejects on a non-zero exit. */
export function run (cmd: string, args: string[], opts: { capture?: boolean, stderrFile?: string, env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    // `runc create` hands its stdio to the container, and a pipe there stays
    // open until the container exits: so stdin and stdout are /dev/null, and
    // stderr goes to a file when the caller says the command passes it on.
    const errFd = opts.stderrFile !== undefined ? openSync(opts.stderrFile, 'w') : 'pipe'
    // detached: a terminal's Ctrl-C must not kill a runtime half way through.
    const child = spawn(cmd, args, {
      stdio: ['ignore', opts.capture === true ? 'pipe' : 'ignore', errFd],
      detached: true, timeout: RUN_TIMEOUT_MS, env: opts.env ?? process.env
    })
    if (typeof errFd === 'number') closeSync(errFd)
    let out = ''; let err = ''
    child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
    const what = `${cmd} ${args.join(' ')}`
    child.once('error', e => reject(new BenchError(`${what}: ${e.message}`)))
    child.once('close', (code, signal) => {
      if (code === 0) { resolve(out); return }
      if (opts.stderrFile !== undefined) err = readFileSync(opts.stderrFile, 'utf8')
      reject(new BenchError(`${what} failed (${code ?? signal ?? '?'}): ${err.trim()}`))
    })
  })
}

/** Finds an executable on PATH; undefined when missing. */
export function which (name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try { accessSync(join(dir, name), constants.X_OK); return join(dir, name) } catch {}
  }
  return undefined
}

/** VmRSS of `pid` in kB (0 if unreadable). */
export function rssKb (pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch { return 0 }
}

/** USER_HZ: /proc/<pid>/stat counts CPU time in these. */
export const CLOCK_TICKS = 100

/** utime + stime of `pid` in clock ticks (0 if gone); fields 14 and 15, counted after the ')' of comm. */
export function cpuTicks (pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    // f[0] is field 3 (state): utime is field 14, stime 15.
    return Number(f[11]) + Number(f[12])
  } catch { return 0 }
}

/**
 * Waits (up to `tries` × 100 ms) for processes mentioning `dir` to go (monitors
 * exit on their own shortly after their container is removed), then SIGKILLs
 * those left; returns a note for each.
 */
export async function killLeftovers (dir: string, tries: number): Promise<string[]> {
  let left: number[] = []
  for (let i = 0; i < tries; i++) {
    left = processesMentioning(dir)
    if (left.length === 0) break
    await sleep(100)
  }
  const notes: string[] = []
  for (const pid of left) {
    notes.push(`killed leftover process ${pid}: ${cmdOf(pid)}`)
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  return notes
}

/** Writes an OCI bundle (`runc spec`'s default) in `dir` running `args` over the shared rootfs; `gate` is bind-mounted at /tmp. */
export async function makeBundle (dir: string, args: string[], gate?: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  await run('runc', ['spec', '--bundle', dir])
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: Record<string, unknown>, root: unknown, mounts: unknown[] }
  spec.process.terminal = false
  spec.process.args = args
  spec.root = { path: ROOTFS, readonly: true }
  // /tmp exists in the rootfs, so the runtime has no mount point to make in the shared (read-only) tree.
  if (gate !== undefined) spec.mounts.push({ destination: '/tmp', type: 'bind', source: gate, options: ['rbind', 'ro'] })
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec, null, 2))
  return dir
}

// ---- berthd ---------------------------------------------------------------------------

/** One berthd process on a bench's dirs, and an HTTP pool on its socket. */
export interface Daemon {
  proc: ChildProcess
  pid: number
  exited: Promise<void>
  pool: Pool
  /** performance.now() and Date.now() just before spawn(). */
  spawnedAt: number
  spawnedEpoch: number
  stderr: () => string
}

/** A connection pool on `dir`'s berthd socket; several connections, so a pending wait does not block other requests. */
export function openPool (dir: string, timeoutMs = 60_000): Pool {
  return new Pool('http://localhost', { socketPath: join(dir, 's.sock'), headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
}

/** Spawns berthd on `dir`'s socket, root and state (with `opts.args` appended); does not wait for it. */
export function spawnDaemon (dir: string, opts: { logLevel: string, args?: string[], timeoutMs?: number }): Daemon {
  const spawnedEpoch = Date.now()
  const spawnedAt = now()
  // detached: a terminal's Ctrl-C must not kill it; cleanup still needs it to remove containers.
  const proc = spawn(process.execPath, [...NODE_FLAGS, BERTHD, '--socket', join(dir, 's.sock'), '--root', join(dir, 'root'), '--state', join(dir, 'st'), '--log-level', opts.logLevel, ...(opts.args ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'], detached: true
  })
  let err = ''
  proc.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  if (proc.pid === undefined) throw new BenchError('could not spawn berthd')
  return { proc, pid: proc.pid, exited, pool: openPool(dir, opts.timeoutMs), spawnedAt, spawnedEpoch, stderr: () => err }
}

/** True while berthd has not exited. */
export const isRunning = (d: Daemon): boolean => d.proc.exitCode === null && d.proc.signalCode === null

/** SIGKILLs berthd by pid and waits until it is gone (its containers and monitors live on). */
export async function killDaemon (d: Daemon): Promise<void> {
  if (isRunning(d)) process.kill(d.pid, 'SIGKILL')
  await d.exited
  await d.pool.destroy().catch(() => {})
}

/** SIGTERMs berthd by pid and waits for it to exit (SIGKILL after 10 s). */
export async function stopDaemon (d: Daemon): Promise<void> {
  if (isRunning(d)) {
    process.kill(d.pid, 'SIGTERM')
    const timer = setTimeout(() => { if (isRunning(d)) process.kill(d.pid, 'SIGKILL') }, 10_000)
    await d.exited
    clearTimeout(timer)
  }
  await d.pool.destroy().catch(() => {})
}

/** Sends a JSON request and checks the status; resolves with the parsed body (if any). */
export async function call (d: Daemon, method: Dispatcher.HttpMethod, path: string, expect: number, body?: unknown): Promise<unknown> {
  const r = await d.pool.request({
    method, path,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await r.body.text()
  if (r.statusCode !== expect) throw new BenchError(`${method} ${path}: HTTP ${r.statusCode} (expected ${expect}): ${text}`)
  return text === '' ? undefined : JSON.parse(text) as unknown
}

// ---- results and the standalone entry point ------------------------------------------------

/** Writes `{ date, ...fields }` to bench-results/<name>-<timestamp>.json and prints its path. */
export async function writeResults (name: string, fields: Record<string, unknown>): Promise<void> {
  const outDir = join(REPO, 'bench-results')
  await mkdir(outDir, { recursive: true })
  const file = join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), ...fields }, null, 2) + '\n')
  console.log(`\nresults: ${file}`)
}

let interruptedFlag = false

/** True once Ctrl-C was pressed (under runStandalone); benches stop at the next step and clean up. */
export const interrupted = (): boolean => interruptedFlag

/**
 * Runs `main` when `moduleUrl` is the script node was started with: the first
 * Ctrl-C sets interrupted() and lets cleanup run, a second one quits at once;
 * a failure is reported as "<label> failed: …" and exits 1 (130 if interrupted).
 */
export function runStandalone (moduleUrl: string, label: string, main: () => Promise<void>): void {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return
  let interrupts = 0
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130)
    process.stderr.write('\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n')
    interruptedFlag = true
  })
  main().catch((err: unknown) => {
    if (interruptedFlag) {
      process.stderr.write('bench interrupted; cleaned up, no figures written\n')
      process.exitCode = 130
      return
    }
    process.stderr.write(`\n${label} failed: ${err instanceof BenchError ? err.message : (err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}
