/**
 * Restart-to-serving benchmark: a berthd is SIGKILLed and started again on
 * the same dirs, and we time spawn → its first *correct* answer to
 * GET /containers/json:
 *
 *  - "restart, empty (baseline)": no containers at all; what node, berthd's
 *    imports and its start-up cost before any container is looked at.
 *  - "restart, 100 running": 100 containers (`sleep 600`) kept running across
 *    every restart; the answer must list all 100 as running.
 *  - "restart, 100 exited while down": 100 containers exit (code 3) while no
 *    berthd runs, so start-up finds 100 exit files to commit; the answer
 *    (all=1) must list all 100 as exited. Destructive, so each run uses a
 *    fresh set. The containers wait on a gate file (bind-mounted at /tmp) that
 *    is made only once berthd is dead: creating 100 containers takes longer
 *    than any fixed sleep one could pick, and an exit committed by the old
 *    berthd would not be an "exit while down".
 *
 * Figures are printed and saved, never asserted; a wrong answer (a wrong exit
 * code, a leftover process) is a failure. lifecycle.ts runs this after its own
 * table; it also runs on its own:
 *
 * usage: node dist/scripts/bench/restart.js [--quick]
 */
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  BenchError, call, interrupted, isRunning, killDaemon, killLeftovers, makeBundle, median, mib, now, progress, ROOTFS,
  round2, rssKb, run, runStandalone, sleep, spawnDaemon, stopDaemon, tail, writeResults, type Daemon
} from './common.js'

/** Containers per set. */
const N = 100
/** Requests in flight while creating and removing a set. */
const CONCURRENCY = 8
const GOAL_MS = 1000
/** A restarted berthd that has not answered correctly by then is a failure. */
const ANSWER_TIMEOUT_MS = 30_000
/** Pause between two attempts while waiting for the first correct answer. */
const POLL_MS = 2
/** Inspected containers per exited set. */
const SAMPLE = 10
const EXIT_CODE = 3
const RUNTIMES = ['runc', 'crun'] as const
const LOG_LEVEL = 'info' // berthd's default: what a restarted production daemon pays for its logging

/** Raised for anything that makes the restart figures meaningless or wrong. */
export class RestartBenchError extends BenchError {}

export interface RestartOptions {
  /** Fewer runs: 3 restarts with 100 running, 1 exited set. */
  quick: boolean
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
}

export interface RestartRow {
  name: string
  medianMs: number
  maxMs: number
  runs: number
  goalMs?: number
  samplesMs: number[]
  /** Medians of where the time went, from berthd's own log (ms). */
  phaseMediansMs: Record<string, number>
  /** 200 answers that were not (yet) correct, over all runs: should be none. */
  wrongAnswers: string[]
}

export interface RestartResult {
  containers: number
  runtime: string
  logLevel: string
  rows: RestartRow[]
  /** berthd's VmRSS right after its first correct answer, kB, per run. */
  rssKb: { empty: number[], running100: number[] }
}

// ---- concurrency ----------------------------------------------------------------

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first error once all workers stop. */
export async function forEachLimit<T> (items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  let failed: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++
      try { await fn(items[i]!, i) } catch (err) { failed ??= { err } }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failed !== undefined) throw failed.err
}

// ---- berthd ------------------------------------------------------------------------

export interface Summary { Id: string, State: string, Status: string }
/** Checks a list answer; returns what is wrong with it, or undefined. */
export type Check = (list: Summary[]) => string | undefined

export const allIn = (state: string, n: number): Check => list => {
  if (!Array.isArray(list)) return 'not an array'
  if (list.length !== n) return `${list.length} entries, not ${n}`
  const off = list.filter(c => c.State !== state)
  return off.length === 0 ? undefined : `${off.length} of ${n} not ${state} (${[...new Set(off.map(c => c.State))].join(', ')})`
}

export interface Answer { ms: number, epoch: number, list: Summary[], wrong: string[] }

/**
 * Polls `path` every POLL_MS from the daemon's spawn until a 200 whose body
 * passes `check`; connection errors (not listening yet) are retried, and so
 * are wrong answers, which are reported.
 */
