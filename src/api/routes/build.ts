/** Build routes: Docker's classic builder (POST /build) over berth's buildah builder. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PassThrough } from 'node:stream'
import { Type, type Static } from 'typebox'
import type { BuildRequest, Builder } from '../../build/builder.js'
import { invalid } from '../../errors.js'
import { parseNamed } from '../../images/reference.js'
import { decodeRegistryConfig } from '../../registry/auth.js'
import { hostPlatform, parsePlatform } from '../../registry/pull.js'
import { discard, streamBodies, withBody } from '../bodies.js'
import { bool } from '../docker.js'
import { toHttp } from '../errors.js'
import * as S from '../schemas.js'

const tags = ['Build']
const NEEDS_CLASSIC = 'berth has no BuildKit: use the classic builder (DOCKER_BUILDKIT=0 docker build ...)'

const many = (v: string | string[] | undefined): string[] => v === undefined ? [] : Array.isArray(v) ? v : [v]

/** A JSON object of strings from a query parameter (buildargs, labels); null values (an ARG without a value) are left out. */
function stringMap (name: string, v: string | undefined): Record<string, string> {
  if (v === undefined || v === '') return {}
  let doc: unknown
  try { doc = JSON.parse(v) } catch { throw invalid(`${name}: not JSON`) }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid(`${name}: not a JSON object`)
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(doc)) {
    if (x === null) continue
    if (typeof x !== 'string') throw invalid(`${name}: ${k} must be a string`)
    out[k] = x
  }
  return out
}

type Query = Static<typeof S.BuildQuery>

/** Checks the query into a BuildRequest; throws INVALID_ARGUMENT with Docker's wording where it has one. */
function buildRequest (q: Query, registryConfig: string | undefined): BuildRequest {
  if (q.version === '2' || (q.session !== undefined && q.session !== '')) throw invalid(NEEDS_CLASSIC)
  if (q.remote !== undefined && q.remote !== '') throw invalid('remote build contexts are not supported: send the context as the request body')
  if (q.platform !== undefined && q.platform !== '') {
    const want = parsePlatform(q.platform)
    const host = hostPlatform()
    if (want.os !== host.os || want.architecture !== host.architecture) throw invalid(`platform ${q.platform} is not supported: berth builds for ${host.os}/${host.architecture} only`)
  }
  const mode = q.networkmode ?? 'default'
  if (!['', 'default', 'bridge', 'host', 'none'].includes(mode)) throw invalid(`networkmode ${mode} is not supported: use default, host or none`)
  const t = many(q.t).filter(x => x !== '')
  for (const x of t) parseNamed(x)
  return {
    dockerfile: q.dockerfile ?? 'Dockerfile',
    tags: t,
    buildArgs: stringMap('buildargs', q.buildargs),
    labels: stringMap('labels', q.labels),
    target: q.target,
    noCache: bool(q.nocache),
    // The CLI sends pull=1 for --pull; older clients send pull=true.
    pull: q.pull !== undefined && q.pull !== '' && bool(q.pull),
    quiet: bool(q.q),
    network: mode === 'none' ? 'none' : 'host',
    extraHosts: many(q.extrahosts).flatMap(h => h.split(',')).map(h => h.trim()).filter(h => h !== ''),
    shmSize: q.shmsize,
    limits: { memory: q.memory, memorySwap: q.memswap, cpuShares: q.cpushares, cpuPeriod: q.cpuperiod, cpuQuota: q.cpuquota, cpusetCpus: q.cpusetcpus, cpusetMems: q.cpusetmems },
    auths: decodeRegistryConfig(registryConfig)
  }
}

