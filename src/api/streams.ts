/**
 * Hijacked streams: attach and exec start, as Docker serves them. The HTTP
 * connection is taken over (with `101 UPGRADED` when the client asked for an
 * upgrade, else a bare `200 OK` read until close), and from then on carries
 * output one way (frames, or raw bytes for a TTY) and stdin the other. The
 * client's half-close means "stdin ended"; output keeps flowing until the
 * process ends.
 */
import type { Duplex, Readable } from 'node:stream'
import type { FastifyBaseLogger as Logger } from 'fastify'
import type { AttachConnection } from '../containers/interactive.js'
import { logStream, type LogPosition } from '../logs/logs.js'
import { invalid } from '../errors.js'
import { sleep } from '../async.js'
import { unreadBytes } from '../sys/socket-queue.js'

/** Writes the response head that turns an HTTP request into a raw stream. */
export function startStream (socket: Duplex, upgrade: boolean, tty: boolean, extra: Record<string, string> = {}): void {
  const type = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'
  const head = upgrade
    ? ['HTTP/1.1 101 UPGRADED', `Content-Type: ${type}`, 'Connection: Upgrade', 'Upgrade: tcp']
    : ['HTTP/1.1 200 OK', `Content-Type: ${type}`, 'Connection: close']
  for (const [k, v] of Object.entries(extra)) head.push(`${k}: ${v}`)
  socket.write(head.join('\r\n') + '\r\n\r\n')
}

/** The longest a stream's output waits for its client to read the response head. */
const HEAD_READ_MAX_MS = 10_000

/**
 * Resolves once the client has read all that was written on `socket` so far
 * (the response head), or has gone, or HEAD_READ_MAX_MS passed. docker-py
 * reads the head through a buffered reader and then reads the bare socket:
 * output that reached the socket with the head went into that buffer and was
 * lost (80 of 1,000 exec_runs in four threads, when the head followed the
 * process start; most attach(logs=True) calls, whose log follows the head at
 * once). Writing the head first, as Docker does, only makes it rarer.
 * Holding the output back costs nothing: it waits in the log file. For a
 * Unix socket "read" is exact (see sys/socket-queue.ts); a socket without an
 * fd is not held.
 */
export async function untilHeadRead (socket: Duplex): Promise<void> {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd
  if (typeof fd !== 'number' || fd < 0) return
  const deadline = performance.now() + HEAD_READ_MAX_MS
  for (let wait = 1; !socket.destroyed && performance.now() < deadline; wait = Math.min(wait * 2, 20)) {
    try {
      if (socket.writableLength === 0 && unreadBytes(fd) === 0) return
    } catch {
      return
    }
    await sleep(wait)
  }
}

/** A complete error response on a raw socket, for requests Fastify never saw (upgrades). */
export function rawError (socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message })
  const reason = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' }[status] ?? 'Error'
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

/**
 * Docker's detach keys (`ctrl-p,ctrl-q` by default; a comma list of
 * `ctrl-<c>` and single characters) as bytes (pure).
 */
