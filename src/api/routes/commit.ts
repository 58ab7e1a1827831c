/** docker commit: a thin handler over the container manager. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { bool } from '../docker.js'
import * as S from '../schemas.js'

const list = (v: string | string[] | undefined): string[] => v === undefined ? [] : Array.isArray(v) ? v : [v]

export const commitRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  app.post('/commit', {
    schema: {
      tags: ['Image'], operationId: 'ImageCommit', summary: 'Make an image from a container (docker commit)',
      description: 'The container\'s changes (its overlay upper dir; deletions as OCI whiteouts) become a layer on top of its image\'s, with no layer when nothing changed. ' +
        'The config is the container\'s (or the body\'s, gaps filled from the container\'s) with `changes` applied; a history entry is added and `container` set. ' +
        'A running container is frozen while its layer is read unless pause=0. 400 for a container made from an OCI bundle.',
      querystring: S.CommitQuery,
      body: S.CommitBody,
      response: { 201: S.CommitResponse, ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    const q = req.query
    const image = await manager.files.commit(q.container, {
      repo: q.repo, tag: q.tag, comment: q.comment, author: q.author,
      pause: bool(q.pause, true), changes: list(q.changes), config: req.body
    })
    return reply.code(201).send({ Id: image.id })
  })
}
