/**
 * Container logs: reads the k8s-file log conmon writes
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <content>`), filters it as Docker's
 * `logs` does (streams, since/until, tail, timestamps) and encodes it as
 * Docker's stream: 8-byte-header frames for non-TTY containers, raw bytes for
 * TTY ones. `follow` keeps reading as conmon appends, until told to stop.
 */
import { stat, type FileHandle } from 'node:fs/promises'
import { statSync, watch } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Readable } from 'node:stream'
import { basename, dirname } from 'node:path'
import { openLog, type LogFile } from './rotation.js'

/** One record of the log file. */
export interface LogEntry {
  /** Nanoseconds since the epoch. */
  ns: bigint
  /** The timestamp as Docker prints it (UTC, nanoseconds). */
  time: string
  stream: 'stdout' | 'stderr'
  /** True when the line was complete (F); partial lines (P) carry no newline. */
  full: boolean
  content: Buffer
}

/** Parses an RFC 3339 time with up to 9 fraction digits and any offset into ns since the epoch. */
export function parseRfc3339Nano (s: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s)
  if (m === null) return undefined
  const ms = Date.parse(`${m[1]!}${m[3]!}`)
  if (Number.isNaN(ms)) return undefined
  // Date.parse rolls impossible dates over (Feb 31 → Mar 2); refuse them.
  const [y, mo, d, h, mi, sec] = m[1]!.split(/[-T:]/).map(Number) as [number, number, number, number, number, number]
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, sec))
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23) return undefined
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
}

