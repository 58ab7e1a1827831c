/**
 * Lifecycle benchmark: one short-lived container (`/bin/true`) created,
 * started, waited for and removed through berthd's API, against the same
 * steps done with the runtime's CLI directly. API and raw rounds alternate
 * in one run so that drift in the machine's load hits both alike. Figures
 * are printed and saved, never asserted.
 *
 * After its table, main runs the restart-to-serving bench (restart.ts), then
 * the scale bench (scale.ts: many containers, long runs, log throughput), and
 * saves all three in one JSON file.
 *
 * usage: node dist/scripts/bench/lifecycle.js [--rounds N] [--quick] [--scale-n N]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { processesMentioning } from '../../test/helpers.js'
import { isAlive } from '../../src/proc.js'
import { Pool, type Dispatcher } from 'undici'
import { printRestart, restartBench, RestartBenchError, type RestartResult } from './restart.js'
import { parseScaleN, printScale, scaleBench, type ScaleResult } from './scale.js'

/** The repository's root (this file runs from dist/scripts/bench). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const ROOTFS = join(REPO, 'test', '.rootfs')
const BERTHD = join(REPO, 'dist', 'src', 'main.js')
const WARMUP = 3
const GOAL = 1.25
/** Any single step taking longer than this is a failure, not a slow sample. */
const STEP_TIMEOUT_MS = 30_000

type RuntimeName = 'runc' | 'crun'

/** Raised for anything that makes the figures meaningless; main exits 1 with its message. */
class BenchError extends Error {}

// Ctrl-C sets this; rounds stop at the next step boundary and cleanup runs.
// Steps in flight are let finish (each has a timeout): killing a runtime's
// create half way leaves cgroups and state that nothing would remove.
let interrupted = false

/** Throws once Ctrl-C was pressed; called between steps. */
function checkpoint (): void {
  if (interrupted) throw new BenchError('interrupted')
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const now = (): number => performance.now()

// ---- child processes -----------------------------------------------------------

/** Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
function run (cmd: string, args: string[], opts: { capture?: boolean, stderrFile?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    // `runc create` hands its stdio to the container, and a pipe there stays
    // open until the container exits: so stdin and stdout are /dev/null, and
    // stderr goes to a file when the caller says the command passes it on.
    const errFd = opts.stderrFile !== undefined ? openSync(opts.stderrFile, 'w') : 'pipe'
    // detached: a terminal's Ctrl-C must not kill a runtime half way through.
    const child = spawn(cmd, args, {
      stdio: ['ignore', opts.capture === true ? 'pipe' : 'ignore', errFd],
      detached: true, timeout: STEP_TIMEOUT_MS
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
function which (name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try { accessSync(join(dir, name), constants.X_OK); return join(dir, name) } catch {}
  }
  return undefined
}

// ---- berthd ------------------------------------------------------------------

/** A berthd of our own and an HTTP pool on its socket. */
interface Daemon { proc: ChildProcess, exited: Promise<void>, pool: Pool, stderr: () => string }

/** Starts berthd on dirs under `dir` and waits until /_ping answers 200. */
async function startDaemon (dir: string): Promise<Daemon> {
  const socket = join(dir, 's.sock')
  // detached: Ctrl-C at a terminal goes to our process group only, so berthd
  // is still there to remove leftover containers during cleanup.
  const proc = spawn(process.execPath, [BERTHD, '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'st'), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'], detached: true
  })
  let err = ''
  proc.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  // A pool: the wait request holds one connection while start and delete use others.
  const pool = new Pool('http://localhost', { socketPath: socket, headersTimeout: STEP_TIMEOUT_MS, bodyTimeout: STEP_TIMEOUT_MS })
  const d: Daemon = { proc, exited, pool, stderr: () => err }
  for (let i = 0; i < 200 && !interrupted; i++) {
    if (proc.exitCode !== null || proc.signalCode !== null) break
    try {
      const r = await pool.request({ method: 'GET', path: '/_ping' })
      await r.body.dump()
      if (r.statusCode === 200) return d
    } catch {}
    await sleep(100)
  }
  // Not serving: our caller never gets a handle on it, so end it here.
  await stopDaemon(d)
  checkpoint()
  throw new BenchError(`berthd did not start (it exited, or /_ping did not answer within 20 s):\n${err}`)
}

