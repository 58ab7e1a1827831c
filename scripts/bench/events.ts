/**
 * Event delivery benchmark: how long after a container's process exits does
 * a client following GET /events?filters={"event":["die"]} receive its `die`?
 * One berthd (--log-level warn, runc) in its own temp dir, one event stream
 * open throughout; rounds alternate two kinds of exit, 30 of each (--rounds
 * N; 5 with --quick) after 3 uncounted ones:
 *
 *  - SIGKILL: a running `sleep 3600` is killed by this process with kill(2)
 *    on its pid (State.Pid, checked to be a `sleep` whose parent is conmon).
 *    A sleeping process dies on SIGKILL within microseconds, so the clock is
 *    this process's monotonic clock from kill(2) to the event's arrival: the
 *    whole path (conmon reaping it and writing the exit file, berthd's
 *    inotify watch, reading the file, persisting the record, the event).
 *  - `/bin/true`: created and started; it exits as soon as it runs, a moment
 *    nothing outside the kernel sees. The clock starts when the exit file
 *    conmon writes after reaping it appears: this process watches the exits
 *    dir with inotify too, so it wakes on the same change berthd's watch does
 *    (stamped on the same monotonic clock). It leaves out conmon's reaping,
 *    which the SIGKILL rounds measure in "kill → exit file seen"; those rounds
 *    give the same exit-file row, to compare with `true`'s.
 *
 * Why not the exit file's mtime: file times come from the kernel's coarse
 * clock (a tick, 4 ms at HZ=250), and here they read several ms *before* the
 * kill(2) that caused the exit. The mtime is still read (the file is stat'ed
 * as soon as the event arrives; berthd removes it only after `runtime
 * delete`) and shown among the details, as evidence.
 *
 * The rows are split (to stderr) by berthd's stamp on the event (timeNano):
 * exit file seen → stamp is berthd's work, stamp → received the delivery.
 * Those splits mix berthd's wall clock (Date.now() at its start, to the ms,
 * plus hrtime) with ours, so they are good to about a millisecond.
 *
 * Figures are printed and saved, never asserted; a missing event (10 s), a
 * wrong exit code in it or a failed API call fails the run. Every container
 * is removed by its round, and by the bench dir's cleanup (restart.ts) on
 * failure, which then checks for leftover monitors and runtime state.
 * lifecycle.ts runs this after the list bench; it also runs on its own:
 *
 * usage: node dist/scripts/bench/events.js [--quick] [--rounds N]
 */
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import {
  call, interrupted, makeBundle, median, now, percentile, progress, round2, runStandalone, sleep, spawnDaemon, writeResults,
  type Daemon
} from './common.js'
import { inBenchDir, RestartBenchError, untilServing, type Ctx } from './restart.js'

const WARMUP = 3
/** A die event not received by then is a failure. */
const EVENT_TIMEOUT_MS = 10_000

/** Raised for anything that makes the figures meaningless or wrong. */
export class EventsBenchError extends RestartBenchError {}

export interface EventsOptions {
  /** 5 rounds of each. */
  quick: boolean
  /** Rounds of each kind (default 30, 5 with quick). */
  rounds?: number
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
}

export interface EventsRow {
  name: string
  medianMs: number
  p90Ms: number
  maxMs: number
  rounds: number
  /** Medians of where the time went (ms). */
  detailMediansMs: Record<string, number>
  samplesMs: number[]
}

export interface EventsResult {
  runtime: string
  warmup: number
  rows: EventsRow[]
  /** Rounds whose die arrived before our own inotify callback for the exit file ran (that row's sample is then about 0). */
  watcherLate: number
  /** Rounds whose exit file was gone when the event came (no mtime detail for them). */
  mtimeMissing: number
}

/** Wall-clock ms with sub-ms digits: the clock berthd's stamps (and file times) are in. */
const wallMs = (): number => performance.timeOrigin + performance.now()

/** A moment on both clocks: monotonic (for intervals within this process) and wall (against berthd's stamps). */
interface Moment { ms: number, wallMs: number }
const moment = (): Moment => ({ ms: now(), wallMs: wallMs() })