/** Formats ns since the epoch as Docker's RFC3339Nano in UTC (trailing zeros kept, as Docker's log timestamps do). */
export function formatNano (ns: bigint): string {
  if (ns < 0n) ns = 0n
  const ms = Number(ns / 1_000_000n)
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0')
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`
}

/**
 * Parses one line of a k8s-file log (without its newline); undefined if
 * malformed. With `times: false` the timestamp is not parsed (ns 0, time ''):
 * most reads need neither, and parsing it is most of the cost of a line.
 */
export function parseLogLine (line: Buffer, times = true): LogEntry | undefined {
  const s1 = line.indexOf(0x20)
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1)
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1)
  // The tag is one letter, followed by a space or the end of the line.
  if (s2 < 0 || (s3 < 0 ? line.length !== s2 + 2 : s3 !== s2 + 2)) return undefined
  const ns = times ? parseRfc3339Nano(line.subarray(0, s1).toString('latin1')) : 0n
  const stream = line.subarray(s1 + 1, s2).toString('latin1')
  const tag = line.subarray(s2 + 1, s2 + 2).toString('latin1')
  if (ns === undefined || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined
  return { ns, time: times ? formatNano(ns) : '', stream, full: tag === 'F', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) }
}

/** Docker's multiplexed frame: [stream, 0, 0, 0, length uint32 BE] + payload; stream 1 stdout, 2 stderr. */
export function frame (stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8)
  h[0] = stream
  h.writeUInt32BE(payload.length, 4)
  return Buffer.concat([h, payload])
}

/** Decodes a buffer of frames (the inverse of `frame`); for tests and clients. */
export function deframe (buf: Buffer): Array<{ stream: number, data: Buffer }> {
  const out: Array<{ stream: number, data: Buffer }> = []
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4)
    out.push({ stream: buf[i]!, data: buf.subarray(i + 8, i + 8 + len) })
    i += 8 + len
  }
  return out
}

export interface LogOptions {
  stdout: boolean
  stderr: boolean
  timestamps: boolean
  /** Keep only the last N entries; undefined: all. */
  tail?: number
  /** ns since the epoch; entries before it are skipped. */
  since?: bigint
  /** ns since the epoch; entries after it are skipped (and following stops). */
  until?: bigint
  tty: boolean
  /** Start here, not at the beginning (attach without logs=1: what is written from then on). */
  from?: LogPosition
}

/** A point in a log file: its inode and a byte offset. */
export interface LogPosition { ino: number, pos: number }

/** The log's end now, taken synchronously so that nothing written after this call can be skipped. */
export function logEnd (path: string): LogPosition {
  try {
    const st = statSync(path)
    return { ino: st.ino, pos: st.size }
  } catch {
    return { ino: -1, pos: 0 }
  }
}

/** True when the options keep the entry. */
const wanted = (e: LogEntry, o: LogOptions): boolean =>
  (e.stream === 'stdout' ? o.stdout : o.stderr) &&
  (o.since === undefined || e.ns >= o.since) &&
  (o.until === undefined || e.ns <= o.until)

/**
 * Encodes entries for the client into one buffer, allocated once: raw bytes
 * for TTY containers, else one frame per entry (timestamp first when asked),
 * as Docker's json-file driver sends one frame per stored line, so that a
 * client iterating the stream gets a line per item. A complete line gets its
 * newline back.
 */
export function encodeEntries (entries: LogEntry[], o: LogOptions): Buffer {
  let size = 0
  for (const e of entries) size += (o.tty ? 0 : 8) + (o.timestamps ? e.time.length + 1 : 0) + e.content.length + (e.full ? 1 : 0)
  const out = Buffer.allocUnsafe(size)
  let p = 0
  for (const e of entries) {
    const header = p
    if (!o.tty) p += 8
    if (o.timestamps) { p += out.write(e.time, p, 'latin1'); out[p++] = 0x20 }
    p += e.content.copy(out, p)
    if (e.full) out[p++] = 0x0a
    if (!o.tty) writeHeader(out, header, e.stream === 'stdout' ? 1 : 2, p - header - 8)
  }
  return out
}

/** Writes a frame header at `at`: the stream byte, three zeros, the payload length. */
function writeHeader (out: Buffer, at: number, stream: 1 | 2, length: number): void {
  // Byte stores: writeUInt32BE's checks cost as much as a short line's copy.
  out[at] = stream; out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0
  out[at + 4] = length >>> 24; out[at + 5] = (length >>> 16) & 0xff; out[at + 6] = (length >>> 8) & 0xff; out[at + 7] = length & 0xff
}

/**
 * The stream of the record whose stream name starts at `at` ("stdout " or
 * "stderr "): 1, 2, or 0 if it is neither. Byte compares, not Buffer.compare:
 * a native call per line cost more than the rest of the line's work.
 */
function streamAt (b: Buffer, at: number): 0 | 1 | 2 {
  if (b[at] !== 0x73 || b[at + 1] !== 0x74 || b[at + 6] !== 0x20) return 0 // "st", then a space after six letters
  const c = b[at + 2]; const d = b[at + 3]; const e = b[at + 4]; const f = b[at + 5]
  if (c === 0x64 && d === 0x6f && e === 0x75 && f === 0x74) return 1 // "dout"
  if (c === 0x64 && d === 0x65 && e === 0x72 && f === 0x72) return 2 // "derr"
  return 0
}

/**
 * encodeEntries for whole lines of a log, without timestamps, since or until,
 * in one pass over `chunk` (complete lines, newlines included), in place: the
 * chunk is overwritten and the result is a part of it. A line's prefix (time,
 * stream, tag, spaces) is longer than the 8 bytes of a frame header, so the
 * output never overtakes the input. No object, string or new buffer per
 * line, and per line only memchr and one copyWithin as native calls
 * (Buffer.compare, Buffer.copy and writeUInt32BE per line had made a
 * short-line log cost ~1 µs a line, slower than conmon writes it). Lines are
 * checked as parseLogLine checks them; malformed ones are skipped.
 */
export function encodeChunk (chunk: Buffer, o: Pick<LogOptions, 'stdout' | 'stderr' | 'tty'>): Buffer {
  const n = chunk.length
  let p = 0
  for (let start = 0; start < n;) {
    let nl = chunk.indexOf(0x0a, start)
    if (nl < 0) nl = n
    const s1 = chunk.indexOf(0x20, start)
    // "<time> <stream> <tag>", then a space or the line's end; the content after that space.
    const stream = s1 >= 0 && s1 + 8 < nl ? streamAt(chunk, s1 + 1) : 0
    const tag = chunk[s1 + 8]
    const ok = stream !== 0 && (tag === 0x46 || tag === 0x50) && (s1 + 9 === nl || chunk[s1 + 9] === 0x20)
    start = nl + 1
    if (!ok || !(stream === 1 ? o.stdout : o.stderr)) continue
    const header = p
    if (!o.tty) p += 8
    if (s1 + 10 < nl) { chunk.copyWithin(p, s1 + 10, nl); p += nl - s1 - 10 }
    if (tag === 0x46) chunk[p++] = 0x0a
    if (!o.tty) writeHeader(chunk, header, stream, p - header - 8)
  }
  return chunk.subarray(0, p)
}

/** Encodes one entry for the client, or undefined if the options filter it out. */
export function encodeEntry (e: LogEntry, o: LogOptions): Buffer | undefined {
  return wanted(e, o) ? encodeEntries([e], o) : undefined
}

/** Docker's `since`/`until`: unix seconds with an optional fraction, or RFC 3339. */
export function parseTimeParam (v: string | undefined): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v)
  if (m !== null) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
  return parseRfc3339Nano(v)
}

const CHUNK = 1024 * 1024
const EMPTY = Buffer.alloc(0)

/**
 * Reads a log a chunk at a time, as whole lines: its rotated files oldest
 * first, then the current one, then what conmon appends. Files stay open
 * between reads: when the current file is replaced (a rotation, or conmon's
 * own size limit), the reader finishes the old one through its handle, then
 * goes on with the files that came after it, so a reader that is behind
 * loses nothing that is still on disk; a file truncated in place is read
 * again from its start.
 */
class LogReader {
  private fh: FileHandle | undefined
  private pos = 0
  private ino = -1
  private carry = Buffer.alloc(0)
  /** Files opened and not yet read, oldest first. */
  private queue: LogFile[] = []
  /** Where to start, if that file is still there. */
  private from: LogPosition | undefined
  constructor (private readonly path: string) {}

  /** Reads on from `p` (when that file is gone, from the oldest file left). */
  seek (p: LogPosition): void { this.from = p }

  /** Closes the files; next() would open the log again. */
  async close (): Promise<void> {
    const open = [...(this.fh !== undefined ? [this.fh] : []), ...this.queue.map(f => f.fh)]
    this.fh = undefined
    this.queue = []
    await Promise.all(open.map(async fh => await fh.close()))
  }

  /** The next complete lines (up to about CHUNK bytes of them), or [] when there is nothing new. */
  async next (): Promise<Buffer[]> {
    const chunk = await this.nextChunk()
    const lines: Buffer[] = []
    let start = 0
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      lines.push(chunk.subarray(start, nl)); start = nl + 1
    }
    return lines
  }

  /** Goes on with the next file queued, if any. */
  private async advance (): Promise<boolean> {
    const next = this.queue.shift()
    if (next === undefined) return false
    await this.fh?.close()
    this.fh = next.fh
    this.ino = next.ino
    this.pos = 0
    this.carry = Buffer.alloc(0)
    return true
  }

  /** Queues the files of the log that came after the one being read (all of them when it is gone, or none was read yet). */
  private async queueAfter (): Promise<void> {
    const files = await openLog(this.path)
    const at = files.findIndex(f => f.ino === (this.from?.ino ?? this.ino))
    // The file to start in is itself queued; the one just read is not.
    const skip = at < 0 ? 0 : this.from !== undefined ? at : at + 1
    for (const f of files.slice(0, skip)) await f.fh.close()
    this.queue = files.slice(skip)
  }

  /** The next complete lines, newlines included, as one buffer (empty when there is nothing new). */
  async nextChunk (): Promise<Buffer> {
    if (this.fh === undefined) {
      await this.queueAfter()
      if (!await this.advance()) return EMPTY
      if (this.from !== undefined && this.from.ino === this.ino) this.pos = this.from.pos
      this.from = undefined
    }
    let size = (await this.fh!.stat()).size
    if (size < this.pos) { this.pos = 0; this.carry = Buffer.alloc(0) }
    if (size === this.pos) {
      // At the end of this file: go on in the next one, once there is one.
      if (this.queue.length === 0) {
        const now = await stat(this.path).catch(() => undefined)
        if (now === undefined || now.ino === this.ino) return EMPTY
        // conmon wrote its last lines here before it renamed the new file in: look once more.
        size = (await this.fh!.stat()).size
        if (size === this.pos) await this.queueAfter()
      }
      if (size === this.pos) return await this.advance() ? await this.nextChunk() : EMPTY
    }
    // Read in after the last chunk's unfinished line: no copy of the chunk to join them.
    const buf = Buffer.allocUnsafe(this.carry.length + Math.min(CHUNK, size - this.pos))
    this.carry.copy(buf)
    const { bytesRead } = await this.fh!.read(buf, this.carry.length, buf.length - this.carry.length, this.pos)
    this.pos += bytesRead
    const data = buf.subarray(0, this.carry.length + bytesRead)
    const end = data.lastIndexOf(0x0a) + 1
    this.carry = Buffer.from(data.subarray(end))
    // A chunk that ended mid-line with nothing complete: read on.
    return end === 0 && this.pos < size ? await this.nextChunk() : data.subarray(0, end)
  }
}

/** The entries of `lines` the client asked for. */
function entriesOf (lines: Buffer[], o: LogOptions, times: boolean): LogEntry[] {
  const out: LogEntry[] = []
  for (const l of lines) {
    const e = parseLogLine(l, times)
    if (e !== undefined && wanted(e, o)) out.push(e)
  }
  return out
}

async function * generate (path: string, o: LogOptions, follow?: { done: Promise<unknown> }): AsyncGenerator<Buffer> {
  const reader = new LogReader(path)
  if (o.from !== undefined) reader.seek(o.from)
  try {
    yield * readAll(reader, o)
    if (follow !== undefined) yield * readFollowing(reader, path, o, follow.done)
  } finally {
    await reader.close()
  }
}

const timesNeeded = (o: LogOptions): boolean => o.timestamps || o.since !== undefined || o.until !== undefined

/** What the file holds now, as the options ask (tail keeps only the last entries). */
async function * readAll (reader: LogReader, o: LogOptions): AsyncGenerator<Buffer> {
  const times = timesNeeded(o)
  if (o.tail === undefined) {
    yield * readNew(reader, o)
    return
  }
  let last: LogEntry[] = []
  for (let lines = await reader.next(); lines.length > 0; lines = await reader.next()) {
    // Entries point into the chunk they came from; copy the few kept so chunks can be freed.
    last = last.concat(entriesOf(lines, o, times))
    if (last.length > o.tail) last = last.slice(last.length - o.tail).map(e => ({ ...e, content: Buffer.from(e.content) }))
  }
  if (o.tail > 0 && last.length > 0) yield encodeEntries(last, o)
}

/** Everything the reader has not yet read; returns whether there was anything. */
async function * readNew (reader: LogReader, o: LogOptions): AsyncGenerator<Buffer, boolean> {
  const times = timesNeeded(o)
  let any = false
  if (!times) {
    for (let chunk = await reader.nextChunk(); chunk.length > 0; chunk = await reader.nextChunk()) {
      any = true
      const out = encodeChunk(chunk, o)
      if (out.length > 0) yield out
    }
    return any
  }
  for (let lines = await reader.next(); lines.length > 0; lines = await reader.next()) {
    any = true
    const entries = entriesOf(lines, o, times)
    if (entries.length > 0) yield encodeEntries(entries, o)
  }
  return any
}

/**
 * How long a follower waits after a read that found lines: conmon is likely
 * still writing, and a read per write (a few kB each) cost far more than
 * reading 10 ms of them at once; it delays a line by at most this much.
 */
const BATCH_MS = 10

/**
 * Reads appended lines as they come until `done` settles, then to the end.
 * The log's dir is watched rather than the file, which conmon's size limit
 * replaces; a 250 ms poll covers anything a watch misses.
 */
async function * readFollowing (reader: LogReader, path: string, o: LogOptions, done: Promise<unknown>): AsyncGenerator<Buffer> {
  let finished = false
  let wake: () => void = () => {}
  void done.then(() => { finished = true; wake() })
  const name = basename(path)
  let watcher: ReturnType<typeof watch> | undefined
  try {
    watcher = watch(dirname(path), (_event, file) => { if (file === null || file.toString() === name) wake() })
    watcher.on('error', () => {})
  } catch {}
  try {
    for (let found = false; ;) {
      // Once the container stopped, at once to the end.
      if (!finished && found) await sleep(BATCH_MS)
      else if (!finished) await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 250).unref() })
      const wasFinished = finished
      found = yield * readNew(reader, o)
      if (wasFinished) return
    }
  } finally {
    watcher?.close()
  }
}

/**
 * A stream of the container's log as the client asked for it, read a chunk
 * at a time as the client takes it (backpressure: a slow client holds the
 * reading, never the container, since conmon writes the file). With `follow`
 * it keeps reading appended lines until `done` settles (the container
 * stopped) and the file has been read to its end, or the client leaves.
 */
export function logStream (path: string, o: LogOptions, follow?: { done: Promise<unknown> }): Readable {
  return Readable.from(generate(path, o, follow), { objectMode: false })
}
