/**
 * Lifecycle benchmark: one short-lived container (`/bin/true`) created,
 * started, waited for and removed through berthd's API, against the same
 * steps done with the runtime's CLI directly (raw-lifecycle.sh, timed by the
 * shell that runs them). API and raw rounds alternate
 * in one run so that drift in the machine's load hits both alike. Figures
 * are printed and saved, never asserted.
 *
 * After its table, main runs the batch bench (batch.ts: 20 and 100
 * containers created and started at once, against raw runc), the
 * restart-to-serving bench (restart.ts), the
 * scale bench (scale.ts: many containers, long runs, log throughput), then
 * the interactive bench (interactive.ts: exec round trip, attach and exec
 * stdin → stdout throughput), then the images bench (images.ts: `docker run
 * --rm` through the docker CLI vs raw `runc run`, import and load MB/s), then
 * the list bench (list.ts: GET /containers/json under autocannon load with N
 * running; when the scale bench runs too, on its containers, inside it), then
 * the events bench (events.ts: exit → `die` event delivery), then the pull
 * bench (pull.ts: a 210 MiB registry pull against skopeo copy, and a resumed
 * pull), then the network bench (network.ts: the default bridge's cost per
 * container, published-port throughput, many containers on one network),
 * then the compose bench (compose.ts: docker-compose up -d of the
 * test stack against the same made by hand with the docker CLI), then the
 * health bench (health.ts), then the build bench (build.ts: POST /build vs
 * buildah bud, cold and cached), then the userns bench (userns.ts: an image
 * container's lifecycle remapped and with --userns=host, and the one-time
 * layer copy per image), and saves them all in one JSON file. --rounds sets the rounds of this
 * table, of the exec round trips, of the docker-run rounds and of the events
 * bench; --scale-n the running containers of the scale, list and health benches;
 * --only names the parts to run (lifecycle, batch, restart, scale,
 * interactive, images, list, events, pull, network, compose, health, build, userns).
 *
 * --peers adds podman and containerd (where installed) to the docker-run rounds.
 *
 * usage: node dist/scripts/bench/lifecycle.js [--rounds N] [--quick] [--scale-n N] [--only a,b] [--peers]
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  BenchError, call, interrupted, isRunning, killLeftovers, makeBundle, median, now, percentile, ROOTFS, round2, run,
  REPO, runStandalone, sleep, spawnDaemon, stopDaemon, which, writeResults, type Daemon
} from './common.js'
import { batchBench, printBatch } from './batch.js'
import { composeBench, printCompose } from './compose.js'
import { eventsBench, printEvents } from './events.js'
import { imagesBench, printImages } from './images.js'
import { interactiveBench, printInteractive } from './interactive.js'
import { listBench, listLoad, printList, type ListResult } from './list.js'
import { networkBench, printNetwork } from './network.js'
import { printRestart, restartBench } from './restart.js'
import { printPull, pullBench } from './pull.js'
import { healthBench, printHealth } from './health.js'
import { buildBench, printBuild } from './build.js'
import { parseScaleN, printScale, scaleBench } from './scale.js'
import { printUserns, usernsBench } from './userns.js'

const WARMUP = 3
const GOAL = 1.25
/** Any single step taking longer than this is a failure, not a slow sample. */
const STEP_TIMEOUT_MS = 30_000

type RuntimeName = 'runc' | 'crun'

// Ctrl-C sets interrupted(); rounds stop at the next step boundary and cleanup runs.
// Steps in flight are let finish (each has a timeout): killing a runtime's
// create half way leaves cgroups and state that nothing would remove.

/** Throws once Ctrl-C was pressed; called between steps. */
function checkpoint (): void {
  if (interrupted()) throw new BenchError('interrupted')
}