export const buildRoutes: FastifyPluginAsyncTypebox<{ builder: Builder }> = async (app, { builder }) => {
  streamBodies(app)
  app.addSchema(S.JsonMessage)

  app.post('/build', {
    schema: {
      tags, operationId: 'ImageBuild', summary: 'Build an image from a Dockerfile (docker build with DOCKER_BUILDKIT=0)',
      description: 'The body is the build context: a tar, plain or gzip, at most --build-context-max bytes (413 beyond). The Dockerfile is built by buildah (its own storage and build cache under the daemon\'s root, one layer per filesystem-changing step, Docker\'s image format so HEALTHCHECK, ONBUILD and STOPSIGNAL are kept) and the result is added to the image store and tagged with each `t`. Base images come from berth\'s store; one it lacks is pulled first through berth\'s registry client with the X-Registry-Config credentials. A bad context or a missing Dockerfile is an HTTP error; once the build starts the answer is Docker\'s build stream: `{"stream": "Step 1/4 : FROM bb\\n"}`, the steps\' output, `{"aux": {"ID": "sha256:…"}}`, `Successfully built <id>`, `Successfully tagged <name>`, or at the end `{"errorDetail": {"message": ...}, "error": ...}` (a failed RUN: `The command \'/bin/sh -c false\' returned a non-zero code: 1`). A client that disconnects cancels the build. RUN steps run under chroot isolation sharing the host\'s network; with networkmode=none (an empty network namespace), shmsize or a resource limit (memory, memswap, cpushares, cpuperiod, cpuquota, cpusetcpus, cpusetmems, which chroot isolation would ignore) they run under runc. Nothing of a build is left behind, a failed step\'s container included (as with --force-rm). BuildKit (version=2, session) is refused.',
      querystring: S.BuildQuery, headers: S.BuildHeaders, body: S.TarBody, consumes: S.TAR_TYPES,
      response: { 200: S.jsonStream('Docker\'s build stream, one JSON object per line'), ...S.errors(400, 413, 500) }
    }
  }, async (req, reply) => {
    let request: BuildRequest
    try {
      request = buildRequest(req.query, req.headers['x-registry-config'])
    } catch (err) {
      await discard(req.raw)
      throw err
    }
    const prepared = await withBody(req, body => builder.prepare(body, request))
    const out = new PassThrough()
    out.on('error', () => {})
    const cancel = new AbortController()
    let done = false
    // The client going away (the CLI's Ctrl-C) cancels the build, as in Docker.
    reply.raw.once('close', () => { if (!done) cancel.abort() })
    const emit = (m: object): void => { if (!out.destroyed) out.write(`${JSON.stringify(m)}\n`) }
    builder.run(prepared, emit, cancel.signal).then(() => { done = true; out.end() }, (err: unknown) => {
      done = true
      const { status, message } = toHttp(err)
      if (status >= 500 && !cancel.signal.aborted) req.log.error({ err }, 'build failed'); else req.log.debug({ message }, 'build failed')
      emit({ errorDetail: { message }, error: message })
      out.end()
    })
    return reply.type('application/json').send(out)
  })

  app.post('/build/prune', {
    schema: {
      tags, operationId: 'BuildPrune', summary: 'Clear the build cache (docker builder prune)',
      description: 'Removes buildah\'s images (the build cache and the base images handed to it) and any working container a cancelled build left. 409 while a build runs.',
      querystring: Type.Object({ all: Type.Optional(S.DockerBool), filters: Type.Optional(Type.String()), 'keep-storage': Type.Optional(Type.Integer()) }),
      response: { 200: S.BuildPruneResponse, ...S.errors(409) }
    }
  }, async () => {
    const r = await builder.prune()
    return { CachesDeleted: r.deleted, SpaceReclaimed: r.reclaimed }
  })

  app.post('/session', {
    schema: {
      tags, operationId: 'Session', summary: 'BuildKit\'s session (refused)',
      description: 'BuildKit\'s gRPC session: berth has no BuildKit, so this is always a 400 telling to use DOCKER_BUILDKIT=0.',
      response: { ...S.errors(400) }
    }
  }, async (req) => {
    await discard(req.raw)
    throw invalid(NEEDS_CLASSIC)
  })
}
