/**
 * Interactive benchmark: exec and attach through berthd's hijacked streams
 * (POST with `Connection: Upgrade`, `Upgrade: tcp`, answered `101 UPGRADED`,
 * then Docker frames one way and stdin the other). One berthd
 * (--log-level warn) in its own temp dir:
 *
 *  1. exec round trip, per runtime (runc, and crun when installed): in one
 *     running container (`sleep 3600`), `exec <id> true` as the docker CLI
 *     does it (create the exec, start it attached through an upgrade, read
 *     until the server closes, GET /exec/{id}/json for ExitCode, which must
 *     be 0) against `<runtime> --root <berthd's runtime root> exec <id> true`
 *     on the same container, alternating, 30 rounds (--rounds N; 5 with
 *     --quick) after 3 uncounted ones.
 *  2. stdin → stdout throughput through `cat`, 100 MiB (10 MiB with --quick)
 *     of 64-byte text lines written with backpressure while the echo is read
 *     and decoded, then a half-close (stdin EOF); the echo must be the bytes
 *     sent, in order:
 *      - attach: a fresh container (`cat`, OpenStdin + StdinOnce) per round,
 *        attached with stdin=1;
 *      - exec: `cat` exec'ed with AttachStdin in a running container;
 *      - raw: `runc exec <id> cat` in that same container over plain pipes
 *        (no conmon, no berthd): the baseline of both.
 *     The first line is echoed before the clock starts (so the process is
 *     reading); the clock stops at the last byte received. 5 rounds (2 with
 *     --quick) alternating the three, after 1 uncounted one (none with
 *     --quick).
 *
 * One table: times in ms, throughput in MB/s (10^6 bytes); p90 is the 90th
 * percentile of the time (for a throughput row, the rate over that time),
 * and the ratio is api time / raw time (for throughput: raw MB/s / api MB/s),
 * so above 1 is what berthd costs. Figures are printed and saved, never
 * asserted; a failed round (an exit code not 0, a byte short or different,
 * a stream that hangs) fails the run. Every container is removed (DELETE
 * ?force=1) by the part that made it, also on failure; the bench dir's
 * cleanup (restart.ts) checks for leftover monitors and runtime state.
 * lifecycle.ts runs this after the scale bench; it also runs on its own:
 *
 * usage: node dist/scripts/bench/interactive.js [--quick] [--rounds N]
 */
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import {
  call, interrupted, makeBundle, median, now, percentile, progress, round2, run, runStandalone, spawnDaemon, which,
  writeResults, type Daemon
} from './common.js'
import { inBenchDir, RestartBenchError, untilServing, type Ctx } from './restart.js'

const WARMUP = 3
const STREAM_WARMUP = 1
/** Bytes per line of the stream payload (a 12-digit line number, a space, filler, a newline). */
const LINE_BYTES = 64
/** Bytes per write into a stream. */
const CHUNK = 64 * 1024
/** An exec round trip's stream not ended by then is a failure. */
const EXEC_TIMEOUT_MS = 30_000
/** A throughput stream not ended by then is a failure (100 MiB at < 1 MB/s). */
const STREAM_TIMEOUT_MS = 120_000

type RuntimeName = 'runc' | 'crun'

/** Raised for anything that makes the figures meaningless or wrong. */
export class InteractiveBenchError extends RestartBenchError {}

export interface InteractiveOptions {
  /** 5 exec round trips, 10 MiB streams, 2 stream rounds, no stream warm-up. */
  quick: boolean
  /** Exec round trips per runtime (default 30, 5 with quick). */
  rounds?: number
  /** True once Ctrl-C was pressed; the bench stops at the next step and cleans up. */
  interrupted: () => boolean
}

/** One line of the table. */
export interface InteractiveRow {
  name: string
  unit: 'ms' | 'MB/s'
  median: number
  p90: number
  rounds: number
  rawName?: string
  rawMedian?: number
  /** api time / raw time (throughput: raw MB/s / api MB/s). */
  ratio?: number
  /** Medians of the parts of a round (ms): the exec round trip's steps, or a stream's first byte and end. */
  detailMediansMs: Record<string, number>
  /** ms per round, or MB/s per round. */
  samples: number[]
}

export interface InteractiveResult {
  runtimes: string[]
  warmup: number
  streamWarmup: number
  streamBytes: number
  rows: InteractiveRow[]
}

