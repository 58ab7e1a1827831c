/**
 * List benchmark: GET /containers/json under load with N running containers
 * (`sleep 3600`). When lifecycle.ts runs the scale bench too, the load goes
 * on the scale bench's N running (500, 100 with --quick), in its berthd,
 * after its own figures for them: creating and removing 500 twice would cost
 * about a minute. Run alone (or `--only list`), it starts its own berthd
 * (--log-level warn) in its own temp dir with N = 500 (50 with --quick;
 * --scale-n sets it).
 *
 * autocannon drives keep-alive connections over the Unix socket, each sending
 * its next request as soon as the last answer ends (closed loop), for 10 s
 * per run (5 s with --quick) after one uncounted warm-up run:
 *
 *  - `?all=1` and the running-only list, 10 connections each: throughput,
 *    and latency as a client sees it while 9 others queue with it (berthd
 *    serves one request at a time, so this is about 10 × the service time);
 *  - the running-only list on 1 connection: the service time itself, which
 *    is what issue 7's p99 ≤ 20 ms is compared to in the scale bench too.
 *
 * Latencies are every 200 answer's own time (autocannon's `response` event,
 * ms from hrtime; its own histogram rounds to whole ms), p50/p90/p99 by
 * nearest rank as in the other benches. berthd's RSS is sampled every 100 ms
 * during the runs (peak), its CPU is read from /proc before and after each
 * run, and after the runs its idle CPU and RSS over 10 s (5 s with --quick).
 * The bench's own CPU is shown too: the load generator must not be what
 * limits the figures.
 *
 * Figures are printed and saved, never asserted; an API call failing while
 * setting up fails the run, while non-200 answers and connection errors under
 * load are counted and shown. Every container is removed through the API by
 * the bench dir's cleanup (restart.ts), also on failure, which then checks
 * for leftover monitors and runtime state. lifecycle.ts prints this after the
 * images bench; it also runs on its own:
 *
 * usage: node dist/scripts/bench/list.js [--quick] [--scale-n N]
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import {
  CLOCK_TICKS, cpuTicks, interrupted, makeBundle, mib, now, percentile, round2, rssKb, runStandalone, sleep,
  spawnDaemon, writeResults, type Daemon
} from './common.js'
import { allIn, createSet, inBenchDir, RestartBenchError, untilServing, type Ctx, type Summary } from './restart.js'
import { GOAL_IDLE_CPU_PCT, GOAL_LIST_P99_MS, GOAL_RSS_KB, parseScaleN } from './scale.js'

const CONNECTIONS = 10
/** A request not answered by then counts as a timeout (autocannon's option, in seconds). */
const REQUEST_TIMEOUT_S = 10

/** Raised for anything that makes the figures meaningless or wrong. */
export class ListBenchError extends RestartBenchError {}

export interface ListOptions {
  /** N = 50, 5 s per run, 5 s of idleness. */
  quick: boolean
  /** Running containers (default 500, 50 with quick). */
  n?: number
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
}

/** One load run against one path. */
export interface ListRun {
  path: string
  connections: number
  seconds: number
  /** 200 answers, and what was not one. */
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  reqPerSec: number
  /** Response bytes (head and body) per second, 10^6. */
  MBps: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /** berthd's CPU over the run, % of a core, and per answer. */
  berthdCpuPct: number
  berthdCpuMsPerRequest: number
  /** The bench's own CPU (autocannon) over the run, % of a core. */
  clientCpuPct: number
}

export interface ListResult {
  containers: number
  runtime: string
  /** Bytes of one answer's body (the same for both paths: every container runs). */
  bodyBytes: number
  /** Whose containers these were; when the list bench's own, how long they took and berthd's RSS before. */
  setUp: { sharedWithScale: boolean, createSeconds?: number, rssKbEmpty?: number }
  runs: ListRun[]
  berthd: { rssKbBefore: number, rssKbPeak: number, rssKbAfterIdle: number, idleSeconds: number, idleCpuPct: number }
  rows: Array<{ measurement: string, value: string, goal: string, met: boolean | undefined }>
}

