/**
 * The one map from errors to HTTP statuses and bodies. Route handlers never
 * build error bodies; they throw, and this decides.
 */
import type { FastifyError } from 'fastify'
import { BerthError, type ErrorCode } from '../errors.js'

/** The status of each error code: every one is documented in openapi/berth.json (test/unit/error-registry.test.ts). */
export const STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  NOT_MODIFIED: 304,
  NOT_IMPLEMENTED: 501,
  RUNTIME: 500,
  INTERNAL: 500
}

/**
 * Longest error message sent: many messages quote the input (Docker's do too), and a
 * megabyte of echoed input helps no one (the fuzzer sent 1 MB of detach keys).
 */
export const MESSAGE_MAX = 8192

/** `message`, cut to MESSAGE_MAX characters with a note of what was left out. */
function capped (message: string): string {
  return message.length <= MESSAGE_MAX ? message : `${message.slice(0, MESSAGE_MAX)}… (${message.length - MESSAGE_MAX} more characters)`
}

/** Status and message for any error a request can raise. */
export function toHttp (err: unknown): { status: number, message: string } {
  const { status, message } = classify(err)
  return { status, message: capped(message) }
}

function classify (err: unknown): { status: number, message: string } {
  if (err instanceof BerthError) return { status: STATUS[err.code], message: err.message }
  const fe = err as Partial<FastifyError>
  if (fe.validation !== undefined) return { status: 400, message: `invalid request: ${fe.message ?? ''}` }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own 4xx: malformed JSON, empty JSON body, body too large, bad media type.
    return { status: fe.statusCode, message: fe.message ?? 'bad request' }
  }
  return { status: 500, message: (err as Error)?.message ?? String(err) }
}
