/**
 * Scale benchmark: what berthd and its monitors cost with many containers,
 * whether a long run of lifecycles leaks, and how fast a followed log
 * streams. One berthd (--log-level warn, --log-size-max 1 GiB so the log
 * bench is not truncated by conmon) in its own temp dir:
 *
 *  1. N running containers (`sleep 3600`, N = 500, 100 with --quick):
 *     PSS of every conmon, berthd's RSS, 200 sequential GET /containers/json
 *     (p50, p99), berthd's CPU over 10 s of idleness (5 s with --quick),
 *     and restart-to-serving: SIGKILL, spawn again, time until the list
 *     shows all N running, then RSS again. Between the two, the list bench
 *     (list.ts) may put its load on the same N (lifecycle.ts does so when
 *     both run), which saves it creating and removing N of its own.
 *  2. 2000 sequential lifecycles of `/bin/true` (200 with --quick), as
 *     `docker run --rm` does them (create, wait headers, start, wait body,
 *     delete); berthd's RSS and open fds after the first 10 % of rounds and
 *     at the end must stay flat.
 *  3. logs follow throughput: a container writing 256 MiB (64 MiB with
 *     --quick) of `yes` lines is started and GET
 *     /containers/{id}/logs?stdout=1&follow=1 opened right after (follow on a
 *     container not yet running ends at once, as Docker's does); the stream
 *     is decoded and timed from the start request to its end.
 *
 * Figures are printed and saved, never asserted; only errors (an API call
 * failing, a leftover process) fail the run. lifecycle.ts runs this after the
 * restart bench; it also runs on its own:
 *
 * usage: node dist/scripts/bench/scale.js [--quick] [--scale-n N]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { processesMentioning } from '../../test/helpers.js'
import { isAlive } from '../../src/proc.js'
import {
  call, CLOCK_TICKS, cpuTicks, interrupted, killDaemon, makeBundle, median, mib, now, openPool, percentile, progress,
  round2, rssKb, runStandalone, sleep, spawnDaemon, writeResults, type Daemon
} from './common.js'
import {
  allIn, createSet, firstCorrect, inBenchDir, removeAll, RestartBenchError, untilServing, type Ctx, type Summary
} from './restart.js'

const GOAL_PSS_KB = 512 // 0.5 MiB per monitor
/** berthd's RSS with N running (issue 7); the list bench holds berthd to it too. */
export const GOAL_RSS_KB = 120 * 1024
/** GET /containers/json p99 with N running (issue 7). */
export const GOAL_LIST_P99_MS = 20
/** berthd's CPU while idle with N running, % of a core (issue 7). */
export const GOAL_IDLE_CPU_PCT = 1
const GOAL_RESTART_MS = 2000
const GOAL_FLAT_PCT = 10
const GOAL_LOGS_MBPS = 100
const LIST_REQUESTS = 200
const LIST_WARMUP = 10
const LOG_SIZE_MAX = 1024 * 1024 * 1024
const LINE = '0123456789012345678901234567890123456789012345678901234567890123456789'

/** Raised for anything that makes the figures meaningless or wrong. */
export class ScaleBenchError extends RestartBenchError {}

export interface ScaleOptions {
  /** N = 100, 200 lifecycles, 64 MiB of logs, 5 s of idleness. */
  quick: boolean
  /** Running containers for part 1 (default 500, 100 with quick). */
  n?: number
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
  /**
   * Another bench's use of the N running containers (the list bench's load),
   * run after this bench's own figures for them and before the restart, so it
   * changes none of them; what it throws fails this bench too.
   */
  whileRunning?: (d: Daemon, dir: string, n: number) => Promise<void>
}

/** One line of the table. */
export interface ScaleRow { measurement: string, value: string, goal: string, met: boolean | undefined }

