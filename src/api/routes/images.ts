/** Image routes: thin handlers over the image store. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { PassThrough, type Readable } from 'node:stream'
import { Type } from 'typebox'
import { parseFilters } from '../../containers/filters.js'
import { invalid } from '../../errors.js'
import type { ImageStore } from '../../images/store.js'
import { parseRepoTag } from '../../images/reference.js'
import { decodeAuthHeader } from '../../registry/auth.js'
import { resolvePull, runPull, type RegistryHosts } from '../../registry/pull.js'
import { resolvePush, runPush } from '../../registry/push.js'
import { IMAGE_FILTERS, imageInspect, imageMatches, imageSummary } from '../../images/view.js'
import { discard, streamBodies, withBody } from '../bodies.js'
import { API_VERSION, bool, versionBefore } from '../docker.js'
import { toHttp } from '../errors.js'
import * as S from '../schemas.js'

const tags = ['Image']
const NAMED_ACTIONS = /^\/images\/(.+)\/(json|history|get|tag|push)$/

/**
 * Docker's router matches /images/{name:.*}/json: names may hold slashes.
 * Fastify's params stop at a slash, so the name's slashes are escaped before
 * routing (the param is decoded again). Called from the app's rewriteUrl.
 */
export function imagePath (method: string, url: string): string {
  if (!url.startsWith('/images/')) return url
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const query = q < 0 ? '' : url.slice(q)
  if (method === 'DELETE') {
    const name = path.slice('/images/'.length)
    return name.includes('/') ? `/images/${name.replaceAll('/', '%2F')}${query}` : url
  }
  const m = NAMED_ACTIONS.exec(path)
  if (m === null || !m[1]!.includes('/')) return url
  return `/images/${m[1]!.replaceAll('/', '%2F')}/${m[2]!}${query}`
}

const lines = (msgs: object[]): string => msgs.map(m => `${JSON.stringify(m)}\n`).join('')
const list = (v: string | string[] | undefined): string[] => v === undefined ? [] : Array.isArray(v) ? v : [v]

/**
 * Docker's JSON progress stream of a pull or push that `run` drives: a
 * failure becomes the stream's last line (errorDetail). A client that goes
 * away does not stop the work (what it fetched or sent stays useful); its
 * lines are dropped.
 */
function progressStream (req: FastifyRequest, what: string, run: (emit: (m: object) => void) => Promise<void>): PassThrough {
  const out = new PassThrough()
  out.on('error', () => {})
  const emit = (m: object): void => { if (!out.destroyed) out.write(`${JSON.stringify(m)}\n`) }
  run(emit).then(() => { if (!out.destroyed) out.end() }, (err: unknown) => {
    const { status, message } = toHttp(err)
    if (status >= 500) req.log.error({ err }, `image ${what} failed`); else req.log.debug({ message }, `image ${what} refused`)
    emit({ errorDetail: { message }, error: message })
    if (!out.destroyed) out.end()
  })
  return out
}

