/**
 * Container logs: reads the k8s-file log conmon writes
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <content>`), filters it as Docker's
 * `logs` does (streams, since/until, tail, timestamps) and encodes it as
 * Docker's stream: 8-byte-header frames for non-TTY containers, raw bytes for
 * TTY ones. `follow` keeps reading as conmon appends, until told to stop.
 */
import { open, stat } from 'node:fs/promises'
import { watch } from 'node:fs'
import { Readable } from 'node:stream'

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

/** Parses one line of a k8s-file log (without its newline); undefined if malformed. */
export function parseLogLine (line: Buffer): LogEntry | undefined {
  const s1 = line.indexOf(0x20)
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1)
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1)
  // The tag is one letter, followed by a space or the end of the line.
  if (s2 < 0 || (s3 < 0 ? line.length !== s2 + 2 : s3 !== s2 + 2)) return undefined
  const ns = parseRfc3339Nano(line.subarray(0, s1).toString('latin1'))
  const stream = line.subarray(s1 + 1, s2).toString('latin1')
  const tag = line.subarray(s2 + 1, s2 + 2).toString('latin1')
  if (ns === undefined || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined
  return { ns, time: formatNano(ns), stream, full: tag === 'F', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) }
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
}

/** Encodes one entry for the client, or undefined if the options filter it out. */
export function encodeEntry (e: LogEntry, o: LogOptions): Buffer | undefined {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return undefined
  if (o.since !== undefined && e.ns < o.since) return undefined
  if (o.until !== undefined && e.ns > o.until) return undefined
  const parts: Buffer[] = []
  if (o.timestamps) parts.push(Buffer.from(`${e.time} `))
  parts.push(e.content)
  if (e.full) parts.push(Buffer.from('\n'))
  const payload = Buffer.concat(parts)
  return o.tty ? payload : frame(e.stream === 'stdout' ? 1 : 2, payload)
}

/** Docker's `since`/`until`: unix seconds with an optional fraction, or RFC 3339. */
export function parseTimeParam (v: string | undefined): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v)
  if (m !== null) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
  return parseRfc3339Nano(v)
}

/**
 * A stream of the container's log as the client asked for it. With `follow`,
 * it keeps reading appended lines until `done` settles (the container
 * stopped) and the file has been read to its end, or the reader is destroyed.
 */
export function logStream (path: string, o: LogOptions, follow?: { done: Promise<unknown> }): Readable {
  let cancelled = false
  const out = new Readable({ read () {}, destroy (err, cb) { cancelled = true; cb(err) } })
  void (async () => {
    let pos = 0
    let ino = -1
    let carry = Buffer.alloc(0)
    const entries: Buffer[] = []
    /** Reads what was appended since the last call; returns complete lines. */
    const readMore = async (): Promise<Buffer[]> => {
      const st = await stat(path).catch(() => undefined)
      if (st === undefined) return []
      if (st.ino !== ino || st.size < pos) { ino = st.ino; pos = 0; carry = Buffer.alloc(0) } // rotated or truncated by conmon
      if (st.size === pos) return []
      const fh = await open(path, 'r')
      try {
        const buf = Buffer.alloc(st.size - pos)
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        pos += bytesRead
        const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead)
        const lines: Buffer[] = []
        let start = 0
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
          lines.push(data.subarray(start, nl)); start = nl + 1
        }
        carry = Buffer.from(data.subarray(start))
        return lines
      } finally {
        await fh.close()
      }
    }
    const emit = (lines: Buffer[]): void => {
      for (const l of lines) {
        const e = parseLogLine(l)
        const b = e === undefined ? undefined : encodeEntry(e, o)
        if (b !== undefined) entries.push(b)
      }
    }
    try {
      emit(await readMore())
      const first = o.tail !== undefined ? entries.slice(Math.max(0, entries.length - o.tail)) : entries
      if (o.tail === 0) first.length = 0
      for (const b of first) out.push(b)
      entries.length = 0
      if (follow !== undefined && !cancelled) {
        let finished = false
        void follow.done.then(() => { finished = true; wake() })
        let wake: () => void = () => {}
        let watcher: ReturnType<typeof watch> | undefined
        try { watcher = watch(path, () => wake()); watcher.on('error', () => {}) } catch {} // the 250 ms poll covers a missing file
        try {
          while (!cancelled) {
            await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 250).unref() })
            const wasFinished = finished
            emit(await readMore())
            for (const b of entries) out.push(b)
            entries.length = 0
            if (wasFinished) break
          }
        } finally {
          watcher?.close()
        }
      }
      out.push(null)
    } catch (err) {
      out.destroy(err as Error)
    }
  })()
  return out
}
