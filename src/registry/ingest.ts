/**
 * Layer downloads that survive a dropped connection and a berthd restart,
 * and that two pulls at once share (Docker's most-requested pull fixes:
 * moby#25866, #48539, docker/cli#5322).
 *
 * A blob is downloaded to `<ingest dir>/<hex of its digest>`, appended to
 * chunk by chunk, and kept when the download fails. The next attempt (a
 * retry in the same pull, or the next pull after a restart) re-reads what is
 * there to recompute the sha256 state and asks the registry for the rest with
 * `Range: bytes=N-`. The file is removed once verified and unpacked, or at
 * once when its digest does not match.
 *
 * A download of a digest already running is joined: its progress goes to
 * every pull waiting on it, and its file stays until the last one is done.
 *
 * A download can be read while it runs (`follow`): the bytes on disk so far,
 * then the rest as it is written, ending only once the whole blob is
 * verified, so a pull unpacks a layer while it downloads and still never
 * keeps an unverified one. A reader fails when the download does, or when
 * the download had to start over from byte 0 (the registry ignored Range).
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream, rmSync } from 'node:fs'
import { Readable } from 'node:stream'
import { open, rm, truncate, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { hasCode, invalid } from '../errors.js'
import type { Registry } from './client.js'

/** moby's maxDownloadAttempts. */
const ATTEMPTS = 5
/** The wait before retry n is n × this. */
const RETRY_MS = 1000
/** Bytes received and not yet written before the body is paused. */
const QUEUE_MAX = 4 * 1024 * 1024
/** File-system failures a retry cannot fix. */
const LOCAL_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE'])

/** What a pull hears of a download: bytes so far of the total, and a retry coming. */
export interface DownloadListener {
  progress: (current: number, total: number) => void
  retrying: (seconds: number) => void
}

/** A verified blob's file, removed at the last `release` (unless `keep`: a failed pull leaves it for the next one). */
export interface Lease { file: string, release: (keep?: boolean) => void }

/** The bytes so far of a download, the sha256 state over them, and how often it started over from byte 0. */
interface Partial { hash: Hash, have: number, restarts: number }

interface Entry {
  done: Promise<void>
  users: number
  listeners: Set<DownloadListener>
  part: Partial
  /** Whether `done` has settled, and its error. */
  settled: boolean
  error?: unknown
  /** Readers waiting for more bytes or the end. */
  waiters: Array<() => void>
}

const wake = (e: Entry): void => { for (const w of e.waiters.splice(0)) w() }

/** Bytes a reader of a running download reads at once. */
const READ_CHUNK = 1024 * 1024

/** Empties the partial `file` and its hash state; readers of it fail. */
async function restart (file: string, part: Partial, entry?: Entry): Promise<void> {
  // Counted before the truncate, so a reader whose read overlaps it sees the change afterwards.
  part.restarts++
  if (entry !== undefined) wake(entry)
  await truncate(file, 0).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  part.hash = createHash('sha256')
  part.have = 0
}

/** A reader's download started over: the caller reads the verified file once it is done instead. */
export class Restarted extends Error {}

/** May a failed attempt be tried again? Not when the pull was called off, the bytes are wrong, or the disk refuses. */
function retryable (err: unknown, registry: Registry): boolean {
  if (registry.closed || hasCode(err, 'INVALID_ARGUMENT') || hasCode(err, 'NOT_FOUND')) return false
  return !LOCAL_FAULTS.has((err as NodeJS.ErrnoException).code ?? '')
}