/** What arrived for one container: when, berthd's stamp (wall ms), the exit code, and the exit file's mtime (wall ms) then. */
interface Hit { recv: Moment, stampWallMs: number, exitCode: string, mtimeWallMs: number | undefined }

/**
 * The die stream: one GET /events held open, each event stamped as its chunk
 * arrives and its exit file stat'ed right then; and an inotify watch on the
 * exits dir stamping when each exit file first shows up.
 */
class DieStream {
  private readonly waiters = new Map<string, (hit: Hit) => void>()
  private readonly early = new Map<string, Hit>()
  private readonly seen = new Map<string, Moment>()
  private buf = ''
  private body: Readable | undefined
  private watcher: FSWatcher | undefined
  failure: Error | undefined

  constructor (private readonly exitDir: string) {}

  async open (d: Daemon): Promise<void> {
    // conmon writes `<id>.XXXXXX` and renames it to `<id>`: the first change naming the id is the complete file
    // (the second is berthd removing it).
    this.watcher = watch(this.exitDir, (_event, file) => {
      const name = file?.toString() ?? '.'
      if (!name.includes('.') && !this.seen.has(name)) this.seen.set(name, moment())
    })
    const filters = encodeURIComponent(JSON.stringify({ event: ['die'] }))
    const r = await d.pool.request({ method: 'GET', path: `/events?filters=${filters}`, bodyTimeout: 0 })
    if (r.statusCode !== 200) throw new EventsBenchError(`GET /events: HTTP ${r.statusCode}: ${await r.body.text()}`)
    this.body = r.body as unknown as Readable
    this.body.on('data', (chunk: Buffer) => this.onData(chunk, moment()))
    this.body.on('error', (err: Error) => { this.failure ??= err })
    this.body.on('end', () => { this.failure ??= new EventsBenchError('berthd ended the event stream') })
  }

  close (): void {
    this.body?.destroy()
    this.watcher?.close()
  }

  /** When our watch first saw `id`'s exit file (undefined if not yet). */
  fileSeen (id: string): Moment | undefined { return this.seen.get(id) }

  private onData (chunk: Buffer, recv: Moment): void {
    this.buf += chunk.toString()
    let nl: number
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl)
      this.buf = this.buf.slice(nl + 1)
      if (line.trim() === '') continue
      const ev = JSON.parse(line) as { Action: string, Actor: { ID: string, Attributes: Record<string, string> } }
      // timeNano is past 2^53: read as digits, to the µs.
      const nano = /"timeNano":(\d+)/.exec(line)?.[1]
      if (ev.Action !== 'die' || nano === undefined) { this.failure ??= new EventsBenchError(`unexpected event on the die stream: ${line}`); continue }
      const id = ev.Actor.ID
      let mtimeWallMs: number | undefined
      try { mtimeWallMs = Number(statSync(join(this.exitDir, id), { bigint: true }).mtimeNs / 1000n) / 1000 } catch {}
      const hit: Hit = { recv, stampWallMs: Number(BigInt(nano) / 1000n) / 1000, exitCode: ev.Actor.Attributes.exitCode ?? '', mtimeWallMs }
      const waiter = this.waiters.get(id)
      if (waiter !== undefined) { this.waiters.delete(id); waiter(hit) } else this.early.set(id, hit)
    }
  }

  /** Resolves with `id`'s die event; rejects after EVENT_TIMEOUT_MS or when the stream fails. */
  async next (id: string): Promise<Hit> {
    const early = this.early.get(id)
    if (early !== undefined) { this.early.delete(id); return early }
    return await new Promise<Hit>((resolve, reject) => {
      const t0 = now()
      const poll = setInterval(() => {
        if (this.failure === undefined && now() - t0 < EVENT_TIMEOUT_MS) return
        clearInterval(poll); this.waiters.delete(id)
        reject(this.failure ?? new EventsBenchError(`no die event for ${id.slice(0, 12)} within ${EVENT_TIMEOUT_MS / 1000} s`))
      }, 100)
      this.waiters.set(id, hit => { clearInterval(poll); resolve(hit) })
    })
  }
}

/** Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat; undefined if gone. */
function statField (pid: number, n: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (n === 2) return s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'))
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[n - 3]
  } catch { return undefined }
}

/** Waits (up to 2 s) until `pid` runs `sleep` under conmon: only then is it ours to kill. */
async function untilSleeping (pid: number, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ppid = Number(statField(pid, 4))
    if (statField(pid, 2) === 'sleep' && ppid > 0 && statField(ppid, 2) === 'conmon') return
    await sleep(10)
  }
  throw new EventsBenchError(`container ${id.slice(0, 12)}: pid ${pid} is not a sleep under conmon (${statField(pid, 2) ?? 'gone'})`)
}

/** One round's figures, ms: `total` is the row's, the others are details (absent when unknown). */
type Sample = Record<string, number | undefined>

async function measure (ctx: Ctx, opts: EventsOptions, rounds: number): Promise<EventsResult> {
  const { dir } = ctx
  const checkpoint = (): void => { if (opts.interrupted()) throw new EventsBenchError('interrupted') }
  ctx.d = spawnDaemon(dir, { logLevel: 'warn' })
  const d = ctx.d
  await untilServing(d)
  const truer = await makeBundle(join(dir, 'b-true'), ['/bin/true'])
  const sleeper = await makeBundle(join(dir, 'b-sleep'), ['sleep', '3600'])
  const stream = new DieStream(join(dir, 'st', 'exits'))
  let watcherLate = 0; let mtimeMissing = 0

  const create = async (bundle: string): Promise<string> => (await call(d, 'POST', '/containers', 201, { Bundle: bundle }) as { Id: string }).Id
  /** The die event of `id` and when our watch saw its exit file. */
  const dieOf = async (id: string, hit: Promise<Hit>, code: string): Promise<{ h: Hit, file: Moment }> => {
    const h = await hit
    if (h.exitCode !== code) throw new EventsBenchError(`die event of ${id.slice(0, 12)}: exitCode ${h.exitCode}, expected ${code}`)
    if (h.mtimeWallMs === undefined) mtimeMissing++
    // Both may have been ready in one poll of the event loop: give the watch's callback its turn.
    await new Promise(resolve => setImmediate(resolve))
    let file = stream.fileSeen(id)
    if (file === undefined || file.ms > h.recv.ms) { watcherLate++; file = h.recv }
    return { h, file }
  }
  const split = (h: Hit, file: Moment): Sample => ({
    'exit file seen→stamp': h.stampWallMs - file.wallMs,
    'stamp→received': h.recv.wallMs - h.stampWallMs
  })
  const mtimeToReceived = (h: Hit): number | undefined => h.mtimeWallMs === undefined ? undefined : h.recv.wallMs - h.mtimeWallMs

  const afterTrue = async (): Promise<Sample> => {
    const id = await create(truer)
    const hit = stream.next(id)
    hit.catch(() => {}) // awaited below; a failed start must not leave it unhandled
    await call(d, 'POST', `/containers/${id}/start`, 204)
    const started = now()
    const { h, file } = await dieOf(id, hit, '0')
    await call(d, 'DELETE', `/containers/${id}`, 204)
    return { total: h.recv.ms - file.ms, ...split(h, file), 'start answered→received': h.recv.ms - started, 'exit file mtime→received': mtimeToReceived(h) }
  }

  const afterKill = async (): Promise<{ kill: Sample, file: Sample }> => {
    const id = await create(sleeper)
    const hit = stream.next(id)
    hit.catch(() => {}) // awaited below; a failed step before must not leave it unhandled
    await call(d, 'POST', `/containers/${id}/start`, 204)
    const { State: { Pid: pid } } = await call(d, 'GET', `/containers/${id}/json`, 200) as { State: { Pid: number } }
    if (!(pid > 0)) throw new EventsBenchError(`container ${id.slice(0, 12)} has no pid after start`)
    await untilSleeping(pid, id)
    const killed = moment()
    process.kill(pid, 'SIGKILL')
    const { h, file } = await dieOf(id, hit, '137')
    await call(d, 'DELETE', `/containers/${id}`, 204)
    return {
      kill: {
        total: h.recv.ms - killed.ms, 'kill→exit file seen': file.ms - killed.ms, ...split(h, file),
        'kill→exit file mtime': h.mtimeWallMs === undefined ? undefined : h.mtimeWallMs - killed.wallMs
      },
      file: { total: h.recv.ms - file.ms, ...split(h, file), 'exit file mtime→received': mtimeToReceived(h) }
    }
  }

  const trues: Sample[] = []; const kills: Sample[] = []; const files: Sample[] = []
  await stream.open(d)
  try {
    for (let i = 0; i < WARMUP + rounds; i++) {
      checkpoint()
      const a = await afterTrue()
      checkpoint()
      const b = await afterKill()
      if (i >= WARMUP) { trues.push(a); kills.push(b.kill); files.push(b.file) }
      progress(`events bench: ${i < WARMUP ? `warm-up ${i + 1}/${WARMUP}` : `round ${i + 1 - WARMUP}/${rounds}`}`, i === WARMUP + rounds - 1)
    }
  } finally {
    stream.close()
  }

  const rowOf = (name: string, s: Sample[]): EventsRow => {
    const totals = s.map(x => x.total!)
    const detailMediansMs: Record<string, number> = {}
    for (const k of Object.keys(s[0] ?? {})) {
      const xs = s.map(x => x[k]).filter((x): x is number => x !== undefined)
      if (k !== 'total' && xs.length > 0) detailMediansMs[k] = round2(median(xs))
    }
    return { name, medianMs: round2(median(totals)), p90Ms: round2(percentile(totals, 90)), maxMs: round2(Math.max(...totals)), rounds: s.length, detailMediansMs, samplesMs: totals.map(round2) }
  }
  return {
    runtime: 'runc',
    warmup: WARMUP,
    rows: [
      rowOf('die after SIGKILL: kill(2) → event received', kills),
      rowOf('die after SIGKILL: exit file seen → event received', files),
      rowOf('die after /bin/true exits: exit file seen → event received', trues)
    ],
    watcherLate,
    mtimeMissing
  }
}

