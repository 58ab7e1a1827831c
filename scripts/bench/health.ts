/**
 * Healthcheck benchmark (issue 16): N running containers (500; 100 with
 * --quick, or --health-n N), each with a 1 s healthcheck running `true`.
 * One berthd (--log-level warn, runc) in its own temp dir:
 *
 *  - berthd's CPU over a window (30 s; 10 s with --quick), as % of one core,
 *    from /proc/<pid>/stat utime + stime. The probes' own conmon and runtime
 *    processes are not berthd's and are not counted (the machine's load is
 *    printed beside it).
 *  - probe schedule lateness: moby times the next probe from the end of the
 *    last one, so each pair of consecutive results in State.Health.Log gives
 *    one sample, Start[i+1] − End[i] − Interval. All containers' logs are read
 *    at the end of the window (up to 4 samples each); p50, p99 and max.
 *
 * Figures are printed and saved, never asserted; a failed API call fails the
 * run. The bench dir's cleanup (restart.ts) removes every container.
 *
 * usage: node dist/scripts/bench/health.js [--quick] [--health-n N]
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { call, CLOCK_TICKS, cpuTicks, interrupted, now, percentile, progress, ROOTFS, round2, runStandalone, sleep, spawnDaemon, writeResults } from './common.js'
import { inBenchDir, RestartBenchError, untilServing, type Ctx } from './restart.js'

/** berthd's CPU with 500 probing every second, % of one core (issue 16). */
const GOAL_CPU_PCT = 10
const INTERVAL_MS = 1000
const CONCURRENCY = 8

/** Raised for anything that makes the figures meaningless or wrong. */
export class HealthBenchError extends RestartBenchError {}

export interface HealthOptions { quick: boolean, n?: number, interrupted: () => boolean }

export interface HealthResult {
  containers: number
  windowS: number
  berthdCpuPct: number
  goalCpuPct: number
  latenessP50Ms: number
  latenessP99Ms: number
  latenessMaxMs: number
  samples: number
  /** Containers not healthy at the end of the window. */
  notHealthy: number
  loadavg1: number
  /** The machine's cores: each probe is an exec (conmon + runtime processes), so N probes a second need cores of their own. */
  cores: number
}

type Health = { Status: string, Log: Array<{ Start: string, End: string }> }

async function measure (ctx: Ctx, n: number, windowS: number, opts: HealthOptions): Promise<HealthResult> {
  const d = ctx.d = spawnDaemon(ctx.dir, { logLevel: 'warn' })
  await untilServing(d)
  const tar = execFileSync('tar', ['-C', ROOTFS, '-c', '.'], { maxBuffer: 512 * 1024 * 1024 })
  const r = await d.pool.request({ method: 'POST', path: '/images/create?fromSrc=-&repo=hb', body: tar })
  if (r.statusCode !== 200) throw new HealthBenchError(`import: HTTP ${r.statusCode}: ${await r.body.text()}`)
  await r.body.dump()
  const body = { Image: 'hb', Cmd: ['sleep', '3600'], Healthcheck: { Test: ['CMD', 'true'], Interval: INTERVAL_MS * 1e6 } }
  const ids: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      if (opts.interrupted()) throw new HealthBenchError('interrupted')
      next++
      const { Id } = await call(d, 'POST', '/containers/create', 201, body) as { Id: string }
      ids.push(Id)
      await call(d, 'POST', `/containers/${Id}/start`, 204)
      progress(`started ${ids.length}/${n}`, false)
    }
  }))
  progress(`started ${n}; settling`, true)
  // Past the first probes of the last containers started.
  await sleep(5000)
  const t0 = now()
  const c0 = cpuTicks(d.pid)
  for (let s = 0; s < windowS; s++) {
    if (opts.interrupted()) throw new HealthBenchError('interrupted')
    await sleep(1000)
    progress(`measuring ${s + 1}/${windowS} s`, false)
  }
  const cpuPct = (cpuTicks(d.pid) - c0) / CLOCK_TICKS / ((now() - t0) / 1000) * 100
  progress('measured', true)
  const lateness: number[] = []
  let notHealthy = 0
  for (const id of ids) {
    const h = (await call(d, 'GET', `/containers/${id}/json`, 200) as { State: { Health?: Health } }).State.Health
    if (h?.Status !== 'healthy') notHealthy++
    const log = h?.Log ?? []
    for (let i = 1; i < log.length; i++) lateness.push(Date.parse(log[i]!.Start) - Date.parse(log[i - 1]!.End) - INTERVAL_MS)
  }
  if (lateness.length === 0) throw new HealthBenchError('no probe results to measure')
  return {
    containers: n,
    windowS,
    berthdCpuPct: round2(cpuPct),
    goalCpuPct: GOAL_CPU_PCT,
    latenessP50Ms: percentile(lateness, 50),
    latenessP99Ms: percentile(lateness, 99),
    latenessMaxMs: Math.max(...lateness),
    samples: lateness.length,
    notHealthy,
    loadavg1: round2(loadavg()[0]!),
    cores: cpus().length
  }
}

/** Runs the health bench in its own temp dir; always cleans up. */
export async function healthBench (opts: HealthOptions): Promise<HealthResult> {
  const n = opts.n ?? (opts.quick ? 100 : 500)
  if (!Number.isInteger(n) || n < 1) throw new HealthBenchError(`--health-n must be a positive integer, got ${n}`)
  return await inBenchDir('bh-', 'health bench', HealthBenchError, async ctx => await measure(ctx, n, opts.quick ? 10 : 30, opts))
}

/** The Markdown table. */
export function printHealth (r: HealthResult): void {
  console.log([
    `| ${r.containers} containers, 1 s healthcheck (\`true\`) | value | goal |`, '|---|---:|---:|',
    `| berthd CPU over ${r.windowS} s, % of one core | ${r.berthdCpuPct} | ≤ ${r.goalCpuPct} |`,
    `| probe lateness p50 ms | ${r.latenessP50Ms} | |`,
    `| probe lateness p99 ms | ${r.latenessP99Ms} | |`,
    `| probe lateness max ms | ${r.latenessMaxMs} | |`
  ].join('\n'))
  process.stderr.write(`  ${r.samples} lateness samples; ${r.notHealthy} containers not healthy at the end; load average (1 min) ${r.loadavg1} on ${r.cores} cores\n`)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'health-n': { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const result = await healthBench({ quick, n: values['health-n'] === undefined ? undefined : Number(values['health-n']), interrupted })
  printHealth(result)
  await writeResults('health', { quick, versions: { node: process.version }, health: result })
}

runStandalone(import.meta.url, 'health bench', main)
