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
import type { AttachConnection } from '../shims/attach.js'
import { frame, logStream, type LogOptions } from '../logs/logs.js'
import { invalid } from '../errors.js'

/** Output a client may fall behind by before it is dropped: the container is never held for it. */
export const MAX_CLIENT_BACKLOG = 16 * 1024 * 1024

/** Writes the response head that turns an HTTP request into a raw stream. */
export function startStream (socket: Duplex, upgrade: boolean, tty: boolean, extra: Record<string, string> = {}): void {
  const type = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'
  const head = upgrade
    ? ['HTTP/1.1 101 UPGRADED', `Content-Type: ${type}`, 'Connection: Upgrade', 'Upgrade: tcp']
    : ['HTTP/1.1 200 OK', `Content-Type: ${type}`, 'Connection: close']
  for (const [k, v] of Object.entries(extra)) head.push(`${k}: ${v}`)
  socket.write(head.join('\r\n') + '\r\n\r\n')
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
    const k = part.trim().toLowerCase()
    if (k.length === 1) { out.push(k.charCodeAt(0)); continue }
    const m = /^ctrl-([a-z@[\\\]^_])$/.exec(k)
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
  constructor (private readonly keys: Buffer) {}
  feed (chunk: Buffer): { pass: Buffer, detach: boolean } {
    const out: number[] = []
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detach: true }
        continue
      }
      // A broken sequence is passed on as typed.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!)
      this.held = 0
      if (b === this.keys[0]) { this.held = 1; continue }
      out.push(b)
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
}

/** The container facts attach needs. */
export interface AttachTarget {
  id: string
  tty: boolean
  openStdin: boolean
  stdinOnce: boolean
  logPath: string
}

/**
 * Serves an attach on a hijacked socket whose head has been written: the
 * log first when asked, then live output until the monitor's connection
 * closes (the container ended). Stdin is fed to the container when asked for
 * and the container has it open.
 */
export async function serveAttach (socket: Duplex, target: AttachTarget, o: AttachOptions, connP: Promise<AttachConnection | undefined>, log: Logger, cancel: () => void): Promise<void> {
  const logOpts: LogOptions = { stdout: o.stdout, stderr: o.stderr, timestamps: false, tty: target.tty }
  const encode = (stream: 1 | 2, data: Buffer): Buffer | undefined =>
    (stream === 1 ? o.stdout : o.stderr) ? (target.tty ? data : frame(stream, data)) : undefined
  let clientGone = false
  socket.on('error', () => { clientGone = true })
  socket.on('close', () => { clientGone = true })
  if (!o.stream) {
    if (o.logs) await pipeAll(logStream(target.logPath, logOpts), socket)
    cancel()
    socket.end()
    return
  }
  // Stdin is read only once there is somewhere to put it: until then the client's bytes wait in the socket.
  socket.pause()
  const held: Buffer[] = []
  let replaying = o.logs
  const send = (buf: Buffer): void => {
    if (clientGone) return
    if (socket.writableLength > MAX_CLIENT_BACKLOG) {
      log.warn({ container: target.id.slice(0, 12) }, 'attach client fell too far behind; dropped')
      clientGone = true
      socket.destroy()
      return
    }
    socket.write(buf)
  }
  const onClose = new Promise<void>(resolve => { socket.once('close', () => resolve()) })
  const conn = await Promise.race([connP, onClose.then(() => undefined)])
  if (conn === undefined) {
    if (clientGone) cancel()
    socket.end()
    return
  }
  conn.onOutput((stream, data) => {
    const buf = encode(stream, data)
    if (buf === undefined) return
    if (replaying) held.push(buf); else send(buf)
  })
  if (o.logs) {
    await pipeAll(logStream(target.logPath, logOpts), socket)
    replaying = false
    for (const b of held.splice(0)) send(b)
  }
  const wantsStdin = o.stdin && target.openStdin
  let stdinEnded = false
  let detached = false
  if (wantsStdin) {
    const matcher = target.tty ? new DetachMatcher(o.detachKeys) : undefined
    socket.on('data', (chunk: Buffer) => {
      let data = chunk
      if (matcher !== undefined) {
        const r = matcher.feed(chunk)
        data = r.pass
        if (r.detach) { detached = true; clientGone = true; socket.end() }
      }
      if (data.length === 0 || stdinEnded) return
      socket.pause()
      conn.write(data).then(() => { if (!clientGone) socket.resume() }, () => {})
    })
    socket.on('end', () => {
      if (stdinEnded || detached) return
      stdinEnded = true
      conn.closeStdin()
    })
  } else {
    // The client's bytes are dropped, as Docker drops stdin a container did not open.
    socket.on('data', () => {})
  }
  socket.resume()
  await Promise.race([conn.closed, onClose])
  if (!clientGone) {
    socket.end()
    return
  }
  // The client left while the container runs. conmon closes a container's stdin when any of its
  // connections ends (unless it keeps stdin open across attaches), but only a client that owned
  // stdin and did not detach may close it: any other connection is kept, and drained, until the
  // container ends.
  if (target.openStdin && target.stdinOnce && (!wantsStdin || detached)) return
  conn.destroy()
}

/** Serves an attached exec on a hijacked socket whose head has been written. */
export async function serveExec (socket: Duplex, session: { output: Readable, stdin?: AttachConnection, tty: boolean }, detachKeys: Buffer): Promise<void> {
  const { output, stdin } = session
  socket.on('error', () => output.destroy())
  socket.on('close', () => output.destroy())
  if (stdin !== undefined) {
    const matcher = session.tty ? new DetachMatcher(detachKeys) : undefined
    let ended = false
    socket.on('data', (chunk: Buffer) => {
      let data = chunk
      if (matcher !== undefined) {
        const r = matcher.feed(chunk)
        data = r.pass
        if (r.detach) { ended = true; output.destroy(); socket.end() }
      }
      if (data.length === 0) return
      socket.pause()
      stdin.write(data).then(() => socket.resume(), () => socket.resume())
    })
    socket.on('end', () => { if (!ended) { ended = true; stdin.closeStdin() } })
  } else {
    socket.on('data', () => {})
  }
  await pipeAll(output, socket)
  socket.end()
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