/** Runs autocannon on `path` for `seconds` (cut short by Ctrl-C); every 200 answer's latency is kept. */
async function load (dir: string, path: string, connections: number, seconds: number, interrupted: () => boolean): Promise<{ result: autocannon.Result, ms: number[], bytes: number, elapsed: number }> {
  const ms: number[] = []
  let bytes = 0
  const t0 = now()
  let watch: NodeJS.Timeout | undefined
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon({
      url: `http://localhost${path}`, socketPath: join(dir, 's.sock'), connections, duration: seconds, timeout: REQUEST_TIMEOUT_S
    }, (err: unknown, r) => { if (err !== null && err !== undefined) reject(err as Error); else resolve(r) })
    inst.on('response', (_client, status, resBytes, responseTime) => {
      if (status !== 200) return
      ms.push(responseTime)
      bytes += resBytes
    })
    watch = setInterval(() => { if (interrupted()) inst.stop() }, 200)
  }).finally(() => clearInterval(watch))
  if (interrupted()) throw new ListBenchError('interrupted')
  return { result, ms, bytes, elapsed: (now() - t0) / 1000 }
}

/** Sets up N running containers on a berthd of its own, then measures (see listLoad). */
async function measure (ctx: Ctx, opts: ListOptions, n: number): Promise<ListResult> {
  const { dir } = ctx
  ctx.d = spawnDaemon(dir, { logLevel: 'warn' })
  const d = ctx.d
  await untilServing(d)
  const rssKbEmpty = rssKb(d.pid)
  const sleeper = await makeBundle(join(dir, 'b-sleep'), ['sleep', '3600'])
  const t0 = now()
  await createSet(d, sleeper, `list bench: ${n} running`, opts.interrupted, n)
  const createSeconds = round2((now() - t0) / 1000)
  return { ...await listLoad(d, dir, n, opts), setUp: { sharedWithScale: false, createSeconds, rssKbEmpty } }
}

/**
 * The measurements, on a berthd (whose dirs are under `dir`) with `n`
 * containers running and nothing else going on: the scale bench's, or the
 * list bench's own.
 */
export async function listLoad (d: Daemon, dir: string, n: number, opts: ListOptions): Promise<ListResult> {
  const checkpoint = (): void => { if (opts.interrupted()) throw new ListBenchError('interrupted') }
  const say = (text: string): void => { process.stderr.write(`list bench: ${text}\n`) }
  const seconds = opts.quick ? 5 : 10
  const answer = await d.pool.request({ method: 'GET', path: '/containers/json?all=1' })
  const text = await answer.body.text()
  if (answer.statusCode !== 200) throw new ListBenchError(`GET /containers/json?all=1: HTTP ${answer.statusCode}: ${text}`)
  const ready = allIn('running', n)(JSON.parse(text) as Summary[])
  if (ready !== undefined) throw new ListBenchError(`${n} should be running: ${ready}`)
  const bodyBytes = Buffer.byteLength(text)
  await sleep(1000)
  checkpoint()
  const rssKbBefore = rssKb(d.pid)

  let rssKbPeak = rssKbBefore
  const sampler = setInterval(() => { rssKbPeak = Math.max(rssKbPeak, rssKb(d.pid)) }, 100)
  const runs: ListRun[] = []
  try {
    // Uncounted: JIT and buffers warm on both sides.
    await load(dir, '/containers/json?all=1', CONNECTIONS, opts.quick ? 1 : 2, opts.interrupted)
    for (const [path, connections] of [['/containers/json?all=1', CONNECTIONS], ['/containers/json', CONNECTIONS], ['/containers/json', 1]] as const) {
      checkpoint()
      const b0 = cpuTicks(d.pid); const c0 = process.cpuUsage()
      const { result: r, ms, bytes, elapsed } = await load(dir, path, connections, seconds, opts.interrupted)
      const berthdTicks = cpuTicks(d.pid) - b0; const c = process.cpuUsage(c0)
      if (ms.length === 0) throw new ListBenchError(`GET ${path}: no 200 answer in ${seconds} s (${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)`)
      runs.push({
        path, connections, seconds: round2(elapsed), ok: ms.length, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
        reqPerSec: round2(ms.length / elapsed), MBps: round2(bytes / 1e6 / elapsed),
        p50Ms: round2(percentile(ms, 50)), p90Ms: round2(percentile(ms, 90)), p99Ms: round2(percentile(ms, 99)), maxMs: round2(Math.max(...ms)),
        berthdCpuPct: round2(berthdTicks / CLOCK_TICKS / elapsed * 100),
        berthdCpuMsPerRequest: round2(berthdTicks * 1000 / CLOCK_TICKS / ms.length),
        clientCpuPct: round2((c.user + c.system) / 1e3 / (elapsed * 1000) * 100)
      })
      const x = runs.at(-1)!
      say(`GET ${path}, ${connections} connection${connections > 1 ? 's' : ''}: ${x.reqPerSec.toFixed(0)} req/s, p50 ${x.p50Ms.toFixed(1)} / p99 ${x.p99Ms.toFixed(1)} ms`)
    }
  } finally {
    clearInterval(sampler)
  }
  checkpoint()

  // Idle: the load is over; does berthd settle?
  await sleep(1000)
  const i0 = cpuTicks(d.pid); const t1 = now()
  await sleep(seconds * 1000)
  const idleSeconds = (now() - t1) / 1000
  const idleCpuPct = round2((cpuTicks(d.pid) - i0) / CLOCK_TICKS / idleSeconds * 100)
  const berthd = { rssKbBefore, rssKbPeak, rssKbAfterIdle: rssKb(d.pid), idleSeconds: round2(idleSeconds), idleCpuPct }

  const rows: ListResult['rows'] = runs.map(x => ({
    measurement: `GET ${x.path}, ${n} running, ${x.connections} connection${x.connections > 1 ? 's' : ''}, ${seconds} s`,
    value: `${x.reqPerSec.toFixed(0)} req/s; p50 ${x.p50Ms.toFixed(1)}, p90 ${x.p90Ms.toFixed(1)}, p99 ${x.p99Ms.toFixed(1)} ms`,
    goal: `p99 ≤ ${GOAL_LIST_P99_MS} ms`,
    met: x.p99Ms <= GOAL_LIST_P99_MS
  }))
  const failed = runs.reduce((sum, x) => sum + x.non2xx + x.errors, 0)
  rows.push(
    { measurement: 'answers not 200, connection errors (timeouts among them)', value: `${runs.reduce((s, x) => s + x.non2xx, 0)}, ${runs.reduce((s, x) => s + x.errors, 0)} (${runs.reduce((s, x) => s + x.timeouts, 0)})`, goal: '0', met: failed === 0 },
    { measurement: `berthd RSS, ${n} running: before load → peak under load → after idle`, value: `${mib(rssKbBefore)} → ${mib(rssKbPeak)} → ${mib(berthd.rssKbAfterIdle)} MiB`, goal: `≤ ${GOAL_RSS_KB / 1024} MiB`, met: rssKbPeak <= GOAL_RSS_KB },
    { measurement: `berthd idle CPU after the load, ${n} running (${seconds} s)`, value: `${idleCpuPct.toFixed(2)} % of a core`, goal: `≤ ${GOAL_IDLE_CPU_PCT} %`, met: idleCpuPct <= GOAL_IDLE_CPU_PCT }
  )
  return { containers: n, runtime: 'runc', bodyBytes, setUp: { sharedWithScale: true }, runs, berthd, rows }
}

