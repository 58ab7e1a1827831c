/**
 * Request bodies that stream (tar uploads: import, load, docker cp): handed
 * to the route as the raw request, never buffered and with no size limit;
 * on failure the rest is read and dropped, so that the client, still
 * sending, gets the error.
 */
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'

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

/** Runs `fn` over the request body as a stream; on failure the body is drained first. */
export async function withBody<T> (req: { body: unknown, raw: IncomingMessage }, fn: (body: Readable) => Promise<T>): Promise<T> {
  const body = (req.body as Readable | undefined) ?? req.raw
  try {
    return await fn(body)
  } catch (err) {
    await discard(req.raw)
    throw err
  }
}