// ---- hijacked streams ------------------------------------------------------------

/** A hijacked connection: the socket after `101 UPGRADED` (paused), and the bytes that came with the head. */
interface Hijacked { socket: Socket, early: Buffer }

/**
 * POSTs `path` on berthd's socket with the upgrade headers the docker CLI
 * sends and `body` (JSON) if any; resolves once `101 UPGRADED` came, rejects
 * with the answer otherwise.
 */
function upgrade (dir: string, path: string, body: unknown, timeoutMs: number): Promise<Hijacked> {
  const payload = body === undefined ? '' : JSON.stringify(body)
  const head = [
    `POST ${path} HTTP/1.1`, 'Host: localhost', 'Connection: Upgrade', 'Upgrade: tcp',
    ...(body === undefined ? [] : ['Content-Type: application/json']), `Content-Length: ${Buffer.byteLength(payload)}`
  ]
  return new Promise((resolve, reject) => {
    const socket = connect(join(dir, 's.sock'))
    let buf = Buffer.alloc(0)
    let answer: string | undefined
    const fail = (message: string): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(new InteractiveBenchError(`POST ${path}: ${message}`))
    }
    const timer = setTimeout(() => fail(`no ${answer === undefined ? 'answer' : 'end of the error answer'} within ${timeoutMs / 1000} s`), timeoutMs)
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk])
      if (answer !== undefined) return
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      answer = buf.subarray(0, end).toString('latin1')
      if (!/^HTTP\/1\.[01] 101 /.test(answer)) return // an error: its body follows until the server closes
      if (!/^content-type: application\/vnd\.docker\.multiplexed-stream\s*$/im.test(answer)) {
        fail(`101 without a multiplexed stream:\n${answer}`)
        return
      }
      clearTimeout(timer)
      socket.off('data', onData); socket.off('end', onEnd); socket.off('error', onError)
      socket.pause()
      resolve({ socket, early: buf.subarray(end + 4) })
    }
    const onEnd = (): void => {
      const text = buf.toString('utf8')
      fail(answer === undefined ? `the server closed without answering: ${text}` : text.split('\r\n\r\n').map(s => s.trim()).join(': '))
    }
    const onError = (e: Error): void => fail(e.message)
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', onError)
    socket.write(head.join('\r\n') + '\r\n\r\n' + payload)
  })
}

/**
 * What comes back from a process: Docker frames (stream 1|2, three zero
 * bytes, length uint32 BE, payload; a header may span chunks) or, from a
 * pipe, raw bytes. Counts stdout and stderr, checks stdout against
 * `expect` (when given), and keeps the start of anything else for messages.
 */
class Echo {
  stdout = 0
  stderr = 0
  frames = 0
  /** now() of the last payload byte received (0: none). */
  lastAt = 0
  /** The start of the output that is not checked against `expect`. */
  text = ''
  /** stdout offset of the first byte that differs from `expect`. */
  mismatchAt: number | undefined
  private readonly hdr = Buffer.alloc(8)
  private have = 0
  private left = 0
  private stream = 0
  private waiter: { n: number, resolve: () => void } | undefined

  constructor (private readonly expect?: Buffer) {}

  /** Decodes a chunk of frames; returns what is wrong with it, if anything. */
  feed (chunk: Buffer): string | undefined {
    for (let i = 0; i < chunk.length;) {
      if (this.left === 0) {
        const take = Math.min(8 - this.have, chunk.length - i)
        chunk.copy(this.hdr, this.have, i, i + take); this.have += take; i += take
        if (this.have < 8) continue
        this.have = 0
        const h = this.hdr
        if ((h[0] !== 1 && h[0] !== 2) || h[1] !== 0 || h[2] !== 0 || h[3] !== 0) {
          return `bad frame header ${h.toString('hex')} after ${this.stdout + this.stderr} payload bytes`
        }
        this.stream = h[0]; this.left = h.readUInt32BE(4); this.frames++
      } else {
        const take = Math.min(this.left, chunk.length - i)
        this.out(this.stream, chunk.subarray(i, i + take)); this.left -= take; i += take
      }
    }
    return undefined
  }