export const imageRoutes: FastifyPluginAsyncTypebox<{ images: ImageStore, hosts: () => RegistryHosts }> = async (app, { images, hosts }) => {
  // Tar bodies stream to the store.
  streamBodies(app)
  app.addSchema(S.JsonMessage)

  app.post('/images/create', {
    schema: {
      tags, operationId: 'ImageCreate', summary: 'Pull an image from a registry (docker pull) or import one (docker import)',
      description: 'With fromImage (and tag, a tag or digest) the image is pulled from its registry: the answer is Docker\'s JSON progress stream (`Pulling from`, per layer `Pulling fs layer`, `Downloading`, `Download complete`, `Extracting`, `Pull complete` or `Already exists`, then `Digest:` and `Status:`); a bad reference, an unknown image or an unreachable registry is an HTTP error, a failure after the first line an `errorDetail` line. Registries are reached as Docker reaches them: docker.io through the daemon\'s mirrors first, an insecure registry (127.0.0.0/8 and --insecure-registry) by HTTPS without verification then plain HTTP, the others by HTTPS verified against the system\'s CAs and `<root>/certs.d/HOST:PORT/*.crt`. A layer download cut off is resumed with a Range request (in the same pull, or the next one after a restart), and two pulls of one layer download it once. With fromSrc=- the body is a root filesystem tar (plain or gzip) that becomes a one-layer image; the stream\'s last line is {"status": "sha256:<id>"}.',
      querystring: S.ImageCreateQuery, headers: S.RegistryAuthHeaders, body: S.TarBody, consumes: S.TAR_TYPES,
      response: { 200: S.jsonStream('JSON-message stream, one object per line'), ...S.errors(400, 404, 500) }
    }
  }, async (req, reply) => {
    const q = req.query
    if (q.fromImage !== undefined && q.fromImage !== '') {
      await discard(req.raw)
      // Errors before the first progress line are plain HTTP errors, as in moby; later ones go in the stream.
      const pull = await resolvePull(q.fromImage, q.tag, q.platform, hosts(), decodeAuthHeader(req.headers['x-registry-auth']))
      return reply.type('application/json').send(progressStream(req, 'pull', async emit => { emit({ status: await runPull(images, pull, emit) }) }))
    }
    if (q.fromSrc !== '-') {
      await discard(req.raw)
      throw invalid(q.fromSrc === undefined ? 'fromSrc or fromImage is required' : `fromSrc=${q.fromSrc}: only - (the request body) is supported`)
    }
    if (q.repo !== undefined && q.repo !== '') parseRepoTag(q.repo, q.tag)
    const rec = await withBody(req, body => images.importTar(body, { repo: q.repo, tag: q.tag, changes: list(q.changes), message: q.message }))
    return reply.type('application/json').send(lines([{ status: rec.id }]))
  })

  app.post('/images/:name/push', {
    schema: {
      tags, operationId: 'ImagePush', summary: 'Push an image to its registry (docker push)',
      description: 'Sends the image `name` (with `tag`, or every tag of the repository) to the registry its name starts with, as a Docker v2 schema 2 manifest with gzip layers, using the credentials of X-Registry-Auth. The registry is reached as a pull reaches it (insecure registries, `certs.d`), never through a mirror. The answer is Docker\'s JSON progress stream: `The push refers to repository [...]`, per layer `Preparing`, `Waiting`, `Pushing` with progressDetail, then `Pushed`, `Layer already exists` or `Mounted from <repo>`; then `<tag>: digest: sha256:... size: N` and an aux line {"Tag","Digest","Size"}. The manifest digest is added to the image\'s RepoDigests. An image not in the store is a 404; a failure after the first line is an `errorDetail` line.',
      params: S.ImageParams, querystring: S.ImagePushQuery, headers: S.RegistryAuthHeaders,
      response: { 200: S.jsonStream('JSON-message stream, one object per line'), ...S.errors(400, 404, 500) }
    }
  }, async (req, reply) => {
    await discard(req.raw)
    const push = resolvePush(images, req.params.name, req.query.tag, decodeAuthHeader(req.headers['x-registry-auth']))
    return reply.type('application/json').send(progressStream(req, 'push', async emit => { await runPush(images, push, hosts(), emit) }))
  })

  app.post('/images/load', {
    schema: {
      tags, operationId: 'ImageLoad', summary: 'Load images from a docker save archive (docker load)',
      description: 'The body is a docker save tar (Docker\'s manifest.json form or an OCI layout with index.json; plain or gzip). Every image in it is added with its tags. As in Docker, an archive that cannot be loaded is still a 200: the stream\'s one line is `{"errorDetail": {"message": ...}, "error": ...}`.',
      querystring: Type.Object({ quiet: Type.Optional(S.DockerBool), platform: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) }),
      body: S.TarBody, consumes: S.TAR_TYPES,
      response: { 200: S.jsonStream('JSON-message stream: `Loaded image: name:tag` or `Loaded image ID: sha256:...` per image'), ...S.errors(400, 500) }
    }
  }, async (req, reply) => {
    let msgs: object[]
    try {
      const loaded = await withBody(req, body => images.load(body))
      msgs = loaded.flatMap(l => l.tags.length > 0 ? l.tags.map(t => ({ stream: `Loaded image: ${t}\n` })) : [{ stream: `Loaded image ID: ${l.id}\n` }])
    } catch (err) {
      // Docker answers 200 and puts the failure in the stream (moby postImagesLoad), where docker-py and the CLI read it.
      const { status, message } = toHttp(err)
      if (status >= 500) req.log.error({ err }, 'image load failed'); else req.log.debug({ message }, 'image load refused')
      msgs = [{ errorDetail: { message }, error: message }]
    }
    return reply.type('application/json').send(lines(msgs))
  })

  const save = (refs: string[]): Readable => {
    if (refs.length === 0) throw invalid('names is required: which images to save')
    return images.save(refs)
  }
  const tarResponse = { 200: { ...S.TarResponse, content: { 'application/x-tar': { schema: S.TarResponse } } } }
  app.get('/images/get', {
    schema: {
      tags, operationId: 'ImageGetAll', summary: 'Save images (docker save)',
      querystring: S.ImageGetQuery,
      response: { ...tarResponse, ...S.errors(400, 404) }
    }
  }, async (req, reply) => reply.type('application/x-tar').send(save(list(req.query.names))))

  app.get('/images/:name/get', {
    schema: {
      tags, operationId: 'ImageGet', summary: 'Save one image',
      params: S.ImageParams,
      response: { ...tarResponse, ...S.errors(400, 404) }
    }
  }, async (req, reply) => reply.type('application/x-tar').send(save([req.params.name])))

  app.get('/images/json', {
    schema: {
      tags, operationId: 'ImageList', summary: 'List images',
      querystring: S.ImageListQuery,
      response: { 200: Type.Array(S.ImageSummary, { description: 'The images, newest first' }), ...S.errors(400) }
    }
  }, async (req) => {
    const filters = parseFilters(req.query.filters, IMAGE_FILTERS)
    return images.list().filter(r => imageMatches(r, filters)).map(imageSummary)
  })

  app.post('/images/prune', {
    schema: {
      tags, operationId: 'ImagePrune', summary: 'Remove unused images',
      description: 'Removes untagged images no container uses; with filters {"dangling":["false"]}, every image no container uses. ImagesDeleted lists, per image, each of its references untagged, then the image deleted.',
      querystring: Type.Object({ filters: Type.Optional(Type.String()) }),
      response: { 200: S.ImagePruneResponse, ...S.errors(400) }
    }
  }, async (req) => {
    const dangling = parseFilters(req.query.filters, new Set(['dangling'])).get('dangling')?.[0]
    const r = await images.prune({ dangling: dangling === undefined ? true : bool(dangling) })
    return { ImagesDeleted: r.deleted.length > 0 ? r.deleted : null, SpaceReclaimed: r.reclaimed }
  })

  app.get('/images/:name/json', {
    schema: {
      tags, operationId: 'ImageInspect', summary: 'Inspect an image',
      params: S.ImageParams,
      response: { 200: S.ImageInspect, ...S.errors(400, 404) }
    }
  }, async (req) => {
    // A request without a version speaks berthd's own (1.44), which still has ContainerConfig.
    const v = req.raw.berthApiVersion ?? API_VERSION
    return imageInspect(images.resolve(req.params.name), versionBefore(v, '1.45'))
  })

  app.get('/images/:name/history', {
    schema: {
      tags, operationId: 'ImageHistory', summary: 'An image\'s history',
      params: S.ImageParams,
      response: { 200: S.ImageHistory, ...S.errors(400, 404) }
    }
  }, async (req) => images.history(req.params.name))

  app.post('/images/:name/tag', {
    schema: {
      tags, operationId: 'ImageTag', summary: 'Tag an image',
      params: S.ImageParams, querystring: S.ImageTagQuery,
      response: { 201: Type.Null({ description: 'Tagged' }), ...S.errors(400, 404) }
    }
  }, async (req, reply) => {
    await images.tag(req.params.name, req.query.repo, req.query.tag)
    // Docker answers 201 with an empty body, not JSON null.
    return reply.code(201).send('' as unknown as null)
  })

  app.delete('/images/:name', {
    schema: {
      tags, operationId: 'ImageDelete', summary: 'Remove an image',
      description: 'A name untags (and deletes the image with its last tag); an id deletes the image and its tags. 409 while a container uses the image, unless force=1 (which then only untags).',
      params: S.ImageParams, querystring: S.ImageDeleteQuery,
      response: { 200: S.ImageDeleteResponse, ...S.errors(400, 404, 409) }
    }
  }, async (req) => images.remove(req.params.name, { force: bool(req.query.force) }))
}