export interface ScaleResult {
  containers: number
  runtime: string
  /** Part 1. */
  running: {
    createSeconds: number
    monitors: { count: number, pssKbMedian: number, pssKbMean: number, pssKbMax: number, pssKbTotal: number }
    /** berthd with no containers, right after the N started, and after the list requests and the idle window. */
    berthd: { rssKbEmpty: number, rssKbAfterCreate: number, rssKb: number, rssAnonKb: number, rssFileKb: number, fds: number }
    list: { requests: number, p50Ms: number, p99Ms: number, maxMs: number, bodyBytes: number, emptyP50Ms: number, emptyP99Ms: number }
    idle: { seconds: number, berthdCpuPct: number, monitorsCpuPct: number }
    restart: { ms: number, rssKb: number, wrongAnswers: string[] }
    removeSeconds: number
  }
  /** Part 2. */
  lifecycles: {
    rounds: number
    seconds: number
    medianMs: number
    p99Ms: number
    /** berthd's VmRSS (kB) and open fds after each tenth of the rounds; the first is the baseline. */
    samples: Array<{ round: number, rssKb: number, fds: number }>
    rssChangePct: number
    fdsChangePct: number
  }
  /** Part 3. */
  logs: {
    expectedBytes: number
    payloadBytes: number
    bodyBytes: number
    frames: number
    /** start request sent → first byte of the log, → container exited (wait answered), → stream ended. */
    firstByteMs: number
    exitedMs: number
    endMs: number
    payloadMBps: number
    bodyMBps: number
    /** start request sent → the log file's last modification (conmon's last write). */
    writtenMs: number
    /** What conmon wrote to the log file per second while the container ran. */
    writeMBps: number
    /** GET /_ping every 100 ms while the log streamed: max and median latency, and how many. */
    pingMaxMs: number
    pingP50Ms: number
    pings: number
    berthdPeakRssKb: number
    complete: boolean
  }
  rows: ScaleRow[]
}

// ---- /proc -----------------------------------------------------------------------

/** PSS of `pid` in kB from smaps_rollup (undefined if gone). */
function pssKb (pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m === null ? undefined : Number(m[1])
  } catch { return undefined }
}

/** A field of /proc/<pid>/status in kB (0 if unreadable). */
function statusKb (pid: number, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch { return 0 }
}

const fdCount = (pid: number): number => { try { return readdirSync(`/proc/${pid}/fd`).length } catch { return 0 } }
const commOf = (pid: number): string => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() } catch { return '' } }

/** The live conmon processes working for the bench's dir. */
const monitorsOf = (dir: string): number[] => processesMentioning(dir).filter(p => commOf(p) === 'conmon' && isAlive(p))

// ---- statistics ----------------------------------------------------------------------

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const change = (from: number, to: number): number => from === 0 ? 0 : round2((to - from) / from * 100)
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

// ---- parts -----------------------------------------------------------------------------

/** `count` sequential GET /containers/json after LIST_WARMUP uncounted ones; latencies in ms and the body size. */
async function listLatency (d: Daemon, count: number): Promise<{ ms: number[], bytes: number }> {
  const ms: number[] = []
  let bytes = 0
  for (let i = 0; i < LIST_WARMUP + count; i++) {
    const t0 = now()
    const r = await d.pool.request({ method: 'GET', path: '/containers/json' })
    const body = Buffer.from(await r.body.arrayBuffer())
    const t = now() - t0
    if (r.statusCode !== 200) throw new ScaleBenchError(`GET /containers/json: HTTP ${r.statusCode}: ${body.toString()}`)
    if (i >= LIST_WARMUP) ms.push(t)
    bytes = body.length
  }
  return { ms, bytes }
}

/** create → wait (headers) → start → wait body → delete, through berthd; ms. */
async function lifecycle (d: Daemon, bundle: string): Promise<number> {
  const t0 = now()
  const { Id: id } = await call(d, 'POST', '/containers', 201, { Bundle: bundle }) as { Id: string }
  const wait = await d.pool.request({ method: 'POST', path: `/containers/${id}/wait?condition=next-exit` })
  if (wait.statusCode !== 200) throw new ScaleBenchError(`wait ${id}: HTTP ${wait.statusCode}: ${await wait.body.text()}`)
  await call(d, 'POST', `/containers/${id}/start`, 204)
  const result = JSON.parse(await wait.body.text()) as { StatusCode: number }
  if (result.StatusCode !== 0) throw new ScaleBenchError(`container ${id} exited with status ${result.StatusCode}`)
  await call(d, 'DELETE', `/containers/${id}`, 204)
  return now() - t0
}

