/**
 * The schema pieces every route group shares: the error body and the error
 * entries of a route's responses, Docker's query booleans, ids, labels and the healthcheck config.
 */
import { Type, type TSchema } from 'typebox'

/** Every error body: Docker's `{"message": ...}`. */
export const ErrorResponse = Type.Object({ message: Type.String() }, { $id: 'ErrorResponse', title: 'ErrorResponse', description: 'An error' })

const DESCRIPTIONS: Record<number, string> = {
  304: 'Nothing to do (Docker answers 304 with no body)',
  400: 'Bad parameter',
  401: 'The registry refused the credentials',
  403: 'The container\'s root filesystem is read-only to berth (ReadonlyRootfs, or an OCI bundle\'s, which berth never writes)',
  404: 'No such container or image',
  409: 'Conflict with the container\'s state, another container, or an image in use',
  413: 'Request body too large',
  500: 'Server error: the runtime\'s or the monitor\'s own message',
  501: 'Not implemented for this container (logs of a container whose log driver is `none`)'
}

/**
 * Response entries for error statuses, all with the shared error schema.
 * Every route can answer 400 (an unsupported /vX.Y/ prefix) and 500.
 */
export function errors (...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const c of [...new Set([...codes, 400, 500])].sort()) {
    out[c] = c === 304
      ? Type.Null({ description: DESCRIPTIONS[304] })
      : Type.Ref('ErrorResponse', { description: DESCRIPTIONS[c] ?? 'Error' })
  }
  return out
}

export const NoContent = Type.Null({ description: 'Done' })

/** Docker's booleans in queries: 1, true, True → true; "", 0, false, no, none → false. */
export const DockerBool = Type.String({ description: 'Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false' })

export const IdParams = Type.Object({
  id: Type.String({ description: 'Full id, name, or unique id prefix', maxLength: 254 })
})

/** Docker's labels: string keys and values. */
export const Labels = Type.Record(Type.String(), Type.String())

/** Docker's HealthConfig (durations in nanoseconds; a zero one is left out, meaning Docker's default). */
export const Healthcheck = Type.Object({
  Test: Type.Optional(Type.Array(Type.String(), { description: '["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]' })),
  Interval: Type.Optional(Type.Integer()),
  Timeout: Type.Optional(Type.Integer()),
  StartPeriod: Type.Optional(Type.Integer()),
  StartInterval: Type.Optional(Type.Integer()),
  Retries: Type.Optional(Type.Integer())
}, { description: 'The HEALTHCHECK: the create body\'s merged over the image\'s' })
