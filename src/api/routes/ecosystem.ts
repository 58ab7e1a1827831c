/** Container routes the Docker ecosystem relies on: stats, top, rename, update, prune. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { statsDocument, type RawSample } from '../../containers/cgroupstats.js'
import { parseFilters } from '../../containers/filters.js'
import { orNull, SafeInteger } from '../../containers/createbody.js'
import { UPDATABLE } from '../../containers/update.js'
import { invalid } from '../../errors.js'
import { parseTimeParam } from '../../logs/logs.js'
import { bool } from '../docker.js'
import * as S from '../schemas.js'

const tags = ['Container']
/** Docker's stats interval, and the gap between the two samples of `stream=0`. */
const INTERVAL_MS = 1000

const Num = Type.Number()
const CpuStats = Type.Object({
  cpu_usage: Type.Object({ total_usage: Num, percpu_usage: Type.Optional(Type.Array(Num)), usage_in_kernelmode: Num, usage_in_usermode: Num }),
  system_cpu_usage: Type.Optional(Num),
  online_cpus: Type.Optional(Num),
  throttling_data: Type.Object({ periods: Num, throttled_periods: Num, throttled_time: Num })
})
const StatsResponse = Type.Object({
  name: Type.String(),
  id: Type.String(),
  read: Type.String(),
  preread: Type.String(),
  pids_stats: Type.Object({ current: Type.Optional(Num), limit: Type.Optional(Num) }),
  blkio_stats: Type.Object({ io_service_bytes_recursive: Type.Union([Type.Null(), Type.Array(Type.Object({ major: Num, minor: Num, op: Type.String(), value: Num }))]) }),
  num_procs: Num,
  storage_stats: Type.Object({}),
  cpu_stats: CpuStats,
  precpu_stats: CpuStats,
  memory_stats: Type.Object({ usage: Type.Optional(Num), limit: Type.Optional(Num), stats: Type.Optional(Type.Record(Type.String(), Num)) }),
  networks: Type.Record(Type.String(), Type.Unknown())
}, { description: 'Docker\'s stats document (one per line when streaming). Counters are read from the cgroup of the container\'s init process (v1 or v2); all zero for a stopped container.' })

const Resource = Type.Optional(orNull(SafeInteger()))
const UpdateBody = Type.Object({
  Memory: Resource,
  MemorySwap: Resource,
  NanoCpus: Resource,
  CpuShares: Resource,
  CpuQuota: Resource,
  CpuPeriod: Resource,
  CpusetCpus: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  PidsLimit: Resource,
  RestartPolicy: Type.Optional(S.RestartPolicy)
}, { description: `Docker's UpdateConfig. Zero values mean unchanged (a RestartPolicy with an empty Name too); any field but ${UPDATABLE.join(', ')} and RestartPolicy must be zero-valued.` })