  /** Takes payload bytes of stream 1 (stdout) or 2 (stderr). */
  out (stream: number, buf: Buffer): void {
    this.lastAt = now()
    if (stream === 1 && this.expect !== undefined) {
      if (this.mismatchAt === undefined && !buf.equals(this.expect.subarray(this.stdout, this.stdout + buf.length))) {
        let k = 0
        while (k < buf.length && buf[k] === this.expect[this.stdout + k]) k++
        this.mismatchAt = this.stdout + k
      }
    } else if (this.text.length < 2048) {
      this.text += buf.toString('utf8', 0, Math.min(buf.length, 2048))
    }
    if (stream === 1) this.stdout += buf.length; else this.stderr += buf.length
    if (this.waiter !== undefined && this.stdout >= this.waiter.n) { this.waiter.resolve(); this.waiter = undefined }
  }

  /** True when the stream stopped inside a frame. */
  get partial (): boolean { return this.have !== 0 || this.left !== 0 }

  /** Resolves once `n` stdout bytes have come. */
  reached (n: number): Promise<void> {
    if (this.stdout >= n) return Promise.resolve()
    return new Promise(resolve => { this.waiter = { n, resolve } })
  }

  /** What to say when the echo is not what was sent (undefined when it is). */
  problem (sent: number): string | undefined {
    if (this.mismatchAt !== undefined) return `echoed bytes differ from those sent at offset ${this.mismatchAt}`
    if (this.stdout !== sent) return `${this.stdout} bytes echoed of ${sent} sent`
    if (this.stderr !== 0) return `${this.stderr} bytes on stderr: ${this.text.trim()}`
    return undefined
  }
}

/**
 * Reads a hijacked stream into `echo` until the server closes it; rejects on
 * a bad frame, a stream that stops inside a frame, a reset, or after `timeoutMs`.
 * Resolves with now() at the server's close.
 */
function readStream (h: Hijacked, echo: Echo, timeoutMs: number): Promise<number> {
  const { socket } = h
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (err?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err === undefined) { resolve(now()); return }
      socket.destroy()
      reject(new InteractiveBenchError(err))
    }
    const timer = setTimeout(() => finish(`the stream did not end within ${timeoutMs / 1000} s (${echo.stdout} stdout bytes so far)`), timeoutMs)
    const onData = (chunk: Buffer): void => {
      if (settled) return
      const bad = echo.feed(chunk)
      if (bad !== undefined) finish(bad)
    }
    socket.on('data', onData)
    socket.once('end', () => finish(echo.partial ? 'the stream ended inside a frame' : undefined))
    socket.once('error', e => finish(`stream: ${e.message}`))
    socket.once('close', () => finish('the stream was closed without an end'))
    if (h.early.length > 0) onData(h.early)
    socket.resume()
  })
}

/** Resolves when `s` can take more, or is closed. */
function drained (s: Writable): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => { s.off('drain', done); s.off('close', done); resolve() }
    s.on('drain', done); s.on('close', done)
  })
}

/** Writes `data` in CHUNK pieces with backpressure; stops quietly if `s` is destroyed (the reader reports why). */
async function writeAll (s: Writable, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += CHUNK) {
    if (s.destroyed) return
    if (!s.write(data.subarray(off, off + CHUNK))) await drained(s)
  }
}

/** `bytes` (a multiple of LINE_BYTES) of numbered text lines: each line differs, so a lost, doubled or swapped piece shows. */
function makePayload (bytes: number): Buffer {
  const buf = Buffer.alloc(bytes, 'x')
  for (let off = 0, n = 0; off < bytes; off += LINE_BYTES, n++) {
    buf.write(`${String(n).padStart(12, '0')} `, off, 'latin1')
    buf[off + LINE_BYTES - 1] = 0x0a
  }
  return buf
}

/** One stream round: bytes timed, ms from the clock's start to the last byte and to the stream's end, frames. */
interface StreamRun { bytes: number, ms: number, endMs: number, frames: number }

/**
 * Sends `payload` into `stdin` while `done` (the reader) runs: the first line,
 * then (once it came back) the clock starts and the rest follows, then stdin
 * is ended. Checks the echo once `done` resolves (with now() at the end).
 */