async function measure (ctx: Ctx, opts: ScaleOptions, n: number): Promise<ScaleResult> {
  const { dir } = ctx
  const checkpoint = (): void => { if (opts.interrupted()) throw new ScaleBenchError('interrupted') }
  const say = (text: string): void => { process.stderr.write(`scale bench: ${text}\n`) }
  const daemonArgs = { logLevel: 'warn', args: ['--log-size-max', String(LOG_SIZE_MAX)] }
  ctx.d = spawnDaemon(dir, daemonArgs)
  await untilServing(ctx.d)

  // ---- 1. N running -----------------------------------------------------------------
  const empty = await listLatency(ctx.d, LIST_REQUESTS)
  const rssKbEmpty = rssKb(ctx.d.pid)
  const sleeper = await makeBundle(join(dir, 'b-sleep'), ['sleep', '3600'])
  let t0 = now()
  await createSet(ctx.d, sleeper, `scale bench: ${n} running`, opts.interrupted, n)
  const createSeconds = (now() - t0) / 1000
  say(`${n} created and started in ${createSeconds.toFixed(1)} s (${(createSeconds * 1000 / n).toFixed(0)} ms each at concurrency 8)`)
  const ready = allIn('running', n)(await call(ctx.d, 'GET', '/containers/json', 200) as Summary[])
  if (ready !== undefined) throw new ScaleBenchError(`after creating ${n}: ${ready}`)
  await sleep(1000)
  checkpoint()

  const monitors = monitorsOf(dir)
  if (monitors.length !== n) say(`found ${monitors.length} conmon processes for ${n} containers`)
  const pss = monitors.map(pssKb).filter((x): x is number => x !== undefined)
  if (pss.length === 0) throw new ScaleBenchError('no conmon PSS could be read')
  const rssKbAfterCreate = rssKb(ctx.d.pid)

  const list = await listLatency(ctx.d, LIST_REQUESTS)
  checkpoint()

  const idleSeconds = opts.quick ? 5 : 10
  await sleep(500)
  const d0 = cpuTicks(ctx.d.pid); const m0 = monitors.map(cpuTicks); t0 = now()
  await sleep(idleSeconds * 1000)
  const d1 = cpuTicks(ctx.d.pid); const m1 = monitors.map(cpuTicks); const idleS = (now() - t0) / 1000
  const berthdCpuPct = round2((d1 - d0) / CLOCK_TICKS / idleS * 100)
  // A monitor that exited meanwhile reads 0: count only those still there.
  const monitorTicks = m1.reduce((sum, t, i) => sum + (t >= m0[i]! ? t - m0[i]! : 0), 0)
  const monitorsCpuPct = round2(monitorTicks / CLOCK_TICKS / idleS * 100)
  const berthd = { rssKbEmpty, rssKbAfterCreate, rssKb: rssKb(ctx.d.pid), rssAnonKb: statusKb(ctx.d.pid, 'RssAnon'), rssFileKb: statusKb(ctx.d.pid, 'RssFile'), fds: fdCount(ctx.d.pid) }
  checkpoint()
  if (opts.whileRunning !== undefined) {
    await opts.whileRunning(ctx.d, dir, n)
    checkpoint()
  }

  say(`restarting berthd with ${n} running`)
  await killDaemon(ctx.d)
  checkpoint()
  ctx.d = spawnDaemon(dir, daemonArgs)
  const answer = await firstCorrect(ctx.d, '/containers/json', allIn('running', n), opts.interrupted)
  const restart = { ms: round2(answer.ms), rssKb: rssKb(ctx.d.pid), wrongAnswers: answer.wrong }
  say(`restart to serving ${n} running: ${answer.ms.toFixed(0)} ms`)
  checkpoint()

  t0 = now()
  const removed = await removeAll(ctx.d)
  if (removed.length > 0) throw new ScaleBenchError(removed.join('\n'))
  const removeSeconds = (now() - t0) / 1000
  say(`${n} removed in ${removeSeconds.toFixed(1)} s`)
  // The removal's idle keep-alive connections would count in the first fd sample and then time out:
  // a fresh pool, so that the lifecycles' fds are theirs alone.
  await ctx.d.pool.close()
  ctx.d.pool = openPool(dir)
  await sleep(200)

  // ---- 2. sequential lifecycles --------------------------------------------------------
  const rounds = opts.quick ? 200 : 2000
  const tenth = Math.max(1, Math.floor(rounds / 10))
  const truer = await makeBundle(join(dir, 'b-true'), ['/bin/true'])
  const times: number[] = []
  const samples: Array<{ round: number, rssKb: number, fds: number }> = []
  t0 = now()
  for (let i = 1; i <= rounds; i++) {
    checkpoint()
    times.push(await lifecycle(ctx.d, truer))
    if (i % tenth === 0 || i === rounds) {
      samples.push({ round: i, rssKb: rssKb(ctx.d.pid), fds: fdCount(ctx.d.pid) })
      progress(`scale bench: lifecycles ${i}/${rounds}: RSS ${mib(samples.at(-1)!.rssKb)} MiB, ${samples.at(-1)!.fds} fds`, i === rounds)
    }
  }
  const lifecycleSeconds = (now() - t0) / 1000
  const warm = samples[0]!; const end = samples.at(-1)!

  // ---- 3. logs follow ---------------------------------------------------------------------
  checkpoint()
  const expected = (opts.quick ? 64 : 256) * 1024 * 1024
  const writer = await makeBundle(join(dir, 'b-yes'), ['sh', '-c', `yes ${LINE} | head -c ${expected}`])
  const { Id: id } = await call(ctx.d, 'POST', '/containers', 201, { Bundle: writer }) as { Id: string }
  // Long body timeouts: berthd may not answer anything for a while when it has a big log to parse.
  const wait = await ctx.d.pool.request({ method: 'POST', path: `/containers/${id}/wait?condition=next-exit`, bodyTimeout: 600_000 })
  if (wait.statusCode !== 200) throw new ScaleBenchError(`wait ${id}: HTTP ${wait.statusCode}: ${await wait.body.text()}`)
  const logFile = join(dir, 'root', 'containers', id, 'ctr.log')
  let peakRss = rssKb(ctx.d.pid)
  const pid = ctx.d.pid
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, rssKb(pid)) }, 100)
  let exitedMs = 0
  // /_ping every 100 ms while the log streams: how long other clients wait meanwhile.
  let streaming = true
  const pings: number[] = []
  const d = ctx.d
  const pinger = (async () => {
    while (streaming) {
      const p0 = now()
      try { const r = await d.pool.request({ method: 'GET', path: '/_ping', bodyTimeout: 600_000, headersTimeout: 600_000 }); await r.body.dump() } catch { break }
      pings.push(now() - p0)
      await sleep(100)
    }
  })()
  const t = now(); const tEpoch = Date.now()
  let body = 0; let payload = 0; let frames = 0; let firstByte = 0
  try {
    // follow=1 on a container that is not running (yet) ends at once, as Docker's does: so the
    // request goes right after start. It reads the log from its beginning, so nothing is missed.
    await call(ctx.d, 'POST', `/containers/${id}/start`, 204)
    const logs = await ctx.d.pool.request({ method: 'GET', path: `/containers/${id}/logs?stdout=1&follow=1`, bodyTimeout: 600_000 })
    if (logs.statusCode !== 200) throw new ScaleBenchError(`logs ${id}: HTTP ${logs.statusCode}: ${await logs.body.text()}`)
    const raw = !String(logs.headers['content-type'] ?? '').includes('multiplexed')
    // Settles (never rejects) when the writer exits; awaited after the stream so a failed stream is reported first.
    const exited = wait.body.text().then(text => {
      exitedMs = now() - t
      const code = (JSON.parse(text) as { StatusCode: number }).StatusCode
      if (code !== 0) say(`log writer exited with status ${code}`)
    }, (e: unknown) => { say(`wait for the log writer: ${(e as Error).message}`) })
    // Frames: [stream, 0, 0, 0, length uint32 BE] + payload; a header may span chunks.
    const hdr = Buffer.alloc(8); let have = 0; let left = 0
    for await (const chunk of logs.body as AsyncIterable<Buffer>) {
      if (firstByte === 0) firstByte = now() - t
      body += chunk.length
      if (raw) { payload += chunk.length; continue }
      for (let i = 0; i < chunk.length;) {
        if (left === 0) {
          const take = Math.min(8 - have, chunk.length - i)
          chunk.copy(hdr, have, i, i + take); have += take; i += take
          if (have === 8) { left = hdr.readUInt32BE(4); have = 0; frames++ }
        } else {
          const take = Math.min(left, chunk.length - i)
          payload += take; left -= take; i += take
        }
      }
    }
    await exited
  } finally {
    clearInterval(sampler)
    streaming = false
    await pinger
  }
  const endMs = now() - t
  // When conmon last wrote the log: the wait's answer can be late if berthd is busy.
  const writtenMs = (() => { try { return statSync(logFile).mtimeMs - tEpoch } catch { return exitedMs } })()
  const complete = payload === expected
  if (!complete) say(`logs: decoded ${payload} payload bytes, expected ${expected}`)
  const logResult = {
    expectedBytes: expected, payloadBytes: payload, bodyBytes: body, frames,
    firstByteMs: round2(firstByte), exitedMs: round2(exitedMs), endMs: round2(endMs),
    payloadMBps: round2(payload / 1e6 / (endMs / 1000)), bodyMBps: round2(body / 1e6 / (endMs / 1000)),
    writtenMs: round2(writtenMs), writeMBps: round2(expected / 1e6 / (writtenMs / 1000)), berthdPeakRssKb: peakRss, complete,
    pingMaxMs: round2(pings.length > 0 ? Math.max(...pings) : 0), pingP50Ms: round2(pings.length > 0 ? percentile(pings, 50) : 0), pings: pings.length
  }

  // ---- the table -------------------------------------------------------------------------
  const pssMedian = median(pss)
  const listP99 = percentile(list.ms, 99)
  const rssFlat = Math.abs(change(warm.rssKb, end.rssKb)) <= GOAL_FLAT_PCT
  const fdsFlat = Math.abs(change(warm.fds, end.fds)) <= GOAL_FLAT_PCT
  const rows: ScaleRow[] = [
    { measurement: `monitor PSS (${pss.length} conmon), median / mean`, value: `${pssMedian.toFixed(0)} / ${mean(pss).toFixed(0)} kB`, goal: `≤ ${GOAL_PSS_KB} kB each`, met: pssMedian <= GOAL_PSS_KB },
    { measurement: `berthd RSS, ${n} running`, value: `${mib(berthd.rssKb)} MiB`, goal: `≤ ${GOAL_RSS_KB / 1024} MiB`, met: berthd.rssKb <= GOAL_RSS_KB },
    { measurement: `GET /containers/json, ${n} running, p50 / p99`, value: `${percentile(list.ms, 50).toFixed(1)} / ${listP99.toFixed(1)} ms`, goal: `p99 ≤ ${GOAL_LIST_P99_MS} ms`, met: listP99 <= GOAL_LIST_P99_MS },
    { measurement: `berthd idle CPU, ${n} running (${idleSeconds} s)`, value: `${berthdCpuPct.toFixed(2)} % of a core`, goal: `≤ ${GOAL_IDLE_CPU_PCT} %`, met: berthdCpuPct <= GOAL_IDLE_CPU_PCT },
    { measurement: `restart to serving, ${n} running`, value: `${restart.ms.toFixed(0)} ms`, goal: `≤ ${GOAL_RESTART_MS} ms`, met: restart.ms <= GOAL_RESTART_MS },
    { measurement: `berthd RSS after that restart`, value: `${mib(restart.rssKb)} MiB`, goal: `≤ ${GOAL_RSS_KB / 1024} MiB`, met: restart.rssKb <= GOAL_RSS_KB },
    { measurement: `${rounds} lifecycles: berthd RSS, round ${warm.round} → ${end.round}`, value: `${mib(warm.rssKb)} → ${mib(end.rssKb)} MiB (${signed(change(warm.rssKb, end.rssKb))} %)`, goal: `flat within ${GOAL_FLAT_PCT} %`, met: rssFlat },
    { measurement: `${rounds} lifecycles: berthd open fds, round ${warm.round} → ${end.round}`, value: `${warm.fds} → ${end.fds} (${signed(change(warm.fds, end.fds))} %)`, goal: `flat within ${GOAL_FLAT_PCT} %`, met: fdsFlat },
    { measurement: `logs follow, ${expected / 1024 / 1024} MiB`, value: `${logResult.payloadMBps.toFixed(1)} MB/s`, goal: `≥ ${GOAL_LOGS_MBPS} MB/s`, met: logResult.payloadMBps >= GOAL_LOGS_MBPS },
    { measurement: 'logs follow: GET /_ping meanwhile, max', value: `${logResult.pingMaxMs.toFixed(0)} ms (median ${logResult.pingP50Ms.toFixed(1)})`, goal: '', met: undefined },
    { measurement: 'logs follow, payload bytes decoded', value: `${payload}${complete ? '' : ` of ${expected}`}`, goal: `= ${expected}`, met: complete }
  ]
  return {
    containers: n,
    runtime: 'runc',
    running: {
      createSeconds: round2(createSeconds),
      monitors: { count: monitors.length, pssKbMedian: pssMedian, pssKbMean: round2(mean(pss)), pssKbMax: Math.max(...pss), pssKbTotal: pss.reduce((a, b) => a + b, 0) },
      berthd,
      list: {
        requests: LIST_REQUESTS, p50Ms: round2(percentile(list.ms, 50)), p99Ms: round2(listP99), maxMs: round2(Math.max(...list.ms)), bodyBytes: list.bytes,
        emptyP50Ms: round2(percentile(empty.ms, 50)), emptyP99Ms: round2(percentile(empty.ms, 99))
      },
      idle: { seconds: round2(idleS), berthdCpuPct, monitorsCpuPct },
      restart,
      removeSeconds: round2(removeSeconds)
    },
    lifecycles: {
      rounds, seconds: round2(lifecycleSeconds), medianMs: round2(median(times)), p99Ms: round2(percentile(times, 99)),
      samples, rssChangePct: change(warm.rssKb, end.rssKb), fdsChangePct: change(warm.fds, end.fds)
    },
    logs: logResult,
    rows
  }
}

