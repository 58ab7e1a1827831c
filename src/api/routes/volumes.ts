/** Volume routes: thin handlers over the volume store. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseFilters } from '../../containers/filters.js'
import { boolFilter, LIST_FILTERS, PRUNE_FILTERS, volumeMatches } from '../../volumes/filters.js'
import type { VolumeStore } from '../../volumes/store.js'
import { volumeView } from '../../volumes/view.js'
import { bool, versionBefore } from '../docker.js'
import * as S from '../schemas.js'
import { Type } from 'typebox'

const tags = ['Volume']
const Filters = Type.Object({ filters: Type.Optional(Type.String({ description: 'JSON: {"key": ["value", ...]}' })) })

export const volumeRoutes: FastifyPluginAsyncTypebox<{ volumes: VolumeStore }> = async (app, { volumes }) => {
  app.get('/volumes', {
    schema: {
      tags, operationId: 'VolumeList', summary: 'List volumes',
      description: 'Filters: name (a regular expression), label (key or key=value), dangling (true: no container uses it), driver.',
      querystring: Filters,
      response: { 200: S.VolumeListResponse, ...S.errors(400) }
    }
  }, async req => {
    const f = parseFilters(req.query.filters, LIST_FILTERS)
    const chosen = volumes.list().filter(v => volumeMatches({ name: v.name, driver: v.driver, labels: v.labels, inUse: volumes.usedBy(v.name).length > 0 }, f))
    return { Volumes: chosen.map(v => volumeView(volumes, v)), Warnings: [] }
  })

  app.post('/volumes/create', {
    schema: {
      tags, operationId: 'VolumeCreate', summary: 'Create a volume',
      description: 'A volume of that name that exists already is returned as it is, as Docker does.',
      body: S.VolumeCreateBody,
      response: { 201: Type.Ref('Volume', { description: 'The volume' }), ...S.errors(400) }
    }
  }, async (req, reply) => reply.code(201).send(volumeView(volumes, await volumes.create(req.body ?? {}))))

  app.post('/volumes/prune', {
    schema: {
      tags, operationId: 'VolumePrune', summary: 'Remove unused volumes',
      description: 'Removes the anonymous volumes no container uses (API 1.42+); with filters {"all":["true"]}, or API before 1.42, every volume no container uses. Filters: label, label!, all.',
      querystring: Filters,
      response: { 200: S.VolumePruneResponse, ...S.errors(400) }
    }
  }, async req => {
    const f = parseFilters(req.query.filters, PRUNE_FILTERS)
    const v = req.raw.berthApiVersion
    const all = f.get('all')?.some(x => boolFilter('all', x)) ?? (v !== undefined && versionBefore(v, '1.42'))
    const r = await volumes.prune(f, all)
    return { VolumesDeleted: r.VolumesDeleted.length > 0 ? r.VolumesDeleted : null, SpaceReclaimed: r.SpaceReclaimed }
  })

  app.get('/volumes/:name', {
    schema: {
      tags, operationId: 'VolumeInspect', summary: 'Inspect a volume',
      params: S.VolumeParams,
      response: { 200: Type.Ref('Volume', { description: 'The volume' }), ...S.errors(404) }
    }
  }, async req => volumeView(volumes, volumes.get(req.params.name)))

  app.delete('/volumes/:name', {
    schema: {
      tags, operationId: 'VolumeDelete', summary: 'Remove a volume',
      description: '409 while a container uses it (force does not change that); force=1 makes a missing volume no error.',
      params: S.VolumeParams, querystring: Type.Object({ force: Type.Optional(S.DockerBool) }),
      response: { 204: S.NoContent, ...S.errors(404, 409) }
    }
  }, async (req, reply) => {
    await volumes.remove(req.params.name, bool(req.query.force))
    return reply.code(204).send(null)
  })
}

