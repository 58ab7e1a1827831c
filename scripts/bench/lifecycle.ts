/**
 * Lifecycle benchmark: one short-lived container (`/bin/true`) created,
 * started, waited for and removed through berthd's API, against the same
 * steps done with the runtime's CLI directly. API and raw rounds alternate
 * in one run so that drift in the machine's load hits both alike. Figures
 * are printed and saved, never asserted.
 *
 * After its table, main runs the restart-to-serving bench (restart.ts), the
 * scale bench (scale.ts: many containers, long runs, log throughput), then
 * the interactive bench (interactive.ts: exec round trip, attach and exec
 * stdin → stdout throughput), then the images bench (images.ts: `docker run
 * --rm` through the docker CLI vs raw `runc run`, import and load MB/s), and
 * saves all five in one JSON file. --rounds sets the rounds of this table, of
 * the exec round trips and of the docker-run rounds; --only names the parts
 * to run (lifecycle, restart, scale, interactive, images).
 *
 * --peers adds podman and containerd (where installed) to the docker-run rounds.
 *
 * usage: node dist/scripts/bench/lifecycle.js [--rounds N] [--quick] [--scale-n N] [--only a,b] [--peers]
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isAlive } from '../../src/proc.js'
import {
  BenchError, call, interrupted, isRunning, killLeftovers, makeBundle, median, now, percentile, ROOTFS, round2, run,
  runStandalone, sleep, spawnDaemon, stopDaemon, which, writeResults, type Daemon
} from './common.js'
import { imagesBench, printImages, type ImagesResult } from './images.js'
import { interactiveBench, printInteractive, type InteractiveResult } from './interactive.js'
import { printRestart, restartBench, type RestartResult } from './restart.js'
import { parseScaleN, printScale, scaleBench, type ScaleResult } from './scale.js'

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

const PARTS = ['lifecycle', 'restart', 'scale', 'interactive', 'images'] as const
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

  // The restart bench: its own dirs and daemons; it cleans up after itself, also on Ctrl-C.
  console.log('')
  let restart: RestartResult | undefined
  let restartFailure: unknown
  try {
    if (want('restart')) { restart = await restartBench({ quick, interrupted }); printRestart(restart) } else restartFailure = SKIPPED
  } catch (err) {
    restartFailure = err
  }
  checkpoint()

  // The scale bench: likewise its own dirs and daemon, cleaned up also on Ctrl-C.
  console.log('')
  let scale: ScaleResult | undefined
  let scaleFailure: unknown
  try {
    if (want('scale')) { scale = await scaleBench({ quick, n: scaleN, interrupted }); printScale(scale) } else scaleFailure = SKIPPED
  } catch (err) {
    scaleFailure = err
  }
  checkpoint()

  // The interactive bench (exec, attach): likewise its own dirs and daemon, cleaned up also on Ctrl-C.
  console.log('')
  let interactive: InteractiveResult | undefined
  let interactiveFailure: unknown
  try {
    if (want('interactive')) { interactive = await interactiveBench({ quick, rounds, interrupted }); printInteractive(interactive) } else interactiveFailure = SKIPPED
  } catch (err) {
    interactiveFailure = err
  }
  checkpoint()

  // The images bench (docker run, import, load): likewise its own dirs and daemon, cleaned up also on Ctrl-C.
  console.log('')
  let images: ImagesResult | undefined
  let imagesFailure: unknown
  try {
    if (want('images')) { images = await imagesBench({ quick, rounds, interrupted, peers }); printImages(images) } else imagesFailure = SKIPPED
  } catch (err) {
    imagesFailure = err
  }
  checkpoint()

  const versions: Record<string, string> = { node: process.version }
  for (const rt of runtimes) versions[rt] = (await run(bins[rt]!, ['--version'], { capture: true })).split('\n')[0] ?? ''
  await writeResults('lifecycle', {
    rounds, warmup: WARMUP, goal: GOAL, versions, rows,
    restart: restart ?? { error: (restartFailure as Error).message },
    scale: scale ?? { error: (scaleFailure as Error).message },
    interactive: interactive ?? { error: (interactiveFailure as Error).message },
    images: images ?? { error: (imagesFailure as Error).message }
  })
  // The first failure is thrown (and reported by runStandalone); the others are written here.
  const failures = [['restart', restartFailure], ['scale', scaleFailure], ['interactive', interactiveFailure], ['images', imagesFailure]].filter(([, f]) => f !== undefined && f !== SKIPPED) as Array<[string, Error]>
  for (const [name, f] of failures.slice(1)) process.stderr.write(`\n${name} bench failed: ${f.message}\n`)
  if (failures.length > 0) throw failures[0]![1]
}

runStandalone(import.meta.url, 'bench', main)