async function pump (stdin: Writable, echo: Echo, done: Promise<number>, payload: Buffer, what: string): Promise<StreamRun> {
  const ended = done.then(() => { throw new InteractiveBenchError(`${what}: the stream ended before the first line came back${echo.text !== '' ? `: ${echo.text.trim()}` : ''}`) })
  ended.catch(() => {})
  await writeAll(stdin, payload.subarray(0, LINE_BYTES))
  await Promise.race([echo.reached(LINE_BYTES), ended])
  const t0 = now()
  const writing = writeAll(stdin, payload.subarray(LINE_BYTES)).then(() => { if (!stdin.destroyed) stdin.end() })
  const [endAt] = await Promise.all([done, writing])
  const problem = echo.problem(payload.length)
  if (problem !== undefined) throw new InteractiveBenchError(`${what}: ${problem}`)
  const bytes = payload.length - LINE_BYTES
  return { bytes, ms: echo.lastAt - t0, endMs: endAt - t0, frames: echo.frames }
}

// ---- containers --------------------------------------------------------------------

/** DELETE ?force=1; a failure is written to stderr (and returned) rather than thrown. */
async function remove (d: Daemon, id: string): Promise<string | undefined> {
  try {
    await call(d, 'DELETE', `/containers/${id}?force=1`, 204)
    return undefined
  } catch (err) {
    const msg = `could not remove ${id.slice(0, 12)}: ${(err as Error).message}`
    process.stderr.write(`interactive bench: ${msg}\n`)
    return msg
  }
}

/**
 * Creates (and with `start`, starts) a container per body, runs `fn` on
 * their ids, and removes them all whatever happens; a failed removal fails
 * a run that otherwise succeeded.
 */
async function withContainers<R> (d: Daemon, bodies: Array<Record<string, unknown>>, start: boolean, fn: (ids: string[]) => Promise<R>): Promise<R> {
  const ids: string[] = []
  let result: R
  try {
    for (const b of bodies) {
      ids.push((await call(d, 'POST', '/containers', 201, b) as { Id: string }).Id)
      if (start) await call(d, 'POST', `/containers/${ids.at(-1)!}/start`, 204)
    }
    result = await fn(ids)
  } catch (err) {
    for (const id of ids) await remove(d, id)
    throw err
  }
  const problems: string[] = []
  for (const id of ids) { const p = await remove(d, id); if (p !== undefined) problems.push(p) }
  if (problems.length > 0) throw new InteractiveBenchError(problems.join('\n'))
  return result
}

// ---- 1. exec round trip ----------------------------------------------------------------

/** Durations of one exec round trip, ms: the total and each step. */
interface Steps { total: number, [step: string]: number }

/** `exec <id> true` as the docker CLI does it; the exit code must be 0. */
async function apiExecTrue (d: Daemon, dir: string, id: string): Promise<Steps> {
  const t0 = now()
  const { Id: exec } = await call(d, 'POST', `/containers/${id}/exec`, 201, { Cmd: ['true'], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false }) as { Id: string }
  const t1 = now()
  const h = await upgrade(dir, `/exec/${exec}/start`, { Detach: false, Tty: false }, EXEC_TIMEOUT_MS)
  const t2 = now()
  const echo = new Echo()
  const t3 = await readStream(h, echo, EXEC_TIMEOUT_MS)
  h.socket.destroy()
  const info = await call(d, 'GET', `/exec/${exec}/json`, 200) as { ExitCode: number | null, Running: boolean }
  const t4 = now()
  if (info.Running || info.ExitCode !== 0) {
    throw new InteractiveBenchError(`exec true in ${id.slice(0, 12)}: exit code ${String(info.ExitCode)}${info.Running ? ', still running' : ''}${echo.text !== '' ? `: ${echo.text.trim()}` : ''}`)
  }
  return { total: t4 - t0, create: t1 - t0, upgrade: t2 - t1, stream: t3 - t2, inspect: t4 - t3 }
}

/** `<runtime> --root <berthd's root for it> exec <id> true`. */
async function rawExecTrue (bin: string, root: string, id: string): Promise<Steps> {
  const t0 = now()
  await run(bin, ['--root', root, 'exec', id, 'true'])
  return { total: now() - t0 }
}

interface Samples { api: Steps[], raw: Steps[] }