/** Sends a JSON request and checks the status; resolves with the parsed body (if any). */
async function call (d: Daemon, method: Dispatcher.HttpMethod, path: string, expect: number, body?: unknown): Promise<unknown> {
  const r = await d.pool.request({
    method, path,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await r.body.text()
  if (r.statusCode !== expect) throw new BenchError(`${method} ${path}: HTTP ${r.statusCode} (expected ${expect}): ${text}`)
  return text === '' ? undefined : JSON.parse(text) as unknown
}

/** SIGTERMs berthd by pid and waits for it to exit (SIGKILL after 10 s). */
async function stopDaemon (d: Daemon): Promise<void> {
  if (d.proc.exitCode === null && d.proc.signalCode === null) {
    d.proc.kill('SIGTERM')
    const timer = setTimeout(() => d.proc.kill('SIGKILL'), 10_000)
    await d.exited
    clearTimeout(timer)
  }
  await d.pool.close().catch(() => {})
}

// ---- the two lifecycles ------------------------------------------------------

/** Durations of one round, ms: the total and each step. */
interface Steps { total: number, [step: string]: number }

/** Ids made and not yet removed, so cleanup knows what is left. */
const liveApi = new Set<string>()
const liveRaw = new Map<string, { runtime: RuntimeName, root: string }>()

/** create → wait (headers) → start → wait body → delete, through berthd; as `docker run --rm` does. */
async function apiLifecycle (d: Daemon, bundle: string, runtime: RuntimeName): Promise<Steps> {
  const t0 = now()
  const { Id: id } = await call(d, 'POST', '/containers', 201, { Bundle: bundle, Runtime: runtime }) as { Id: string }
  liveApi.add(id)
  checkpoint()
  const t1 = now()
  const wait = await d.pool.request({ method: 'POST', path: `/containers/${id}/wait?condition=next-exit` })
  if (wait.statusCode !== 200) throw new BenchError(`wait ${id}: HTTP ${wait.statusCode}: ${await wait.body.text()}`)
  checkpoint()
  const t2 = now()
  await call(d, 'POST', `/containers/${id}/start`, 204)
  const t3 = now()
  const result = JSON.parse(await wait.body.text()) as { StatusCode: number }
  if (result.StatusCode !== 0) throw new BenchError(`container ${id} (${runtime}) exited with status ${result.StatusCode}`)
  checkpoint()
  const t4 = now()
  await call(d, 'DELETE', `/containers/${id}`, 204)
  liveApi.delete(id)
  const t5 = now()
  return { total: t5 - t0, create: t1 - t0, waitHeaders: t2 - t1, start: t3 - t2, exit: t4 - t3, delete: t5 - t4 }
}

let rawSeq = 0

/** The same lifecycle with the runtime's CLI: create, start, poll for the exit, delete. */
async function rawLifecycle (bin: string, root: string, runtime: RuntimeName, bundle: string, scratch: string): Promise<Steps> {
  const pidFile = join(scratch, `${runtime}.pid`)
  const id = `bb-${runtime}-${++rawSeq}`
  // Recorded before create: a create that fails half way can leave state to force-delete.
  liveRaw.set(id, { runtime, root })
  // A stale pid file would make a failed create look like a running container.
  await rm(pidFile, { force: true })
  const t0 = now()
  // --pid-file (as conmon uses) rather than `runtime state`: one process fewer in the timed path.
  await run(bin, ['--root', root, 'create', '--bundle', bundle, '--pid-file', pidFile, id], { stderrFile: join(scratch, `${runtime}.stderr`) })
  const pid = Number((await readFile(pidFile, 'utf8')).trim())
  if (!(pid > 0)) throw new BenchError(`${runtime} create ${id}: no pid in ${pidFile}`)
  checkpoint()
  const t1 = now()
  await run(bin, ['--root', root, 'start', id])
  const t2 = now()
  // Not our child, so no exit event: poll /proc every ms (a zombie counts as exited).
  const deadline = t2 + STEP_TIMEOUT_MS
  while (isAlive(pid)) {
    checkpoint()
    if (now() > deadline) throw new BenchError(`${runtime} container ${id} (pid ${pid}) did not exit`)
    await sleep(1)
  }
  checkpoint()
  const t3 = now()
  await run(bin, ['--root', root, 'delete', id])
  liveRaw.delete(id)
  const t4 = now()
  return { total: t4 - t0, create: t1 - t0, start: t2 - t1, exit: t3 - t2, delete: t4 - t3 }
}

// ---- statistics and output -----------------------------------------------------

/** Median of a non-empty sample. */
function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** 90th percentile, nearest-rank. */
function p90 (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]!
}

interface Row {
  name: string
  medianMs: number
  p90Ms: number
  rounds: number
  rawMedianMs?: number
  ratio?: number
  goal?: number
  stepMediansMs: Record<string, number>
  samplesMs: number[]
}

function rowOf (name: string, samples: Steps[], raw?: Row): Row {
  const totals = samples.map(s => s.total)
  const stepMediansMs: Record<string, number> = {}
  for (const k of Object.keys(samples[0] ?? {})) if (k !== 'total') stepMediansMs[k] = round2(median(samples.map(s => s[k]!)))
  const row: Row = { name, medianMs: round2(median(totals)), p90Ms: round2(p90(totals)), rounds: samples.length, stepMediansMs, samplesMs: totals.map(round2) }
  if (raw !== undefined) Object.assign(row, { rawMedianMs: raw.medianMs, ratio: round2(row.medianMs / raw.medianMs), goal: GOAL })
  return row
}

const round2 = (x: number): number => Math.round(x * 100) / 100

function table (rows: Row[]): string {
  const lines = [
    '| measurement | median ms | p90 ms | rounds | raw median ms | ratio (api/raw) | goal |',
    '|---|---:|---:|---:|---:|---:|---|'
  ]
  for (const r of rows) {
    const api = r.ratio !== undefined
    lines.push(`| ${r.name} | ${r.medianMs.toFixed(1)} | ${r.p90Ms.toFixed(1)} | ${r.rounds} | ${api ? r.rawMedianMs!.toFixed(1) : ''} | ${api ? r.ratio!.toFixed(2) : ''} | ${api ? `≤ ${GOAL} (${r.ratio! <= GOAL ? 'met' : 'missed'})` : ''} |`)
  }
  return lines.join('\n')
}

// ---- main ----------------------------------------------------------------------

function parseRounds (): { rounds: number, quick: boolean, scaleN: number | undefined } {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean' }, 'scale-n': { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const scaleN = parseScaleN(values['scale-n'])
  if (quick) return { rounds: 5, quick, scaleN }
  if (values.rounds === undefined) return { rounds: 30, quick, scaleN }
  const n = Number(values.rounds)
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`--rounds must be a positive integer, got ${values.rounds}`)
  return { rounds: n, quick, scaleN }
}