/** Starts berthd on dirs under `dir` and waits until /_ping answers 200. */
async function startDaemon (dir: string): Promise<Daemon> {
  // A pool: the wait request holds one connection while start and delete use others.
  const d = spawnDaemon(dir, { logLevel: 'warn', timeoutMs: STEP_TIMEOUT_MS })
  for (let i = 0; i < 200 && !interrupted(); i++) {
    if (!isRunning(d)) break
    try {
      const r = await d.pool.request({ method: 'GET', path: '/_ping' })
      await r.body.dump()
      if (r.statusCode === 200) return d
    } catch {}
    await sleep(100)
  }
  // Not serving: our caller never gets a handle on it, so end it here.
  await stopDaemon(d)
  checkpoint()
  throw new BenchError(`berthd did not start (it exited, or /_ping did not answer within 20 s):\n${d.stderr()}`)
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

/** The raw side's script: the runtime CLI sequence, in one bash per round (see its header for why). */
const RAW_SCRIPT = join(REPO, 'scripts', 'bench', 'raw-lifecycle.sh')

/** EPOCHREALTIME's "seconds.micros" in ms, without the float error of parsing it as seconds. */
function stampMs (stamp: string): number {
  const [s, us] = stamp.split('.')
  return Number(s) * 1000 + Number(us) / 1000
}

/**
 * The same lifecycle with the runtime's CLI (create, start, poll for the exit,
 * delete), timed by the shell that runs it: the figure is the runtime's own
 * cost, as a user typing the commands would see it, without a fork of the
 * bench's Node process per command.
 */
async function rawLifecycle (bin: string, root: string, runtime: RuntimeName, bundle: string, scratch: string): Promise<Steps> {
  const pidFile = join(scratch, `${runtime}.pid`)
  const id = `bb-${runtime}-${++rawSeq}`
  // Recorded before create: a create that fails half way can leave state to force-delete.
  liveRaw.set(id, { runtime, root })
  // A stale pid file would make a failed create look like a running container.
  await rm(pidFile, { force: true })
  const out = await run('bash', [RAW_SCRIPT, bin, root, bundle, id, pidFile, join(scratch, 'nap')], { capture: true, stderrFile: join(scratch, `${runtime}.stderr`) })
  liveRaw.delete(id)
  checkpoint()
  const t = out.trim().split(' ').map(stampMs)
  if (t.length !== 5 || t.some(x => !Number.isFinite(x))) throw new BenchError(`${RAW_SCRIPT} ${runtime}: unexpected output ${JSON.stringify(out)}`)
  const [t0, t1, t2, t3, t4] = t as [number, number, number, number, number]
  return { total: t4 - t0, create: t1 - t0, start: t2 - t1, exit: t3 - t2, delete: t4 - t3 }
}

// ---- statistics and output -----------------------------------------------------

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
  const row: Row = { name, medianMs: round2(median(totals)), p90Ms: round2(percentile(totals, 90)), rounds: samples.length, stepMediansMs, samplesMs: totals.map(round2) }
  if (raw !== undefined) Object.assign(row, { rawMedianMs: raw.medianMs, ratio: round2(row.medianMs / raw.medianMs), goal: GOAL })
  return row
}

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

const PARTS = ['lifecycle', 'batch', 'restart', 'scale', 'interactive', 'images', 'list', 'events', 'pull', 'network', 'compose', 'health', 'build', 'userns'] as const
type Part = typeof PARTS[number]
/** The benches to run: all, or those `--only a,b` names. */
let wanted: Set<Part> = new Set(PARTS)
const want = (p: Part): boolean => wanted.has(p)
const SKIPPED = new Error('skipped (--only)')

/** --peers: podman and containerd beside berth in the images bench's docker-run rounds (peers.ts). */
let peers = false

function parseRounds (): { rounds: number, quick: boolean, scaleN: number | undefined } {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean' }, 'scale-n': { type: 'string' }, only: { type: 'string' }, peers: { type: 'boolean' } }, strict: true })
  peers = values.peers === true
  if (values.only !== undefined) {
    const parts = values.only.split(',').map(x => x.trim())
    const bad = parts.filter(x => !(PARTS as readonly string[]).includes(x))
    if (bad.length > 0) throw new BenchError(`--only takes ${PARTS.join(', ')}; not ${bad.join(', ')}`)
    wanted = new Set(parts as Part[])
  }
  const quick = values.quick === true
  const scaleN = parseScaleN(values['scale-n'])
  if (quick) return { rounds: 5, quick, scaleN }
  if (values.rounds === undefined) return { rounds: 30, quick, scaleN }
  const n = Number(values.rounds)
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`--rounds must be a positive integer, got ${values.rounds}`)
  return { rounds: n, quick, scaleN }
}