/** Runs the list bench in its own temp dir; always cleans up (every container through the API). Rejects on any failure. */
export async function listBench (opts: ListOptions): Promise<ListResult> {
  const n = opts.n ?? (opts.quick ? 50 : 500)
  if (!Number.isInteger(n) || n < 1) throw new ListBenchError(`the number of containers must be a positive integer, got ${n}`)
  return await inBenchDir('bl-', 'list bench', ListBenchError, async ctx => await measure(ctx, opts, n))
}

// ---- output ------------------------------------------------------------------------------

/** The Markdown table; (to stderr) the figures behind it. */
export function printList (r: ListResult): void {
  const lines = ['| measurement | value | goal | met? |', '|---|---:|---|---|']
  for (const row of r.rows) lines.push(`| ${row.measurement} | ${row.value} | ${row.goal} | ${row.met === undefined ? '' : row.met ? 'yes' : 'no'} |`)
  console.log(lines.join('\n'))
  const { setUp } = r
  const whose = setUp.sharedWithScale ? `the scale bench's ${r.containers} containers` : `${r.containers} containers created and started in ${setUp.createSeconds?.toFixed(1) ?? '?'} s (berthd RSS before: ${mib(setUp.rssKbEmpty ?? 0)} MiB)`
  process.stderr.write(`  ${whose}; ${r.bodyBytes} bytes per list\n`)
  for (const x of r.runs) {
    process.stderr.write(`  GET ${x.path} × ${x.connections}: ${x.ok} answers in ${x.seconds.toFixed(1)} s (${x.MBps.toFixed(1)} MB/s), max ${x.maxMs.toFixed(1)} ms; berthd CPU ${x.berthdCpuPct.toFixed(0)} % of a core (${x.berthdCpuMsPerRequest.toFixed(2)} ms per answer), autocannon ${x.clientCpuPct.toFixed(0)} %\n`)
  }
}

// ---- standalone ------------------------------------------------------------------------------

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'scale-n': { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const result = await listBench({ quick, n: parseScaleN(values['scale-n']), interrupted })
  printList(result)
  await writeResults('list', { quick, versions: { node: process.version }, list: result })
}

runStandalone(import.meta.url, 'list bench', main)