export async function firstCorrect (d: Daemon, path: string, check: Check, interrupted: () => boolean): Promise<Answer> {
  const wrong: string[] = []
  let lastErr = ''
  while (true) {
    if (interrupted()) throw new RestartBenchError('interrupted')
    if (!isRunning(d)) throw new RestartBenchError(`berthd exited before answering GET ${path}:\n${tail(d.stderr())}`)
    if (now() - d.spawnedAt > ANSWER_TIMEOUT_MS) {
      throw new RestartBenchError(`no correct answer to GET ${path} within ${ANSWER_TIMEOUT_MS / 1000} s (last: ${wrong.at(-1) ?? lastErr})`)
    }
    try {
      const r = await d.pool.request({ method: 'GET', path })
      const text = await r.body.text()
      const t = now()
      const epoch = Date.now()
      if (r.statusCode === 200) {
        const list = JSON.parse(text) as Summary[]
        const problem = check(list)
        if (problem === undefined) return { ms: t - d.spawnedAt, epoch, list, wrong }
        wrong.push(`${path} at ${(t - d.spawnedAt).toFixed(0)} ms: ${problem}`)
      } else {
        wrong.push(`${path} at ${(t - d.spawnedAt).toFixed(0)} ms: HTTP ${r.statusCode}`)
      }
    } catch (err) {
      lastErr = (err as Error).message
    }
    await sleep(POLL_MS)
  }
}

/** Waits (up to ANSWER_TIMEOUT_MS from its spawn; one try at least, for a long-running one) until berthd answers /_ping. */
export async function untilServing (d: Daemon): Promise<void> {
  for (let first = true; isRunning(d) && (first || now() - d.spawnedAt < ANSWER_TIMEOUT_MS); first = false) {
    try {
      const r = await d.pool.request({ method: 'GET', path: '/_ping' })
      await r.body.dump()
      if (r.statusCode === 200) return
    } catch {}
    await sleep(20)
  }
  throw new RestartBenchError(`berthd is not serving:\n${tail(d.stderr())}`)
}

/**
 * Where a start-up's time went, from berthd's log (pino `time`, epoch ms; so
 * to the ms only): spawn → first container recovered (node, imports, socket,
 * loading records), → last one recovered or exit committed, → "serving"
 * (runtime state of adopted containers, leak sweep, versions, routes,
 * listen), → our first correct answer.
 */
function phasesOf (d: Daemon, answerEpoch: number): Record<string, number> {
  let first: number | undefined; let last: number | undefined; let serving: number | undefined
  for (const line of d.stderr().split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const { time, msg } = JSON.parse(line) as { time?: number, msg?: string }
      if (typeof time !== 'number') continue
      if (msg === 'container recovered' || msg === 'container exited') {
        if (msg === 'container recovered') first = Math.min(first ?? time, time)
        last = Math.max(last ?? time, time)
      } else if (msg === 'berthd serving') serving ??= time
    } catch {}
  }
  const out: Record<string, number> = {}
  if (serving === undefined) return out
  if (first !== undefined && last !== undefined) {
    out['spawn→1st recovered'] = first - d.spawnedEpoch
    out['recovering'] = last - first
    out['→serving'] = serving - last
  } else {
    out['spawn→serving'] = serving - d.spawnedEpoch
  }
  out['serving→answer'] = answerEpoch - serving
  return out
}

// ---- container sets ---------------------------------------------------------------

/** Creates and starts `n` (default N) containers from `bundle`, CONCURRENCY at a time; `label` prefixes the progress line. */
export async function createSet (d: Daemon, bundle: string, label: string, interrupted: () => boolean, n = N): Promise<void> {
  let done = 0
  await forEachLimit(Array.from({ length: n }, (_, i) => i), CONCURRENCY, async () => {
    if (interrupted()) throw new RestartBenchError('interrupted')
    const { Id: id } = await call(d, 'POST', '/containers', 201, { Bundle: bundle }) as { Id: string }
    await call(d, 'POST', `/containers/${id}/start`, 204)
    progress(`${label}: started ${++done}/${n}`, false)
  })
  progress(`${label}: started ${done}/${n}`, true)
}

