/**
 * Request bodies the response does not wait for. Bodies that stream (tar
 * uploads: import, load, docker cp) are handed to the route as the raw
 * request, never buffered and with no size limit; on failure the rest is read
 * and dropped, so that the client, still sending, gets the error. Any other
 * answer given before the body was read (a bad version or query, 413) is
 * followed by a bounded drain, as Go's net/http does.
 */
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { finished, PassThrough, type Readable } from 'node:stream'

/** How much of a body left unread by the response is read and dropped before the connection is closed (Go's maxPostHandlerReadBytes). */
export const DRAIN_LIMIT = 256 * 1024
/** How long a client that stops sending its body keeps the connection after the response. */
const DRAIN_MS = 5000

/**
 * Reads and drops, after the response, up to DRAIN_LIMIT of a request body
 * the response did not wait for; more than that, or a client that stalls,
 * and the connection is closed. Node closes a `Connection: close` socket as
 * soon as the response is written (`destroySoon`), over the unread bytes: the
 * kernel then refuses the client's next write (EPIPE, or a reset over TCP)
 * and a client that was still sending loses the status it was sent. That
 * close waits here until the body is in.
 */
export function drainUnreadBodies (server: Server): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // Before Node's own 'finish' listener, which dumps the body and closes.
    res.prependOnceListener('finish', () => { if (!req.complete) drainAfterAnswer(req) })
  })
}

function drainAfterAnswer (req: IncomingMessage): void {
  const socket = req.socket
  let left = DRAIN_LIMIT
  let closeWhenIn = false
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS)
  // An own property shadows net.Socket's method until the body is in; the response is complete,
  // so the write side ends at once.
  socket.destroySoon = () => { closeWhenIn = true; socket.end() }
  let settled = false
  const settle = (): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    delete (socket as { destroySoon?: unknown }).destroySoon
    if (closeWhenIn) socket.destroySoon()
  }
  req.on('data', (chunk: Buffer) => { left -= chunk.length; if (left < 0) socket.destroy() })
  req.once('end', settle)
  req.once('close', settle)
}

/** Makes every body of the plugin's routes a stream (the plugin's own parsers only). */
export function streamBodies (app: Pick<FastifyInstance, 'removeAllContentTypeParsers' | 'addContentTypeParser'>): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, payload, done) => { done(null, payload) })
}

/** Reads the rest of a request body and drops it, so that an early error reaches the client (at most 10 s). */
export async function discard (raw: IncomingMessage): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return
  await new Promise<void>(resolve => {
    const t = setTimeout(() => { raw.destroy(); resolve() }, 10_000)
    raw.once('end', () => { clearTimeout(t); resolve() })
    raw.once('close', () => { clearTimeout(t); resolve() })
    raw.resume()
  })
}

/**
 * Runs `fn` over the request body as a stream; on failure the body is drained
 * first. `fn` gets a stream of its own that it may destroy: destroying the
 * request itself would reset the connection before the error is sent.
 */
export async function withBody<T> (req: { body: unknown, raw: IncomingMessage }, fn: (body: Readable) => Promise<T>): Promise<T> {
  const raw = (req.body as Readable | undefined) ?? req.raw
  const body = new PassThrough()
  raw.pipe(body)
  finished(raw, err => { if (err !== undefined && err !== null) body.destroy(err) }) // the client went away
  body.once('close', () => raw.unpipe(body))
  try {
    return await fn(body)
  } catch (err) {
    // Unpiped now, not on body's 'close' a tick later: that unpipe would pause the drain.
    raw.unpipe(body)
    body.destroy()
    await discard(req.raw)
    throw err
  }
}