/** Writes `<dir>/bundle/config.json`: `runc spec`'s default running /bin/true over the shared rootfs. */
async function makeBundle (dir: string): Promise<string> {
  const bundle = join(dir, 'bundle')
  await mkdir(bundle)
  await run('runc', ['spec', '--bundle', bundle])
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown>, root: unknown }
  spec.process.terminal = false
  spec.process.args = ['/bin/true']
  spec.root = { path: ROOTFS, readonly: true }
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2))
  return bundle
}

/** Removes everything the run made; returns what it had to clean up by force. */
async function cleanup (dir: string, d: Daemon | undefined, bins: Partial<Record<RuntimeName, string>>): Promise<string[]> {
  const notes: string[] = []
  if (d !== undefined && d.proc.exitCode === null && d.proc.signalCode === null) {
    try {
      const list = await call(d, 'GET', '/containers/json?all=1', 200) as Array<{ Id: string }>
      for (const c of list) {
        notes.push(`removed leftover container ${c.Id.slice(0, 12)}`)
        await call(d, 'DELETE', `/containers/${c.Id}?force=1`, 204).catch((e: unknown) => notes.push(`could not remove ${c.Id}: ${(e as Error).message}`))
      }
    } catch (e) {
      if (liveApi.size > 0) notes.push(`could not list containers: ${(e as Error).message}`)
    }
  }
  if (d !== undefined) await stopDaemon(d)
  for (const [id, { runtime, root }] of liveRaw) {
    try {
      await run(bins[runtime] ?? runtime, ['--root', root, 'delete', '--force', id])
      notes.push(`deleted leftover raw ${runtime} container ${id}`)
    } catch (e) {
      if (!/does not exist|not found|no such file/i.test((e as Error).message)) notes.push((e as Error).message)
    }
  }
  // Monitors exit on their own shortly after their container is removed.
  let left: number[] = []
  for (let i = 0; i < 20; i++) {
    left = processesMentioning(dir)
    if (left.length === 0) break
    await sleep(100)
  }
  for (const pid of left) {
    const cmd = (() => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() } catch { return '' } })()
    notes.push(`killed leftover process ${pid}: ${cmd}`)
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  await rm(dir, { recursive: true, force: true })
  return notes
}