export function parseDetachKeys (spec: string): Buffer {
  if (spec === '') spec = 'ctrl-p,ctrl-q'
  const out: number[] = []
  for (const part of spec.split(',')) {
    const k = part.trim()
    if (k.length === 1) {
      if (k.charCodeAt(0) > 127) throw invalid(`Invalid detach keys (${spec}) provided: unknown character ${JSON.stringify(k)}`)
      out.push(k.charCodeAt(0))
      continue
    }
    const m = /^ctrl-([a-z@[\\\]^_])$/.exec(k.toLowerCase())
    if (m === null) throw invalid(`Invalid detach keys (${spec}) provided`)
    const c = m[1]!
    out.push(c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : ({ '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 } as Record<string, number>)[c]!)
  }
  return Buffer.from(out)
}

/**
 * Finds a detach sequence across chunk boundaries. `feed` returns the bytes
 * to pass on, and whether the sequence was completed (then the client
 * detaches, and the rest of the chunk is dropped).
 */
export class DetachMatcher {
  private held = 0
  private detached = false
  constructor (private readonly keys: Buffer) {}
  /** True once the sequence has been seen; nothing passes after it. */
  get done (): boolean { return this.detached }
  feed (chunk: Buffer): { pass: Buffer, detach: boolean } {
    if (this.detached) return { pass: Buffer.alloc(0), detach: true }
    const out: number[] = []
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++
        if (this.held === this.keys.length) { this.detached = true; return { pass: Buffer.from(out), detach: true } }
        continue
      }
      // A broken sequence: the longest tail of what was held (plus this byte) that still starts
      // the sequence stays held; the rest is passed on as typed.
      const typed = [...this.keys.subarray(0, this.held), b]
      let keep = typed.length
      while (keep > 0 && !this.keys.subarray(0, keep).equals(Buffer.from(typed.slice(typed.length - keep)))) keep--
      out.push(...typed.slice(0, typed.length - keep))
      this.held = keep
    }
    return { pass: Buffer.from(out), detach: false }
  }
}

/** What an attach client asked for. */
export interface AttachOptions {
  stdin: boolean
  stdout: boolean
  stderr: boolean
  /** Replay the log first. */
  logs: boolean
  stream: boolean
  detachKeys: Buffer
  /** Output as raw bytes whatever the container's terminal (websocket attach); else framed unless it has one. */
  raw?: boolean
}

/** The container facts attach needs. */
export interface AttachTarget {
  id: string
  tty: boolean
  openStdin: boolean
  stdinOnce: boolean
  logPath: string
  /** Where the log ended when the client attached: live output starts there. */
  logFrom: LogPosition
}

/** What the manager gave for this attach (see ContainerManager.attach). */
export interface AttachSession {
  done: Promise<unknown>
  cancel: () => void
  conn?: Promise<AttachConnection | undefined>
}

/**
 * Serves an attach on a hijacked socket whose head has been written.
 * Output is read from the container's log, as it is appended, until the run
 * ends: conmon logs everything before it writes the exit file, while its
 * attach socket can drop the last output of a quickly ending container (about
 * one run in four here), and a log reader can fall behind without ever
 * holding the container. Stdin goes to the monitor's attach socket.
 */
export async function serveAttach (socket: Duplex, target: AttachTarget, o: AttachOptions, session: AttachSession, log: Logger): Promise<void> {
  const output = logStream(target.logPath, { stdout: o.stdout, stderr: o.stderr, timestamps: false, tty: target.tty || o.raw === true, ...(o.logs ? {} : { from: target.logFrom }) },
    o.stream ? { done: session.done } : undefined)
  let clientGone = false
  let detached = false
  const leave = (): void => { clientGone = true; output.destroy() }
  socket.on('error', leave)
  socket.on('close', leave)
  const conn = session.conn === undefined ? undefined : await Promise.race([session.conn, new Promise<undefined>(resolve => socket.once('close', () => resolve(undefined)))])
  if (conn !== undefined) {
    pumpStdin(socket, conn, target.tty ? new DetachMatcher(o.detachKeys) : undefined, () => { detached = true; leave(); socket.end() }, () => clientGone)
    void session.done.then(() => conn.destroy())
  } else {
    // Stdin the container does not take is dropped, as Docker drops it.
    dropInput(socket)
  }
  await untilHeadRead(socket)
  await pipeAll(output, socket)
  session.cancel()
  if (!clientGone) socket.end()
  if (conn !== undefined && !detached) {
    // A client that owned stdin and left ends it (StdinOnce: the container's stdin closes). One that
    // detached leaves it open: its connection stays, and is dropped when the run ends.
    if (clientGone) conn.destroy()
  }
  log.debug({ container: target.id.slice(0, 12), detached }, 'attach ended')
}

/** Serves an attached exec on a hijacked socket whose head has been written. */
export async function serveExec (socket: Duplex, session: { output: Readable, stdin?: AttachConnection, tty: boolean }, detachKeys: Buffer): Promise<void> {
  const { output, stdin } = session
  socket.on('error', () => output.destroy())
  socket.on('close', () => output.destroy())
  if (stdin !== undefined) {
    pumpStdin(socket, stdin, session.tty ? new DetachMatcher(detachKeys) : undefined, () => { output.destroy(); socket.end() }, () => false)
  } else {
    dropInput(socket)
  }
  await untilHeadRead(socket)
  await pipeAll(output, socket)
  socket.end()
}

/**
 * Forwards what the client sends to the monitor as stdin, a packet at a time
 * (the client waits while the monitor takes it), until the client half-closes
 * (stdin ends) or types the detach keys (`matcher`, TTY only: then `detach`).
 * The socket may have been paused while its request body was read; reading
 * resumes here.
 */
function pumpStdin (socket: Duplex, conn: AttachConnection, matcher: DetachMatcher | undefined, detach: () => void, gone: () => boolean): void {
  let ended = false
  socket.on('data', (chunk: Buffer) => {
    let data = chunk
    if (matcher !== undefined) {
      const r = matcher.feed(chunk)
      data = r.pass
      if (r.detach && !ended) { ended = true; detach() }
    }
    if (data.length === 0 || ended) return
    socket.pause()
    conn.write(data).then(() => { if (!gone()) socket.resume() }, () => {})
  })
  socket.on('end', () => { if (!ended) { ended = true; conn.closeStdin() } })
  socket.resume()
}

/** Reads and drops what the client sends, so that its half-close and close are seen. */
function dropInput (socket: Duplex): void {
  socket.on('data', () => {})
  socket.resume()
}

/** Copies `from` into `to` with backpressure, without ending `to`; settles when `from` ends or either side fails. */
async function pipeAll (from: Readable, to: Duplex): Promise<void> {
  try {
    for await (const chunk of from) {
      if (to.destroyed) break
      if (!to.write(chunk as Buffer)) {
        await new Promise<void>(resolve => {
          const done = (): void => { to.off('drain', done); to.off('close', done); resolve() }
          to.on('drain', done); to.on('close', done)
        })
      }
    }
  } catch {} finally {
    from.destroy()
  }
}
