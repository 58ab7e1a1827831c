/**
 * Builds berthd's HTTP app. It never listens; src/main.ts does. Docker's
 * conventions live here once: /vX.Y/ prefixes, exact `application/json`,
 * `{"message": ...}` errors, bodies with any content type.
 */
import Fastify, { LogController, type FastifyRequest } from 'fastify'
import { Ajv, type ValidateFunction } from 'ajv'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Logger } from 'pino'
import type { ContainerManager } from '../containers/manager.js'
import type { ImageStore } from '../images/store.js'
import type { Builder } from '../build/builder.js'
import type { EventBus } from '../events/bus.js'
import { API_VERSION, splitVersion, versionError } from './docker.js'
import { toHttp } from './errors.js'
import { drainUnreadBodies } from './bodies.js'
import { canonicalKeys } from './keycase.js'
import { archiveRoutes } from './routes/archive.js'
import { commitRoutes } from './routes/commit.js'
import { containerRoutes } from './routes/containers.js'
import { networkRoutes } from './routes/networks.js'
import { ecosystemRoutes } from './routes/ecosystem.js'
import { imagePath, imageRoutes } from './routes/images.js'
import { buildRoutes } from './routes/build.js'
import { registryHosts } from '../registry/pull.js'
import { systemRoutes, type Versions } from './routes/system.js'
import { eventRoutes } from './routes/events.js'
import { volumeRoutes } from './routes/volumes.js'
import { handleUpgrade, interactiveRoutes } from './routes/interactive.js'
import { ErrorResponse, Volume } from './schemas.js'

export interface AppDeps {
  manager: ContainerManager
  images: ImageStore
  builder: Builder
  events: EventBus
  versions: Versions
  logger: Logger | false
  /** Largest request body accepted, bytes. */
  bodyLimit?: number
}

declare module 'http' {
  interface IncomingMessage { berthApiVersion?: string }
}

/** Deeper than any Docker body (the create body nests 5 levels); far below what overflows the stack. */
const MAX_JSON_DEPTH = 64

