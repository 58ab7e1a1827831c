/** docker cp, export and diff: thin handlers over the container manager. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { statHeader } from '../../containers/archive-paths.js'
import { streamBodies, withBody } from '../bodies.js'
import { bool } from '../docker.js'
import * as S from '../schemas.js'

const tags = ['Container']

export const archiveRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  // docker cp's upload streams into the container.
  streamBodies(app)

  // Before the GET: Fastify would otherwise answer HEAD by running the GET and dropping its tar.
  app.head('/containers/:id/archive', {
    config: { swagger: { exposeHeadRoute: true } },
    schema: {
      tags, operationId: 'ContainerArchiveInfo', summary: 'Stat a path in a container (docker cp)',
      description: 'The stat docker cp reads before copying, in the X-Docker-Container-Path-Stat header. Works for running and stopped containers.',
      params: S.IdParams, querystring: S.ArchiveQuery,
      response: { 200: S.PathStatResponse, ...S.errors(400, 404) }
    }
  }, async (req, reply) => {
    const stat = await manager.files.statPath(req.params.id, req.query.path)
    return reply.header(S.PATH_STAT_HEADER, statHeader(stat)).send('' as unknown as null)
  })

  app.get('/containers/:id/archive', {
    schema: {
      tags, operationId: 'ContainerArchive', summary: 'Get a tar of a path in a container (docker cp out)',
      description: 'The path is resolved inside the container\'s root filesystem, as if chrooted there; the copy runs in a helper process chrooted into it, so no symlink reaches the host. Works for running and stopped containers.',
      params: S.IdParams, querystring: S.ArchiveQuery,
      response: { 200: S.ArchiveResponse, ...S.errors(400, 404) }
    }
  }, async (req, reply) => {
    const { stat, tar } = await manager.files.archivePath(req.params.id, req.query.path)
    return reply.header(S.PATH_STAT_HEADER, statHeader(stat)).type('application/x-tar').send(tar)
  })

  app.put('/containers/:id/archive', {
    schema: {
      tags, operationId: 'PutContainerArchive', summary: 'Extract a tar into a dir in a container (docker cp in)',
      description: 'The body is a tar (plain or gzip), extracted into the dir `path`, resolved inside the container\'s root filesystem. Entries that would leave the dir (`..`, absolute names, a write through a symlink) fail the request with 400. ' +
        '400 when `path` is not a dir, 404 when it is missing, 403 for a read-only rootfs (ReadonlyRootfs, or an OCI bundle\'s).',
      params: S.IdParams, querystring: S.ArchivePutQuery,
      body: S.TarBody, consumes: S.TAR_TYPES,
      response: { 200: S.NoContent, ...S.errors(400, 403, 404) }
    }
  }, async (req, reply) => {
    const q = req.query
    await withBody(req, body => manager.files.extractToDir(req.params.id, q.path, body, { noOverwriteDirNonDir: bool(q.noOverwriteDirNonDir), copyUIDGID: bool(q.copyUIDGID) }))
    // Docker answers 200 with an empty body, not JSON null.
    return reply.code(200).send('' as unknown as null)
  })

  app.get('/containers/:id/export', {
    schema: {
      tags, operationId: 'ContainerExport', summary: 'Export a container\'s root filesystem (docker export)',
      description: 'A tar of the merged root filesystem (the image\'s layers and the container\'s changes; not its mounts).',
      params: S.IdParams,
      response: { 200: S.ExportResponse, ...S.errors(404) }
    }
  }, async (req, reply) => reply.type('application/x-tar').send(await manager.files.exportContainer(req.params.id)))

  app.get('/containers/:id/changes', {
    schema: {
      tags, operationId: 'ContainerChanges', summary: 'A container\'s filesystem changes (docker diff)',
      description: 'What the container changed, read from its overlay upper dir against its image\'s layers as Docker\'s overlay2 reports it: ' +
        'Kind 0 modified, 1 added, 2 deleted; a changed file\'s parent dirs as modified, in path order. Running or stopped. ' +
        'Mount points the runtime made (/etc/hosts and the like) are left out, as Docker keeps them in its init layer. ' +
        'An empty array when nothing changed (Docker sends null). 400 for a container made from an OCI bundle: it has no image layers.',
      params: S.IdParams,
      response: {
        200: Type.Array(Type.Object({ Path: Type.String(), Kind: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]) }), { description: 'The changes' }),
        ...S.errors(400, 404)
      }
    }
  }, async (req) => await manager.files.changes(req.params.id))
}