/** Runs the events bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function eventsBench (opts: EventsOptions): Promise<EventsResult> {
  const rounds = opts.rounds ?? (opts.quick ? 5 : 30)
  if (!Number.isInteger(rounds) || rounds < 1) throw new EventsBenchError(`--rounds must be a positive integer, got ${rounds}`)
  return await inBenchDir('bv-', 'events bench', EventsBenchError, async ctx => await measure(ctx, opts, rounds))
}

// ---- output ------------------------------------------------------------------------------

/** The Markdown table; (to stderr) where the time went. */
export function printEvents (r: EventsResult): void {
  const lines = ['| measurement | median ms | p90 ms | max ms | rounds |', '|---|---:|---:|---:|---:|']
  for (const row of r.rows) lines.push(`| ${row.name} | ${row.medianMs.toFixed(1)} | ${row.p90Ms.toFixed(1)} | ${row.maxMs.toFixed(1)} | ${row.rounds} |`)
  console.log(lines.join('\n'))
  for (const row of r.rows) {
    process.stderr.write(`  ${row.name}, medians: ${Object.entries(row.detailMediansMs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}\n`)
  }
  if (r.watcherLate > 0) process.stderr.write(`  ${r.watcherLate} rounds: the event came before our watch's callback for the exit file ran (their exit-file sample counts as 0)\n`)
  if (r.mtimeMissing > 0) process.stderr.write(`  ${r.mtimeMissing} rounds: the exit file was gone when the event came (no mtime detail)\n`)
}

// ---- standalone ------------------------------------------------------------------------------

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds)
  const result = await eventsBench({ quick, rounds, interrupted })
  printEvents(result)
  await writeResults('events', { quick, versions: { node: process.version }, events: result })
}

runStandalone(import.meta.url, 'events bench', main)