/** True when `text`'s arrays and objects nest deeper than `max` (brackets inside strings do not count). */
export function jsonDepthExceeds (text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) return true } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** The app with every route registered; call `ready()` or `listen()` on it. */
export async function buildApp (deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger === false ? undefined : deps.logger,
    logger: deps.logger === false ? false : undefined,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    rewriteUrl (req) {
      const { version, url } = splitVersion(req.url ?? '/')
      if (version !== undefined) req.berthApiVersion = version
      return imagePath(req.method ?? 'GET', url)
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Request validators compile on a route's first request, not at start-up: compiling every route's
  // schema (Docker's create body alone has some 80 fields) took ~470 ms of ready() on a busy machine.
  // The options are fastify's own defaults, plus union types in JSON Schema `type` lists. Only the
  // URL and headers, which are text, are coerced: a body's types are the client's, and Docker refuses
  // `"Cmd": 123` (json: cannot unmarshal number) rather than run a program named "123".
  const options = { useDefaults: true, removeAdditional: true, allErrors: false, allowUnionTypes: true } as const
  const ajvText = new Ajv({ ...options, coerceTypes: 'array' })
  const ajvBody = new Ajv({ ...options, coerceTypes: false })
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? ajvBody : ajvText
    let compiled: ValidateFunction | undefined
    const validate = (data: unknown): boolean => {
      compiled ??= ajv.compile(schema)
      const ok = compiled(data)
      validate.errors = compiled.errors
      return ok
    }
    validate.errors = undefined as ValidateFunction['errors']
    return validate
  })

  // Response schemas document the API (and tests hold responses to them); compiling a
  // fast-json-stringify serializer per route would cost start-up time for nothing.
  app.setSerializerCompiler(() => data => JSON.stringify(data))

  // Clients send bodies as text/plain, application/x-tar or with no type at all: JSON is tried for any.
  // An empty body is no body, whatever its type, as in Docker; a route that does not exist reads no body,
  // so that it answers 404 however bad the body. Nesting is bounded before parsing: code that walks a
  // body (validation, zero-value checks) recurses, and a 5,000-deep body overflowed the stack. Keys are
  // then put in the route schema's spelling, as Go's decoder matches them regardless of case.
  const tooDeep = (text: string): Error | undefined => jsonDepthExceeds(text, MAX_JSON_DEPTH)
    ? Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 })
    : undefined
  type Done = (err: Error | null, body?: unknown) => void
  type Parse = (req: FastifyRequest, text: string, done: Done) => void
  const jsonBody = (parse: Parse) => (req: FastifyRequest, body: string | Buffer, done: Done): void => {
    if (req.is404) { done(null, undefined); return }
    const text = (body as string).trim()
    if (text === '') { done(null, undefined); return }
    const err = tooDeep(text)
    if (err !== undefined) { done(err, undefined); return }
    parse(req, text, (err, parsed) => {
      if (err === null) canonicalKeys(parsed, req.routeOptions.schema?.body)
      done(err, parsed)
    })
  }
  const anyJson: Parse = (_req, text, done) => {
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch (err) { done(Object.assign(err as Error, { statusCode: 400 }), undefined); return }
    done(null, parsed)
  }
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBody(app.getDefaultJsonParser('error', 'error')))
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonBody(anyJson))

  app.addSchema(ErrorResponse)
  app.addSchema(Volume)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'berth Engine API',
        version: API_VERSION,
        description: 'berthd\'s Docker-Engine-style API over a Unix socket (default /run/berth/berth.sock). Every path is also served under /vX.Y/ for API versions 1.24 to 1.44. Errors are {"message": ...} with Content-Type application/json. There is no authentication: who may connect is decided by the socket\'s file mode (0660), owner and group, as with Docker, and on TCP listeners by TLS client certificates.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' }
      },
      // Access control is the socket's file mode, not an HTTP scheme.
      security: [],
      servers: [{ url: 'http://localhost', description: 'curl --unix-socket /run/berth/berth.sock http://localhost/...' }],
      tags: [
        { name: 'Container', description: 'Container lifecycle' },
        { name: 'Interactive', description: 'Attach, terminals and exec' },
        { name: 'Image', description: 'The local image store: import, load, save, tag, remove' },
        { name: 'Volume', description: 'Local volumes: directories (or DriverOpts mounts) that outlive containers' },
        { name: 'Network', description: 'Bridge networks through netavark and aardvark-dns: create, list, inspect, remove, prune' },
        { name: 'System', description: 'Daemon information' }
      ]
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })

  app.addHook('onRequest', async (req, reply) => {
    // Set first, so that routes which take over the raw response (wait) send them too.
    reply.header('Api-Version', API_VERSION)
    reply.header('Ostype', 'linux')
    reply.header('Server', `berth/${deps.versions.berth} (linux)`)
    const v = req.raw.berthApiVersion
    const err = v === undefined ? undefined : versionError(v)
    if (err !== undefined) throw Object.assign(new Error(err), { statusCode: 400 })
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    const ct = reply.getHeader('content-type')
    if (typeof ct === 'string' && ct.startsWith('application/json')) reply.header('content-type', 'application/json')
    return payload
  })

  app.setErrorHandler(async (err, req, reply) => {
    const { status, message } = toHttp(err)
    if (status >= 500) req.log.error({ err, url: req.url }, 'request failed')
    else req.log.debug({ status, message, url: req.url }, 'request refused')
    if (status === 304) return reply.code(304).send()
    return reply.code(status).type('application/json').send({ message })
  })
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).type('application/json').send({ message: 'page not found' }))

  await app.register(systemRoutes, { manager: deps.manager, versions: deps.versions, events: deps.events })
  await app.register(containerRoutes, { manager: deps.manager })
  await app.register(ecosystemRoutes, { manager: deps.manager })
  await app.register(interactiveRoutes, { manager: deps.manager })
  await app.register(archiveRoutes, { manager: deps.manager })
  await app.register(commitRoutes, { manager: deps.manager })
  await app.register(imageRoutes, { images: deps.images, hosts: () => registryHosts(deps.manager.config) })
  await app.register(buildRoutes, { builder: deps.builder })
  await app.register(volumeRoutes, { volumes: deps.manager.volumes })
  await app.register(networkRoutes, { manager: deps.manager })
  await app.register(eventRoutes, { events: deps.events })
  drainUnreadBodies(app.server)
  // Requests with `Connection: Upgrade` (attach, exec start) reach this listener, never Fastify.
  app.server.on('upgrade', handleUpgrade(deps.manager, app.log))
  return app
}
