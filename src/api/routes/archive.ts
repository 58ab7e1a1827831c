/** docker cp and docker export: thin handlers over the container manager. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
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
}
