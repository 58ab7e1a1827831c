/**
 * Request bodies that stream (tar uploads: import, load, docker cp): handed
 * to the route as the raw request, never buffered and with no size limit;
 * on failure the rest is read and dropped, so that the client, still
 * sending, gets the error.
 */
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import { finished, PassThrough, type Readable } from 'node:stream'

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