/** DELETE ?force=1 of every container, CONCURRENCY at a time; returns what failed. */
export async function removeAll (d: Daemon): Promise<string[]> {
  const problems: string[] = []
  const list = await call(d, 'GET', '/containers/json?all=1', 200) as Summary[]
  await forEachLimit(list, CONCURRENCY, async c => {
    await call(d, 'DELETE', `/containers/${c.Id}?force=1`, 204).catch((e: unknown) => { problems.push(`could not remove ${c.Id.slice(0, 12)}: ${(e as Error).message}`) })
  })
  const left = await call(d, 'GET', '/containers/json?all=1', 200) as Summary[]
  if (left.length > 0 && problems.length === 0) problems.push(`${left.length} containers still listed after removal`)
  return problems
}

/** Polls until `dir` holds `n` entries (conmon writes one exit file per container). */
async function untilFiles (dir: string, n: number, ms: number, interrupted: () => boolean): Promise<void> {
  const end = now() + ms
  for (;;) {
    if (interrupted()) throw new RestartBenchError('interrupted')
    const have = (await readdir(dir).catch(() => [] as string[])).filter(f => !f.startsWith('.')).length
    if (have >= n) return
    if (now() > end) throw new RestartBenchError(`only ${have} of ${n} exit files in ${dir} after ${ms / 1000} s`)
    await sleep(50)
  }
}

// ---- the bench -------------------------------------------------------------------------

/** What cleanup needs: the dir and whichever berthd ran last. */
export interface Ctx { dir: string, d: Daemon | undefined }

/** Kills the current berthd and starts a new one; resolves with its first correct answer. */
async function restart (ctx: Ctx, path: string, check: Check, opts: RestartOptions): Promise<Answer> {
  if (ctx.d !== undefined) await killDaemon(ctx.d)
  if (opts.interrupted()) throw new RestartBenchError('interrupted')
  ctx.d = spawnDaemon(ctx.dir, { logLevel: LOG_LEVEL })
  return await firstCorrect(ctx.d, path, check, opts.interrupted)
}

interface Samples { ms: number[], phases: Array<Record<string, number>>, wrong: string[] }
const emptySamples = (): Samples => ({ ms: [], phases: [], wrong: [] })
function record (s: Samples, d: Daemon, a: Answer): void {
  s.ms.push(a.ms)
  s.phases.push(phasesOf(d, a.epoch))
  s.wrong.push(...a.wrong)
}