/** Runs the scale bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function scaleBench (opts: ScaleOptions): Promise<ScaleResult> {
  const n = opts.n ?? (opts.quick ? 100 : 500)
  if (!Number.isInteger(n) || n < 1) throw new ScaleBenchError(`the number of containers must be a positive integer, got ${n}`)
  const result = await inBenchDir('bs-', 'scale bench', ScaleBenchError, async ctx => await measure(ctx, opts, n))
  for (const w of result.running.restart.wrongAnswers) process.stderr.write(`  restart with ${n} running: wrong answer before the right one: ${w}\n`)
  return result
}

// ---- output ------------------------------------------------------------------------------

/** The Markdown table; (to stderr) the figures behind it. */
export function printScale (r: ScaleResult): void {
  const lines = ['| measurement | value | goal | met? |', '|---|---:|---|---|']
  for (const row of r.rows) lines.push(`| ${row.measurement} | ${row.value} | ${row.goal} | ${row.met === undefined ? '' : row.met ? 'yes' : 'no'} |`)
  console.log(lines.join('\n'))
  const { running: x, lifecycles: l, logs } = r
  const notes = [
    `${r.containers} containers created and started in ${x.createSeconds.toFixed(1)} s, removed in ${x.removeSeconds.toFixed(1)} s`,
    `monitors: ${x.monitors.count} conmon, PSS max ${x.monitors.pssKbMax} kB, total ${mib(x.monitors.pssKbTotal)} MiB; their idle CPU together ${x.idle.monitorsCpuPct.toFixed(2)} % of a core`,
    `berthd: RSS ${mib(x.berthd.rssKbEmpty)} MiB with no containers, ${mib(x.berthd.rssKbAfterCreate)} MiB right after creating, ${mib(x.berthd.rssKb)} MiB after the list requests and idle window (anon ${mib(x.berthd.rssAnonKb)}, file ${mib(x.berthd.rssFileKb)}), ${x.berthd.fds} fds`,
    `list: ${x.list.bodyBytes} bytes per answer, max ${x.list.maxMs.toFixed(1)} ms; with no containers p50 ${x.list.emptyP50Ms.toFixed(1)} / p99 ${x.list.emptyP99Ms.toFixed(1)} ms`,
    `lifecycles: ${l.rounds} in ${l.seconds.toFixed(0)} s, median ${l.medianMs.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms; RSS MiB by tenth: ${l.samples.map(s => mib(s.rssKb)).join(' ')}; fds: ${l.samples.map(s => s.fds).join(' ')}`,
    `logs: first byte ${logs.firstByteMs.toFixed(0)} ms, log last written at ${logs.writtenMs.toFixed(0)} ms (conmon wrote ${logs.writeMBps.toFixed(1)} MB/s), wait answered at ${logs.exitedMs.toFixed(0)} ms, stream ended at ${logs.endMs.toFixed(0)} ms; ${logs.frames} frames, ${logs.bodyBytes} body bytes (${logs.bodyMBps.toFixed(1)} MB/s); berthd peak RSS ${mib(logs.berthdPeakRssKb)} MiB`
  ]
  for (const n of notes) process.stderr.write(`  ${n}\n`)
}

// ---- standalone ------------------------------------------------------------------------------

/** Parses --scale-n (undefined when absent). */
export function parseScaleN (v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new ScaleBenchError(`--scale-n must be a positive integer, got ${v}`)
  return n
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'scale-n': { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const result = await scaleBench({ quick, n: parseScaleN(values['scale-n']), interrupted })
  printScale(result)
  await writeResults('scale', { quick, versions: { node: process.version }, scale: result })
}

runStandalone(import.meta.url, 'scale bench', main)