/** Hashes the partial `file` (empty when missing): the state a resumed download continues from. */
async function rehash (file: string, part: Partial): Promise<void> {
  try {
    for await (const chunk of createReadStream(file)) { part.hash.update(chunk as Buffer); part.have += (chunk as Buffer).length }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** The ingest dir of one image store. */
export class Ingest {
  private readonly entries = new Map<string, Entry>()
  constructor (readonly dir: string) {}

  /** The ingest file of `digest`. */
  fileOf (digest: string): string { return join(this.dir, digest.slice('sha256:'.length)) }

  /**
   * The blob `digest` (`size` bytes, from the manifest), downloaded and
   * verified, or joined when another pull is already downloading it. A
   * joined download that fails is tried once more on this pull's registry
   * (the other pull may have been called off), unless its bytes were wrong.
   */
  async fetch (registry: Registry, digest: string, size: number, listener: DownloadListener): Promise<Lease> {
    for (let tries = 0; ; tries++) {
      let entry = this.entries.get(digest)
      const joined = entry !== undefined
      if (entry === undefined) entry = this.start(registry, digest, size)
      entry.users++
      entry.listeners.add(listener)
      try {
        await entry.done
      } catch (err) {
        entry.users--
        if (!joined || tries > 0 || hasCode(err, 'INVALID_ARGUMENT')) throw err
        continue
      } finally {
        entry.listeners.delete(listener)
      }
      const e = entry
      const file = this.fileOf(digest)
      let released = false
      return {
        file,
        release: (keep = false) => {
          if (released) return
          released = true
          // Synchronous, so that no new fetch can join an entry whose file is going.
          if (--e.users === 0 && this.entries.get(digest) === e) { this.entries.delete(digest); if (!keep) rmSync(file, { force: true }) }
        }
      }
    }
  }

  /**
   * The bytes of the download of `digest` now running (the one a `fetch`
   * just started or joined), read as they are written; the stream ends when
   * the blob is verified and fails when the download fails or starts over
   * (`Restarted`). Undefined when no download of it is running.
   */
  follow (digest: string): Readable | undefined {
    const entry = this.entries.get(digest)
    if (entry === undefined) return undefined
    const file = this.fileOf(digest)
    return Readable.from((async function * () {
      const { part } = entry
      const restarts = part.restarts
      let pos = 0
      let fh: FileHandle | undefined
      try {
        for (;;) {
          if (part.restarts !== restarts) throw new Restarted(`the download of ${digest} started over`)
          if (pos < part.have) {
            fh ??= await open(file, 'r')
            const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, part.have - pos))
            const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
            if (part.restarts !== restarts) throw new Restarted(`the download of ${digest} started over`)
            pos += bytesRead
            yield buf.subarray(0, bytesRead)
          } else if (entry.settled) {
            if (entry.error !== undefined) throw entry.error
            return
          } else {
            await new Promise<void>(resolve => entry.waiters.push(resolve))
          }
        }
      } finally {
        await fh?.close()
      }
    })(), { objectMode: false })
  }

  private start (registry: Registry, digest: string, size: number): Entry {
    const entry: Entry = { users: 0, listeners: new Set(), done: Promise.resolve(), part: { hash: createHash('sha256'), have: 0, restarts: 0 }, settled: false, waiters: [] }
    const fan: DownloadListener = {
      progress: (c, t) => { wake(entry); for (const l of entry.listeners) l.progress(c, t) },
      retrying: s => { for (const l of entry.listeners) l.retrying(s) }
    }
    entry.done = this.download(registry, digest, size, entry, fan)
    entry.done.then(() => { entry.settled = true; wake(entry) }, (err: unknown) => {
      entry.settled = true
      entry.error = err ?? new Error('download failed')
      wake(entry)
      // A failed download is forgotten at once: the next fetch starts afresh (from the partial file).
      if (this.entries.get(digest) === entry) this.entries.delete(digest)
    })
    this.entries.set(digest, entry)
    return entry
  }

  private async download (registry: Registry, digest: string, size: number, entry: Entry, fan: DownloadListener): Promise<void> {
    const file = this.fileOf(digest)
    const { part } = entry
    await rehash(file, part)
    // More bytes than the blob has cannot be a prefix of it.
    if (size > 0 && part.have > size) await restart(file, part, entry)
    if (part.have > 0) fan.progress(part.have, size)
    for (let attempt = 1; ; attempt++) {
      try {
        if (size === 0 || part.have < size) await this.receive(registry, digest, file, entry, size, fan)
        break
      } catch (err) {
        if (attempt >= ATTEMPTS || !retryable(err, registry)) throw err
        fan.retrying(attempt * RETRY_MS / 1000)
        await new Promise(resolve => setTimeout(resolve, attempt * RETRY_MS))
      }
    }
    if (`sha256:${part.hash.digest('hex')}` !== digest) {
      part.restarts++ // readers fail with the download, not on the missing file
      await rm(file, { force: true })
      throw invalid(`filesystem layer verification failed for digest ${digest}`)
    }
  }

  /**
   * One request for the rest of the blob, appended to `file`; a chunk is on
   * disk before it is hashed and counted. The body flows, and what arrived
   * while a write was under way goes in the next write (one writev), so the
   * disk keeps up and the body is seldom paused (only past QUEUE_MAX bytes):
   * what undici received before a connection failed is written, not dropped
   * with a paused stream's buffer.
   */
  private async receive (registry: Registry, digest: string, file: string, entry: Entry, size: number, fan: DownloadListener): Promise<void> {
    const { part } = entry
    const { body, start, total } = await registry.blob(digest, part.have)
    // The registry ignored Range and sent the whole blob (200, not 206): start over cleanly from byte 0.
    if (start !== part.have) await restart(file, part, entry)
    const fh = await open(file, 'a', 0o600)
    try {
      await new Promise<void>((resolve, reject) => {
        const queue: Buffer[] = []
        let queued = 0
        let writing: Promise<void> | undefined
        let ended: unknown
        const settle = (): void => { if (writing === undefined && ended !== undefined) { if (ended === true) resolve(); else reject(ended) } }
        const flush = async (): Promise<void> => {
          while (queue.length > 0) {
            const batch = queue.splice(0)
            await fh.writev(batch)
            for (const c of batch) { part.hash.update(c); part.have += c.length; queued -= c.length }
            fan.progress(part.have, total || size)
            if (queued <= QUEUE_MAX && body.isPaused()) body.resume()
          }
        }
        const kick = (): void => {
          writing ??= flush().then(() => { writing = undefined; if (queue.length > 0) kick(); else settle() },
            (err: unknown) => { writing = undefined; ended = err; body.destroy(err as Error); settle() })
        }
        body.on('data', (chunk: Buffer) => {
          queue.push(chunk)
          queued += chunk.length
          if (queued > QUEUE_MAX) body.pause()
          kick()
        })
        body.once('error', err => { ended ??= err; settle() })
        body.once('end', () => { ended ??= true; settle() })
      })
    } finally {
      await fh.close()
    }
  }


}