async function main (): Promise<number> {
  const { rounds, quick, scaleN } = parseRounds()
  if (!existsSync(join(ROOTFS, 'bin', 'true'))) throw new BenchError(`no rootfs at ${ROOTFS}; run: bash scripts/setup.sh`)
  const bins: Partial<Record<RuntimeName, string>> = { runc: which('runc'), crun: which('crun') }
  if (bins.runc === undefined) throw new BenchError('runc not found on PATH; run: bash scripts/setup.sh')
  const runtimes: RuntimeName[] = bins.crun !== undefined ? ['runc', 'crun'] : ['runc']
  if (bins.crun === undefined) console.log('crun is not installed: skipping the crun rows.\n')

  let interrupts = 0
  process.on('SIGINT', () => {
    // The first Ctrl-C stops the rounds and lets cleanup run; a second one gives up on it.
    if (++interrupts > 1) process.exit(130)
    process.stderr.write('\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n')
    interrupted = true
  })

  const dir = await mkdtemp('/tmp/bb-')
  let d: Daemon | undefined
  let failure: unknown
  const samples = new Map<string, Steps[]>()
  try {
    d = await startDaemon(dir)
    const bundle = await makeBundle(dir)
    const rawRoots = { runc: join(dir, 'rawroot'), crun: join(dir, 'rawcrun') }
    const total = WARMUP + rounds
    for (let i = 0; i < total; i++) {
      for (const rt of runtimes) {
        checkpoint()
        // Alternate API and raw within each round so both see the same machine state.
        const a = await apiLifecycle(d, bundle, rt)
        const b = await rawLifecycle(bins[rt]!, rawRoots[rt], rt, bundle, dir)
        if (i < WARMUP) continue
        for (const [name, s] of [[`api lifecycle (${rt})`, a], [`raw ${rt}`, b]] as const) {
          samples.set(name, [...(samples.get(name) ?? []), s])
        }
      }
      process.stderr.write(`\r${i < WARMUP ? 'warm-up' : 'round'} ${i < WARMUP ? i + 1 : i + 1 - WARMUP}/${i < WARMUP ? WARMUP : rounds}   `)
    }
    process.stderr.write('\n')
  } catch (err) {
    failure = err
  } finally {
    const notes = await cleanup(dir, d, bins)
    for (const n of notes) process.stderr.write(`cleanup: ${n}\n`)
  }
  if (failure !== undefined) {
    if (d !== undefined && d.stderr().trim() !== '') process.stderr.write(`berthd stderr:\n${d.stderr()}\n`)
    throw failure
  }

  const rows: Row[] = []
  for (const rt of runtimes) {
    const raw = rowOf(`raw ${rt}`, samples.get(`raw ${rt}`)!)
    rows.push(rowOf(`api lifecycle (${rt})`, samples.get(`api lifecycle (${rt})`)!, raw), raw)
  }
  console.log(table(rows))
  // Per-step medians go to stderr: they explain the table without being part of it.
  for (const r of rows) {
    process.stderr.write(`  ${r.name} step medians (ms): ${Object.entries(r.stepMediansMs).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}\n`)
  }

  // The restart bench: its own dirs and daemons; it cleans up after itself, also on Ctrl-C.
  console.log('')
  let restart: RestartResult | undefined
  let restartFailure: unknown
  try {
    restart = await restartBench({ quick, interrupted: () => interrupted })
    printRestart(restart)
  } catch (err) {
    restartFailure = err
  }
  checkpoint()

  // The scale bench: likewise its own dirs and daemon, cleaned up also on Ctrl-C.
  console.log('')
  let scale: ScaleResult | undefined
  let scaleFailure: unknown
  try {
    scale = await scaleBench({ quick, n: scaleN, interrupted: () => interrupted })
    printScale(scale)
  } catch (err) {
    scaleFailure = err
  }
  checkpoint()

  const versions: Record<string, string> = { node: process.version }
  for (const rt of runtimes) versions[rt] = (await run(bins[rt]!, ['--version'], { capture: true })).split('\n')[0] ?? ''
  const outDir = join(REPO, 'bench-results')
  await mkdir(outDir, { recursive: true })
  const file = join(outDir, `lifecycle-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, JSON.stringify({
    date: new Date().toISOString(), rounds, warmup: WARMUP, goal: GOAL, versions, rows,
    restart: restart ?? { error: (restartFailure as Error).message },
    scale: scale ?? { error: (scaleFailure as Error).message }
  }, null, 2) + '\n')
  console.log(`\nresults: ${file}`)
  if (restartFailure !== undefined && scaleFailure !== undefined) process.stderr.write(`\nscale bench failed: ${(scaleFailure as Error).message}\n`)
  if (restartFailure !== undefined) throw restartFailure
  if (scaleFailure !== undefined) throw scaleFailure
  return 0
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  if (interrupted) {
    process.stderr.write('bench interrupted; cleaned up, no figures written\n')
    process.exitCode = 130
    return
  }
  process.stderr.write(`\nbench failed: ${err instanceof BenchError || err instanceof RestartBenchError ? err.message : (err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
