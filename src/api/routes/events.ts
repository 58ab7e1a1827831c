/** Docker's events: GET /events replays the journal and streams what happens, one JSON object per line. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { invalid } from '../../errors.js'
import { parseFilters } from '../../containers/filters.js'
import { EVENT_FILTERS, eventJson, eventMatches, type EventBus, type EventMessage } from '../../events/bus.js'
import { parseTimeParam } from '../../logs/logs.js'
import * as S from '../schemas.js'

/** A `since`/`until` value in ns; undefined when absent. "0" is the epoch, as Docker takes it. */
function timeParam (v: string | undefined): bigint | undefined {
  if (v === undefined || v === '') return undefined
  const t = parseTimeParam(v) ?? (/^0+(\.0*)?$/.test(v) ? 0n : undefined)
  if (t === undefined) throw invalid(`invalid value for since or until: ${v}: use unix seconds or RFC 3339`)
  return t
}

export const eventRoutes: FastifyPluginAsyncTypebox<{ events: EventBus }> = async (app, { events }) => {
  app.get('/events', {
    schema: {
      tags: ['System'], operationId: 'SystemEvents', summary: 'Monitor events',
      description: 'Status 200 and headers are sent at once. With `since`, the kept events (the last 10,000, across restarts) stamped from `since` to `until` are sent first; ' +
        'then, unless `until` has passed, events as they happen, until `until` or until the client goes away. ' +
        'Filters (JSON, list or map form): `container` (id, id prefix or name), `image`, `event` (action), `type` (container, image), `label` (key or key=value).',
      querystring: S.EventsQuery,
      response: { 200: S.EventMessage, ...S.errors(400) }
    }
  }, async (req, reply) => {
    const since = timeParam(req.query.since)
    const until = timeParam(req.query.until)
    const filters = parseFilters(req.query.filters, EVENT_FILTERS)
    const now = events.now()
    const headers = { ...reply.getHeaders(), 'content-type': 'application/json' } as Record<string, string>
    const res = reply.hijack().raw
    res.writeHead(200, headers)
    res.flushHeaders()
    const send = (ev: EventMessage): void => { res.write(`${eventJson(ev)}\n`) }
    // Replay and subscribe in the same tick: no event can fall between them.
    if (since !== undefined) for (const ev of events.replay(since, until ?? now, filters)) send(ev)
    if (until !== undefined && until <= now) { res.end(); return }
    let timer: NodeJS.Timeout | undefined
    const end = (): void => { unsubscribe(); clearTimeout(timer); res.end() }
    const unsubscribe = events.subscribe(ev => {
      if (until !== undefined && ev.timeNano > until) end()
      else if (eventMatches(ev, filters)) send(ev)
    })
    const ms = until === undefined ? undefined : Number((until - now) / 1_000_000n) + 1
    // Further than a timer reaches (24 days), the first event after `until` ends the stream.
    if (ms !== undefined && ms < 2 ** 31) timer = setTimeout(end, ms)
    res.on('close', end)
  })
}