async function execRoundTrips (d: Daemon, dir: string, bins: Record<string, string>, runtimes: RuntimeName[], rounds: number, checkpoint: () => void): Promise<Map<RuntimeName, Samples>> {
  const sleeper = await makeBundle(join(dir, 'b-sleep'), ['sleep', '3600'])
  return await withContainers(d, runtimes.map(rt => ({ Bundle: sleeper, Runtime: rt })), true, async ids => {
    const out = new Map<RuntimeName, Samples>(runtimes.map(rt => [rt, { api: [], raw: [] }]))
    const total = WARMUP + rounds
    for (let i = 0; i < total; i++) {
      for (const [k, rt] of runtimes.entries()) {
        checkpoint()
        // Alternate API and raw within each round so both see the same machine state.
        const a = await apiExecTrue(d, dir, ids[k]!)
        checkpoint()
        const b = await rawExecTrue(bins[rt]!, join(dir, 'st', 'rt', rt), ids[k]!)
        if (i < WARMUP) continue
        out.get(rt)!.api.push(a)
        out.get(rt)!.raw.push(b)
      }
      const warm = i < WARMUP
      progress(`interactive bench: exec round trips, ${warm ? 'warm-up' : 'round'} ${warm ? i + 1 : i + 1 - WARMUP}/${warm ? WARMUP : rounds}`, i === total - 1)
    }
    return out
  })
}

// ---- 2. stdin → stdout throughput ---------------------------------------------------------

/** Attach (stdin=1) to a fresh `cat` container with OpenStdin + StdinOnce, and pump the payload through it. */
async function attachStream (d: Daemon, dir: string, bundle: string, payload: Buffer): Promise<StreamRun> {
  return await withContainers(d, [{ Bundle: bundle, OpenStdin: true, StdinOnce: true }], true, async ([id]) => {
    const h = await upgrade(dir, `/containers/${id!}/attach?stream=1&stdin=1&stdout=1&stderr=1`, undefined, EXEC_TIMEOUT_MS)
    const echo = new Echo(payload)
    const done = readStream(h, echo, STREAM_TIMEOUT_MS)
    done.catch(() => {})
    let r: StreamRun
    try {
      r = await pump(h.socket, echo, done, payload, `attach to ${id!.slice(0, 12)}`)
    } finally {
      h.socket.destroy()
    }
    // cat saw stdin's end (the half-close) and exited by itself.
    const w = await call(d, 'POST', `/containers/${id!}/wait?condition=not-running`, 200) as { StatusCode: number }
    if (w.StatusCode !== 0) throw new InteractiveBenchError(`attach: cat in ${id!.slice(0, 12)} exited with status ${w.StatusCode}`)
    return r
  })
}

/** `cat` exec'ed with AttachStdin in the running container `id`, the payload pumped through it; the exit code must be 0. */
async function execStream (d: Daemon, dir: string, id: string, payload: Buffer): Promise<StreamRun> {
  const { Id: exec } = await call(d, 'POST', `/containers/${id}/exec`, 201, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false }) as { Id: string }
  const h = await upgrade(dir, `/exec/${exec}/start`, { Detach: false, Tty: false }, EXEC_TIMEOUT_MS)
  const echo = new Echo(payload)
  const done = readStream(h, echo, STREAM_TIMEOUT_MS)
  done.catch(() => {})
  let r: StreamRun
  try {
    r = await pump(h.socket, echo, done, payload, `exec cat in ${id.slice(0, 12)}`)
  } finally {
    h.socket.destroy()
  }
  const info = await call(d, 'GET', `/exec/${exec}/json`, 200) as { ExitCode: number | null, Running: boolean }
  if (info.Running || info.ExitCode !== 0) throw new InteractiveBenchError(`exec cat in ${id.slice(0, 12)}: exit code ${String(info.ExitCode)}${info.Running ? ', still running' : ''}`)
  return r
}