/** Removes everything the run made; returns what it had to clean up by force. */
async function cleanup (dir: string, d: Daemon | undefined, bins: Partial<Record<RuntimeName, string>>): Promise<string[]> {
  const notes: string[] = []
  if (d !== undefined && isRunning(d)) {
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
  notes.push(...await killLeftovers(dir, 20))
  await rm(dir, { recursive: true, force: true })
  return notes
}

async function main (): Promise<void> {
  const { rounds, quick, scaleN } = parseRounds()
  if (!existsSync(join(ROOTFS, 'bin', 'true'))) throw new BenchError(`no rootfs at ${ROOTFS}; run: bash scripts/setup.sh`)
  const bins: Partial<Record<RuntimeName, string>> = { runc: which('runc'), crun: which('crun') }
  if (bins.runc === undefined) throw new BenchError('runc not found on PATH; run: bash scripts/setup.sh')
  const runtimes: RuntimeName[] = bins.crun !== undefined ? ['runc', 'crun'] : ['runc']
  if (bins.crun === undefined) console.log('crun is not installed: skipping the crun rows.\n')

  const dir = await mkdtemp('/tmp/bb-')
  let d: Daemon | undefined
  let failure: unknown
  const samples = new Map<string, Steps[]>()
  try {
    d = await startDaemon(dir)
    const bundle = await makeBundle(join(dir, 'bundle'), ['/bin/true'])
    const rawRoots = { runc: join(dir, 'rawroot'), crun: join(dir, 'rawcrun') }
    await run('mkfifo', [join(dir, 'nap')])
    const total = want('lifecycle') ? WARMUP + rounds : 0
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
  for (const rt of want('lifecycle') ? runtimes : []) {
    const raw = rowOf(`raw ${rt}`, samples.get(`raw ${rt}`)!)
    rows.push(rowOf(`api lifecycle (${rt})`, samples.get(`api lifecycle (${rt})`)!, raw), raw)
  }
  if (rows.length > 0) console.log(table(rows))
  // Per-step medians go to stderr: they explain the table without being part of it.
  for (const r of rows) {
    process.stderr.write(`  ${r.name} step medians (ms): ${Object.entries(r.stepMediansMs).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}\n`)
  }

  // The other benches, in this order: each has its own dirs and daemon(s) and cleans up after
  // itself, also on Ctrl-C; a failure is kept (and written) and the next one runs.
  const others: Array<{ part: Part, result?: unknown, failure?: unknown }> = []
  const other = async <R>(part: Part, bench: () => Promise<R>, print: (r: R) => void): Promise<void> => {
    const entry: { part: Part, result?: unknown, failure?: unknown } = { part }
    others.push(entry)
    try {
      if (want(part)) { console.log(''); const r = await bench(); print(r); entry.result = r } else entry.failure = SKIPPED
    } catch (err) {
      entry.failure = err
    }
    checkpoint()
  }
  await other('batch', () => batchBench({ quick, interrupted }), printBatch)
  await other('restart', () => restartBench({ quick, interrupted }), printRestart)
  // The list bench's load goes on the scale bench's N running when both run: its own would cost a minute.
  let list: { result?: ListResult, failure?: unknown } | undefined
  const whileRunning = async (d: Daemon, dir: string, n: number): Promise<void> => {
    try {
      list = { result: await listLoad(d, dir, n, { quick, interrupted }) }
    } catch (err) {
      if (interrupted()) throw err
      list = { failure: err }
    }
  }
  await other('scale', () => scaleBench({ quick, n: scaleN, interrupted, whileRunning: want('list') ? whileRunning : undefined }), printScale)
  await other('interactive', () => interactiveBench({ quick, rounds, interrupted }), printInteractive)
  await other('images', () => imagesBench({ quick, rounds, interrupted, peers }), printImages)
  // Printed in its place: from the scale bench's containers, or (scale not wanted, or failed before the load) on its own.
  await other('list', async () => {
    if (list?.failure !== undefined) throw list.failure
    return list?.result ?? await listBench({ quick, n: scaleN, interrupted })
  }, printList)
  await other('events', () => eventsBench({ quick, rounds, interrupted }), printEvents)
  await other('pull', () => pullBench({ quick, interrupted }), printPull)
  await other('network', () => networkBench({ quick, rounds, interrupted }), printNetwork)
  await other('compose', () => composeBench({ quick, interrupted }), printCompose)
  await other('health', () => healthBench({ quick, n: scaleN, interrupted }), printHealth)
  await other('build', () => buildBench({ quick, interrupted }), printBuild)
  await other('userns', () => usernsBench({ quick, rounds, interrupted }), printUserns)

  const versions: Record<string, string> = { node: process.version }
  for (const rt of runtimes) versions[rt] = (await run(bins[rt]!, ['--version'], { capture: true })).split('\n')[0] ?? ''
  const fields: Record<string, unknown> = { rounds, warmup: WARMUP, goal: GOAL, versions, rows }
  for (const o of others) fields[o.part] = o.result ?? { error: (o.failure as Error).message }
  await writeResults('lifecycle', fields)
  // The first failure is thrown (and reported by runStandalone); the others are written here.
  const failures = others.filter(o => o.failure !== undefined && o.failure !== SKIPPED) as Array<{ part: Part, failure: Error }>
  for (const { part, failure } of failures.slice(1)) process.stderr.write(`\n${part} bench failed: ${failure.message}\n`)
  if (failures.length > 0) throw failures[0]!.failure
}

runStandalone(import.meta.url, 'bench', main)