const PRUNE_FILTERS = new Set(['label', 'label!', 'until'])
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Docker's `until` filter: a timestamp, or a Go duration before now; milliseconds since the epoch. */
export function untilMs (v: string, now = Date.now()): number {
  if (GO_DURATION.test(v)) {
    let ms = 0
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!
    return now - ms
  }
  const ns = parseTimeParam(v)
  if (ns === undefined) throw invalid(`failed to parse value as time or duration: "${v}"`)
  return Number(ns / 1_000_000n)
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export const ecosystemRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  app.get('/containers/:id/stats', {
    schema: {
      tags, operationId: 'ContainerStats', summary: 'Resource usage of a container',
      description: 'stream=1 (default): one JSON document per line per second until the client leaves or the container stops. ' +
        'stream=0: one document, from two samples a second apart so precpu_stats is filled (one-shot=1: one sample, precpu_stats zero).',
      params: S.IdParams,
      querystring: Type.Object({ stream: Type.Optional(S.DockerBool), 'one-shot': Type.Optional(S.DockerBool) }),
      response: { 200: StatsResponse, ...S.errors(404) }
    }
  }, async (req, reply) => {
    const stream = req.query.stream === undefined || bool(req.query.stream)
    const first = await manager.statsSample(req.params.id)
    const { rec } = first
    const doc = (cur: RawSample | undefined, prev: RawSample | undefined) => statsDocument(rec.name, rec.id, cur, prev)
    if (!stream) {
      if (first.sample === undefined || bool(req.query['one-shot'])) return doc(first.sample, undefined)
      await sleep(INTERVAL_MS)
      const second = await manager.statsSample(rec.id).catch(() => ({ sample: undefined }))
      return second.sample === undefined ? doc(first.sample, undefined) : doc(second.sample, first.sample)
    }
    const headers = { ...reply.getHeaders(), 'content-type': 'application/json' } as Record<string, string>
    const res = reply.hijack().raw
    let open = true
    res.on('close', () => { open = false })
    res.writeHead(200, headers)
    let prev: RawSample | undefined
    let cur = first.sample
    res.write(`${JSON.stringify(doc(cur, prev))}\n`)
    while (open && cur !== undefined) {
      await sleep(INTERVAL_MS)
      prev = cur
      cur = (await manager.statsSample(rec.id).catch(() => ({ sample: undefined }))).sample
      if (open && cur !== undefined) res.write(`${JSON.stringify(doc(cur, prev))}\n`)
    }
    res.end()
  })

  app.get('/containers/:id/top', {
    schema: {
      tags, operationId: 'ContainerTop', summary: 'List the processes of a container',
      description: 'Runs `ps` on the host with ps_args (default `-ef`) and keeps the rows whose PID is in the container\'s cgroup, as Docker does. 409 unless it runs.',
      params: S.IdParams,
      querystring: Type.Object({ ps_args: Type.Optional(Type.String({ maxLength: 4096, pattern: '^[^\\u0000]*$', description: 'Arguments for ps; the output needs a PID column' })) }),
      response: {
        200: Type.Object({ Titles: Type.Array(Type.String()), Processes: Type.Array(Type.Array(Type.String())) }, { description: 'ps columns and rows' }),
        ...S.errors(400, 404, 409)
      }
    }
  }, async (req) => await manager.top(req.params.id, req.query.ps_args ?? '-ef'))

  app.post('/containers/:id/rename', {
    schema: {
      tags, operationId: 'ContainerRename', summary: 'Rename a container',
      params: S.IdParams,
      querystring: Type.Object({ name: Type.Optional(Type.String({ description: 'The new name, Docker\'s pattern' })) }),
      response: { 204: S.NoContent, ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    await manager.settings.rename(req.params.id, req.query.name ?? '')
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/update', {
    schema: {
      tags, operationId: 'ContainerUpdate', summary: 'Change a container\'s resource limits and restart policy',
      description: 'A running container gets the new limits through the runtime\'s update; they are kept in its HostConfig and apply to its next runs. A new restart policy applies from the next exit.',
      params: S.IdParams,
      body: UpdateBody,
      response: { 200: Type.Object({ Warnings: Type.Array(Type.String()) }, { description: 'Updated' }), ...S.errors(400, 404) }
    }
  }, async (req) => {
    await manager.settings.update(req.params.id, req.body ?? {})
    return { Warnings: [] }
  })

  app.post('/containers/prune', {
    schema: {
      tags, operationId: 'ContainerPrune', summary: 'Remove stopped containers',
      querystring: Type.Object({ filters: Type.Optional(Type.String({ description: 'JSON: `label`, `label!`, `until`' })) }),
      response: {
        200: Type.Object({ ContainersDeleted: Type.Array(Type.String()), SpaceReclaimed: Type.Integer() }, { description: 'Removed container ids and the bytes their layers held' }),
        ...S.errors(400)
      }
    }
  }, async (req) => {
    const filters = parseFilters(req.query.filters, PRUNE_FILTERS)
    const until = filters.get('until')
    return await manager.settings.prune(filters, until !== undefined && until.length > 0 ? Math.min(...until.map(u => untilMs(u))) : undefined)
  })
}