/** `runc exec <id> cat` over plain pipes: the payload straight into the process and back. */
async function rawStream (bin: string, root: string, id: string, payload: Buffer): Promise<StreamRun> {
  // detached: a terminal's Ctrl-C must not kill the runtime half way through.
  const child = spawn(bin, ['--root', root, 'exec', id, 'cat'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, timeout: STREAM_TIMEOUT_MS })
  const echo = new Echo(payload)
  child.stdout.on('data', (c: Buffer) => echo.out(1, c))
  child.stderr.on('data', (c: Buffer) => echo.out(2, c))
  child.stdin.on('error', () => {}) // EPIPE when it died early: reported through its exit
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', e => reject(new InteractiveBenchError(`${bin} exec cat: ${e.message}`)))
    child.once('close', (code, signal) => {
      if (code === 0) resolve(now())
      else reject(new InteractiveBenchError(`${bin} exec cat failed (${code ?? signal ?? '?'}): ${echo.text.trim()}`))
    })
  })
  done.catch(() => {})
  try {
    return await pump(child.stdin, echo, done, payload, `${bin} exec cat`)
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

interface StreamSamples { attach: StreamRun[], exec: StreamRun[], raw: StreamRun[] }

async function streams (d: Daemon, dir: string, runc: string, bytes: number, rounds: number, warmup: number, checkpoint: () => void): Promise<StreamSamples> {
  const payload = makePayload(bytes)
  const cat = await makeBundle(join(dir, 'b-cat'), ['cat'])
  const sleeper = await makeBundle(join(dir, 'b-sleep2'), ['sleep', '3600'])
  const out: StreamSamples = { attach: [], exec: [], raw: [] }
  await withContainers(d, [{ Bundle: sleeper }], true, async ([id]) => {
    const total = warmup + rounds
    for (let i = 0; i < total; i++) {
      const keep = i >= warmup
      const label = `interactive bench: ${bytes / 1024 / 1024} MiB streams, ${keep ? 'round' : 'warm-up'} ${keep ? i + 1 - warmup : i + 1}/${keep ? rounds : warmup}`
      checkpoint()
      progress(`${label}: attach`, false)
      const a = await attachStream(d, dir, cat, payload)
      checkpoint()
      progress(`${label}: exec`, false)
      const e = await execStream(d, dir, id!, payload)
      checkpoint()
      progress(`${label}: raw`, false)
      const r = await rawStream(runc, join(dir, 'st', 'rt', 'runc'), id!, payload)
      progress(`${label}: attach ${mbps(a).toFixed(0)}, exec ${mbps(e).toFixed(0)}, raw ${mbps(r).toFixed(0)} MB/s`, i === total - 1)
      if (!keep) continue
      out.attach.push(a); out.exec.push(e); out.raw.push(r)
    }
  })
  return out
}

const mbps = (r: StreamRun): number => r.bytes / 1e6 / (r.ms / 1000)

// ---- the bench ----------------------------------------------------------------------------

function timeRow (name: string, samples: Steps[], raw?: InteractiveRow): InteractiveRow {
  const totals = samples.map(s => s.total)
  const detailMediansMs: Record<string, number> = {}
  for (const k of Object.keys(samples[0] ?? {})) if (k !== 'total') detailMediansMs[k] = round2(median(samples.map(s => s[k]!)))
  const row: InteractiveRow = { name, unit: 'ms', median: round2(median(totals)), p90: round2(percentile(totals, 90)), rounds: samples.length, detailMediansMs, samples: totals.map(round2) }
  if (raw !== undefined) Object.assign(row, { rawName: raw.name, rawMedian: raw.median, ratio: round2(row.median / raw.median) })
  return row
}

function rateRow (name: string, runs: StreamRun[], raw?: InteractiveRow): InteractiveRow {
  const bytes = runs[0]!.bytes
  const rate = (ms: number): number => round2(bytes / 1e6 / (ms / 1000))
  const ms = runs.map(r => r.ms)
  const detailMediansMs: Record<string, number> = { 'last byte': round2(median(ms)), 'stream end': round2(median(runs.map(r => r.endMs))) }
  // Frames are the API's; a pipe has none.
  if (runs[0]!.frames > 0) detailMediansMs.frames = Math.round(median(runs.map(r => r.frames)))
  // The median rate is the rate of the median time; p90 is the rate over the 90th percentile time.
  const row: InteractiveRow = { name, unit: 'MB/s', median: rate(median(ms)), p90: rate(percentile(ms, 90)), rounds: runs.length, detailMediansMs, samples: runs.map(r => round2(mbps(r))) }
  if (raw !== undefined) Object.assign(row, { rawName: raw.name, rawMedian: raw.median, ratio: round2(raw.median / row.median) })
  return row
}

async function measure (ctx: Ctx, opts: InteractiveOptions, bins: Record<string, string>, runtimes: RuntimeName[]): Promise<InteractiveResult> {
  const checkpoint = (): void => { if (opts.interrupted()) throw new InteractiveBenchError('interrupted') }
  const rounds = opts.rounds ?? (opts.quick ? 5 : 30)
  const bytes = (opts.quick ? 10 : 100) * 1024 * 1024
  const streamRounds = opts.quick ? 2 : 5
  const streamWarmup = opts.quick ? 0 : STREAM_WARMUP
  const { dir } = ctx
  ctx.d = spawnDaemon(dir, { logLevel: 'warn' })
  await untilServing(ctx.d)
  const d = ctx.d

  const rows: InteractiveRow[] = []
  const trips = await execRoundTrips(d, dir, bins, runtimes, rounds, checkpoint)
  for (const rt of runtimes) {
    const s = trips.get(rt)!
    const raw = timeRow(`raw ${rt} exec true`, s.raw)
    rows.push(timeRow(`exec true round trip (${rt})`, s.api, raw), raw)
  }
  checkpoint()
  const st = await streams(d, dir, bins.runc!, bytes, streamRounds, streamWarmup, checkpoint)
  const mib = bytes / 1024 / 1024
  const raw = rateRow(`raw runc exec cat, ${mib} MiB (pipes)`, st.raw)
  rows.push(
    rateRow(`attach cat, ${mib} MiB stdin → stdout (runc)`, st.attach, raw),
    rateRow(`exec cat, ${mib} MiB stdin → stdout (runc)`, st.exec, raw),
    raw
  )
  return { runtimes, warmup: WARMUP, streamWarmup, streamBytes: bytes, rows }
}

/** Runtimes to bench, as lifecycle.ts picks them: runc, and crun when installed. */
function runtimesOnPath (): { bins: Record<string, string>, runtimes: RuntimeName[] } {
  const bins: Record<string, string> = {}
  for (const rt of ['runc', 'crun'] as const) { const p = which(rt); if (p !== undefined) bins[rt] = p }
  if (bins.runc === undefined) throw new InteractiveBenchError('runc not found on PATH; run: bash scripts/setup.sh')
  return { bins, runtimes: bins.crun !== undefined ? ['runc', 'crun'] : ['runc'] }
}

/** Runs the interactive bench in its own temp dir; always cleans up. Rejects on any failure. */
export async function interactiveBench (opts: InteractiveOptions): Promise<InteractiveResult> {
  if (opts.rounds !== undefined && (!Number.isInteger(opts.rounds) || opts.rounds < 1)) throw new InteractiveBenchError(`rounds must be a positive integer, got ${opts.rounds}`)
  const { bins, runtimes } = runtimesOnPath()
  if (bins.crun === undefined) process.stderr.write('interactive bench: crun is not installed: skipping the crun rows.\n')
  // 'bi-': short, as conmon's attach socket path must fit in sun_path.
  return await inBenchDir('bi-', 'interactive bench', InteractiveBenchError, async ctx => await measure(ctx, opts, bins, runtimes))
}

// ---- output ----------------------------------------------------------------------------------

/** The Markdown table; (to stderr) the medians behind each row. */
export function printInteractive (r: InteractiveResult): void {
  const fmt = (x: number, unit: string): string => `${x.toFixed(1)} ${unit}`
  const lines = [
    '| measurement | median | p90 | rounds | raw median | ratio (api/raw time) |',
    '|---|---:|---:|---:|---:|---:|'
  ]
  for (const row of r.rows) {
    const api = row.ratio !== undefined
    lines.push(`| ${row.name} | ${fmt(row.median, row.unit)} | ${fmt(row.p90, row.unit)} | ${row.rounds} | ${api ? fmt(row.rawMedian!, row.unit) : ''} | ${api ? row.ratio!.toFixed(2) : ''} |`)
  }
  console.log(lines.join('\n'))
  for (const row of r.rows) {
    const parts = Object.entries(row.detailMediansMs).map(([k, v]) => k === 'frames' ? `${v} frames` : `${k} ${v.toFixed(1)} ms`)
    if (parts.length > 0) process.stderr.write(`  ${row.name} medians: ${parts.join(', ')}\n`)
  }
}

// ---- standalone --------------------------------------------------------------------------------

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rounds: { type: 'string' } }, strict: true })
  const quick = values.quick === true
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds)
  const result = await interactiveBench({ quick, rounds, interrupted })
  printInteractive(result)
  const versions: Record<string, string> = { node: process.version }
  const { bins } = runtimesOnPath()
  for (const [rt, bin] of Object.entries(bins)) versions[rt] = (await run(bin, ['--version'], { capture: true })).split('\n')[0] ?? ''
  await writeResults('interactive', { quick, versions, interactive: result })
}

runStandalone(import.meta.url, 'interactive bench', main)