async function measure (ctx: Ctx, opts: RestartOptions): Promise<RestartResult> {
  const restarts = opts.quick ? 3 : 5
  const exitedSets = opts.quick ? 1 : 3
  const { dir } = ctx
  const checkpoint = (): void => { if (opts.interrupted()) throw new RestartBenchError('interrupted') }
  const empty = emptySamples(); const running = emptySamples(); const exited = emptySamples()
  const rss = { empty: [] as number[], running100: [] as number[] }

  // Baseline: the first start warms the page cache and is not counted.
  await restart(ctx, '/containers/json?all=1', allIn('running', 0), opts)
  for (let i = 0; i < restarts; i++) {
    const a = await restart(ctx, '/containers/json?all=1', allIn('running', 0), opts)
    record(empty, ctx.d!, a)
    rss.empty.push(rssKb(ctx.d!.pid))
  }

  // 100 running, kept across every restart.
  const sleeper = await makeBundle(join(dir, 'b-sleep'), ['sleep', '600'])
  await createSet(ctx.d!, sleeper, `restart bench: ${N} running`, opts.interrupted)
  const before = allIn('running', N)(await call(ctx.d!, 'GET', '/containers/json', 200) as Summary[])
  if (before !== undefined) throw new RestartBenchError(`before any restart: ${before}`)
  for (let i = 0; i < restarts; i++) {
    const a = await restart(ctx, '/containers/json', allIn('running', N), opts)
    record(running, ctx.d!, a)
    rss.running100.push(rssKb(ctx.d!.pid))
    progress(`restart bench: ${N} running: restart ${i + 1}/${restarts}: ${running.ms.map(ms => ms.toFixed(0)).join(', ')} ms`, i === restarts - 1)
  }
  checkpoint()
  const removed = await removeAll(ctx.d!)
  if (removed.length > 0) throw new RestartBenchError(removed.join('\n'))

  // 100 exited while down, a fresh set each time.
  for (let s = 1; s <= exitedSets; s++) {
    checkpoint()
    const gate = join(dir, `g${s}`)
    await mkdir(gate)
    const bundle = await makeBundle(join(dir, `b-exit${s}`), ['sh', '-c', `until [ -e /tmp/go ]; do sleep 1; done; exit ${EXIT_CODE}`], gate)
    await createSet(ctx.d!, bundle, `restart bench: exited set ${s}/${exitedSets}`, opts.interrupted)
    const ready = allIn('running', N)(await call(ctx.d!, 'GET', '/containers/json?all=1', 200) as Summary[])
    if (ready !== undefined) throw new RestartBenchError(`exited set ${s} before the kill: ${ready}`)
    await killDaemon(ctx.d!)
    await writeFile(join(gate, 'go'), '')
    await untilFiles(join(dir, 'st', 'exits'), N, 30_000, opts.interrupted)
    checkpoint()
    ctx.d = spawnDaemon(dir, { logLevel: LOG_LEVEL })
    const a = await firstCorrect(ctx.d, '/containers/json?all=1', allIn('exited', N), opts.interrupted)
    record(exited, ctx.d, a)
    process.stderr.write(`restart bench: exited set ${s}/${exitedSets}: ${a.ms.toFixed(0)} ms\n`)
    // Every exit code must have survived: all of them in the list's Status, a sample inspected.
    const badStatus = a.list.filter(c => !c.Status.startsWith(`Exited (${EXIT_CODE})`))
    if (badStatus.length > 0) throw new RestartBenchError(`exited set ${s}: ${badStatus.length} containers with the wrong status, e.g. ${badStatus[0]!.Id.slice(0, 12)}: ${badStatus[0]!.Status}`)
    for (const c of a.list.filter((_, i) => i % Math.floor(N / SAMPLE) === 0).slice(0, SAMPLE)) {
      const info = await call(ctx.d, 'GET', `/containers/${c.Id}/json`, 200) as { State: { Status: string, ExitCode: number, Error: string } }
      if (info.State.Status !== 'exited' || info.State.ExitCode !== EXIT_CODE) {
        throw new RestartBenchError(`exited set ${s}: container ${c.Id.slice(0, 12)} is ${info.State.Status} with exit code ${info.State.ExitCode} (expected exited, ${EXIT_CODE})${info.State.Error !== '' ? `: ${info.State.Error}` : ''}`)
      }
    }
    const gone = await removeAll(ctx.d)
    if (gone.length > 0) throw new RestartBenchError(gone.join('\n'))
  }

  const rowOf = (name: string, s: Samples, goalMs?: number): RestartRow => {
    const phaseMediansMs: Record<string, number> = {}
    for (const k of Object.keys(s.phases[0] ?? {})) phaseMediansMs[k] = round2(median(s.phases.map(p => p[k] ?? 0)))
    return {
      name, medianMs: round2(median(s.ms)), maxMs: round2(Math.max(...s.ms)), runs: s.ms.length,
      ...(goalMs !== undefined ? { goalMs } : {}), samplesMs: s.ms.map(round2), phaseMediansMs, wrongAnswers: s.wrong
    }
  }
  return {
    containers: N,
    runtime: 'runc',
    logLevel: LOG_LEVEL,
    rows: [
      rowOf('restart, empty (baseline)', empty),
      rowOf(`restart, ${N} running`, running, GOAL_MS),
      rowOf(`restart, ${N} exited while down`, exited)
    ],
    rssKb: rss
  }
}

/**
 * Removes everything: every container through the API (starting a berthd
 * for it if none runs), then berthd (SIGTERM), then checks that no process
 * mentioning the dir and no runtime state is left. Returns the failures.
 */
export async function cleanup (ctx: Ctx): Promise<string[]> {
  const problems: string[] = []
  const { dir } = ctx
  const hasRecords = (): boolean => { try { return readdirSync(join(dir, 'root', 'containers')).some(f => !f.startsWith('.')) } catch { return false } }
  try {
    if ((ctx.d === undefined || !isRunning(ctx.d)) && hasRecords()) {
      // Interrupted while berthd was down: a new one recovers the containers so the API can remove them.
      if (ctx.d !== undefined) await killDaemon(ctx.d)
      ctx.d = spawnDaemon(dir, { logLevel: LOG_LEVEL })
    }
    if (ctx.d !== undefined && isRunning(ctx.d)) {
      await untilServing(ctx.d)
      problems.push(...await removeAll(ctx.d))
    }
  } catch (err) {
    problems.push(`could not remove containers: ${(err as Error).message}`)
  }
  if (ctx.d !== undefined) await stopDaemon(ctx.d)
  problems.push(...await killLeftovers(dir, 40))
  for (const rt of RUNTIMES) {
    const root = join(dir, 'st', 'rt', rt)
    const ids = await readdir(root).catch(() => [] as string[])
    for (const id of ids) {
      problems.push(`${rt} state left for ${id}`)
      await run(rt, ['--root', root, 'delete', '--force', id]).catch((e: unknown) => problems.push((e as Error).message))
    }
  }
  await rm(dir, { recursive: true, force: true })
  return problems
}

/**
 * Runs `measure` in a fresh temp dir `<prefix>XXXXXX` under /tmp and always
 * cleans up (see cleanup), reporting problems as "<label> cleanup: …";
 * rejects with the first failure, raised as `Err` when the bench's own.
 */
export async function inBenchDir<R> (prefix: string, label: string, Err: new (message: string) => Error, measure: (ctx: Ctx) => Promise<R>): Promise<R> {
  if (!existsSync(join(ROOTFS, 'bin', 'sh'))) throw new Err(`no rootfs at ${ROOTFS}; run: bash scripts/setup.sh`)
  // Short: conmon's attach socket path must fit in sun_path.
  const ctx: Ctx = { dir: await mkdtemp(`/tmp/${prefix}`), d: undefined }
  let result: R | undefined
  let failure: unknown
  try {
    result = await measure(ctx)
  } catch (err) {
    failure = err
    if (ctx.d !== undefined && !(err instanceof RestartBenchError && err.message === 'interrupted')) {
      process.stderr.write(`\nberthd stderr (last lines):\n${tail(ctx.d.stderr())}\n`)
    }
  } finally {
    // Removes every container (concurrency 8), SIGTERMs berthd, kills and reports leftovers, removes the dir.
    const problems = await cleanup(ctx)
    for (const p of problems) process.stderr.write(`${label} cleanup: ${p}\n`)
    if (problems.length > 0) failure ??= new Err(`cleanup found ${problems.length} problem(s): ${problems[0]!}`)
  }
  if (failure !== undefined) throw failure
  return result!
}

/** Runs the restart bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function restartBench (opts: RestartOptions): Promise<RestartResult> {
  const result = await inBenchDir('br-', 'restart bench', RestartBenchError, async ctx => await measure(ctx, opts))
  for (const r of result.rows) {
    for (const w of r.wrongAnswers) process.stderr.write(`  ${r.name}: wrong answer before the right one: ${w}\n`)
  }
  return result
}

// ---- output ----------------------------------------------------------------------------

/** The Markdown table, the RSS line, and (to stderr) where start-up time went. */
export function printRestart (r: RestartResult): void {
  const lines = [
    '| measurement | median ms | max ms | runs | goal |',
    '|---|---:|---:|---:|---|'
  ]
  for (const row of r.rows) {
    const goal = row.goalMs === undefined ? '' : `≤ ${row.goalMs} ms (${row.maxMs <= row.goalMs ? 'met' : row.medianMs <= row.goalMs ? 'median met, max missed' : 'missed'})`
    lines.push(`| ${row.name} | ${row.medianMs.toFixed(1)} | ${row.maxMs.toFixed(1)} | ${row.runs} | ${goal} |`)
  }
  console.log(lines.join('\n'))
  const { empty, running100 } = r.rssKb
  console.log(`\nberthd RSS after restart with ${r.containers} running: ${mib(median(running100))} MiB median, ${mib(Math.max(...running100))} MiB max (empty: ${mib(median(empty))} MiB)`)
  for (const row of r.rows) {
    process.stderr.write(`  ${row.name} phase medians (ms): ${Object.entries(row.phaseMediansMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}\n`)
  }
}

// ---- standalone ------------------------------------------------------------------------

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } }, strict: true })
  const result = await restartBench({ quick: values.quick === true, interrupted })
  printRestart(result)
  await writeResults('restart', { quick: values.quick === true, versions: { node: process.version }, restart: result })
}

runStandalone(import.meta.url, 'restart bench', main)
